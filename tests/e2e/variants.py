"""Where each assignment's variants are, and what each must cost.

A variant is a whole submission that differs from the reference in one way; its first line says
`# expect: full` (a correct solution written differently), `# expect: <exercise>` (a bug that
must cost that exercise and no other) or `# expect: <exercise>/<test>` (a slip that must fail
exactly that one test, such as a format test). They are kept with their assignment
(`assignments/<slug>/variants/`, where `grade validate` reads them).
"""

from __future__ import annotations

from pathlib import Path

from grader.assignment import Assignment, list_assignments, load_assignment
from grader.authoring import validate
from grader.authoring.validate import expectation
from grader.results import ExerciseResult
from tests.conftest import ROOT

SLUGS = tuple(list_assignments(ROOT))

__all__ = ["SLUGS", "expectation", "expected_losses", "expected_failure", "lost", "reference", "variants"]


def reference(slug: str) -> Path:
    return validate.reference_path(ROOT, load_assignment(ROOT, slug))


def variants(slug: str) -> list[Path]:
    return validate.variants(load_assignment(ROOT, slug))


def expected_losses(path: Path) -> set[str]:
    expected = expectation(path)
    return set() if expected == "full" else {expected.partition("/")[0]}


def expected_failure(path: Path) -> str | None:
    """The one test a `# expect: <exercise>/<test>` variant must fail, else None."""
    return expectation(path).partition("/")[2] or None


def lost(spec: Assignment, exercises: tuple[ExerciseResult, ...], path: Path) -> set[str]:
    """The exercises that did not earn full marks; a .py module carries no figure, so there
    figure exercises (judged on a notebook's outputs) do not count."""
    figures = {e.name for e in spec.exercises if e.kind == "figure"} if path.suffix != ".ipynb" else set()
    return {e.name for e in exercises if e.score < e.max_score} - figures
