"""The report's per-exercise view: visibility levels of hidden tests, the student's code beside
the tests (escaped), the traceback apart from the message, figures from artifacts."""

from __future__ import annotations

import re

import pytest

from grader.assignment import AssignmentError, parse_manifest
from grader.report import render_html
from grader.report.view import hide_expected, split_traceback
from grader.results import CodeView, ExerciseResult, GradeResult
from grader.results import TestResult as Outcome  # not collected as a test class

SCATTER = {"kind": "scatter", "title": "your points", "points": {"x": [0.0, 1.0, 2.0], "y": [5.0, 4.0, 3.0]},
           "relation": {"x": [0.0, 2.0], "y": [5.0, 3.0], "label": "SECRET-LINE"}}
MESSAGE = ("x has shape (100,), expected (100, 1).\nTraceback (most recent call last):\n"
           '  File "cell 3", line 4, in f\n    return x.view(-1)\nRuntimeError: bad view')


def result(hidden: bool, code: tuple[CodeView, ...] = ()) -> GradeResult:
    test = Outcome("test_shape", "f", "failed", 0.0, 1.0, MESSAGE, hidden=hidden, artifacts=(SCATTER,))
    return GradeResult("alice", "tp1", "alice.ipynb", 0.0, 1.0, (ExerciseResult("f", 0.0, 1.0, (test,), "cell 3", code),),
                       hidden_included=True)


def images(html: str) -> list[str]:
    return re.findall(r'<img class="figure" src="data:image/(?:png|svg\+xml);base64,[^"]+" alt="([^"]+)"', html)


def test_a_public_test_shows_message_traceback_and_the_whole_figure():
    html = render_html(result(hidden=False))
    assert "expected (100, 1)" in html and 'class="tb"' in html and "RuntimeError: bad view" in html
    assert len(images(html)) == 1
    with_relation = html
    without = render_html(result(hidden=True), hidden_visibility="no-expected")
    assert len(images(without)) == 1 and images(without)[0] == images(with_relation)[0]
    assert without != with_relation  # the expected line is not drawn


def test_hidden_tests_default_to_no_expected_values():
    html = render_html(result(hidden=True))
    assert "expected (100, 1)" not in html and "expected (hidden)" in html
    assert "RuntimeError: bad view" in html


def test_points_only_shows_status_and_points_and_nothing_else():
    html = render_html(result(hidden=True), hidden_visibility="points-only")
    assert "shape (100,)" not in html and "RuntimeError" not in html and not images(html)
    assert "0 / 1 pt" in html


def test_full_visibility_shows_a_hidden_test_as_a_public_one():
    html = render_html(result(hidden=True), hidden_visibility="full")
    assert "expected (100, 1)" in html and len(images(html)) == 1


def test_the_students_code_is_highlighted_and_escaped_with_its_line_numbers():
    code = (CodeView("cell 3", "def f():\n    return '</pre><script>alert(1)</script>'\n", 4, True),
            CodeView("cell 7", "def f():\n    return 2\n", 1, False))
    html = render_html(result(hidden=False, code=code))
    assert "<script>alert" not in html and "&lt;/pre&gt;&lt;script&gt;" in html.replace("&#39;", "'")
    assert "Your code (cell 3)" in html and "not the one graded" in html
    assert re.search(r'<span class="linenos">\s*4</span>', html)


def test_split_traceback_keeps_the_message_and_cuts_long_tracebacks():
    message, tb = split_traceback(MESSAGE)
    assert message == "x has shape (100,), expected (100, 1)." and tb.startswith("Traceback")
    long = "boom\nTraceback (most recent call last):\n" + "\n".join(f"line {i}" for i in range(100))
    assert "lines cut" in split_traceback(long)[1] and "line 99" in split_traceback(long)[1]


def test_hide_expected_replaces_each_expected_clause():
    assert hide_expected("mean is 7.4, expected 0. Also: expected between 1 and 2") == \
        "mean is 7.4, expected (hidden). Also: expected (hidden)"


def test_an_unknown_visibility_level_is_refused_when_the_manifest_is_read(tmp_path):
    with pytest.raises(AssignmentError, match="hidden_visibility"):
        parse_manifest({"exercises": [{"name": "f"}], "report": {"hidden_visibility": "everything"}}, tmp_path)
    assert parse_manifest({"exercises": [{"name": "f"}]}, tmp_path).hidden_visibility == "no-expected"


def test_text_in_a_figure_request_is_escaped_in_the_page():
    hostile = dict(SCATTER, title='"><script>alert(1)</script>', alt='"><img src=x onerror=alert(1)>')
    test = Outcome("test_shape", "f", "failed", 0.0, 1.0, "boom", artifacts=(hostile,))
    result = GradeResult("a", "tp1", "a.py", 0.0, 1.0, (ExerciseResult("f", 0.0, 1.0, (test,)),))
    html = render_html(result)
    assert "<script>alert" not in html and "<img src=x" not in html and len(images(html)) == 1
