"""Real pages, as a student and an instructor open them: a report from grading a real tp1
submission, and the dashboard, notebook view and similarity page of a small real batch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch.run import Options, batch
from grader.pipeline import grade_file
from grader.report import write_html
from tests.batch.course import BASE, mail, write_mbox
from tests.browser.conftest import DESKTOP, PHONE, ROOT, BrowserCheck

pytestmark = pytest.mark.slow
WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
VARIANTS = ROOT / "assignments" / "tp1" / "variants"
SENT = {"ref@uni.example": ROOT / "reference" / "tp1" / "tp1_solution.ipynb",
        "relu@uni.example": VARIANTS / "bad_linearnet_relu.py",
        "style@uni.example": VARIANTS / "ok_course_style.py"}


@pytest.fixture(scope="module")
def tp1_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = load_assignment(ROOT, "tp1")
    result = grade_file(VARIANTS / "bad_create_linear_dataset_not_centered.py", assignment="tp1", course=ROOT,
                        hidden=True)
    return write_html(result, tmp_path_factory.mktemp("report") / "tp1.report.html", title=spec.title,
                      show_hidden_test_names=spec.show_hidden_test_names, hidden_visibility=spec.hidden_visibility)


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("batch")
    inbox = write_mbox(base / "inbox.mbox", [mail(student, BASE, [(source.name, source.read_bytes())], number=n)
                                             for n, (student, source) in enumerate(SENT.items())])
    with ThreadPoolExecutor(1) as pool:
        summary = batch(inbox, base / "out", course=ROOT, executor=pool,
                        options=Options(assignment="tp1", progress=False))
    assert summary.graded_now == 3
    return base / "out"


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_real_tp1_report_reads_cleanly(browser_check: BrowserCheck, tp1_report: Path, viewport) -> None:
    def look(page):
        return {"code": page.locator(".hl").count(), "sections": page.locator("section[id^=ex-]").count(),
                "failed": page.locator(".badge.failed").count()}

    report = browser_check.open(tp1_report, name="real-tp1-report", viewport=viewport, act=look)
    report.assert_clean()
    seen = report.acted
    assert seen["sections"] == 7 and seen["code"] >= 6 and seen["failed"] >= 1
    assert report.images >= 5  # the tests' figures: points, fits, loss curves


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_dashboard_of_a_real_batch_reads_cleanly(browser_check: BrowserCheck, batch_out: Path, viewport) -> None:
    report = browser_check.open(batch_out / "index.html", name="real-dashboard", viewport=viewport)
    report.assert_clean()


def test_the_dashboard_sorts_when_a_header_is_clicked_and_filters_as_one_types(browser_check: BrowserCheck,
                                                                              batch_out: Path) -> None:
    def act(page):
        students = page.locator("#students tbody tr:not([hidden]) td:first-child")
        percent = page.locator("#students thead th", has_text="%")
        percent.click()
        ascending = students.all_inner_texts()
        percent.click()
        descending = students.all_inner_texts()
        page.locator("#filter").fill("relu")
        filtered = students.all_inner_texts()
        shown = page.locator("#shown").inner_text()
        page.locator("#filter").fill("")
        return ascending, descending, filtered, shown, students.count()

    report = browser_check.open(batch_out / "index.html", name="real-dashboard-sorted", viewport=PHONE, act=act)
    report.assert_clean()
    ascending, descending, filtered, shown, after = report.acted
    # relu loses LinearNet, style and the reference lose only the figure (style) or nothing (ref).
    assert ascending[0] == "relu@uni.example" and descending[0] == "ref@uni.example"
    assert descending == list(reversed(ascending))
    assert filtered == ["relu@uni.example"] and shown == "1 of 3 shown" and after == 3


def test_the_batchs_notebook_view_and_similarity_page_read_cleanly(browser_check: BrowserCheck,
                                                                  batch_out: Path) -> None:
    index = (batch_out / "index.html").read_text(encoding="utf-8")
    assert 'href="ref@uni.example/tp1.notebook.html"' in index and 'href="similarity-tp1.html"' in index
    report_page = (batch_out / "ref@uni.example" / "tp1.report.html").read_text(encoding="utf-8")
    assert 'href="tp1.notebook.html"' in report_page
    for page, name in ((batch_out / "ref@uni.example" / "tp1.notebook.html", "real-notebook"),
                       (batch_out / "similarity-tp1.html", "real-similarity")):
        report = browser_check.open(page, name=name, viewport=PHONE)
        report.assert_clean()
    assert not (batch_out / "relu@uni.example" / "tp1.notebook.html").exists()  # a .py has no notebook view
