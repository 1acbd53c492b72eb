"""The pytest plugin that lets an assignment's ordinary test files grade a submission.

Tests run here, in the trusted process; they reach student code only through the `student`
fixture (a proxy to the worker). Each test's outcome is classified, never inferred: a test
without a recorded pass is not passed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment
from grader.data import DataConfig, DataUnavailable, Mnist, mnist_splits
from grader.results import Drawing, Problem, Status, TestResult
from grader.run import drawn
from grader.run.client import StudentRuntime
from grader.run.errors import GraderFault, StudentError, StudentFault
from grader.run.feedback import Feedback
from grader.run.proxy import StudentModule
from grader.measures import Measure, measuring

MARKERS = (
    "exercise(name): the manifest exercise this test grades (required; module-level pytestmark works)",
    "points(n): what the test is worth (default 1)",
    "time_limit(seconds): limit for one call into student code during this test",
    "sandbox_limits(**limits): other sandbox limits for this test (memory_mb, processes, ...)",
)


@dataclass(frozen=True)
class SubmissionView:
    """What a test may know about the submitted file itself (not its code)."""

    filename: str
    is_notebook: bool
    figure_cells: tuple[str, ...]


@dataclass
class _Meta:
    name: str
    exercise: str
    points: float
    hidden: bool
    description: str


class GradingPlugin:
    def __init__(self, assignment: Assignment, runtime: StudentRuntime, view: SubmissionView, seed: int,
                 data: DataConfig = DataConfig()) -> None:
        self.assignment = assignment
        self.runtime = runtime
        self.view = view
        self.base_seed = seed
        self.data = data
        self.metas: dict[str, _Meta] = {}
        self.order: list[str] = []
        self.outcomes: dict[str, tuple[Status, str, str]] = {}
        self.collect_errors: list[str] = []
        # Data a test needed and could not get (a configuration problem, reported once).
        self.data_errors: list[str] = []
        # What each test's checks compared with their bounds, by test name: for calibration only.
        self.measures: dict[str, tuple[Measure, ...]] = {}
        # The figures each test attached (the `feedback` fixture), by node id.
        self.figures: dict[str, Feedback] = {}
        # The figures the student's own code drew during each test (grader/run/drawn.py), by node id.
        self.drawn: dict[str, tuple[Drawing, ...]] = {}

    # -------------------------------------------------------------- configuration and collection

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in MARKERS:
            config.addinivalue_line("markers", line)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.collect_errors.append(f"{report.nodeid or 'tests'}: {text[-1] if text else 'could not be collected'}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        hidden_root = self.assignment.hidden_tests.resolve()
        seen: set[str] = set()
        for item in items:
            marker = item.get_closest_marker("exercise")
            exercise = str(marker.args[0]) if marker and marker.args else ""
            if self.assignment.exercise(exercise) is None:
                self.collect_errors.append(
                    f"{item.nodeid}: names exercise {exercise!r}, which is not in the manifest "
                    f"(add @pytest.mark.exercise(...) with one of: {', '.join(e.name for e in self.assignment.exercises)})"
                )
                continue
            if item.name in seen:
                self.collect_errors.append(f"{item.nodeid}: another test has the same name; names must be unique")
                continue
            seen.add(item.name)
            points = item.get_closest_marker("points")
            hidden = hidden_root in Path(str(item.path)).resolve().parents
            doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
            self.metas[item.nodeid] = _Meta(
                name=item.name,
                exercise=exercise,
                points=float(points.args[0]) if points and points.args else 1.0,
                hidden=hidden,
                # A hidden test's docstring may say what it checks: it never leaves this process.
                description=doc.strip().splitlines()[0] if doc.strip() and not hidden else "",
            )
            self.order.append(item.nodeid)

    # -------------------------------------------------------------- fixtures

    def seed_for(self, item: pytest.Item) -> int:
        return zlib.crc32(f"{self.base_seed}:{Path(str(item.path)).name}::{item.name}".encode()) & 0x7FFFFFFF

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        """A per-test seed: the same submission gets the same data and the same grade every time."""
        return self.seed_for(request.node)

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest, seed: int) -> StudentModule:
        """The student's code, loaded in the worker and seeded for this test."""
        marker = request.node.get_closest_marker("time_limit")
        self.runtime.call_limit = float(marker.args[0]) if marker else None
        meta = self.metas.get(request.node.nodeid)
        self.runtime.exercise = meta.exercise if meta else ""
        limits = request.node.get_closest_marker("sandbox_limits")
        self.runtime.sandbox_overrides = dict(limits.kwargs) if limits else {}
        module = StudentModule(self.runtime)
        module.seed(seed)
        return module

    @pytest.fixture
    def submission(self) -> SubmissionView:
        """The submitted file: whether it is a notebook and which cells show a figure."""
        return self.view

    @pytest.fixture
    def feedback(self, request: pytest.FixtureRequest) -> Feedback:
        """Figures for the report: `feedback.scatter(...)`, `.regression`, `.loss`, `.confusion`,
        `.images`, or `.plot(artifact)` (docs/feedback.md). Kept whether the test passes or not."""
        return self.figures.setdefault(request.node.nodeid, Feedback())

    @pytest.fixture
    def mnist(self) -> Mnist:
        """MNIST (`.train`, `.test`: uint8 images and labels), loaded here from the configured folder.
        Send the worker images; keep the test labels here. Missing data is the grader's error."""
        try:
            data = mnist_splits(self.data)
            if data.note and all(p.message != data.note for p in self.runtime.problems):
                self.runtime.problems.append(Problem(message=data.note, severity="info"))
            return data
        except DataUnavailable as exc:
            if str(exc) not in self.data_errors:
                self.data_errors.append(str(exc))
            raise GraderFault(str(exc)) from None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):  # type: ignore[no-untyped-def]
        with measuring() as sink:
            yield
        if item.nodeid in self.metas:
            self.measures[self.metas[item.nodeid].name] = tuple(sink)
            self._collect_drawn(item.nodeid)

    def _collect_drawn(self, nodeid: str) -> None:
        """The figures the test's calls drew, pass or fail; a failure here is a quiet note."""
        if not self.runtime.drawn_by:
            return
        collected = drawn.collect(self.runtime)
        self.drawn[nodeid] = self.drawn.get(nodeid, ()) + collected.drawings
        for note in collected.notes:
            if all(p.message != note for p in self.runtime.problems):
                self.runtime.problems.append(Problem(message=note, severity="info"))

    # -------------------------------------------------------------- outcomes

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]):  # type: ignore[no-untyped-def]
        outcome = yield
        report = outcome.get_result()
        meta = self.metas.get(item.nodeid)
        if meta is None or item.nodeid in self.outcomes:
            return
        if report.when == "call" and report.passed:
            self.outcomes[item.nodeid] = ("passed", "", "")
        elif report.failed or report.skipped:
            self.outcomes[item.nodeid] = classify(call.excinfo, hidden=meta.hidden)

    def results(self) -> list[TestResult]:
        out = []
        for nodeid in self.order:
            meta = self.metas[nodeid]
            status, message, fault = self.outcomes.get(
                nodeid, ("error", "The grader did not finish this test; it is not counted as passed.", "grader")
            )
            out.append(TestResult(
                name=meta.name, exercise=meta.exercise, status=status,
                points=meta.points if status == "passed" else 0.0, max_points=meta.points,
                message=message, hidden=meta.hidden, description=meta.description, fault=fault,  # type: ignore[arg-type]
                artifacts=tuple(self.figures[nodeid].artifacts) if nodeid in self.figures else (),
                drawn=self.drawn.get(nodeid, ()),
            ))
        return out


def classify(excinfo: pytest.ExceptionInfo[BaseException] | None, hidden: bool) -> tuple[Status, str, str]:
    """A non-pass as (status, message, fault). Hidden tests never show their source or values:
    only messages written for students, or an exception type name."""
    if excinfo is None:
        return "error", "The test did not run.", "grader"
    exc = excinfo.value
    if isinstance(exc, StudentFault):
        message = exc.message
        if isinstance(exc, StudentError) and exc.student_traceback:
            message += "\n" + exc.student_traceback.rstrip()
        return exc.status, message, "student"  # type: ignore[return-value]
    if isinstance(exc, AssertionError):
        return "failed", str(exc).strip() or "The check failed.", "student"
    if excinfo.errisinstance(pytest.skip.Exception):
        return "error", "The test was skipped, so it earns nothing; tell your instructor.", "grader"
    detail = f"{type(exc).__name__}" if hidden else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, GraderFault):
        detail = str(exc)
    return "error", f"The grader failed while running this test ({detail}); this is not your code's fault, tell your instructor.", "grader"
