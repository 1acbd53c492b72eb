"""Score: test results -> per-exercise and total scores, in the manifest's order."""

from __future__ import annotations

from collections.abc import Iterable

from grader.assignment import Assignment
from grader.results import ExerciseResult, TestResult


def score_exercises(assignment: Assignment, tests: Iterable[TestResult], origins: dict[str, str]) -> tuple[ExerciseResult, ...]:
    by_exercise: dict[str, list[TestResult]] = {e.name: [] for e in assignment.exercises}
    for test in tests:
        by_exercise.setdefault(test.exercise, []).append(test)
    return tuple(
        ExerciseResult(
            name=name,
            score=sum(t.points for t in results if t.status == "passed"),
            max_score=sum(t.max_points for t in results),
            tests=tuple(results),
            source=origins.get(name, ""),
        )
        for name, results in by_exercise.items()
    )


def total(exercises: Iterable[ExerciseResult]) -> tuple[float, float]:
    items = list(exercises)
    return sum(e.score for e in items), sum(e.max_score for e in items)
