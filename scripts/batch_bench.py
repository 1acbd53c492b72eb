"""Time `grade batch` over a folder of saved tp1 submissions, then a kill-and-resume run.

    .venv/bin/python scripts/batch_bench.py --students 20 --workers 2

The folder holds one sub-folder per student (student<N>@bench.example), each with the reference
notebook or one of assignments/tp1/variants/. It prints the wall time and submissions per second
of an uninterrupted batch, the peak memory (max RSS) of the batch process alone and of its
largest pool process, then kills a second batch with SIGKILL halfway, reruns it and says how
many outcomes the killed run had recorded and how long the rerun took. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `python -m grader.cli`, or another launcher of the same CLI (e.g. one that registers test doubles).
LAUNCHER = os.environ.get("BATCH_BENCH_LAUNCHER", "-m grader.cli").split()


def make_folder(where: Path, students: int) -> Path:
    inbox = where / "inbox"
    sources = [ROOT / "reference" / "tp1" / "tp1_solution.ipynb"]
    sources += sorted((ROOT / "assignments" / "tp1" / "variants").glob("*.py"))
    for n in range(students):
        folder = inbox / f"student{n:03d}@bench.example"
        folder.mkdir(parents=True)
        source = sources[n % len(sources)]
        shutil.copy(source, folder / source.name)
    return inbox


def command(inbox: Path, out: Path, workers: int) -> list[str]:
    return ["/usr/bin/time", "-f", "%M", "-o", str(out.parent / f"{out.name}.maxrss"), sys.executable, *LAUNCHER,
            "--course", str(ROOT), "batch", str(inbox), "--assignment", "tp1", "--out", str(out),
            "--workers", str(workers)]


def outcomes(out: Path) -> int:
    try:
        with sqlite3.connect(out / "batch.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]
    except sqlite3.Error:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        inbox = make_folder(where, args.students)
        out = where / "out"
        started = time.monotonic()
        done = subprocess.run(command(inbox, out, args.workers), cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        children = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN).ru_maxrss
        if done.returncode not in (0, 3):
            print(done.stderr[-3000:])
            return 1
        coordinator = int((where / "out.maxrss").read_text().split()[-1])
        print(done.stdout.strip().splitlines()[-1])
        print(f"uninterrupted: {args.students} submissions, {args.workers} workers: {wall:.1f} s wall, "
              f"{args.students / wall:.2f} submissions/s; peak memory: batch process {coordinator / 1024:.0f} MB, "
              f"largest process it ran {children / 1024:.0f} MB")

        killed = where / "killed"
        proc = subprocess.Popen(command(inbox, killed, args.workers), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(wall / 2)
        # /usr/bin/time is the parent: kill the batch itself, its only child.
        child = int(re.findall(r"\d+", Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text())[0])
        os.kill(child, signal.SIGKILL)
        proc.wait()
        recorded = outcomes(killed)
        started = time.monotonic()
        subprocess.run(command(inbox, killed, args.workers), cwd=ROOT, env=env, capture_output=True, check=False)
        rerun = time.monotonic() - started
        same = (out / "gradebook-moodle.csv").read_bytes() == (killed / "gradebook-moodle.csv").read_bytes()
        print(f"kill and resume: SIGKILL at {wall / 2:.1f} s after {recorded} of {args.students} outcomes; the rerun "
              f"graded the other {outcomes(killed) - recorded} in {rerun:.1f} s; gradebook identical: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
