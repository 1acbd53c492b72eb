"""Time `grade batch` over a folder of saved tp1 submissions, then a kill-and-resume run.

    .venv/bin/python scripts/batch_bench.py --students 20 --workers 2

The folder holds one sub-folder per student (student<N>@bench.example), each with the reference
notebook or one of assignments/tp1/variants/. It prints the wall time and submissions per second
of an uninterrupted batch, the peak memory of the batch process itself (VmHWM) and of the
largest process under it (a pool process or a sandboxed worker), then kills a second batch with SIGKILL halfway, reruns it and says how
many outcomes the killed run had recorded and how long the rerun took. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import resource
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
    return [sys.executable, *LAUNCHER, "--course", str(ROOT), "batch", str(inbox), "--assignment", "tp1",
            "--out", str(out), "--workers", str(workers)]


def peak_mb(pid: int) -> float | None:
    """The process's own peak resident memory so far (VmHWM), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_watched(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float]:
    """Run the batch, reading its own peak memory until it exits (its pool processes and their
    sandboxed workers are other processes, not counted)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, peak_mb(proc.pid) or 0.0)
        time.sleep(0.2)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak


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
        done, coordinator = run_watched(command(inbox, out, args.workers), env)
        wall = time.monotonic() - started
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode not in (0, 3):
            print(done.stderr[-3000:])
            return 1
        print(done.stdout.strip().splitlines()[-1])
        print(f"uninterrupted: {args.students} submissions, {args.workers} workers: {wall:.1f} s wall, "
              f"{args.students / wall:.2f} submissions/s, {wall / args.students:.1f} s each; peak memory: "
              f"the batch process {coordinator:.0f} MB, the largest process under it {largest:.0f} MB")

        killed = where / "killed"
        proc = subprocess.Popen(command(inbox, killed, args.workers), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(wall / 2)
        proc.send_signal(signal.SIGKILL)
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
