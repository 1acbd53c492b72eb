"""Workers forked from the zygote keep every guarantee of a cold worker.

The attack suite runs again with forked workers; then what a fork could share with the zygote or
with another fork is tested directly: files, processes, uid, cgroups, namespaces, capabilities,
the syscall filter, and forking after torch has run (pytorch#17199). Like the rest of this folder,
these fail, never skip, when the full sandbox is missing on Linux.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from grader.assignment import Limits
from grader.extract.source import SourceUnit, extract_code
from grader.run import launcher as launchers
from grader.run import sandbox
from grader.run.client import StudentRuntime
from grader.run.proxy import StudentModule
from grader.run.sandbox import SandboxPolicy
from tests.adversarial import test_attacks
from tests.adversarial.test_attacks import ATTACKS, world  # noqa: F401 - the fixture, reused

pytestmark = pytest.mark.skipif(not sandbox.linux(), reason="the zygote exists on Linux only")

PROBE = '''\
import os, subprocess, time, glob


def identity():
    status = open("/proc/self/status").read()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "pid": os.getpid(),
        "caps": [fields[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
        "seccomp": fields["Seccomp"].strip(), "no_new_privs": fields["NoNewPrivs"].strip(),
        "ns": {n: os.readlink(f"/proc/self/ns/{n}") for n in ("mnt", "pid", "net", "ipc", "uts", "cgroup")},
        "tmp": os.stat("/tmp").st_dev, "home": os.stat(os.path.expanduser("~")).st_dev,
        "shm": os.stat("/dev/shm").st_dev, "cwd": os.getcwd(),
    }


def plant(tag):
    for folder in ("/tmp", os.path.expanduser("~"), "/dev/shm"):
        with open(os.path.join(folder, "left-by-" + tag), "w") as out:
            out.write(tag)
    if os.fork() == 0:  # a daemon that would keep planting
        os.setsid()
        if os.fork() == 0:
            while True:
                try:
                    open("/tmp/daemon-" + tag, "a").close()
                except OSError:
                    pass
                time.sleep(0.05)
        os._exit(0)
    subprocess.Popen(["sleep", "600"])
    return tag


def look():
    import sys
    # The grader's own read-only binds (a checkout under /tmp is bound back over the fresh tmpfs,
    # as bubblewrap does for a cold worker) are not anything a submission left.
    install = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.executable)]
    found = sorted(f for f in glob.glob("/tmp/*") + glob.glob(os.path.expanduser("~/*")) + glob.glob("/dev/shm/*")
                   if not any(p == f or p.startswith(f + "/") for p in install))
    processes = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    return found, processes


def grow(mb):
    return len(bytearray(mb << 20)) >> 20


def matmul(n):
    import torch
    return float((torch.ones(n, n) @ torch.ones(n, n)).sum()), torch.get_num_threads()


def first_step():
    import sys
    import torch
    before = set(sys.modules)
    net = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    optimizer.zero_grad()
    net(torch.ones(4, 2)).pow(2).mean().backward()
    optimizer.step()
    return sorted(set(sys.modules) - before)


def frozen():
    import gc
    gc.collect()  # as students write it in Colab notebooks, after a training
    return gc.get_freeze_count(), len(gc.get_objects())


def course_environment():
    import matplotlib
    import matplotlib.pyplot as plt  # imported here, after the fork: not from the zygote's memory
    import torch
    plt.plot([0, 1], [1, 0])
    plt.close("all")
    return matplotlib.get_backend(), torch.zeros(2, device="cuda").device.type
'''


@pytest.fixture(scope="module")
def zygote():
    if not launchers.zygote_possible(SandboxPolicy()):
        pytest.fail("forked workers are tested with the full sandbox: run the tests as root on Linux")
    launcher = launchers.ZygoteLauncher(strict=True)
    launcher.warm(SandboxPolicy(), wait=True)
    yield launcher
    launcher.close()


def student(tmp_path: Path, launcher, name: str = "a", **limits) -> StudentModule:
    code = extract_code([SourceUnit("cell 1", PROBE)])
    workdir = tmp_path / name
    workdir.mkdir()
    return StudentModule(StudentRuntime(code, Limits(**{"call_seconds": 60, **limits}), workdir, time.monotonic() + 300,
                                        SandboxPolicy(), launcher=launcher))


@pytest.mark.slow
@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_an_attack_on_a_forked_worker_earns_nothing_and_changes_nothing(path, world, zygote, monkeypatch):  # noqa: F811
    monkeypatch.setattr(launchers, "default_launcher", lambda: zygote)
    before = zygote.forks
    test_attacks.test_an_attack_earns_nothing_and_changes_nothing(path, world)
    assert zygote.forks > before, "the attack did not run in a forked worker"


def test_what_one_submission_leaves_is_gone_before_the_next(tmp_path, zygote):
    first = student(tmp_path, zygote, "a")
    try:
        assert first.plant("alice") == "alice"
        time.sleep(0.3)  # the daemon plants too
        found, processes = first.look()
        assert any("left-by-alice" in f for f in found) and len(processes) >= 3
    finally:
        first._runtime.close()
    second = student(tmp_path, zygote, "b")
    try:
        found, processes = second.look()
        assert found == [], "files of the previous submission are visible"
        assert processes == [1, 2], f"processes other than its own init and itself: {processes}"
    finally:
        second._runtime.close()


def test_two_forked_workers_at_once_share_no_uid_cgroup_namespace_or_tmpfs(tmp_path, zygote):
    first, second = student(tmp_path, zygote, "a"), student(tmp_path, zygote, "b")
    try:
        a, b = first.identity(), second.identity()
        first.plant("alice")
        found, processes = second.look()
        assert found == [] and processes == [1, 2], "one worker sees the other's files or processes"
        for info, runtime in ((a, first._runtime), (b, second._runtime)):
            worker = runtime._worker
            assert info["uid"] == info["gid"] == worker.sandbox.uid and info["groups"] == []
            assert info["uid"] >= sandbox.UID_BASE
            assert info["caps"] == ["0000000000000000"] * 5
            assert info["seccomp"] == "2" and info["no_new_privs"] == "1"
            assert info["pid"] == 2 and info["cwd"] == "/home/student"
            procs = {int(p) for p in (worker.sandbox.cgroup.paths[0] / "cgroup.procs").read_text().split()}
            assert worker.proc.pid in procs, "the forked worker is not in its own cgroup"
            for path in worker.sandbox.cgroup.paths:  # memory and pids (v1), or both in one (v2)
                assert {int(p) for p in (path / "cgroup.procs").read_text().split()} == procs
        assert a["uid"] != b["uid"]
        assert first._runtime._worker.sandbox.cgroup.paths != second._runtime._worker.sandbox.cgroup.paths
        assert all(a["ns"][n] != b["ns"][n] for n in a["ns"]), (a["ns"], b["ns"])
        assert len({a["tmp"], a["home"], a["shm"], b["tmp"], b["home"], b["shm"]}) == 6
        own = {n: os.readlink(f"/proc/self/ns/{n}") for n in a["ns"]}
        assert all(a["ns"][n] != own[n] for n in own)
    finally:
        first._runtime.close()
        second._runtime.close()


def test_a_forked_worker_is_held_to_its_own_memory_limit(tmp_path, zygote):
    hog = student(tmp_path, zygote, "hog", memory_mb=512)
    try:
        assert hog.grow(64) == 64
        with pytest.raises(Exception, match="killed for using more than 512 MB"):
            hog.grow(1024)
    finally:
        hog._runtime.close()


@pytest.mark.parametrize("warm_up", [False, True], ids=["after-import", "after-a-tensor-op"])
def test_the_zygote_forks_a_working_torch_worker(tmp_path, warm_up):
    """GNU OpenMP hangs a forked child whose parent ran a parallel region; the zygote sets one
    thread first. The call has a limit: a hang fails the test instead of stopping the suite."""
    if not launchers.zygote_possible(SandboxPolicy()):
        pytest.fail("forked workers are tested with the full sandbox: run the tests as root on Linux")
    launcher = launchers.ZygoteLauncher(strict=True, warm_up=warm_up)
    worker = student(tmp_path, launcher, "torch", call_seconds=30)
    try:
        for _ in range(2):
            total, threads = worker.matmul(512)
            assert total == 512.0 ** 3 and threads == 1
        assert launcher.forks == 1 and launcher.modules[:2] == ["numpy", "torch"]
    finally:
        worker._runtime.close()
        launcher.close()


_REQUEST = launchers.ZygoteLauncher._request


def _unconfinable(sandbox, limits):
    """A request no fork can apply (an open-files limit beyond any kernel's)."""
    return {**_REQUEST(sandbox, limits), "rlimits": {"nofile": 1 << 62}}


def test_a_fork_that_cannot_confine_itself_never_serves(tmp_path, zygote, monkeypatch):
    """Fail closed: a strict launcher (tests) raises; the child exited before serving anything."""
    monkeypatch.setattr(launchers.ZygoteLauncher, "_request", staticmethod(_unconfinable))
    with pytest.raises(launchers.ZygoteUnavailable, match="could not confine itself"):
        student(tmp_path, zygote, "strict").identity()
    assert zygote.broken is None  # a strict launcher reports; it does not give up
    monkeypatch.undo()
    assert student(tmp_path, zygote, "next").identity()["seccomp"] == "2"


def test_when_forks_cannot_confine_themselves_workers_start_cold_and_the_log_says_why(tmp_path, monkeypatch, caplog):
    lenient = launchers.ZygoteLauncher()
    monkeypatch.setattr(launchers.ZygoteLauncher, "_request", staticmethod(_unconfinable))
    worker = student(tmp_path, lenient, "lenient")
    try:
        with caplog.at_level(logging.WARNING, logger="grader.run.launcher"):
            info = worker.identity()
        assert info["pid"] == 2 and info["seccomp"] == "2" and info["uid"] == worker._runtime._worker.sandbox.uid
        assert lenient.forks == 0 and "could not confine itself" in (lenient.broken or "")
        assert "workers start cold from now on" in caplog.text
    finally:
        worker._runtime.close()
        lenient.close()


def test_workers_start_cold_where_the_zygote_cannot_be_used(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "cgroups_writable", lambda: False)
    monkeypatch.setattr(launchers, "cgroups_writable", lambda: False)
    lenient = launchers.ZygoteLauncher()
    worker = student(tmp_path, lenient, "cold")
    try:
        assert worker.identity()["seccomp"] == "2"
        assert lenient.forks == 0 and lenient._control is None  # no zygote was even started
    finally:
        worker._runtime.close()
        lenient.close()


def test_a_forked_worker_gets_the_course_environment_as_a_cold_one_does(tmp_path, zygote):
    """Headless matplotlib imported after the fork, and CUDA-written code run on the CPU."""
    backend, device = student(tmp_path, zygote).course_environment()
    assert backend.lower() == "agg" and device == "cpu"


def test_honest_training_with_a_dataloader_in_a_forked_worker_is_never_killed(tmp_path, zygote):
    """DataLoader workers are forks of a fork: they must work, within the same limits."""
    from tests.adversarial.test_sandbox_guarantees import HONEST

    code = extract_code([SourceUnit("cell 1", HONEST)])
    runtime = StudentRuntime(code, Limits(call_seconds=120), tmp_path, time.monotonic() + 300, SandboxPolicy(),
                             launcher=zygote)
    before = zygote.forks
    try:
        assert 0 < StudentModule(runtime).train_with_loader() < 10
        assert zygote.forks == before + 1
    finally:
        runtime.close()


def test_a_forked_workers_first_optimizer_step_imports_nothing(tmp_path, zygote):
    """An optimizer's first step imports torch._dynamo and sympy (~900 modules, ~1 s of CPU):
    the zygote imported them, so no submission pays them. Without it, every tp1 grading cost
    three times its CPU (measured: 1.29 s against 0.40 s of the machine's CPU a grading)."""
    assert student(tmp_path, zygote).first_step() == []


def test_a_forked_workers_garbage_collections_never_walk_what_the_zygote_imported(tmp_path, zygote):
    """torch's import leaves ~400,000 objects: a full collection in a worker (a student's
    gc.collect(), or a large training's own) would walk them all and copy every page it touches.
    The zygote freezes them before its first fork, so collections see only the worker's own."""
    frozen, tracked = student(tmp_path, zygote).frozen()
    assert frozen > 100_000 > tracked
