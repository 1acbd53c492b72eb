"""The job layer: one submission to grade is a value, and so is what became of it.

`GradeJob` holds everything a grading needs as plain values (the submission's bytes, its name,
who sent it, the assignment's slug and digest, hidden, seed, where the data sets are): it can be
pickled to another process or machine. `grade_job` turns one job into a `GradeOutcome` and never
raises; `grade_many` runs jobs over any `concurrent.futures.Executor` and yields outcomes as they
finish, so that `grade local`, `grade validate`, `grade batch` and the seed sweep share one path.

Each grading starts its own sandboxed worker for the student code; the executor's processes are
the trusted side (extraction, pytest, scoring). A trusted process that dies (a grader bug, the
kernel's OOM killer) breaks a ProcessPoolExecutor: the pool is rebuilt, the jobs it held are
run again one at a time, and only a job that kills its process alone is a "grader failed".
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from grader.assignment import Assignment, AssignmentError, load_assignment
from grader.data import DataConfig
from grader.intake import IntakeError, read_bytes
from grader.results import GradeResult

if TYPE_CHECKING:
    from grader.report.plots import Figure

OutcomeStatus = Literal["graded", "could not grade", "grader failed"]
GRADED, COULD_NOT_GRADE, GRADER_FAILED = "graded", "could not grade", "grader failed"
# What a job's key and an assignment's digest are made of. Bumped when their meaning changes.
KEY_SCHEME = "1"


@functools.lru_cache(maxsize=1)
def grader_version() -> str:
    """The package version plus a digest of the grader's own sources: a changed grader is a
    different grader, so a batch regrades what it graded before the change."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"0.1.0+{digest.hexdigest()[:12]}"


