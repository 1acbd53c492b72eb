"""Artifacts on results: attached by tests through the `feedback` fixture, checked, capped,
sanitized, and stored with the grade (JSON round trip)."""

from __future__ import annotations

import json

import numpy as np
import torch

from grader.report.sanitize import MAX_ARTIFACTS_PER_TEST, sanitize
from grader.results import CodeView, ExerciseResult, GradeResult
from grader.results import TestResult as Outcome  # not collected as a test class
from grader.run.feedback import MAX_PER_TEST, Feedback


def _result(artifacts=(), code=()) -> GradeResult:
    test = Outcome("test_a", "f", "failed", 0.0, 1.0, "boom", artifacts=tuple(artifacts))
    return GradeResult("s", "tp1", "s.py", 0.0, 1.0, (ExerciseResult("f", 0.0, 1.0, (test,), "line 1", tuple(code)),))


def test_feedback_copies_tensors_and_arrays_into_plain_lists():
    fb = Feedback()
    assert fb.scatter(torch.arange(3.0), np.array([1.0, 2.0, 3.0]), relation=([0, 2], [1, 3]))
    assert fb.loss([3.0, 2.0, 1.0], reference=torch.tensor([3.0, 1.5, 0.5]))
    json.dumps(fb.artifacts)  # plain data only
    assert fb.artifacts[0]["points"]["x"] == [0.0, 1.0, 2.0]


def test_a_malformed_artifact_is_not_attached_and_says_why():
    fb = Feedback()
    assert not fb.plot({"kind": "scatter", "points": {"x": ["a"], "y": [1]}})
    assert not fb.images("not numbers")  # cannot be copied into numbers
    assert fb.artifacts == [] and len(fb.rejected) == 2


def test_a_test_attaches_at_most_a_few_figures():
    fb = Feedback()
    for _ in range(MAX_PER_TEST + 3):
        fb.loss([1.0, 0.5])
    assert len(fb.artifacts) == MAX_PER_TEST


def test_sanitize_drops_malformed_artifacts_and_caps_their_number():
    good = {"kind": "loss", "loss": [1.0, 0.5], "title": "t\x1b[31m"}
    bad = {"kind": "loss", "loss": "rm -rf"}
    cleaned = sanitize(_result([bad] + [good] * 10))
    kept = cleaned.exercises[0].tests[0].artifacts
    assert len(kept) == MAX_ARTIFACTS_PER_TEST - 1
    assert all(a["title"] == "t" for a in kept)


def test_a_grade_with_artifacts_and_code_round_trips_through_json():
    result = sanitize(_result([{"kind": "loss", "loss": [1.0, 0.5]}],
                              [CodeView("cell 3", "def f():\n    return 1\n", 1, True)]))
    again = GradeResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result


FIGURES = """\
import pytest

@pytest.mark.exercise("f")
def test_f_draws_then_fails(student, feedback):
    values = student.f()
    feedback.loss(values, reference=[3.0, 2.0, 1.0], title="your loss")
    feedback.plot({"kind": "loss", "loss": "not numbers"})
    assert values == [3.0, 2.0, 1.0], "f's loss is not the reference's."
"""


def test_a_failing_test_keeps_its_figure_and_a_malformed_one_is_dropped(tmp_path):
    from tests.unit.test_plugin import by_name, grade, make_course

    result = grade(make_course(tmp_path, hidden=FIGURES), "def f():\n    return [3.0, 2.5, 2.4]\ndef g():\n    pass\n")
    test = by_name(result)["test_f_draws_then_fails"]
    assert test.status == "failed"
    assert test.artifacts == ({"kind": "loss", "title": "your loss", "loss": [3.0, 2.5, 2.4], "reference": [3.0, 2.0, 1.0]},)
    assert by_name(result)["test_f_returns_an_int"].artifacts == ()
