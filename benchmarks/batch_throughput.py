"""How fast a class is graded: `grade batch` on synthetic classes, against its floor and baselines.

    GRADER_DATA_DIR=/path/to/mnist .venv/bin/python benchmarks/batch_throughput.py \
        [--assignments tp1,mnist-mlp] [--sizes 10,100,1000] [--compare 100] [--naive 3] \
        [--floor 3] [--launchers cold,zygote] [--dask-size 20] [--no-dask] [--nbgrader]

For each assignment, a class of N synthetic submissions is built from the reference solution and
the assignment's variants in realistic proportions (60 % correct, 25 % buggy, 10 % crashing, 5 %
slow: calls that run into their time limit), each one unique (a comment with its number); every
report figure is drawn for every submission ($GRADER_FIGURE_MEMO=0), as in a real class where the
students' values all differ. One run prints, per assignment:

- for each size in --sizes: `grade batch`'s wall time, time per submission, throughput and the
  coordinator's peak memory (plus the peak of the whole process tree), with the default launcher;
- at --compare (the first size by default): cold vs zygote workers, and a Dask LocalCluster of 2
  workers (1 thread each, loopback) vs the local pool of 2 processes, on the same class;
- the floor: the tests' own compute for the reference in one warm process (the tests run
  in-process on the reference's definitions, no worker, no sandbox), divided by the cores;
- the naive baseline: one fresh `grade local --hidden` process per submission (as before the
  batch), on --naive submissions, per submission;
- optionally (--nbgrader) nbgrader's autograde of the same tp1 notebooks, installed into a
  throwaway venv; skipped with a note when it cannot be installed (no network).

Timings on a shared machine drift: quote ratios measured in one run. Needs the full sandbox for
zygote figures (root, cgroups, Linux); elsewhere both launchers start workers cold.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import load_assignment  # noqa: E402
from grader.data import DataConfig  # noqa: E402
from benchmarks.process_memory import TREE_EVERY_S, tree_pss  # noqa: E402

# Proportions of a class: what students send.
# A "slow" one runs into its call limit (an infinite loop): each such call costs the limit
# (tp1: 20 s) by design, so their share weighs on the wall time; per-kind times are printed.
MIX = (("correct", 0.62), ("buggy", 0.25), ("crashing", 0.10), ("slow", 0.03))
CRASH_WORDS = ("segfault", "os_exit", "sys_exit", "raises")
SLOW_WORDS = ("infinite_loop", "slow")


# ----------------------------------------------------------------------------- the class

def kinds(slug: str) -> dict[str, list[Path]]:
    """The assignment's submissions by kind: the reference and ok_ variants are correct, bad_
    ones buggy, those that crash or hang their worker crashing or slow."""
    found: dict[str, list[Path]] = {"correct": [ROOT / "reference" / slug / f"{slug}_solution.ipynb"],
                                    "buggy": [], "crashing": [], "slow": []}
    for path in sorted((ROOT / "assignments" / slug / "variants").glob("*")):
        if path.suffix not in (".py", ".ipynb"):
            continue
        name = path.stem
        if any(word in name for word in SLOW_WORDS) and name.startswith("bad_"):
            found["slow"].append(path)
        elif any(word in name for word in CRASH_WORDS):
            found["crashing"].append(path)
        elif name.startswith("ok_"):
            found["correct"].append(path)
        else:
            found["buggy"].append(path)
    return found


def unique(path: Path, n: int) -> bytes:
    """The file's bytes made unique to student n (a comment; the code is unchanged)."""
    if path.suffix == ".ipynb":
        notebook = json.loads(path.read_text())
        notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": f"submission {n}"})
        return json.dumps(notebook).encode()
    return path.read_bytes() + f"\n# submission {n}\n".encode()


