"""What a warm worker saves: time to a worker's first answer, cold (exec) vs forked (zygote);
the tp1 reference graded (--hidden) several times in one process (as a batch does); and a whole
`grade local --hidden` of it from a cold start of the command, both ways.

    .venv/bin/python benchmarks/worker_start.py [--runs 10] [--batch 5] [--cli-runs 3]

Needs the full sandbox (root, cgroups, Linux): elsewhere there is no zygote to measure. Runs
alternate (cold, zygote, cold, ...) so that drift on a noisy machine hits both sides; medians and
their ratio are printed. Quote ratios from one run, not absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.assignment import find_course_root, load_assignment
from grader.extract.source import SourceUnit, extract_code
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.run.client import StudentRuntime
from grader.run.launcher import ColdLauncher, WorkerLauncher, ZygoteLauncher, zygote_possible
from grader.run.proxy import StudentModule
from grader.run.sandbox import SandboxPolicy

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "tp1" / "tp1_solution.ipynb"


def first_answer(launcher: WorkerLauncher) -> float:
    """Seconds from nothing to the first answer of a fresh sandboxed worker."""
    code = extract_code([SourceUnit("cell 1", "import torch\n\ndef f():\n    return float(torch.ones(2).sum())\n")])
    limits = load_assignment(find_course_root(ROOT), "tp1").limits
    with tempfile.TemporaryDirectory() as workdir:
        runtime = StudentRuntime(code, limits, Path(workdir), time.monotonic() + 300, SandboxPolicy(), launcher=launcher)
        started = time.perf_counter()
        assert StudentModule(runtime).f() == 2.0
        elapsed = time.perf_counter() - started
        runtime.close()
    return elapsed


def batch(launcher: WorkerLauncher, copies: int) -> float:
    """Seconds to grade the reference `copies` times in this process (the zygote already warm)."""
    spec = load_assignment(find_course_root(ROOT), "tp1")
    submission = read_submission(REFERENCE)
    started = time.perf_counter()
    for _ in range(copies):
        result = grade_submission(submission, spec, hidden=True, launcher=launcher)
        assert result.score == result.max_score, "the reference must keep full marks both ways"
    return time.perf_counter() - started


def grade_local(warm: bool) -> float:
    """One `grade local --hidden` from a cold start of the command (a fresh Python each time)."""
    env = {**os.environ, "GRADER_WARM_WORKERS": "1" if warm else "0"}
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader.cli", "local", str(REFERENCE), "--hidden", "--out", out],
                       env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        return time.perf_counter() - started


def report(name: str, cold: list[float], warm: list[float]) -> None:
    a, b = statistics.median(cold), statistics.median(warm)
    print(f"{name:34} cold {a:6.3f} s  zygote {b:6.3f} s  ratio {a / b:5.1f}x  "
          f"(medians of {len(cold)}; cold {min(cold):.3f}-{max(cold):.3f}, zygote {min(warm):.3f}-{max(warm):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=3)
    args = parser.parse_args()
    if not zygote_possible(SandboxPolicy()):
        sys.exit("the zygote needs the full sandbox: run as root on Linux with cgroups")
    zygote, cold = ZygoteLauncher(strict=True), ColdLauncher()
    try:
        started = time.perf_counter()
        zygote.warm(SandboxPolicy())
        first_answer(zygote)
        print(f"zygote start (imports {', '.join(zygote.modules)}) and its first worker: "
              f"{time.perf_counter() - started:.2f} s, paid once per grading process")
        first_answer(cold)  # warm-up: page cache
        cold_times, warm_times = [], []
        for _ in range(args.runs):
            cold_times.append(first_answer(cold))
            warm_times.append(first_answer(zygote))
        report("worker start to first answer", cold_times, warm_times)
        report(f"tp1 reference x{args.batch}, one process", [batch(cold, args.batch)], [batch(zygote, args.batch)])
    finally:
        zygote.close()
    cold_cli, warm_cli = [], []
    for _ in range(args.cli_runs):
        cold_cli.append(grade_local(False))
        warm_cli.append(grade_local(True))
    report("grade local tp1 reference --hidden", cold_cli, warm_cli)


if __name__ == "__main__":
    main()
