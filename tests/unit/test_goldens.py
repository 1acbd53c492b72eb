"""What students see, pinned: the JSON of a grade and the text of its report (golden files).

The input is a grade saved from a real grading of a tp1 submission (with figures attached by the
tests); rerun `pytest tests/unit/test_goldens.py --update-goldens` after an intended change and
review the diff. `test_a_real_grading_gives_the_golden_grade` grades the file again (slow)."""

from __future__ import annotations

import json

import pytest

from grader.report import render_html
from grader.results import GradeResult
from tests.conftest import ROOT
from tests.golden import GOLDENS, as_json, check_golden, page_text

SAVED = GOLDENS / "inputs" / "tp1_graded.json"
VARIANT = ROOT / "assignments" / "tp1" / "variants" / "bad_create_linear_dataset_not_centered.py"


def saved() -> GradeResult:
    return GradeResult.from_json(json.loads(SAVED.read_text(encoding="utf-8")))


def test_the_json_of_a_grade_is_unchanged(update_goldens):
    check_golden("tp1_graded.golden.json", as_json(saved().to_json()), update_goldens)


@pytest.mark.parametrize("level", ["no-expected", "full", "points-only"])
def test_the_report_text_is_unchanged(update_goldens, level):
    html = render_html(saved(), title="Practical Work 1", hidden_visibility=level)
    check_golden(f"tp1_report.{level}.golden.txt", page_text(html), update_goldens)


def _normalised(result: GradeResult) -> dict:
    """The grade without what depends on the machine: the sandbox's description, and the numbers
    inside figures (a loss curve's last digits vary with the CPU); their kind and title stay."""
    data = result.to_json()
    data.pop("sandbox", None)
    data.pop("meta", None)
    for exercise in data["exercises"]:
        for test in exercise["tests"]:
            test["artifacts"] = [{"kind": a["kind"], "title": a.get("title", "")} for a in test["artifacts"]]
    return data


@pytest.mark.slow
def test_a_real_grading_gives_the_golden_grade(update_goldens):
    from grader.pipeline import grade_file

    result = grade_file(VARIANT, assignment="tp1", course=ROOT, hidden=True)
    if update_goldens:
        SAVED.parent.mkdir(parents=True, exist_ok=True)
        SAVED.write_text(as_json(result.to_json()), encoding="utf-8")
    check_golden("tp1_real_grading.golden.json", as_json(_normalised(result)), update_goldens)
