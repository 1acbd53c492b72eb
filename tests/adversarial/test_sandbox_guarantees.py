"""What the sandbox guarantees, tested directly. These fail, never skip, when the sandbox is
missing on Linux: a suite that passes having tested nothing would be worse than none."""

from __future__ import annotations

import os
import time

import pytest

from grader.assignment import Limits
from grader.extract.source import SourceUnit, extract_code
from grader.pipeline import GradingError, grade_file
from grader.run import sandbox
from grader.run.client import StudentRuntime
from grader.run.proxy import StudentModule
from grader.run.sandbox import SandboxPolicy
from tests.adversarial.test_attacks import COURSE
from tests.conftest import skip_unless_strict

HONEST = '''\
import subprocess
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def train_with_loader():
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(4096, 784), torch.randint(0, 10, (4096,)))
    loader = DataLoader(data, batch_size=64, shuffle=True, num_workers=2)
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(2):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(net(images), labels)
            loss.backward()
            optimizer.step()
    return float(loss)


def sleepers(n):
    started = [subprocess.Popen(["sleep", "60"]) for _ in range(n)]
    return len(started)
'''


@pytest.fixture
def needs_sandbox():
    if not sandbox.linux():
        skip_unless_strict("the OS sandbox exists on Linux only")  # elsewhere grading says it ran without one
    SandboxPolicy().check()  # raises, failing the test, when bubblewrap or libseccomp is missing


def runtime(tmp_path, **limits) -> StudentModule:
    code = extract_code([SourceUnit("cell 1", HONEST)])
    return StudentModule(StudentRuntime(code, Limits(call_seconds=120, **limits), tmp_path, time.monotonic() + 300, SandboxPolicy()))


def test_honest_torch_training_with_a_dataloader_is_never_killed_by_the_limits(tmp_path, needs_sandbox):
    student = runtime(tmp_path)
    try:
        loss = student.train_with_loader()
        assert 0 < loss < 10
    finally:
        student._runtime.close()


@pytest.mark.parametrize("cgroups", [True, False], ids=["cgroup", "own-uid-rlimit"])
def test_two_sandboxes_never_share_a_process_count(tmp_path, needs_sandbox, monkeypatch, cgroups):
    if not sandbox.is_root() or not sandbox.cgroups_writable():
        pytest.fail("process counts are per sandbox when the grader runs as root on Linux (cgroups)")
    if not cgroups:  # as on a host whose cgroups cannot be used: each sandbox's own uid counts
        monkeypatch.setattr(sandbox, "cgroups_writable", lambda: False)
    first, second = runtime(tmp_path / "a", processes=24), runtime(tmp_path / "b", processes=24)
    try:
        assert first.sleepers(16) == 16
        assert second.sleepers(16) == 16  # a shared per-user count would stop this one
        with pytest.raises(Exception, match="Resource temporarily unavailable|can't start|BlockingIOError"):
            first.sleepers(16)
    finally:
        first._runtime.close()
        second._runtime.close()


def test_a_test_can_ask_for_other_sandbox_limits(tmp_path, needs_sandbox):
    """The manifest's limits hold by default; a test's sandbox_limits marker gets a worker of its own."""
    base = tmp_path / "assignments" / "roomy"
    (base / "tests" / "public").mkdir(parents=True)
    (base / "assignment.toml").write_text(
        'slug = "roomy"\n[limits]\nmemory_mb = 512\n[[exercises]]\nname = "grow"\n'
    )
    (base / "tests" / "public" / "test_grow.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.exercise('grow')\n"
        "def test_grow_in_the_default_sandbox(student):\n    assert student.grow(800) == 800\n\n"
        "@pytest.mark.exercise('grow')\n@pytest.mark.sandbox_limits(memory_mb=1536)\n"
        "def test_grow_with_more_memory(student):\n    assert student.grow(800) == 800\n"
    )
    module = tmp_path / "student.py"
    module.write_text("def grow(mb):\n    return len(bytearray(mb << 20)) >> 20\n")
    result = grade_file(module, assignment="roomy", course=tmp_path)
    tests = {t.name: t for e in result.exercises for t in e.tests}
    assert "512 MB" in tests["test_grow_in_the_default_sandbox"].message
    assert tests["test_grow_with_more_memory"].status == "passed"


def test_without_cgroups_memory_is_still_bounded(tmp_path, needs_sandbox, monkeypatch):
    monkeypatch.setattr(sandbox, "cgroups_writable", lambda: False)
    code = extract_code([SourceUnit("cell 1", "def hog():\n    return len(bytearray(3 << 30))\n")])
    student = StudentModule(StudentRuntime(code, Limits(memory_mb=1024), tmp_path, time.monotonic() + 60, SandboxPolicy()))
    try:
        with pytest.raises(Exception, match="MemoryError|killed for using|SIGKILL"):
            student.hog()
    finally:
        student._runtime.close()


def test_grading_refuses_to_run_student_code_without_the_sandbox(tmp_path, monkeypatch):
    if not sandbox.linux():
        skip_unless_strict("outside Linux grading runs without an OS sandbox and says so")
    module = tmp_path / "student.py"
    module.write_text("def honest(x):\n    return 2 * x\n")
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(GradingError, match=r"bubblewrap.*--no-sandbox"):
        grade_file(module, assignment="fortress", course=COURSE)


def test_no_sandbox_grades_and_says_so_in_the_result(tmp_path):
    module = tmp_path / "student.py"
    module.write_text("def honest(x):\n    return 2 * x\n")
    result = grade_file(module, assignment="fortress", course=COURSE, policy=SandboxPolicy(enabled=False))
    assert result.score == 1 and result.sandbox.startswith("none")


def test_the_result_names_the_sandbox_it_ran_in(tmp_path, needs_sandbox):
    module = tmp_path / "student.py"
    module.write_text("def honest(x):\n    return 2 * x\n")
    result = grade_file(module, assignment="fortress", course=COURSE)
    assert result.score == 1 and "bubblewrap" in result.sandbox and "seccomp" in result.sandbox


def test_each_sandbox_has_an_equal_cpu_share_of_its_own_so_parallel_submissions_cannot_starve_each_other(needs_sandbox):
    if not sandbox.is_root() or not sandbox.cgroups_writable():
        pytest.fail("CPU shares are per sandbox when the grader runs as root on Linux (cgroups)")
    boxes = [sandbox.Sandbox(sandbox.SandboxLimits()), sandbox.Sandbox(sandbox.SandboxLimits())]
    try:
        for box in boxes:
            box.allocate()
        shares = []
        for box in boxes:
            if box.cgroup.version == 2:
                share = [p / "cpu.weight" for p in box.cgroup.paths if (p / "cpu.weight").exists()]
            else:
                share = [p / "cpu.shares" for p in box.cgroup.paths if (p / "cpu.shares").exists()]
            assert len(share) == 1, "a sandbox's processes join a CPU cgroup of their own"
            shares.append((share[0].parent, share[0].read_text().strip()))
        assert shares[0][0] != shares[1][0] and shares[0][1] == shares[1][1]
        assert shares[0][1] == str(sandbox.CPU_WEIGHT if boxes[0].cgroup.version == 2 else sandbox.CPU_SHARES)
    finally:
        for box in boxes:
            box.close()
    assert not any(folder.exists() for folder, _ in shares)  # removed with the sandbox
