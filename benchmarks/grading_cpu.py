"""Where one grading's CPU goes, against what the 20 %-over-the-floor target leaves for it.

    .venv/bin/python benchmarks/grading_cpu.py [--assignment tp1] [--gradings 40] [--workers 30]

On a quiet machine (the machine's CPU is read from /proc/stat, so anything else running counts):

- one grading process (zygote workers, as in `grade batch`) grades a synthetic class of
  --gradings submissions (the benchmark class's mix without hanging code) one after the other:
  wall, this process's CPU (the trusted side: pytest, checks, replays) and the whole machine's
  CPU (adding the workers, their zygote and the kernel) per grading;
- a forked worker's whole life, --workers times: forked and confined, one call, stopped;
- the floor: the tests' own compute in one warm process (batch_throughput.floor);
- the budget: a batch at 1.2x the floor spends, per grading, at most 0.2x the floor's compute
  on everything that is not the tests, across all cores.

Linux with the full sandbox only (root, cgroups): that is where the zygote is used.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.batch_throughput import build_class, floor  # noqa: E402


def machine_busy() -> float:
    """Seconds of CPU the whole machine spent (all cores, idle and iowait excluded) so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def gradings(slug: str, count: int) -> dict[str, float]:
    from grader.jobs import GradeJob, grade_job

    os.environ["GRADER_WARM_WORKERS"] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        inbox, _ = build_class(Path(scratch), slug, count + 1, slow_share=0)
        jobs = [dataclasses.replace(GradeJob.from_file(p, assignment=slug, course=ROOT), figures=True, hidden=True)
                for p in sorted(inbox.iterdir())]
        grade_job(jobs[0], ROOT)  # the zygote's start and first imports: paid once per process
        busy, mine, started = machine_busy(), time.process_time(), time.perf_counter()
        for job in jobs[1:]:
            outcome = grade_job(job, ROOT)
            assert outcome.status == "graded", outcome.message
        return {"wall": (time.perf_counter() - started) / count, "trusted": (time.process_time() - mine) / count,
                "machine": (machine_busy() - busy) / count}


def worker_lives(count: int) -> float:
    """Machine CPU seconds of one forked worker's life: fork, confinement, one call, stop."""
    from grader.assignment import Limits
    from grader.extract.source import SourceUnit, extract_code
    from grader.run.client import StudentRuntime
    from grader.run.launcher import ZygoteLauncher
    from grader.run.proxy import StudentModule
    from grader.run.sandbox import SandboxPolicy

    zygote = ZygoteLauncher(strict=True)
    zygote.warm(SandboxPolicy(), wait=True)
    code = extract_code([SourceUnit("cell 1", "def f(x):\n    return x + 1\n")])
    try:
        with tempfile.TemporaryDirectory() as scratch:
            def life(workdir: Path) -> None:
                workdir.mkdir()
                runtime = StudentRuntime(code, Limits(), workdir, time.monotonic() + 60, SandboxPolicy(), launcher=zygote)
                assert StudentModule(runtime).f(1) == 2
                runtime.close()

            life(Path(scratch) / "first")  # the zygote's first fork: not counted
            busy = machine_busy()
            for i in range(count):
                life(Path(scratch) / str(i))
            return (machine_busy() - busy) / count
    finally:
        zygote.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="tp1")
    parser.add_argument("--gradings", type=int, default=40)
    parser.add_argument("--workers", type=int, default=30)
    args = parser.parse_args()
    os.environ["GRADER_FIGURE_MEMO"] = "0"  # every figure drawn, as for a real class
    from grader.run.launcher import zygote_possible
    from grader.run.sandbox import SandboxPolicy

    if not zygote_possible(SandboxPolicy()):
        sys.exit("the zygote needs the full sandbox: run as root on Linux with cgroups")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, load {os.getloadavg()[0]:.1f} at the start (the machine's CPU counts everything)")
    one = gradings(args.assignment, args.gradings)
    life = worker_lives(args.workers)
    with contextlib.redirect_stdout(io.StringIO()):
        tests, _, _, _ = floor(args.assignment, 3)
    overhead = one["machine"] - tests
    print(f"{args.assignment}, {args.gradings} gradings in one grading process (zygote workers), per grading:")
    print(f"  wall {one['wall']:.3f} s; CPU: the whole machine {one['machine']:.3f} s, "
          f"of which the trusted side (this process) {one['trusted']:.3f} s")
    print(f"  the tests' own compute (the floor, one warm process): {tests:.3f} s")
    print(f"  everything else: {overhead:.3f} s of CPU ({one['machine'] / tests:.2f}x the tests' compute)")
    print(f"  one forked worker's life (fork, confinement, one call, stop; {args.workers} of them): {life * 1000:.0f} ms of CPU")
    print(f"  what 1.2x the floor leaves for everything else: {0.2 * tests * 1000:.0f} ms of CPU a grading "
          f"(before the pool's start and the outputs, which the batch pays on top)")


if __name__ == "__main__":
    main()