def build_class(folder: Path, slug: str, size: int, seed: int = 0, slow_share: float | None = None
                ) -> tuple[Path, dict[str, int]]:
    """A folder of saved submissions, one per student (`s<n>@uni.example.<ext>`); `slow_share`
    replaces the share of hanging submissions (the rest keep their proportions)."""
    pool = {kind: paths for kind, paths in kinds(slug).items() if paths}
    mix = MIX if slow_share is None else tuple((k, slow_share if k == "slow" else w) for k, w in MIX)
    weights = [(kind, share) for kind, share in mix if kind in pool and share > 0]
    rng = random.Random(seed)
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    counts: dict[str, int] = {}
    who: dict[str, str] = {}
    base = 1_790_000_000
    for n in range(size):
        kind = rng.choices([k for k, _ in weights], [w for _, w in weights])[0]
        source = rng.choice(pool[kind])
        path = inbox / f"s{n}@uni.example{source.suffix}"
        path.write_bytes(unique(source, n))
        os.utime(path, (base + n, base + n))
        counts[kind] = counts.get(kind, 0) + 1
        who[path.name] = kind
    (folder / "kinds.json").write_text(json.dumps(who))
    return inbox, counts


def phases(out: Path, started: float, ended: float) -> dict[str, float]:
    """Where a batch's wall time went (epoch seconds in, seconds out), from its state: before the
    first grading started (reading the inbox, starting the pool), from then to the end of the
    last grading, and after it (reports, similarity pages, gradebooks, dashboard, replies)."""
    import sqlite3

    from grader.batch.state import DATABASE

    with sqlite3.connect(out / DATABASE) as db:
        first, last = db.execute("SELECT MIN(started_at), MAX(started_at + seconds) FROM outcomes").fetchone()
    if first is None:
        return {}
    return {"before": first - started, "grading": last - first, "after": ended - last}


def seconds_by_kind(out: Path, inbox: Path) -> dict[str, float]:
    """Median grading seconds of each kind of submission, from the batch's state."""
    import sqlite3

    from grader.batch.state import DATABASE

    who = json.loads((inbox.parent / "kinds.json").read_text())
    with sqlite3.connect(out / DATABASE) as db:
        rows = db.execute("SELECT a.filename, o.seconds FROM attempts a JOIN outcomes o ON o.job_key = a.job_key").fetchall()
    found: dict[str, list[float]] = {}
    for filename, seconds in rows:
        found.setdefault(who.get(filename, "?"), []).append(seconds)
    return {kind: statistics.median(times) for kind, times in sorted(found.items())}


# ----------------------------------------------------------------------------- measuring

class PeakMemory:
    """Peak resident memory of this process (RSS, every `every` s), and of it with every
    descendant (PSS, every `tree_every` s: see benchmarks/process_memory.py), sampled."""

    def __init__(self, every: float = 0.5, tree_every: float = TREE_EVERY_S) -> None:
        import psutil

        self._me = psutil.Process()
        self._every = every
        self._tree_every = tree_every
        self.coordinator = self.tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        next_tree = time.monotonic() + 1.0  # the first once the pool has started
        while not self._stop.is_set():
            try:
                self.coordinator = max(self.coordinator, self._me.memory_info().rss)
                if time.monotonic() >= next_tree:
                    self.tree = max(self.tree, tree_pss(self._me))
                    next_tree = time.monotonic() + self._tree_every
            except psutil.Error:
                pass
            self._stop.wait(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_batch(inbox: Path, out: Path, slug: str, *, warm: bool, workers: int, executor=None) -> dict:
    """`grade batch` in this process (the coordinator) over a pool or the given executor."""
    from grader.batch.run import batch
    from grader.jobs import ProcessPool

    os.environ["GRADER_WARM_WORKERS"] = "1" if warm else "0"  # read by the pool's processes
    pool = executor or ProcessPool(workers, warm=warm)
    try:
        with PeakMemory() as memory:
            started, epoch = time.perf_counter(), time.time()
            summary = batch(inbox, out, course=ROOT, executor=pool,
                            options=_options(slug, workers))
            wall = time.perf_counter() - started
            spans = phases(out, epoch, time.time())
    finally:
        if executor is None:
            pool.shutdown(wait=True)
    return {"wall": wall, "n": summary.attempts, "by kind": seconds_by_kind(out, inbox), "phases": spans,
            "graded": summary.graded_now, "not graded":
            summary.could_not_grade + summary.grader_failed, "grader failed": summary.grader_failed,
            "coordinator MB": memory.coordinator / 2**20, "tree MB": memory.tree / 2**20}


def _options(slug: str, workers: int):
    from grader.batch.run import Options

    return Options(assignment=slug, workers=workers, progress=False, data=DataConfig.resolve())


def dask_batch(inbox: Path, out: Path, slug: str, *, warm: bool) -> dict:
    """The same batch on a Dask LocalCluster: 2 worker processes, 1 thread each, loopback."""
    from distributed import Client, LocalCluster

    from grader.cluster import DaskExecutor

    env = {"GRADER_WARM_WORKERS": "1" if warm else "0", "OMP_NUM_THREADS": "1", "GRADER_FIGURE_MEMO": "0"}
    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, env=env, silence_logs=50) as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
        start_up = time.perf_counter() - started
        figures = run_batch(inbox, out, slug, warm=warm, workers=2, executor=DaskExecutor(client=client))
    figures["cluster start"] = start_up
    return figures


