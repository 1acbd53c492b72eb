"""End to end on real tp1 submissions: the reference, a broken variant and a correct variant,
saved one per student, graded by `grade batch` with the hidden tests."""

from __future__ import annotations

import csv
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.batch.run import Options, batch
from tests.batch import standins
from tests.conftest import ROOT

VARIANTS = ROOT / "assignments" / "tp1" / "variants"


@pytest.mark.slow
def test_a_folder_of_tp1_submissions_grades_into_a_gradebook_that_matches_each_file(tmp_path):
    inbox = tmp_path / "inbox"
    sent = {"ref@uni.example": ROOT / "reference" / "tp1" / "tp1_solution.ipynb",
            "relu@uni.example": VARIANTS / "bad_linearnet_relu.py",
            "style@uni.example": VARIANTS / "ok_course_style.py"}
    for student, source in sent.items():
        (inbox / student).mkdir(parents=True)
        shutil.copy(source, inbox / student / source.name)
    out = tmp_path / "out"
    with ThreadPoolExecutor(1) as pool:
        summary = batch(inbox, out, course=ROOT, executor=pool, reader=standins.read_inbox,
                        options=Options(assignment="tp1", progress=False))
    assert (summary.graded_now, summary.could_not_grade, summary.grader_failed) == (3, 0, 0)
    reports = {s: json.loads((out / s / "tp1.report.json").read_text()) for s in sent}
    assert reports["ref@uni.example"]["score"] == reports["ref@uni.example"]["max_score"] > 0

    def lost(student):  # a .py module shows no figure: the figure exercise does not count there
        return {e["name"] for e in reports[student]["exercises"] if e["score"] < e["max_score"]} - {"plot_dataset"}

    assert lost("style@uni.example") == set() and lost("relu@uni.example") == {"LinearNet"}
    with (out / "gradebook-moodle.csv").open(newline="") as handle:
        rows = {r["ID number"]: r for r in csv.DictReader(handle)}
    title = [k for k in rows["ref@uni.example"] if k.startswith("Assignment: ")][0]
    assert float(rows["relu@uni.example"][title]) < float(rows["ref@uni.example"][title])
