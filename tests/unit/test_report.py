"""The report stage: HTML (escaped, offline, hidden tests kept hidden), JSON and terminal table."""

from __future__ import annotations

import dataclasses
import json

import pytest

from grader.report import render_html, summary_table, write_html, write_json
from grader.results import Answer, ExerciseResult, GradeResult, Problem
from grader.results import TestResult as TResult  # aliased: pytest would try to collect Test*

SCRIPT = "<script>alert('x')</script>"


def make_result(**overrides) -> GradeResult:
    linear = ExerciseResult(
        name="LinearNet", score=2.0, max_score=2.0, source="cell 7",
        tests=(
            TResult("test_linear_shape", "LinearNet", "passed", 1.0, 1.0,
                       description="LinearNet(3, 2) maps (n, 3) to (n, 2)."),
            TResult("test_linear_affine_hidden", "LinearNet", "passed", 1.0, 1.0, hidden=True,
                       description="SECRET-DESCRIPTION checks affinity on random points."),
        ),
    )
    train = ExerciseResult(
        name="train", score=1.5, max_score=3.0, source="line 42",
        tests=(
            TResult("test_train_returns_losses", "train", "passed", 1.5, 1.5),
            TResult("test_train_converges", "train", "failed", 0.0, 1.0,
                       message=f"train raised ValueError: {SCRIPT}\nTraceback (most recent call last): ...",
                       fault="student"),
            TResult("test_train_hidden_secret", "train", "error", 0.0, 0.5, hidden=True,
                       description="HIDDEN-DESC-2 uses a held-out curve.",
                       message="The grader failed while running this test (KeyError); tell your instructor.",
                       fault="grader"),
        ),
    )
    mlp = ExerciseResult(
        name="MLPNet", score=0.0, max_score=1.0,
        tests=(TResult("test_mlp_defined", "MLPNet", "missing", 0.0, 1.0,
                          message="MLPNet is not defined in your submission; did you mean MLPnet?",
                          fault="student"),),
    )
    base = dict(
        student="alice", assignment="tp1", submission="alice_tp1.ipynb",
        score=3.5, max_score=6.0, exercises=(linear, train, mlp),
        problems=(
            Problem("Cell 3 has a syntax error and was skipped.", where="cell 3",
                    hint="Run the cell to see the error.", severity="error"),
            Problem("A figure was expected but none was found.", severity="warning"),
        ),
        answers=(
            Answer("q1", "Why does the loss plateau?", f"Because {SCRIPT} the lr is\n  too small.", True),
            Answer("q2", "What does ReLU add?", "", False),
        ),
        hidden_included=True, seed=20240306, student_output="epoch 1 loss 0.5\n",
    )
    base.update(overrides)
    return GradeResult(**base)


def test_html_escapes_student_text():
    html = render_html(make_result())
    assert SCRIPT not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    # both the test message and the answer are present, escaped
    assert html.count("&lt;script&gt;") >= 2


def test_html_is_offline():
    html = render_html(make_result(grader_error="boom"), title="Practical Work 1")
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<img" not in html and "@import" not in html


def test_html_content_order_and_details():
    html = render_html(make_result(), title="Practical Work 1")
    for text in ("Practical Work 1", "alice", "alice_tp1.ipynb", "3.5 / 6", "58.3%", "20240306",
                 "cell 7", "line 42", "no answer found", "Why does the loss plateau?",
                 "Cell 3 has a syntax error", "Run the cell to see the error.", "epoch 1 loss 0.5",
                 "LinearNet(3, 2) maps (n, 3) to (n, 2).", "did you mean MLPnet?"):
        assert text in html, text
    positions = [html.index(s) for s in ("<h2>Summary", 'id="ex-1"', "Problems reading", "Written answers",
                                         "printed output")]
    assert positions == sorted(positions)
    assert "grader error: not counted against you until your instructor checks it" in html
    assert "public tests only" not in html


def test_public_only_note():
    html = render_html(make_result(hidden_included=False))
    assert "public tests only: your instructor also runs hidden tests" in html


def test_hidden_test_names_shown_when_allowed_never_descriptions():
    html = render_html(make_result(), show_hidden_test_names=True)
    assert "test_linear_affine_hidden" in html
    assert "test_train_hidden_secret" in html
    assert "SECRET-DESCRIPTION" not in html and "HIDDEN-DESC-2" not in html
    assert "hidden test 1" not in html


