"""Each page the grader writes, opened in Chromium at desktop and phone widths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from jinja2 import Environment

from grader.assignment import load_assignment
from grader.report import render_html
from grader.report.artifacts import render_artifact
from grader.report.notebook_view import render_notebook
from grader.results import Answer, ExerciseResult, GradeResult, Problem
from grader.results import TestResult as Outcome  # not collected as a test class
from grader.similarity import compare, kept_code, render_page
from tests.browser.conftest import DESKTOP, PHONE, ROOT, BrowserCheck
from tests.unit.test_notebook_view import hostile_notebook
from tests.unit.test_similarity import renamed

WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def loss_plot() -> tuple:
    """What a student's train() draws (a loss curve), through the trusted side's checks."""
    import io

    from matplotlib.figure import Figure

    from grader.run import drawn

    figure = Figure()
    figure.subplots().plot([3.2, 1.5, 0.9, 0.6, 0.5])
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return drawn.accept({"images": [out.getvalue()]}, (("call", "train"),)).drawings


def grade_result() -> GradeResult:
    long_message = "AssertionError: create_linear_dataset(n_data=100) returned x of shape (100,), expected (100, 1)" * 3
    return GradeResult(
        student="alice", assignment="tp1", submission="alice_tp1.ipynb", score=5.5, max_score=8.0,
        exercises=(
            ExerciseResult("create_linear_dataset", 1.0, 2.0, (
                Outcome("test_shape", "create_linear_dataset", "failed", 0.0, 1.0, long_message),
                Outcome("test_line", "create_linear_dataset", "passed", 1.0, 1.0),
            ), source="cell 4"),
            ExerciseResult("train", 4.5, 6.0, (
                Outcome("test_loss_decreases", "train", "passed", 4.5, 4.5, description="the loss goes down",
                        drawn=loss_plot()),
                Outcome("test_hidden_lr", "train", "timeout", 0.0, 1.5, "took longer than 20 s", hidden=True),
            ), source="cell 9"),
        ),
        problems=(Problem("MLPNet is not defined in alice_tp1.ipynb.", "alice_tp1.ipynb",
                          "Define MLPNet with exactly this name.", "error"),),
        answers=(Answer("q1", "Why center the data?", "<script>alert('answer')</script> So the bias is 0.", True),),
        hidden_included=True, student_output="epoch 1 loss 3.2\n" * 5, sandbox="bubblewrap", seed=3,
    )


def write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_student_report_reads_cleanly(browser_check: BrowserCheck, tmp_path: Path, viewport) -> None:
    page = write(tmp_path, "report.html", render_html(grade_result(), title="Practical Work 1"))
    report = browser_check.open(page, name="report", viewport=viewport)
    report.assert_clean()
    assert report.images == 1  # the figure train() drew: loaded, with its alt text (assert_clean)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_hostile_notebook_view_runs_nothing_and_loads_nothing(browser_check: BrowserCheck, tmp_path: Path,
                                                                viewport) -> None:
    view = render_notebook(json.dumps(hostile_notebook()), title="hostile notebook")
    report = browser_check.open(write(tmp_path, "notebook.html", view.html), name="notebook-hostile",
                                viewport=viewport)
    report.assert_clean()
    assert report.images >= 3  # the legitimate images still show


def test_the_reference_notebook_view_shows_its_figures(browser_check: BrowserCheck, tmp_path: Path) -> None:
    view = render_notebook((ROOT / "reference/tp1/tp1_solution.ipynb").read_bytes(), title="tp1 reference")
    report = browser_check.open(write(tmp_path, "reference.html", view.html), name="notebook-reference",
                                viewport=PHONE)
    report.assert_clean()
    assert report.images >= 1


@pytest.fixture(scope="module")
def similarity_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tp1 = load_assignment(ROOT, "tp1")
    reference = kept_code(ROOT / "reference/tp1/tp1_solution.ipynb", tp1)
    independent = kept_code(ROOT / "assignments/tp1/variants/ok_course_style.py", tp1)
    starter = kept_code(tp1.starter_path, tp1)
    result = compare([("alice", reference), ("bob", renamed(reference)), ("carol", independent),
                      ("<img src=x onerror=alert(1)>", independent + "\nEXTRA = 1\n")], boilerplate=starter)
    return write(tmp_path_factory.mktemp("similarity"), "similarity.html", render_page(result, threshold=0.2))


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_similarity_page_reads_cleanly(browser_check: BrowserCheck, similarity_page: Path, viewport) -> None:
    report = browser_check.open(similarity_page, name="similarity", viewport=viewport)
    report.assert_clean()


PLOTS_PAGE = Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>figures</title><style>img.figure { max-width: 100%; height: auto; }</style></head>
<body>{% for f in figures %}<figure>{{ f.to_html() }}<figcaption>{{ f.alt }}</figcaption></figure>{% endfor %}</body></html>""")


ARTIFACT_COUNT = 5


@pytest.fixture(scope="module")
def figures_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    x = np.linspace(-1, 1, 100)
    artifacts = [
        {"kind": "scatter", "title": "create_noisy_dataset", "points": {"x": x.tolist(), "y": (-x + rng.normal(0, .2, 100)).tolist()},
         "relation": {"x": [-1, 1], "y": [1, -1], "label": "y = -x"}},
        {"kind": "regression", "data": {"x": x.tolist(), "y": (x ** 2).tolist()},
         "fit": {"x": x.tolist(), "y": (x ** 2 + .05).tolist()}, "reference": {"x": x.tolist(), "y": (x ** 2).tolist()}},
        {"kind": "loss", "loss": np.exp(-np.arange(200) / 40).tolist(), "reference": np.exp(-np.arange(200) / 30).tolist()},
        {"kind": "confusion", "matrix": (np.eye(10) * 90 + rng.integers(0, 5, (10, 10))).astype(int).tolist()},
        {"kind": "images", "images": rng.integers(0, 256, (12, 28, 28)).tolist(), "captions": [f"{i} read as {(i + 1) % 10}" for i in range(12)],
         "alt": "Twelve misclassified digits"},
    ]
    figures = [render_artifact(a) for a in artifacts]
    assert all(figures) and len(figures) == ARTIFACT_COUNT
    return write(tmp_path_factory.mktemp("figures"), "figures.html", PLOTS_PAGE.render(figures=figures))


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_page_of_figures_loads_every_image_with_alt_text(browser_check: BrowserCheck, figures_page: Path,
                                                          viewport) -> None:
    report = browser_check.open(figures_page, name="figures", viewport=viewport)
    report.assert_clean()
    assert report.images == ARTIFACT_COUNT


def test_the_harness_catches_what_it_claims_to(browser_check: BrowserCheck, tmp_path: Path) -> None:
    """A check that cannot fail is no check: a page with each fault is reported with each."""
    bad = write(tmp_path, "bad.html", """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
        <img src="https://example.invalid/x.png" alt="remote"><img src="data:image/png;base64,AAAA">
        <div style="width: 2000px">wide</div>
        <script>console.error("boom"); alert("ran"); undefined_function();</script></body></html>""")
    report = browser_check.open(bad, name="harness-self-check", viewport=PHONE)
    assert any("example.invalid" in url for url in report.blocked)
    assert report.dialogs == ["ran"]
    assert any("boom" in e for e in report.console_errors)
    assert report.page_errors
    assert report.broken_images and report.images_without_alt
    assert report.overflow_px > 0
    with pytest.raises(AssertionError):
        report.assert_clean()