def floor(slug: str, repeats: int) -> tuple[float, float, int, int]:
    """Seconds per grading of the reference by its tests' own compute: pytest in this process,
    `student` being the reference's definitions (no worker, no sandbox, no wire), warm (the
    first run is discarded). Returns median seconds of the tests' own time (setup, call, teardown)
    and of the whole in-process pytest session, tests passed, tests run."""
    import pytest
    import torch

    from grader.extract import extract
    from grader.intake import read_submission
    from grader.run import inworker
    from grader.run.plugin import SubmissionView

    spec = load_assignment(ROOT, slug)
    reference = read_submission(ROOT / "reference" / slug / f"{slug}_solution.ipynb")
    extracted = extract(reference, spec)
    namespace: dict = {"__name__": "reference"}
    for chunk in extracted.code.chunks:
        exec(compile(chunk.source, chunk.filename, "exec"), namespace)

    class Student:
        helpers = inworker

        def __getattr__(self, name: str):
            return namespace[name]

        def seed(self, seed: int) -> None:
            import numpy as np

            random.seed(seed)
            np.random.seed(seed % 2**32)
            torch.manual_seed(seed)

    class InProcess:
        def __init__(self) -> None:
            self.passed = self.run = 0
            self.compute = 0.0

        def pytest_configure(self, config) -> None:
            for marker in ("exercise(name)", "points(n)", "time_limit(seconds)", "slow"):
                config.addinivalue_line("markers", marker)

        @pytest.fixture
        def student(self):
            module = Student()
            module.seed(spec.seed)
            return module

        @pytest.fixture
        def seed(self):
            return spec.seed

        @pytest.fixture
        def submission(self):
            return SubmissionView(reference.filename, True, extracted.figure_cells)

        @pytest.fixture
        def feedback(self):
            from grader.run.feedback import Feedback

            return Feedback()

        @pytest.fixture
        def mnist(self):
            from grader.data import mnist_splits

            return mnist_splits(DataConfig.resolve())

        def pytest_runtest_logreport(self, report) -> None:
            self.compute += report.duration  # setup, call and teardown of each test
            if report.when == "call" or report.failed:  # a test that errors in its setup ran too
                self.run += report.when == "call" or report.when == "setup"
                self.passed += report.passed and report.when == "call"

    torch.set_num_threads(1)  # as a worker does
    times, plugin = [], InProcess()
    for _ in range(repeats + 1):
        plugin.passed = plugin.run = 0
        plugin.compute = 0.0
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--assert=plain",
                         "--no-header", "-p", "no:warnings", "-o", "addopts=", str(spec.root / "tests")],
                        plugins=[plugin])
        times.append((plugin.compute, time.perf_counter() - started))
    for name in [m for m in sys.modules if m.startswith(("test_", "conftest"))]:
        del sys.modules[name]
    return (statistics.median(t[0] for t in times[1:]), statistics.median(t[1] for t in times[1:]),
            plugin.passed, plugin.run)