def test_hidden_test_names_replaced_when_not_allowed():
    html = render_html(make_result(), show_hidden_test_names=False)
    assert "test_linear_affine_hidden" not in html
    assert "test_train_hidden_secret" not in html
    assert "SECRET-DESCRIPTION" not in html and "HIDDEN-DESC-2" not in html
    # numbered within each exercise
    assert html.count("hidden test 1") == 2
    # public tests keep their names and descriptions
    assert "test_train_converges" in html
    assert "LinearNet(3, 2) maps (n, 3) to (n, 2)." in html


def test_grader_error_banner():
    html = render_html(make_result(grader_error="The grader failed (RuntimeError: <oops>)"))
    assert "The grader failed; this grade is not final" in html
    assert "RuntimeError: &lt;oops&gt;" in html
    assert "this grade is not final" not in render_html(make_result())


def test_write_html(tmp_path):
    path = write_html(make_result(), tmp_path / "out" / "alice.html", show_hidden_test_names=False)
    assert path.is_file()
    assert "hidden test 1" in path.read_text(encoding="utf-8")


def test_write_json_is_strict_json_when_a_student_value_is_nan_or_infinite(tmp_path):
    """A diverging fit gives NaN and inf in a figure's data: report.json says null there, and
    every strict parser reads it (Python's own default would write bare NaN, which is not JSON)."""
    curve = {"kind": "line", "title": "loss", "series": [{"y": [1.0, float("nan"), float("inf"), -float("inf")]}]}
    exercise = make_result().exercises[0]
    test = dataclasses.replace(exercise.tests[0], artifacts=(curve,))
    result = make_result(exercises=(dataclasses.replace(exercise, tests=(test,)),))

    def refuse(token):
        raise AssertionError(f"{token} is not JSON")

    data = json.loads(write_json(result, tmp_path / "r.json").read_text(encoding="utf-8"), parse_constant=refuse)
    assert data["exercises"][0]["tests"][0]["artifacts"][0]["series"][0]["y"] == [1.0, None, None, None]
    finite = write_json(make_result(), tmp_path / "f.json").read_text(encoding="utf-8")
    assert json.loads(finite, parse_constant=refuse) == json.loads(json.dumps(make_result().to_json()))


def test_write_json_round_trips(tmp_path):
    result = make_result(student="élise")
    path = write_json(result, tmp_path / "alice.json")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "élise" in text
    data = json.loads(text)
    assert data == json.loads(json.dumps(result.to_json()))
    assert data["student"] == "élise" and data["assignment"] == "tp1"
    assert data["score"] == 3.5 and data["max_score"] == 6.0
    assert [e["name"] for e in data["exercises"]] == ["LinearNet", "train", "MLPNet"]
    first = data["exercises"][1]
    assert first["score"] == 1.5 and first["max_score"] == 3.0
    assert [(t["name"], t["status"]) for t in first["tests"]][1] == ("test_train_converges", "failed")
    assert SCRIPT in first["tests"][1]["message"]
    assert data["problems"][0]["severity"] == "error"
    assert GradeResult.from_json(json.loads(text)) == result


def test_summary_table():
    table = summary_table(make_result(grader_error="The grader failed (RuntimeError)."))
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.strip()}
    assert rows["LinearNet"] == ["2/2", "ok"]
    assert rows["train"] == ["1.5/3", "partial"]
    assert rows["MLPNet"] == ["0/1", "missing"]
    assert rows["total"] == ["3.5/6", "58.3%"]
    # exercises, then total, then errors
    order = [table.index(s) for s in ("LinearNet", "train ", "MLPNet", "total", "grader error:",
                                      "Cell 3 has a syntax error")]
    assert order == sorted(order)
    assert "A figure was expected" not in table  # warnings stay out of the terminal table
    # hidden test names never reach the terminal
    assert "test_train_hidden_secret" not in table and "hidden test 1" in table


@pytest.mark.parametrize("score, status", [(0.0, "0"), (0.5, "partial"), (1.0, "ok")])
def test_summary_status_words(score, status):
    exercise = ExerciseResult("f", score, 1.0, (TResult("t", "f", "failed", score, 1.0),))
    result = GradeResult("s", "a", "s.py", score, 1.0, (exercise,))
    assert summary_table(result).splitlines()[2].split() == ["f", f"{score:g}/1", status]


def test_summary_long_names_fit():
    name = "a_really_long_exercise_name_" * 4
    exercise = ExerciseResult(name, 1.0, 1.0, (TResult("t", name, "passed", 1.0, 1.0),))
    result = GradeResult("s", "a", "s.py", 1.0, 1.0, (exercise,), grader_error="x " * 200)
    assert all(len(line) <= 80 for line in summary_table(result).splitlines())
