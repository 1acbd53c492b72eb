"""What the OS sandbox costs: worker start-up and a whole submission, with vs without it.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 5]

Runs alternate (with, without, with, ...) so that drift on a noisy machine hits both sides;
medians and their ratio are printed. Quote ratios from one run, not absolute seconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.assignment import find_course_root, load_assignment
from grader.extract.source import SourceUnit, extract_code
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.run.client import StudentRuntime
from grader.run.proxy import StudentModule
from grader.run.sandbox import SandboxPolicy

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "tp1" / "tp1_solution.ipynb"


def worker_start(policy: SandboxPolicy) -> float:
    """Seconds from nothing to the first answer of a fresh worker (torch imported inside)."""
    code = extract_code([SourceUnit("cell 1", "def f():\n    return 1\n")])
    with tempfile.TemporaryDirectory() as workdir:
        runtime = StudentRuntime(code, load_assignment(find_course_root(ROOT), "tp1").limits, Path(workdir),
                                 time.monotonic() + 300, policy)
        started = time.perf_counter()
        StudentModule(runtime).f()
        elapsed = time.perf_counter() - started
        runtime.close()
    return elapsed


def whole_submission(policy: SandboxPolicy) -> float:
    spec = load_assignment(find_course_root(ROOT), "tp1")
    submission = read_submission(REFERENCE)
    started = time.perf_counter()
    result = grade_submission(submission, spec, hidden=True, policy=policy)
    elapsed = time.perf_counter() - started
    assert result.score == result.max_score, "the reference must keep full marks in both modes"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    on, off = SandboxPolicy(), SandboxPolicy(enabled=False)
    print(f"sandbox: {on.describe()}")
    for name, measure in (("worker start", worker_start), ("tp1 reference, all tests", whole_submission)):
        measure(on), measure(off)  # warm-up: page cache, imports
        with_box, without = [], []
        for _ in range(args.runs):
            with_box.append(measure(on))
            without.append(measure(off))
        a, b = statistics.median(with_box), statistics.median(without)
        print(f"{name:26} with {a:6.2f} s  without {b:6.2f} s  ratio {a / b:4.2f}  "
              f"(medians of {args.runs}; with: {min(with_box):.2f}-{max(with_box):.2f}, "
              f"without: {min(without):.2f}-{max(without):.2f})")


if __name__ == "__main__":
    main()
