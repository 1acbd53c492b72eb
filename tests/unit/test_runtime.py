"""The worker boundary: every way student code can end is an outcome, and the next call works.

Every test runs with both ways of starting a worker (grader/run/launcher.py): cold (exec) and
forked from the zygote (where the full sandbox exists: root, cgroups, Linux)."""

from __future__ import annotations

import os
import time

import pytest
import torch

from grader.assignment import Limits
from grader.extract.source import SourceUnit, extract_code
from grader.run.client import StudentRuntime
from grader.run import launcher as launchers
from grader.run.errors import CallTimeout, GraderFault, MissingName, StudentError, WorkerDied
from grader.run.proxy import StudentModule
from grader.run.sandbox import SandboxPolicy
from tests.conftest import skip_unless_strict

STUDENT = '''\
import os, sys, ctypes, signal
import torch
from torch import nn

def ok(n=3):
    print("student says hello")
    sys.stderr.write("a warning on stderr\\n")
    return torch.ones(n, 1), [1.5, "a"], {"k": (2, None)}

def helper():
    return 1 / 0

def raises():
    return helper()

def exits():
    sys.exit(3)

def hard_exit():
    os._exit(4)

def segfault():
    ctypes.string_at(0)

def spins():
    while True:
        pass

def ignores_sigterm():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass

def env(name):
    return os.environ.get(name)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 1)

    def forward(self, x):
        return self.layer(x)
'''
RUNAWAY = "slow = sum(i for i in range(10**12))\n\ndef uses_slow():\n    return len(slow)\n"


@pytest.fixture(scope="module")
def zygote():
    launcher = launchers.ZygoteLauncher(strict=True)
    launcher.warm(SandboxPolicy(), wait=True)  # its start-up is not any test's time
    yield launcher
    launcher.close()


@pytest.fixture(autouse=True, params=["cold", "zygote"])
def launcher(request, monkeypatch):
    """The worker starts the way the parameter says; a zygote run must really have forked."""
    if request.param == "cold":
        monkeypatch.setattr(launchers, "default_launcher", launchers.ColdLauncher)
        yield
        return
    if not launchers.zygote_possible(SandboxPolicy()):
        skip_unless_strict("workers are forked from a zygote only with the full sandbox (root, cgroups, Linux)")
    zygote = request.getfixturevalue("zygote")
    before = zygote.forks
    monkeypatch.setattr(launchers, "default_launcher", lambda: zygote)
    yield
    assert zygote.forks > before, "the test did not run in a forked worker"


def load(tmp_path, *texts):
    code = extract_code([SourceUnit(f"cell {i}", text) for i, text in enumerate(texts, start=1)])
    return StudentModule(StudentRuntime(code, Limits(call_seconds=3, load_seconds=2), tmp_path, time.monotonic() + 120))


@pytest.fixture
def student(tmp_path):
    module = load(tmp_path, STUDENT)
    yield module
    module._runtime.close()


def test_plain_values_come_back_by_value_and_output_is_captured_apart(student):
    x, values, mapping = student.ok()
    assert torch.equal(x, torch.ones(3, 1)) and values == [1.5, "a"] and mapping == {"k": (2, None)}
    student._runtime.close()  # output is drained as it comes; closing waits for the rest
    output = student._runtime.output()
    assert "student says hello" in output and "a warning on stderr" in output


def test_objects_stay_in_the_worker_behind_handles(student):
    net = student.Net()
    assert "Net" in repr(net)
    assert net(torch.ones(4, 2)).shape == (4, 1)
    assert [tuple(p.shape) for p in net.parameters()] == [(1, 2), (1,)]
    assert type(net.layer.weight) is torch.Tensor
    summary = student.helpers.module_summary(net)
    assert [m["type"] for m in summary["modules"]] == ["Linear"]
    with pytest.raises(GraderFault, match="cannot be sent"):
        student.ok(object())


def test_a_student_exception_fails_with_a_traceback_of_student_frames_only(student):
    with pytest.raises(StudentError) as info:
        student.raises()
    assert info.value.message == "raises raised ZeroDivisionError: division by zero"
    trace = info.value.student_traceback
    assert 'File "cell 1", line 14, in raises' in trace and "line 11, in helper" in trace
    assert "grader" not in trace and "return 1 / 0" in trace


