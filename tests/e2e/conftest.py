"""End-to-end helpers: grade real files once per session and share the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.results import GradeResult
from tests.conftest import ROOT, fast_limits


@pytest.fixture(scope="session")
def grade():
    """grade(slug, path, hidden=True) -> GradeResult, graded once per session with short limits.
    Data sets (MNIST) come from GRADER_DATA_DIR when set (`make test` sets it), else the bundled sample."""
    cache: dict[tuple[str, Path, bool], GradeResult] = {}
    specs = {}

    def grade(slug: str, path: Path, hidden: bool = True) -> GradeResult:
        key = (slug, Path(path), hidden)
        if key not in cache:
            if slug not in specs:
                specs[slug] = fast_limits(load_assignment(ROOT, slug))
            cache[key] = grade_submission(read_submission(path), specs[slug], hidden=hidden)
        return cache[key]

    return grade


@pytest.fixture(scope="session")
def grade_tp1(grade):
    """grade_tp1(path, hidden=True): `grade` for tp1."""
    return lambda path, hidden=True: grade("tp1", path, hidden)
