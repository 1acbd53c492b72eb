"""End to end on real tp1 submissions: the reference, a broken variant and a correct variant,
as Moodle's "download all submissions" gives them (one folder per student, named after them),
graded by `grade batch` with the hidden tests and the class roster."""

from __future__ import annotations

import csv
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.batch.run import Options, batch
from grader.batch.roster import load_roster
from tests.conftest import ROOT

VARIANTS = ROOT / "assignments" / "tp1" / "variants"


@pytest.mark.slow
def test_a_folder_of_tp1_submissions_grades_into_a_gradebook_that_matches_each_file(tmp_path):
    inbox = tmp_path / "inbox"
    sent = {"1001": ("Ada Ref", ROOT / "reference" / "tp1" / "tp1_solution.ipynb"),
            "1002": ("Rémi Relu", VARIANTS / "bad_linearnet_relu.py"),
            "1003": ("Sam Style", VARIANTS / "ok_course_style.py")}
    roster = tmp_path / "roster.csv"
    roster.write_text("Student ID;First name;Surname;Email address\n" + "".join(
        f"{sid};{name.split()[0]};{name.split()[1]};s{sid}@uni.example\n"
        for sid, (name, _) in sent.items()), encoding="utf-8")
    for number, (name, source) in enumerate(sent.values()):  # Moodle's participant ids, not student ids
        folder = inbox / f"{name}_{88120 + number}_assignsubmission_file_"
        folder.mkdir(parents=True)
        shutil.copy(source, folder / source.name)
    out = tmp_path / "out"
    with ThreadPoolExecutor(1) as pool:
        summary = batch(inbox, out, course=ROOT, executor=pool, roster=load_roster(roster),
                        options=Options(assignment="tp1", progress=False))
    ids = {"ref": "1001", "relu": "1002", "style": "1003"}  # each matched by the name Moodle gave the folder
    assert (summary.graded_now, summary.could_not_grade, summary.grader_failed) == (3, 0, 0)
    reports = {s: json.loads((out / sid / "tp1.report.json").read_text()) for s, sid in ids.items()}
    assert reports["ref"]["score"] == reports["ref"]["max_score"] > 0

    def lost(student):  # a .py module shows no figure: the figure exercise does not count there
        return {e["name"] for e in reports[student]["exercises"] if e["score"] < e["max_score"]} - {"plot_dataset"}

    assert lost("style") == set() and lost("relu") == {"LinearNet"}
    with (out / "gradebook-moodle.csv").open(newline="") as handle:
        rows = {r["ID number"]: r for r in csv.DictReader(handle)}
    title = [k for k in rows["1001"] if k.startswith("Assignment: ")][0]
    assert float(rows["1002"][title]) < float(rows["1001"][title])
    assert (rows["1002"]["First name"], rows["1002"]["Email address"]) == ("Rémi", "s1002@uni.example")
    assert "<td>unknown sender</td>" not in (out / "index.html").read_text(encoding="utf-8")
