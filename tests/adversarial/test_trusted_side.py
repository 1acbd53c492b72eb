"""What a submission can do to the trusted process through the worker's channel: nothing but fail
its own tests. Each hostile worker here is student code (the attack files) that writes raw frames
onto the worker's socket, raises the grader's exceptions, or returns what the wire cannot carry.

These run the real sandbox; like the other guarantees, they fail (never skip) without it on Linux.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from grader.assignment import Limits
from grader.extract.source import SourceUnit, extract_code
from grader.run import sandbox
from grader.run.client import StudentRuntime
from grader.run.errors import CallTimeout, ProtocolViolation, StudentError, UnsendableValue
from grader.run.plugin import classify
from grader.run.proxy import StudentModule
from grader.run.sandbox import CGROUP_ROOT, SandboxPolicy
from tests.adversarial.test_attacks import COURSE, HERE

ROOT = HERE.parent.parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the OS sandbox exists on Linux only")


@pytest.fixture
def load(tmp_path):
    """`load("attack_file_stem", call_seconds=...)`: the attack's code in a sandboxed worker."""
    if sandbox.linux():
        SandboxPolicy().check()
    runtimes: list[StudentRuntime] = []

    def make(attack: str, **limits) -> StudentModule:
        source = (HERE / "attacks" / f"{attack}.py").read_text()
        code = extract_code([SourceUnit(f"{attack}.py", source)])
        limits = {"call_seconds": 4, "load_seconds": 4, **limits}
        runtime = StudentRuntime(code, Limits(**limits), tmp_path / str(len(runtimes)), time.monotonic() + 300,
                                 SandboxPolicy())
        runtimes.append(runtime)
        return StudentModule(runtime)

    yield make
    for runtime in runtimes:
        runtime.close()


def fault(call) -> tuple[str, str, str]:
    """What the report says of a test whose student call raised: (status, message, fault)."""
    with pytest.raises(Exception) as info:
        call()
    return classify(info, hidden=False)


# ---------------------------------------------------------------- class 1: one deadline per call


def test_a_reply_dribbled_byte_by_byte_is_stopped_at_the_call_limit(load):
    student = load("resources__dribbled_reply", call_seconds=2)
    assert student.honest(21) == 42  # the worker is up: what follows is the call alone
    start = time.monotonic()
    with pytest.raises(CallTimeout, match="answer took longer than 2 s and was stopped"):
        student.answer()
    assert time.monotonic() - start < 2 + 3, "the call outlived its limit"
    assert student.honest(4) == 8  # a fresh worker, nothing of the dribble left


# ---------------------------------------------------------------- class 2: bounded, total decoding


def test_a_blob_referenced_by_many_tensors_is_refused_not_copied(load):
    student = load("resources__shared_blob")
    status, message, who = fault(student.answer)
    assert (status, who) == ("error", "student") and "one blob is used by two values" in message
    assert student.honest(21) == 42


def test_a_reply_nested_100000_deep_is_refused_and_no_later_reply_is_shifted(load):
    student = load("tampering__deep_json_reply")
    with pytest.raises(ProtocolViolation, match="nested more than"):
        student.answer()
    # The forged frame was followed by the real reply of answer(): never read by a later call.
    assert [student.honest(21), student.honest(5)] == [42, 10]


def test_a_reply_of_a_million_items_is_refused_before_it_is_built(load):
    student = load("resources__million_lists")
    assert student.honest(1) == 2
    tracemalloc.start()
    try:
        with pytest.raises(ProtocolViolation, match="more than .* items"):
            student.answer()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, f"refusing a 3 MB reply took {peak >> 20} MB"


# ---------------------------------------------------------------- class 3: labels by phase, not by type


def test_a_student_raising_the_graders_own_exception_is_the_students_failure(load):
    student = load("tampering__raise_grader_exception")
    status, message, who = fault(student.answer)
    assert (status, who) == ("failed", "student")
    assert message.startswith("answer raised WireError: the grader broke, not my code")


def test_an_unsendable_return_value_is_the_students_failure_and_says_what_to_return(load):
    student = load("tampering__unsendable_values")
    status, message, who = fault(student.answer_tensor)
    assert who == "student" and status == "failed"
    assert "answer_tensor returned a uint16 tensor" in message and "float32" in message
    status, message, who = fault(student.answer)
    assert who == "student" and "answer returned a value nested more than 64 levels deep" in message
    assert student.honest(21) == 42  # an unsendable value is an answer, not a broken worker


def test_a_forged_grader_error_reply_is_the_students_protocol_violation(load):
    student = load("tampering__forged_grader_fault")
    status, message, who = fault(student.answer)
    assert who == "student" and "forged by the student" in message


def test_an_interrupted_load_never_leaves_a_half_loaded_worker(load):
    student = load("tampering__interrupted_loading")
    assert student.honest(21) == 42  # defined below the class whose body raised
    assert student.answer() == 0
    problems = [p.message for p in student._runtime.problems]
    assert any("defining Boom raised WireError" in p for p in problems), problems


# ---------------------------------------------------------------- class 4: no parsing of student text