def assignment_digest(spec: Assignment) -> str:
    """A hash of what grades this assignment: its manifest, its tests (public and hidden, with
    their helpers) and its starter. Changing any of them changes the digest."""
    root = spec.root
    files = [root / "assignment.toml", spec.starter_path]
    tests = root / "tests"
    if tests.is_dir():
        files += [p for p in tests.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo")]
    digest = hashlib.sha256(KEY_SCHEME.encode())
    for path in sorted(set(files)):
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        content = path.read_bytes() if path.is_file() else b"<absent>"
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


@dataclass(frozen=True)
class GradeJob:
    """One grading to do. Plain values only: no open file, no loaded module, no Path into a
    temporary folder, so it pickles to another process or machine."""

    data: bytes
    filename: str
    student: str
    assignment: str
    # The digest the coordinator saw; the grading side refuses to grade against other tests.
    assignment_digest: str = ""
    hidden: bool = True
    seed: int | None = None
    # Where tests find data sets (a folder on the grading machine; None: that machine's own
    # configuration, $GRADER_DATA_DIR), and whether to download.
    data_root: str | None = None
    download: bool = False
    sandbox: bool = True
    # Also return what each check compared with its bounds (calibration; never for students).
    measures: bool = False
    # Draw the report's figures where the job is graded (GradeOutcome.figures).
    figures: bool = False
    # Where the choice of assignment came from, for the report (grader.pipeline.choose_assignment).
    assignment_source: str = field(default="named by the instructor", compare=False)
    # Free labels for the caller (e.g. the validate check and seed); not part of the key.
    label: str = field(default="", compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def key(self) -> str:
        """Same key, same grading: the bytes, their name, who, the assignment and its digest,
        hidden, seed, sandbox and the grader's version."""
        parts = (KEY_SCHEME, self.sha256, self.filename, self.student, self.assignment, self.assignment_digest,
                 str(self.hidden), str(self.seed), str(self.sandbox), grader_version())
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    @property
    def data_config(self) -> DataConfig:
        return DataConfig.resolve(self.data_root, self.download)

    @classmethod
    def from_file(cls, path: Path, *, student: str = "", assignment: str, course: Path | None = None,
                  **values: object) -> GradeJob:
        path = Path(path)
        digest = assignment_digest(load_assignment(course, assignment)) if course is not None else ""
        data_config = values.pop("data", None)
        if isinstance(data_config, DataConfig):
            values.setdefault("data_root", str(data_config.root) if data_config.root else None)
            values.setdefault("download", data_config.download)
        return cls(data=path.read_bytes(), filename=path.name, student=student or path.stem, assignment=assignment,
                   assignment_digest=digest, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GradeOutcome:
    """What became of one job. `result` is set when the submission was graded (also when the
    grader failed mid-way and said so in `result.grader_error`); `message` is one sentence."""

    key: str
    status: OutcomeStatus
    result: GradeResult | None
    message: str = ""
    started_at: float = 0.0  # Unix time
    seconds: float = 0.0
    host: str = ""
    grader_version: str = ""
    assignment_digest: str = ""
    label: str = field(default="", compare=False)
    # When the job asked for them: the report's figures, drawn where it was graded, by artifact
    # key (grader.report.view.prerender): a batch's reports embed them without drawing again.
    figures: dict[str, Figure] = field(default_factory=dict, compare=False, repr=False)
    # When the job asked for them: {test: ((check, value, low, high), ...)}. Hidden thresholds.
    measures: dict[str, tuple[tuple[str, float, float, float], ...]] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == GRADED


# The trusted side runs pytest in this process (grader.run.session), and pytest's capture and
# terminal state are per process: gradings in one process take turns. Thread executors are
# correct but do not grade in parallel; processes (ProcessPool) do.
_ONE_AT_A_TIME = threading.Lock()


def grade_job(job: GradeJob, course: Path) -> GradeOutcome:
    """Grade one job against this machine's copy of the course. Never raises."""
    from grader.pipeline import GradingError, grade_submission
    from grader.run.sandbox import SandboxPolicy, SandboxUnavailable

    started, clock = time.time(), time.monotonic()

    sink: dict = {}

    def outcome(status: OutcomeStatus, result: GradeResult | None, message: str, digest: str = "",
                visibility: str = "") -> GradeOutcome:
        measured = {test: tuple((m.what, m.value, m.low, m.high) for m in checks) for test, checks in sink.items()}
        figures = _figures(result, visibility) if job.figures and result is not None else {}
        return GradeOutcome(job.key, status, result, message, started, time.monotonic() - clock,
                            socket.gethostname(), grader_version(), digest, job.label, figures, measured)

    try:
        try:
            spec = load_assignment(Path(course), job.assignment)
        except AssignmentError as exc:
            return outcome(GRADER_FAILED, None, f"{exc} The job names an assignment this course does not have.")
        digest = assignment_digest(spec)
        if job.assignment_digest and job.assignment_digest != digest:
            return outcome(GRADER_FAILED, None,
                           f"The tests of '{job.assignment}' here (digest {digest[:12]}) differ from those the job was "
                           f"made for ({job.assignment_digest[:12]}); not graded. Use the same course on every machine.",
                           digest)
        policy = SandboxPolicy(enabled=job.sandbox)
        try:
            policy.check()
        except SandboxUnavailable as exc:
            return outcome(GRADER_FAILED, None, str(exc), digest)
        try:
            submission = read_bytes(job.data, job.filename, student=job.student)
            with _ONE_AT_A_TIME:
                result = grade_submission(submission, spec, hidden=job.hidden, seed=job.seed, policy=policy,
                                          data=job.data_config, measures=sink if job.measures else None,
                                          assignment_source=job.assignment_source)
        except (IntakeError, GradingError) as exc:
            return outcome(COULD_NOT_GRADE, None, str(exc), digest)
        if result.grader_error:
            return outcome(GRADER_FAILED, result, result.grader_error, digest, spec.hidden_visibility)
        return outcome(GRADED, result, "", digest, spec.hidden_visibility)
    except Exception as exc:  # a grader bug: a value that blames the grader, never an escape
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f", at {Path(where.filename).name}:{where.lineno}" if where else ""
        return outcome(GRADER_FAILED, None, f"The grader failed ({type(exc).__name__}: {exc}{at}); "
                       "the submission was not graded and is not at fault.")


def _figures(result: GradeResult, visibility: str) -> dict[str, Figure]:
    """The report's figures for `result`, drawn here; none (drawn later) if drawing fails."""
    try:
        from grader.report.view import prerender

        return prerender(result, visibility)
    except Exception:  # noqa: BLE001 - a figure is never worth an outcome; the report draws it
        return {}


def _crashed(job: GradeJob, exc: BaseException) -> GradeOutcome:
    return GradeOutcome(job.key, GRADER_FAILED, None,
                        f"The grading process failed on this submission ({type(exc).__name__}: {exc}); "
                        "it was not graded and is not at fault. Rerun the batch to try again.",
                        time.time(), 0.0, "", grader_version(), job.assignment_digest, job.label)


class ProcessPool(Executor):
    """A process pool that can be rebuilt after one of its processes died (BrokenProcessPool).
    Its processes are spawned, never forked: the coordinator may have loaded torch, which does
    not survive a fork, and a forked child would inherit whatever the coordinator holds."""

    def __init__(self, workers: int = 0, *, warm: bool | None = None) -> None:
        """`warm`: its processes fork workers from a zygote (True) or start them cold (False),
        unless $GRADER_WARM_WORKERS says otherwise; None: as that variable says."""
        import multiprocessing

        self.workers = workers or max(1, os.cpu_count() or 1)
        self.warm = warm
        self._context = multiprocessing.get_context("spawn")
        self._pool = self._make()

    def _make(self) -> Executor:
        from concurrent.futures import ProcessPoolExecutor

        threads = max(1, (os.cpu_count() or 1) // self.workers)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context,
                                   initializer=_start_grading_process, initargs=(os.getpid(), threads, self.warm))

    @property
    def _max_workers(self) -> int:
        return self.workers

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        return self._pool.submit(fn, *args, **kwargs)

    def rebuild(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._make()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _start_grading_process(parent: int, threads: int, warm: bool | None = None) -> None:
    """A pool process: dies with its parent, and its torch uses its part of the cores (processes
    x threads ~ cores; each sandboxed worker uses one thread). Set before torch is imported.
    With `warm` set, its workers start as the pool asked (`choose_launcher`)."""
    _die_with_parent(parent)
    choose_launcher(warm)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def choose_launcher(warm: bool | None) -> None:
    """How this grading process starts sandboxed workers: `warm` True forks them from a zygote
    unless $GRADER_WARM_WORKERS=0 opts out; False starts them cold whatever it says; None
    leaves it to the variable (cold unless it is 1)."""
    if warm is True:
        os.environ.setdefault("GRADER_WARM_WORKERS", "1")
    elif warm is False:
        os.environ["GRADER_WARM_WORKERS"] = "0"


def _die_with_parent(parent: int) -> None:
    """A pool process dies with the process that started it (Linux): a coordinator killed with
    SIGKILL leaves no grading behind, and each grading's sandbox dies with its pool process."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above: nothing to serve
        os._exit(1)


def grade_many(jobs: Iterable[GradeJob], executor: Executor, course: Path, *,
               on_done: Callable[[GradeOutcome], None] | None = None, max_in_flight: int = 0,
               run: Callable[[GradeJob, Path], GradeOutcome] = grade_job) -> Iterator[GradeOutcome]:
    """Run `jobs` over `executor` and yield each outcome as it finishes (not in job order).

    Any `concurrent.futures.Executor` will do (a ProcessPool, a ThreadPoolExecutor, a Dask
    client's executor). If one of its processes dies, every job it held fails at once: with an
    executor that has a `rebuild()` method (ProcessPool) the pool is rebuilt and those jobs run
    again one at a time, so only the job that kills its process alone is a "grader failed";
    with any other executor they are all "grader failed" and so is what is left. Jobs are taken
    from `jobs` lazily, at most `max_in_flight` at a time (default: twice the executor's
    workers), so a batch of thousands holds a few submissions in memory. `on_done` is called
    with each outcome, in this thread, before it is yielded.
    """
    rebuild = getattr(executor, "rebuild", None)
    limit = max_in_flight or 2 * max(1, getattr(executor, "_max_workers", os.cpu_count() or 1))
    pending = iter(jobs)
    suspects: list[GradeJob] = []  # held by a pool that broke: run again, one at a time
    in_flight: dict[Future[GradeOutcome], GradeJob] = {}

    def finish(outcome: GradeOutcome) -> GradeOutcome:
        if on_done is not None:
            on_done(outcome)
        return outcome

    exhausted = False
    while True:
        isolated = bool(suspects)
        if isolated and not in_flight:
            suspect = suspects.pop(0)
            in_flight[executor.submit(run, suspect, course)] = suspect
        while not isolated and not exhausted and len(in_flight) < limit:
            job = next(pending, None)
            if job is None:
                exhausted = True
            else:
                in_flight[executor.submit(run, job, course)] = job
        if not in_flight:
            return
        done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
        broken: list[GradeJob] = []
        for future in done:
            job = in_flight.pop(future)
            try:
                yield finish(future.result())
            except BrokenProcessPool:
                broken.append(job)
            except Exception as exc:  # the executor itself failed (pickling, a remote error)
                yield finish(_crashed(job, exc))
        if not broken:
            continue
        # Every future of a broken pool fails: wait for them all, then decide.
        for future, job in list(in_flight.items()):
            try:
                outcome = future.result()
            except Exception:  # noqa: BLE001 - a broken-pool error, or the executor's own
                broken.append(job)
            else:
                yield finish(outcome)
        in_flight.clear()
        if rebuild is None:
            for job in [*broken, *suspects, *pending]:
                yield finish(_crashed(job, BrokenProcessPool()))
            return
        rebuild()
        if isolated:  # it ran alone and killed its process: this one is at fault
            yield finish(_crashed(broken[0], BrokenProcessPool()))
        else:
            suspects.extend(broken)
