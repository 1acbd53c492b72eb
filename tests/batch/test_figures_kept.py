"""A batch draws each report figure once, where the submission is graded, and keeps it in its
database: the reports written at the end, and on every rerun, embed the figures without drawing."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.batch.run import Options, batch
from grader.batch.state import DATABASE
from grader.report import artifacts
from tests.conftest import ROOT


@pytest.mark.slow
def test_report_figures_are_drawn_by_the_grading_and_never_again(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    sent = {"ref@uni.example": ROOT / "reference" / "tp1" / "tp1_solution.ipynb",
            "relu@uni.example": ROOT / "assignments" / "tp1" / "variants" / "bad_linearnet_relu.py"}
    for student, source in sent.items():
        (inbox / student).mkdir(parents=True)
        shutil.copy(source, inbox / student / source.name)
    out = tmp_path / "out"
    options = Options(assignment="tp1", progress=False)
    drawn: list[str] = []
    monkeypatch.setattr(artifacts, "_memo", type(artifacts._memo)())  # nothing drawn by earlier tests
    real = artifacts._render
    monkeypatch.setattr(artifacts, "_render", lambda a: drawn.append(a["kind"]) or real(a))

    with ThreadPoolExecutor(1) as pool:
        batch(inbox, out, course=ROOT, executor=pool, options=options)
    def images_shown() -> dict[str, int]:
        return {p.parent.name: p.read_text().count('<img class="figure"') for p in out.glob("*/tp1.report.html")}

    images = images_shown()
    assert len(images) == len(sent), images
    assert all(images.values()), images
    first = len(drawn)

    import sqlite3

    with sqlite3.connect(out / DATABASE) as db:
        kept = db.execute("SELECT count(*) FROM figures").fetchone()[0]
    assert 0 < kept <= first

    drawn.clear()
    monkeypatch.setattr(artifacts, "_memo", type(artifacts._memo)())  # a new process remembers nothing
    with ThreadPoolExecutor(1) as pool:
        summary = batch(inbox, out, course=ROOT, executor=pool, options=options)
    assert summary.graded_now == 0
    assert drawn == [], "a rerun drew figures the batch already kept"
    assert images_shown() == images