def test_printing_the_graders_dropped_output_note_changes_nothing(load):
    student = load("tampering__forged_output_note")
    assert student.honest(21) == 42
    student._runtime.close()
    output = student._runtime.output()
    assert output.endswith("[... output cut: the first 64 KB of 73 KB are shown ...]"), output[-300:]
    assert "9999" not in output


def test_dropped_output_is_counted_by_the_grader(load):
    student = load("resources__output_flood", call_seconds=60)
    assert student.answer() == 0
    student._runtime.close()
    printed = 300_000 * 1001
    dropped = printed - (1 << 20)
    assert student._runtime.output().endswith(f"; {dropped} more bytes of output were dropped while grading ...]")


# ---------------------------------------------------------------- class 1: cleanup on signals


def _cgroups_of(pid: int) -> list[Path]:
    found = []
    for base in (CGROUP_ROOT / "memory" / "grader", CGROUP_ROOT / "pids" / "grader", CGROUP_ROOT / "grader"):
        if base.is_dir():
            found += [p for p in base.iterdir() if p.is_dir() and p.name.startswith(f"{pid}-")]
    return found


def test_a_grading_stopped_by_sigterm_leaves_no_folder_and_no_cgroup(tmp_path):
    if not sandbox.cgroups_writable():
        pytest.fail("run as root on Linux: the guarantee is about the sandbox's cgroups")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    submission = tmp_path / "sleeper.py"
    submission.write_text("import time\n\n\ndef honest(x):\n    print('started', flush=True)\n"
                          "    time.sleep(600)\n\n\ndef answer():\n    time.sleep(600)\n")
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "grader.cli", "--course", str(COURSE), "local", str(submission),
            "--assignment", "fortress", "--hidden", "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):
            logs = list(tmp.glob("grader-*/output.log"))
            if logs and b"started" in logs[0].read_bytes() and _cgroups_of(proc.pid):
                break  # a sandbox, its cgroups and a work folder exist now
            assert proc.poll() is None, "the grading ended before the test could stop it"
            time.sleep(0.1)
        else:
            pytest.fail("the submission never started")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == -signal.SIGTERM  # still reports being terminated
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sorted(p.name for p in tmp.iterdir()) == []
    assert _cgroups_of(proc.pid) == []


def test_a_cgroup_left_by_an_interrupted_or_failed_cleanup_is_swept_at_exit(tmp_path):
    """However a sandbox's own cleanup was cut short (a signal while its cgroup was being made,
    a removal that gave up), the folders this process made are swept when it exits."""
    if not sandbox.cgroups_writable():
        pytest.fail("run as root on Linux: the guarantee is about the sandbox's cgroups")
    script = ("import os, sys\n"
              "from grader.run import sandbox\n"
              "group = sandbox._Cgroup.create(f'{os.getpid()}-1-abandoned', sandbox.SandboxLimits())\n"
              "assert all(p.is_dir() for p in group.paths)\n"
              "print(os.getpid(), flush=True)\n"
              "os.kill(os.getpid(), int(sys.argv[1])) if len(sys.argv) > 1 else None\n")
    for how in ([], [str(int(signal.SIGTERM))]):
        done = subprocess.run([sys.executable, "-c", script, *how], env={**os.environ, "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True, timeout=60)
        assert done.stdout.strip(), done.stderr
        assert _cgroups_of(int(done.stdout.split()[0])) == [], how


# ---------------------------------------------------------------- class 9: graders side by side

UID_PROBE = textwrap.dedent('''\
    import sys, time
    from pathlib import Path
    from grader.assignment import Limits
    from grader.extract.source import SourceUnit, extract_code
    from grader.run.client import StudentRuntime
    from grader.run.proxy import StudentModule
    from grader.run.sandbox import SandboxPolicy

    code = extract_code([SourceUnit("probe.py", "import os\\n\\ndef uid():\\n    return os.getuid()\\n")])
    runtime = StudentRuntime(code, Limits(), Path(sys.argv[1]), time.monotonic() + 300, SandboxPolicy())
    student = StudentModule(runtime)
    print(student.uid(), flush=True)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.05)
    print(student.uid(), flush=True)  # its sandbox is still its own, untouched by the other
    runtime.close()
''')


def test_two_graders_side_by_side_never_share_a_sandbox_uid(tmp_path):
    """Two grading processes at once, each in its own PID namespace (as in two containers): the
    same pid in both, and still a uid and a cgroup of each sandbox's own."""
    if not sandbox.is_root() or not sandbox.cgroups_writable():
        pytest.fail("run as root on Linux: sandbox uids are handed out by root only")
    probe = tmp_path / "probe.py"
    probe.write_text(UID_PROBE)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        argv = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(probe), str(tmp_path / name), str(go)]
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        first = [int(p.stdout.readline() or -1) for p in procs]
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert -1 not in first, [o[1][-2000:] for o in outs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    second = [int(out.split()[0]) for out, _ in outs]
    assert first == second
    assert first[0] != first[1], f"two sandboxes ran as the same uid {first[0]}"
