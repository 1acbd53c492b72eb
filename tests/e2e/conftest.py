"""End-to-end helpers: grade real files once per session and share the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.results import GradeResult
from grader.run.launcher import ColdLauncher, WorkerLauncher, ZygoteLauncher, zygote_possible
from grader.run.sandbox import SandboxPolicy
from tests.conftest import ROOT, fast_limits


def _grader(launcher: WorkerLauncher | None):
    cache: dict[tuple[str, Path, bool], GradeResult] = {}
    specs = {}

    def grade(slug: str, path: Path, hidden: bool = True) -> GradeResult:
        key = (slug, Path(path), hidden)
        if key not in cache:
            if slug not in specs:
                specs[slug] = fast_limits(load_assignment(ROOT, slug))
            cache[key] = grade_submission(read_submission(path), specs[slug], hidden=hidden, launcher=launcher)
        return cache[key]

    return grade


@pytest.fixture(scope="session")
def grade():
    """grade(slug, path, hidden=True) -> GradeResult, graded once per session with short limits,
    in workers forked from a zygote where the sandbox allows it (as `grade batch` and `grade
    validate` grade), else cold. Data sets (MNIST) come from GRADER_DATA_DIR when set, else the
    bundled sample."""
    zygote = ZygoteLauncher() if zygote_possible(SandboxPolicy()) else None
    try:
        yield _grader(zygote)
    finally:
        if zygote is not None:
            zygote.close()


@pytest.fixture(scope="session")
def grade_cold():
    """`grade` with a fresh process per worker, as `grade local` starts them."""
    return _grader(ColdLauncher())


@pytest.fixture(scope="session")
def grade_tp1(grade_cold):
    """grade_tp1(path, hidden=True): tp1 graded as `grade local` grades it (cold workers)."""
    return lambda path, hidden=True: grade_cold("tp1", path, hidden)
