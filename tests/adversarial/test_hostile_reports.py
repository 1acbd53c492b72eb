"""Every text that reaches a report is cleaned and capped in one pass (grader.report.sanitize):
lone surrogates never empty the HTML or lose the JSON, no field and no report grows without
bound, and nothing printed to the instructor's terminal carries a control character."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.intake import read_bytes
from grader.pipeline import grade_submission
from grader.report import render_html, sanitize, summary_table, write_html, write_json
from grader.report.sanitize import MESSAGE_CHARS, OUTPUT_CHARS, REPORT_CHARS
from grader.results import Answer, ExerciseResult, GradeResult, Problem
from grader.results import TestResult as Outcome
from tests.adversarial.test_attacks import COURSE

HOSTILE = "\ud800 \x1b[2J\x1b[H\x1b]0;title\x07 39/39 100%\r\x08\x00 \u202eevil"


def hostile_result(size: int = 100) -> GradeResult:
    test = Outcome("test_x" + HOSTILE, "honest", "failed", 0.0, 1.0, message=HOSTILE * size, fault="student")
    return GradeResult(
        student="s" + HOSTILE, assignment="fortress", submission="\x1b[31mtp1.ipynb", score=0.0, max_score=1.0,
        exercises=(ExerciseResult("honest" + HOSTILE, 0.0, 1.0, (test,), source=HOSTILE),),
        problems=tuple(Problem(HOSTILE * size, HOSTILE, HOSTILE, "error") for _ in range(300)),
        answers=(Answer("q1", "Why?", HOSTILE * size, True),),
        grader_error="", student_output=HOSTILE * size, meta={"k" + HOSTILE: [HOSTILE]},
    )


def test_a_lone_surrogate_anywhere_never_empties_the_html_nor_loses_the_json(tmp_path):
    result = sanitize(hostile_result())
    html = write_html(result, tmp_path / "r.html")
    assert html.stat().st_size > 1000
    data = json.loads(write_json(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "\ufffd" in data["exercises"][0]["tests"][0]["message"]
    assert GradeResult.from_json(data).score == 0.0


def test_every_field_and_the_whole_report_are_capped(tmp_path):
    result = sanitize(hostile_result(size=200_000))  # ~10 MB per field
    assert len(result.exercises[0].tests[0].message) <= MESSAGE_CHARS + 100
    assert len(result.student_output) <= OUTPUT_CHARS + 100
    assert len(result.problems) <= 101
    assert len(render_html(result)) < 2 * REPORT_CHARS


def test_a_report_of_many_capped_fields_is_capped_as_a_whole():
    tests = tuple(Outcome(f"t{i}", "honest", "failed", 0.0, 1.0, message="m" * 50_000) for i in range(400))
    result = sanitize(GradeResult("s", "a", "f", 0.0, 400.0, (ExerciseResult("honest", 0.0, 400.0, tests),),
                                  student_output="o" * 100_000))
    assert sum(len(t.message) for t in result.exercises[0].tests) + len(result.student_output) <= REPORT_CHARS


def test_nothing_from_the_submission_draws_over_the_instructors_terminal():
    table = summary_table(sanitize(hostile_result()))
    assert not [c for c in table if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c == "\u202e"]
    # Even a result that skipped sanitize (read back from JSON, built by hand) prints clean.
    table = summary_table(hostile_result())
    assert not [c for c in table if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0]


STUDENT = '''
def honest(x):
    print("\\x1b[2J\\x1b[H   39/39  100%\\r" + "y" * 200_000)
    raise ValueError("\\ud800" + "\\x1b[31m" + "z" * 10_000_000)


def answer():
    return 0
'''


@pytest.mark.skipif(os.name != "posix", reason="the OS sandbox exists on Linux only")
def test_a_graded_submission_with_hostile_messages_and_output_reports_cleanly(tmp_path):
    spec = load_assignment(COURSE, "fortress")
    submission = read_bytes(STUDENT.encode(), "\x1b[2Jtp1.py")
    result = grade_submission(submission, spec, hidden=True)
    honest = next(e for e in result.exercises if e.name == "honest")
    assert honest.score == 0 and honest.tests[0].fault == "student"
    assert len(honest.tests[0].message) <= MESSAGE_CHARS + 100
    html = write_html(result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "ValueError" in html and len(html) < 2 * REPORT_CHARS
    json.loads(write_json(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "\x1b" not in summary_table(result) and "\x1b" not in result.submission
