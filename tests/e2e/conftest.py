"""End-to-end helpers: grade real files once per session and share the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.results import GradeResult


@pytest.fixture(scope="session")
def grade_tp1(tp1):
    """grade_tp1(path, hidden=True) -> GradeResult, graded once per session with short limits."""
    cache: dict[tuple[Path, bool], GradeResult] = {}

    def grade(path: Path, hidden: bool = True) -> GradeResult:
        key = (Path(path), hidden)
        if key not in cache:
            cache[key] = grade_submission(read_submission(path), tp1, hidden=hidden)
        return cache[key]

    return grade
