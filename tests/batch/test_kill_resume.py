"""Nothing lost, nothing twice: a real `grade batch` killed with SIGKILL at random moments,
then run again, ends exactly where an uninterrupted batch ends. The inbox is a real mbox read
by the real reader."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.batch.state import DATABASE
from tests.batch.course import make_course, make_inbox
from tests.conftest import ROOT

def command(course: Path, inbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "--course", str(course), "batch", str(inbox), "--assignment", "tiny",
            "--out", str(out), "--workers", "2"]


def run_to_end(course: Path, inbox: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command(course, inbox, out), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def snapshot(out: Path) -> dict:
    """What a finished batch is: its records (less the times they were made) and its outputs."""
    with sqlite3.connect(out / DATABASE) as db:
        tables = {
            "messages": db.execute("SELECT key, sender, sent_at, student, assignment, problem FROM messages ORDER BY key").fetchall(),
            "attachments": db.execute("SELECT * FROM attachments ORDER BY message_key, idx").fetchall(),
            "attempts": db.execute("SELECT * FROM attempts ORDER BY key").fetchall(),
            "jobs": db.execute("SELECT key, student, assignment, assignment_digest, sha256 FROM jobs ORDER BY key").fetchall(),
            "outcomes": db.execute("SELECT job_key, status, message, result, tries FROM outcomes ORDER BY job_key").fetchall(),
        }
    files = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(out.rglob("*")) if p.suffix in (".csv", ".json", ".html")}
    return {"tables": tables, "files": files}


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc), found while it lives."""
    found, frontier = set(), [pid]
    while frontier:
        current = frontier.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            frontier += children - found
            found |= children
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def outcomes_recorded(out: Path) -> int:
    if not (out / DATABASE).exists():
        return 0
    with sqlite3.connect(out / DATABASE) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]
        except sqlite3.OperationalError:  # killed before the schema was made
            return 0


@pytest.mark.slow
def test_a_batch_killed_at_random_moments_finishes_on_rerun_with_nothing_lost_or_twice(tmp_path):
    course, inbox = make_course(tmp_path / "course"), make_inbox(tmp_path)
    started = time.monotonic()
    run_to_end(course, inbox, tmp_path / "reference")
    whole = time.monotonic() - started
    expected = snapshot(tmp_path / "reference")
    graded = len(expected["tables"]["outcomes"])
    assert graded >= 5 and all(row[4] == 1 for row in expected["tables"]["outcomes"])

    moments = random.Random(11)
    killed_after = []
    for run in range(3):
        out = tmp_path / f"killed{run}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(command(course, inbox, out), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moments.uniform(0.2, 0.9) * whole)
        below = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)  # the coordinator only: its pool processes die with it
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(alive(p) for p in below) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in below if alive(p)], "a grading outlived its killed batch"
        killed_after.append(outcomes_recorded(out))
        run_to_end(course, inbox, out)
        got = snapshot(out)
        assert got["tables"] == expected["tables"], f"kill #{run} after {killed_after[-1]} outcomes"
        assert got["files"] == expected["files"], f"kill #{run} after {killed_after[-1]} outcomes"
    print(f"killed after {killed_after} of {graded} outcomes; an uninterrupted batch took {whole:.1f} s")