def test_sys_exit_is_a_failure_of_that_call_not_the_end_of_grading(student):
    with pytest.raises(StudentError, match=r"called sys.exit\(3\)"):
        student.exits()
    assert student.ok()[0].shape == (3, 1)
    assert student._runtime.starts == 1


@pytest.mark.parametrize("name, reason", [("hard_exit", "exited with code 4"), ("segfault", "SIGSEGV")])
def test_a_dead_worker_fails_that_call_and_the_next_call_gets_a_fresh_one(student, name, reason):
    with pytest.raises(WorkerDied, match=reason):
        getattr(student, name)()
    assert student.ok()[0].shape == (3, 1)
    assert student._runtime.starts == 2


@pytest.mark.parametrize("name", ["spins", "ignores_sigterm"])
def test_a_call_past_its_limit_is_killed_and_the_next_gets_a_fresh_worker(student, name):
    student.ok()  # the worker's start-up is not the call's time
    started = time.monotonic()
    with pytest.raises(CallTimeout, match="longer than 3 s"):
        getattr(student, name)()
    assert time.monotonic() - started < 10
    assert student.ok()[0].shape == (3, 1)
    assert student._runtime.starts == 2


def test_a_handle_from_a_dead_worker_is_refused(student):
    net = student.Net()
    with pytest.raises(WorkerDied):
        student.hard_exit()
    with pytest.raises(GraderFault, match="restarted"):
        student.helpers.module_summary(net)


def test_a_runaway_top_level_statement_is_skipped_with_a_problem(tmp_path):
    student = load(tmp_path, STUDENT, RUNAWAY)
    try:
        assert student.ok()[0].shape == (3, 1)
        with pytest.raises(StudentError, match="NameError"):
            student.uses_slow()
        problems = [p.message for p in student._runtime.problems]
        assert problems == ["cell 2, line 1: the top-level statement defining slow ran longer than 2 s; it was skipped."]
    finally:
        student._runtime.close()


def test_missing_names_say_what_is_close(student):
    with pytest.raises(MissingName, match="Nett is not defined in your submission; did you mean Net"):
        student.Nett


def test_the_graders_environment_does_not_reach_student_code(student, monkeypatch):
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", "hunter2")
    assert student.env("GRADER_SMTP_PASSWORD") is None
    assert student.env("HOME") == "/home/student"
    assert os.environ["GRADER_SMTP_PASSWORD"] == "hunter2"


HANGS_ON_BIG = "def count(n):\n    while n > 100:\n        pass\n    return n\n\ndef other():\n    return 7\n"


def test_hung_code_costs_its_exercise_one_more_limit_at_most_and_other_exercises_nothing(tmp_path):
    """After a call of an exercise is stopped at its limit, that exercise's later calls share one
    more limit: code that hangs on one input still passes its other calls, code that hangs on every
    call stops costing time, and another exercise keeps its full limits."""
    student = load(tmp_path, HANGS_ON_BIG)
    runtime = student._runtime
    try:
        runtime.exercise = "count"
        student.other()  # the worker's start-up is not a call's time
        with pytest.raises(CallTimeout, match="longer than 3 s"):
            student.count(1000)
        assert student.count(5) == 5  # another input: still runs, within the shared extra limit
        with pytest.raises(CallTimeout, match="share one more limit, now used up"):
            student.count(2000)  # stopped when the shared limit (3 s) is used up
        with pytest.raises(CallTimeout, match="was not run: code of count was already stopped"):
            student.count(3)  # nothing left of it: not run at all
        runtime.exercise = "other"
        assert student.other() == 7
        with pytest.raises(CallTimeout, match="longer than 3 s"):
            student.count(1000)  # a call in another exercise's test has its own whole limit
    finally:
        runtime.close()


SWAPS_TORCH = "import sys, types, torch\n\ndef swap():\n    t = torch.ones(2)\n    sys.modules['torch'] = types.ModuleType('torch')\n    return t\n"


def test_a_submission_that_swaps_torch_in_sys_modules_still_sends_tensors_as_tensors(tmp_path):
    student = load(tmp_path, SWAPS_TORCH)
    try:
        value = student.swap()
        assert type(value) is torch.Tensor and torch.equal(value, torch.ones(2))
    finally:
        student._runtime.close()
