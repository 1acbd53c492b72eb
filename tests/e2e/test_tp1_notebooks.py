"""Real notebooks graded end to end: the reference, the starter, what students really send."""

from __future__ import annotations

import json

import pytest

from grader import cli
from tests.conftest import ROOT, SUBMISSIONS

REFERENCE = ROOT / "reference" / "tp1" / "tp1_solution.ipynb"
STARTER = ROOT / "assignments" / "tp1" / "starter.ipynb"
NOTEBOOKS = SUBMISSIONS / "tp1"

pytestmark = pytest.mark.slow


def statuses(result):
    return {t.name: t.status for e in result.exercises for t in e.tests}


def test_reference_earns_full_marks_and_all_answers_are_found(grade_tp1):
    result = grade_tp1(REFERENCE)
    assert result.score == result.max_score and result.max_score > 30
    assert all(a.found for a in result.answers) and len(result.answers) == 4


def test_starter_earns_zero_without_breaking_the_grader(grade_tp1):
    result = grade_tp1(STARTER)
    assert result.score == 0 and not result.grader_error
    assert set(statuses(result).values()) == {"failed"}
    assert all(t.fault == "student" for e in result.exercises for t in e.tests)


def test_a_colab_export_without_tags_ids_or_metadata_earns_full_marks(grade_tp1):
    result = grade_tp1(NOTEBOOKS / "colab_v4_2.ipynb")
    assert result.score == result.max_score
    assert all(a.found for a in result.answers)


def test_the_page_pasted_verbatim_is_graded_without_running_its_top_level(grade_tp1):
    result = grade_tp1(NOTEBOOKS / "page_verbatim.ipynb")
    assert result.score == 0 and not result.grader_error
    # Nothing at top level ran: no statement was skipped for running too long, no worker restarted.
    assert not [p for p in result.problems if "skipped" in p.message]
    messages = {t.message for e in result.exercises for t in e.tests}
    assert "create_linear_dataset is not defined in your submission; did you mean create_dataset?" in messages
    assert "LinearNet is not defined in your submission; did you mean Net?" in messages
    assert set(statuses(result).values()) == {"missing", "failed"}
    assert any("create_dataset is defined 3 times" in p.message for p in result.problems)


def test_syntax_errors_cost_nothing_but_the_broken_cells(grade_tp1):
    result = grade_tp1(NOTEBOOKS / "syntax_error_cell.ipynb")
    lost = {e.name for e in result.exercises if e.score < e.max_score}
    assert lost <= {"plot_dataset"}  # this notebook was saved without outputs
    assert [p.where for p in result.problems if p.severity == "error"] == ["cell 9, line 1", "cell 21, line 21"]


def test_public_run_counts_only_public_tests(grade_tp1):
    public = grade_tp1(REFERENCE, hidden=False)
    assert not public.hidden_included and public.score == public.max_score
    assert not any(t.hidden for e in public.exercises for t in e.tests)
    assert public.max_score < grade_tp1(REFERENCE).max_score


def test_grading_is_deterministic(grade_tp1, tp1):
    from grader.intake import read_submission
    from grader.pipeline import grade_submission

    path = ROOT / "assignments" / "tp1" / "variants" / "bad_mlpnet_relu_on_output.py"
    again = grade_submission(read_submission(path), tp1, hidden=True)
    assert again.to_json()["exercises"] == grade_tp1(path).to_json()["exercises"]


def test_grade_local_writes_a_report_and_json_and_exits_zero(tmp_path, capsys):
    code = cli.main(["local", str(ROOT / "examples" / "tp1" / "bob_missing_relu.ipynb"), "--assignment", "tp1",
                     "--hidden", "--out", str(tmp_path), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "MLPNet" in out and "partial" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"student", "assignment", "score", "max_score", "exercises", "problems"} <= set(data)
    assert data["assignment"] == "tp1" and data["assignment_source"] == "named by the instructor"
    mlp = next(e for e in data["exercises"] if e["name"] == "MLPNet")
    assert mlp["score"] < mlp["max_score"]
    assert {t["status"] for t in mlp["tests"]} <= {"passed", "failed", "error", "timeout", "missing"}
    html = (tmp_path / "bob_missing_relu.tp1.report.html").read_text()
    assert "MLPNet" in html and "<script" not in html


def test_grade_local_cannot_grade_a_missing_file_and_says_so(tmp_path, capsys):
    assert cli.main(["local", str(tmp_path / "nope.ipynb")]) == cli.EXIT_CANNOT_GRADE
    assert "does not exist" in capsys.readouterr().err


def test_an_untagged_module_needs_the_assignment_only_when_it_cannot_be_guessed(tmp_path, capsys):
    module = tmp_path / "tp.py"
    module.write_text("def create_linear_dataset():\n    pass\n")
    # Several assignments: a .py says nothing of which one it is for, so the grader asks.
    assert cli.main(["local", str(module), "--out", str(tmp_path)]) == cli.EXIT_CANNOT_GRADE
    err = capsys.readouterr().err
    assert "pass --assignment (one of: first-network, mnist-mlp, regressor, tp1)" in err
    assert cli.main(["local", str(module), "--assignment", "tp1", "--out", str(tmp_path)]) == 0


def test_figures_the_students_functions_draw_are_shown_under_their_exercise(grade_tp1):
    """train() plots its loss (plt.show(), then plt.close()); create_linear_dataset scatters its
    points and leaves the figure open. Both are shown under their own exercise; the grade is the
    reference's."""
    import re

    from grader.report import render_html

    result = grade_tp1(NOTEBOOKS / "functions_that_plot.ipynb")
    reference = grade_tp1(REFERENCE)
    assert statuses(result) == statuses(reference) and result.score == result.max_score
    html = render_html(result)
    sections = dict(re.findall(r'<section id="ex-\d+">\s*<h2>(\S+) .*?</h2>(.*?)</section>', html, re.S))
    assert re.search(r'<img class="figure" src="data:image/png;base64,[^"]+" alt="Figure drawn by your train function"',
                     sections["train"])
    assert 'alt="Figure drawn by your create_linear_dataset function"' in sections["create_linear_dataset"]
    assert "Figure drawn by your train" not in html.replace(sections["train"], "")
    assert not [p for p in result.problems if "figure" in p.message]
