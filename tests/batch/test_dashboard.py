"""The dashboard from plain entries: rates, who failed what, late and resubmission counts, and a
class of 500 that stays one light page (no report rendered inline)."""

from __future__ import annotations

import dataclasses
import json

from grader.batch.dashboard import Entry, Issue, pass_rates, render_dashboard, submission_stats
from grader.results import GradeResult
from tests.golden import GOLDENS

SAVED = GradeResult.from_json(json.loads((GOLDENS / "inputs" / "tp1_graded.json").read_text(encoding="utf-8")))


def entry(student: str, result: GradeResult | None, attempts: int = 1, late: str = "") -> Entry:
    return Entry(student=student, name="", assignment="tp1", score=None if result is None else result.score,
                 max_score=SAVED.max_score, status="graded" if result else "could not grade", attempts=attempts,
                 late=late, report=f"{student}/tp1.report.html", result=result, shown=result)


def perfect() -> GradeResult:
    exercises = tuple(dataclasses.replace(e, score=e.max_score, tests=tuple(dataclasses.replace(t, status="passed", points=t.max_points)
                                                                            for t in e.tests)) for e in SAVED.exercises)
    return dataclasses.replace(SAVED, exercises=exercises, score=SAVED.max_score)


def test_the_test_failed_most_comes_first_with_the_students_who_failed_it():
    rates = pass_rates([entry("ann", SAVED), entry("bob", SAVED), entry("cy", perfect())])
    first = rates[0]
    assert first["rate"] == 33 and first["failed_by"] == ["ann", "bob"]
    assert rates[-1]["rate"] == 100 and rates[-1]["failed_by"] == []


def test_late_and_resubmission_counts():
    stats = submission_stats([entry("ann", SAVED, attempts=3, late="2 days late"), entry("bob", None), entry("cy", SAVED)])
    assert (stats["late"], stats["resubmitted"], stats["most_attempts"], stats["nothing_graded"]) == (1, 1, 3, 1)
    assert stats["mean_attempts"] == "1.67"


def test_a_class_of_500_is_one_light_page_without_any_report_inline():
    entries = [entry(f"student{i:03d}@uni.example", SAVED if i % 2 else perfect(), attempts=1 + i % 3) for i in range(500)]
    page = render_dashboard(entries, [Issue("late", "student001@uni.example", "1 day late")], {})
    assert page.count('<tr>\n  <td>student') == 500
    # A few hundred bytes per student (row and "failed by" names): no test message, code or figure.
    assert len(page) < 500 * 1_200
    assert "data:image/png" not in page and "is not centered" not in page and "def create_linear_dataset" not in page
