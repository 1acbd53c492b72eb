"""Hostile submissions, one attack each: the grader finishes, gives no point that honest code
would not earn, names the reason, and nothing outside the sandbox changes.

Each file in attacks/ starts with:
    # class: <escape|resources|tampering|theft|network|persistence>
    # attack: <what it tries>
    # reason: <regex that the result must show: in a test message, a problem or the output>
    # honest: <1 if the honest exercise must still earn its point, else any>
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import GradingError, grade_submission
from grader.report import render_html
from grader.run.sandbox import CGROUP_ROOT, UID_BASE, UID_SPAN, SandboxPolicy, cgroups_writable

HERE = Path(__file__).resolve().parent
COURSE = HERE / "course"
ATTACKS = sorted((HERE / "attacks").glob("*.py"))
SECRET = "48151623"
ENV_SECRET = "canary-smtp-password-5f3a"
POLICY = SandboxPolicy()  # the fortress manifest sets small limits: attacks hit them fast
# Where an attack that got out would leave a mark (the grader's real /tmp and home).
MARKS = [Path("/tmp/pwned"), Path.home() / "pwned", Path("/tmp/report.html"), Path("/tmp/result.json")]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the OS sandbox exists on Linux only")


def header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        match = re.match(r"# (class|attack|reason|honest): (.*)", line)
        if not match:
            break
        fields[match.group(1)] = match.group(2).strip()
    assert {"class", "attack", "reason", "honest"} <= set(fields), f"{path.name}: incomplete header"
    return fields


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def sandbox_processes() -> set[int]:
    """Processes of this test process's sandboxes (in its cgroups), and any process running as
    a sandbox uid outside every grader cgroup (one that got out). Other graders' are not ours."""
    mine = f"/grader/{os.getpid()}-"
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                uid = int(status.split("\nUid:")[1].split()[1])
                groups = (entry / "cgroup").read_text()
            except (OSError, IndexError, ValueError):
                continue
            if "\nState:\tZ" in status:
                continue  # dead, waiting for the host's init to reap it: not running
            if mine in groups or (UID_BASE <= uid < UID_BASE + UID_SPAN and "/grader/" not in groups):
                found.add(int(entry.name))
    return found


def leftover_cgroups() -> list[str]:
    left = []
    for controller in ("memory", "pids"):
        base = CGROUP_ROOT / controller / "grader"
        if base.is_dir():
            left += [str(p) for p in base.iterdir() if p.is_dir() and p.name.startswith(f"{os.getpid()}-")]
    return left


@pytest.fixture
def world(tmp_path, monkeypatch):
    """What must not change: the course, another student's submission, an output folder."""
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", ENV_SECRET)
    other = tmp_path / "other-student"
    other.mkdir()
    (other / "tp1.ipynb").write_text('{"secret": "another student\'s work"}')
    out = tmp_path / "reports"
    out.mkdir()
    (out / "alice.report.html").write_text("<p>alice: 39/39</p>")
    for mark in MARKS:
        if mark.exists():
            mark.unlink() if mark.is_file() else shutil.rmtree(mark)
    before = {"course": tree_digest(COURSE), "other": tree_digest(other), "out": tree_digest(out)}
    procs = sandbox_processes()
    yield
    assert {"course": tree_digest(COURSE), "other": tree_digest(other), "out": tree_digest(out)} == before
    assert [m for m in MARKS if m.exists()] == []
    for _ in range(20):  # processes killed a moment ago may still be on their way out
        if not sandbox_processes() - procs:
            break
        time.sleep(0.1)
    assert sandbox_processes() - procs == set(), "a sandboxed process outlived the grading"
    assert leftover_cgroups() == []


def grade_with_deadline(path: Path, seconds: float = 120):
    """Grade in a thread: the test fails, instead of hanging, if grading does not finish."""
    spec = load_assignment(COURSE, "fortress")
    box: dict = {}

    def run():
        try:
            box["result"] = grade_submission(read_submission(path), spec, hidden=True, policy=POLICY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"grading {path.name} did not finish in {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["result"]


@pytest.mark.slow
@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_an_attack_earns_nothing_and_changes_nothing(path, world):
    if not cgroups_writable():
        pytest.fail("these guarantees are tested with the full sandbox: run the tests as root on Linux")
    info = header(path)
    result = grade_with_deadline(path)
    assert not result.grader_error, result.grader_error
    scores = {e.name: e.score for e in result.exercises}
    assert scores["answer"] == 0, "an attack earned points that honest code cannot"
    if info["honest"] == "1":
        assert scores["honest"] == 1, {t.name: t.message for e in result.exercises for t in e.tests}
    # The report shows the student's own code, which may hold a guess of the secret: what must
    # not leak is anything the grader or the tests know.
    theirs_hidden = dataclasses.replace(result, exercises=tuple(dataclasses.replace(e, code=()) for e in result.exercises))
    shown = json.dumps(theirs_hidden.to_json()) + render_html(theirs_hidden)
    assert SECRET not in shown
    assert ENV_SECRET not in shown
    evidence = "\n".join(
        [t.message for e in result.exercises for t in e.tests] + [p.message for p in result.problems] + [result.student_output]
    )
    assert re.search(info["reason"], evidence), f"the result does not name the reason ({info['reason']}):\n{evidence[:3000]}"


def test_every_attack_class_has_at_least_three_attacks():
    classes: dict[str, int] = {}
    for path in ATTACKS:
        kind = header(path)["class"]
        classes[kind] = classes.get(kind, 0) + 1
    assert set(classes) == {"escape", "resources", "tampering", "theft", "network", "persistence"}
    assert min(classes.values()) >= 3, classes