def naive(files: list[Path], slug: str, *, warm: bool) -> float:
    """Median seconds of one fresh `grade local --hidden` process per submission."""
    env = {**os.environ, "GRADER_WARM_WORKERS": "1" if warm else "0", "PYTHONPATH": str(ROOT)}
    times = []
    with tempfile.TemporaryDirectory() as out:
        for path in files:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader.cli", "local", str(path), "-a", slug, "--hidden",
                            "--out", out], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           cwd=ROOT, check=False)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def nbgrader_time(notebooks: list[Path], work: Path) -> str:
    """nbgrader in a throwaway venv, timing `jupyter nbconvert --execute` of each notebook as its
    autograde does (one kernel per notebook). A note instead when it cannot be installed."""
    venv = work / "nbgrader-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "nbgrader"], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"skipped: nbgrader could not be installed ({type(exc).__name__})"
    times = []
    for path in notebooks:
        started = time.perf_counter()
        subprocess.run([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.timeout=120", "--output-dir", str(work), str(path)],
                       capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return f"{statistics.median(times):.2f} s per notebook (nbconvert --execute, as autograde runs it)"


# ----------------------------------------------------------------------------- the report

def line(label: str, figures: dict) -> str:
    n = max(1, figures["n"])
    return (f"  {label:<34} {figures['wall']:7.1f} s wall  {figures['wall'] / n:6.2f} s/sub  "
            f"{n / figures['wall'] * 60:6.1f} sub/min  coordinator {figures['coordinator MB']:5.0f} MB  "
            f"tree (PSS) {figures['tree MB']:6.0f} MB  not graded {figures['not graded']}"
            f" (grader failed {figures['grader failed']})\n    median s per grading by kind: "
            + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in figures["by kind"].items())
            + ("\n    phases: " + _phases_text(figures) if figures.get("phases") else ""))


def _grading_per_sub(figures: dict) -> float:
    spans = figures.get("phases") or {}
    return spans.get("grading", 0.0) / max(1, figures["n"])


def _phases_text(figures: dict) -> str:
    spans = figures["phases"]
    return (f"before the first grading {spans['before']:.1f} s, first to last grading {spans['grading']:.1f} s "
            f"({_grading_per_sub(figures):.3f} s/sub), after the last {spans['after']:.1f} s "
            "(reports, similarity, replies)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", default="tp1", help="comma-separated slugs (default tp1)")
    parser.add_argument("--sizes", default="10,100", help="class sizes, e.g. 10,100,1000 (default 10,100)")
    parser.add_argument("--compare", type=int, default=0, help="size for cold/zygote/Dask (default: the first size)")
    parser.add_argument("--workers", type=int, default=0, help="grading processes (default: one per CPU)")
    parser.add_argument("--naive", type=int, default=3, help="fresh `grade local` runs for the baseline (0: skip)")
    parser.add_argument("--floor", type=int, default=3, help="in-process runs of the tests for the floor (0: skip)")
    parser.add_argument("--launchers", default="cold,zygote", help="worker launchers to compare (default cold,zygote)")
    parser.add_argument("--dask-size", type=int, default=0, help="class size for the Dask run (default: --compare)")
    parser.add_argument("--no-dask", dest="dask", action="store_false", help="skip the Dask LocalCluster run")
    parser.add_argument("--slow-share", type=float, default=None,
                        help="share of hanging submissions (default 0.03; 0: a class without infinite loops)")
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader (installs it in a throwaway venv)")
    args = parser.parse_args()
    # The class is copies of a few files: without this, each grading process would draw a copy's
    # figures once and reuse them, which a real class (every student's values differ) never does.
    os.environ["GRADER_FIGURE_MEMO"] = "0"

    from grader.run.launcher import zygote_possible
    from grader.run.sandbox import SandboxPolicy

    sizes = [int(s) for s in args.sizes.split(",") if s]
    compare = args.compare or sizes[0]
    cores = os.cpu_count() or 1
    workers = args.workers or cores
    zygote = zygote_possible(SandboxPolicy())
    print(f"machine: {cores} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}; "
          f"{workers} grading processes; zygote {'available' if zygote else 'unavailable (cold only)'}")
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as scratch:
        work = Path(scratch)
        for slug in [s for s in args.assignments.split(",") if s]:
            print(f"\n{slug}")
            classes = {}
            for size in sorted(set(sizes + [compare])):
                classes[size] = build_class(work / slug / str(size), slug, size, slow_share=args.slow_share)
            print("  class mix at", compare, ":", ", ".join(f"{k} {v}" for k, v in classes[compare][1].items()))
            per_sub: dict[str, float] = {}
            # The default launcher's first-to-last-grading span per submission, by class size.
            grading_at: dict[int, float] = {}
            # Cold vs zygote, then Dask, at one size (each on a fresh output folder).
            wanted = args.launchers.split(",")
            runs = [(name, warm) for name, warm in (("cold", False), ("zygote", True))
                    if name in wanted and (zygote or not warm)]
            for name, warm in runs:
                figures = run_batch(classes[compare][0], work / slug / f"out-{name}-{compare}", slug,
                                    warm=warm, workers=workers)
                per_sub[name] = figures["wall"] / max(1, figures["n"])
                grading_at[compare] = _grading_per_sub(figures)
                print(line(f"batch N={compare} {name} workers", figures))
            default = runs[-1][0]  # the zygote when it is compared, else cold
            warm_default = default == "zygote"
            if len(runs) == 2:
                print(f"  cold / zygote: {per_sub['cold'] / per_sub['zygote']:.2f}x")
            # Scaling with the default launcher.
            local_at = {compare: per_sub[default]}
            for size in sizes:
                if size == compare:
                    continue
                figures = run_batch(classes[size][0], work / slug / f"out-{size}", slug, warm=warm_default, workers=workers)
                local_at[size] = figures["wall"] / max(1, figures["n"])
                grading_at[size] = _grading_per_sub(figures)
                print(line(f"batch N={size} {default} workers", figures))
            if args.dask:
                size = args.dask_size or compare
                if size not in classes:
                    classes[size] = build_class(work / slug / str(size), slug, size, slow_share=args.slow_share)
                if size not in local_at:
                    figures = run_batch(classes[size][0], work / slug / f"out-{size}", slug, warm=warm_default,
                                        workers=2)
                    local_at[size] = figures["wall"] / max(1, figures["n"])
                    print(line(f"batch N={size} {default} workers", figures))
                try:
                    figures = dask_batch(classes[size][0], work / slug / f"out-dask-{size}", slug, warm=warm_default)
                    per_sub["dask"] = figures["wall"] / max(1, figures["n"])
                    print(line(f"Dask LocalCluster 2x1 N={size}", figures)
                          + f"  (cluster start {figures['cluster start']:.1f} s)")
                    print(f"  Dask / local ({default}) on the same {size}: {per_sub['dask'] / local_at[size]:.2f}x")
                except ImportError as exc:
                    print(f"  Dask: skipped ({exc})")
            if args.floor:
                seconds, session, passed, ran = floor(slug, args.floor)
                largest = max(grading_at)  # the largest class graded with the default launcher
                per_core = seconds / cores
                print(f"  floor: the tests' own compute {seconds:.2f} s per reference grading in one warm process "
                      f"(whole pytest session {session:.2f} s; {passed}/{ran} tests passed in-process), "
                      f"{per_core:.2f} s/sub over {cores} cores; "
                      f"batch ({default}, N={largest}) / floor: {local_at[largest] / per_core:.2f}x")
                if grading_at[largest]:
                    print(f"  the grading span alone (first to last grading, N={largest}) / floor: "
                          f"{grading_at[largest] / per_core:.2f}x")
            if args.naive:
                files = sorted(classes[compare][0].iterdir())[:args.naive]
                for name, warm in runs:
                    seconds = naive(files, slug, warm=warm)
                    per_sub[f"naive {name}"] = seconds
                    print(f"  naive: one `grade local --hidden` process per submission ({name}): {seconds:.2f} s/sub; "
                          f"batch ({default}) is {seconds / per_sub[default]:.1f}x faster")
            if args.nbgrader and slug == "tp1":
                notebooks = [p for p in sorted(classes[compare][0].iterdir()) if p.suffix == ".ipynb"][:3]
                print(f"  nbgrader: {nbgrader_time(notebooks, work / 'nbgrader')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
