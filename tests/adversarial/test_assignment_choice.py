"""The submission never picks what it is graded against: an instructor's grading uses the
assignment the instructor named (or the course's only one), and the report says where it came from."""

from __future__ import annotations

import json

import pytest

from grader import cli
from grader.intake import read_submission
from grader.pipeline import FROM_METADATA, NAMED, ONLY, GradingError, choose_assignment, grade_file
from tests.conftest import ROOT


def tp1_notebook_labelled(tmp_path, slug: str):
    nb = json.loads((ROOT / "reference" / "tp1" / "tp1_solution.ipynb").read_text(encoding="utf-8"))
    nb["metadata"]["grader"] = {"assignment": slug}
    path = tmp_path / "tp1.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_a_notebook_labelled_with_another_assignment_is_not_graded_against_it_with_hidden_tests(tmp_path, capsys):
    path = tp1_notebook_labelled(tmp_path, "first-network")
    with pytest.raises(GradingError, match="pass --assignment"):
        grade_file(path, course=ROOT, hidden=True)
    assert cli.main(["--course", str(ROOT), "local", str(path), "--hidden", "--out", str(tmp_path)]) == cli.EXIT_CANNOT_GRADE
    assert "pass --assignment" in capsys.readouterr().err


def test_the_instructors_named_assignment_wins_over_the_metadata(tmp_path):
    submission = read_submission(tp1_notebook_labelled(tmp_path, "first-network"))
    assert choose_assignment(submission, ROOT, "tp1", instructor=True) == ("tp1", NAMED)


def test_a_students_self_check_may_follow_the_metadata_and_says_so(tmp_path):
    submission = read_submission(tp1_notebook_labelled(tmp_path, "first-network"))
    assert choose_assignment(submission, ROOT, None, instructor=False) == ("first-network", FROM_METADATA)


def test_a_course_with_one_assignment_needs_no_name(tmp_path):
    course = tmp_path / "course"
    (course / "assignments" / "only").mkdir(parents=True)
    (course / "assignments" / "only" / "assignment.toml").write_text(
        'slug = "only"\ntitle = "Only"\n[[exercises]]\nname = "f"\n', encoding="utf-8")
    student = tmp_path / "s.py"
    student.write_text("def f():\n    return 1\n", encoding="utf-8")
    assert choose_assignment(read_submission(student), course, None, instructor=True) == ("only", ONLY)
