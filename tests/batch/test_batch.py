"""grade batch on a real mbox of the tiny course (read by the real reader, with the real roster
loader): outputs, problems, reruns."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from grader import pipeline
from grader.batch.run import BatchError, Options, batch
from grader.batch.state import DATABASE
from grader.batch.roster import load_roster
from tests.batch.course import BASE, GOOD, mail, make_course, make_inbox, write_mbox


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch over the tiny inbox, with a roster that lacks one sender; run once per module."""
    root = tmp_path_factory.mktemp("batch")
    course, inbox = make_course(root / "course"), make_inbox(root)
    roster = root / "roster.csv"
    roster.write_text("id,first_name,last_name,emails\n"
                      + "".join(f"s{n},Ada{n},=Lovelace{n},student{n}@uni.example\n" for n in range(4))
                      + "s9,Bob,Broken,broken@uni.example\ns8,Tim,Twice,twice@uni.example\n")
    out = root / "out"
    summary = grade(inbox, out, course, roster=roster)
    return root, course, inbox, roster, out, summary


def grade(inbox, out, course, *, roster=None, workers=1, **options):
    """`batch` as `grade batch` runs it (its reader, the roster loaded from the CSV), over a
    pool of threads instead of processes: each grading still runs in its own sandboxed worker."""
    with ThreadPoolExecutor(workers) as pool:
        return batch(inbox, out, course=course, executor=pool, roster=load_roster(roster) if roster else None,
                     options=Options(assignment="tiny", progress=False, **options))


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_every_submission_is_graded_and_every_student_gets_a_report(graded):
    _, _, _, _, out, summary = graded
    assert summary.messages == 8 and summary.attempts == 7 and summary.graded_now == 7
    assert summary.could_not_grade == 1 and summary.grader_failed == 0
    for student in ("s0", "s1", "s2", "s3", "s8", "s9"):
        assert (out / student / "tiny.report.html").is_file()
        assert (out / student / "tiny.report.json").is_file()
    report = json.loads((out / "s1" / "tiny.report.json").read_text())
    assert (report["score"], report["max_score"]) == (1, 3) and report["hidden_included"]


def test_the_moodle_gradebook_has_moodles_own_header_and_one_row_per_student(graded):
    out = graded[4]
    rows = read_csv(out / "gradebook-moodle.csv")
    assert rows[0] == ["First name", "Surname", "ID number", "Email address", "Assignment: Tiny Work 1",
                       "Feedback: Tiny Work 1"]
    by_id = {r[2]: r for r in rows[1:]}
    assert by_id["s0"][:5] == ["Ada0", "'=Lovelace0", "s0", "student0@uni.example", "3"]  # no formula from a name
    assert by_id["s1"][4] == "1" and "square: 0/2" in by_id["s1"][5]
    assert by_id["s9"][4] == "" and "not a readable Jupyter notebook" in by_id["s9"][5]


def test_the_canvas_gradebook_has_the_points_possible_row_second(graded):
    rows = read_csv(graded[4] / "gradebook-canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny Work 1 (tiny)"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "3"
    assert {r[2]: r[5] for r in rows[2:]}["s8"] == "3"


def test_a_resubmission_keeps_every_attempt_and_counts_the_latest(graded):
    report = json.loads((graded[4] / "s8" / "tiny.report.json").read_text())
    attempts = report["meta"]["attempts"]
    assert [a["file"] for a in attempts] == ["a_first.py", "b_second.py"]
    assert [a["counted"] for a in attempts] == [False, True] and report["score"] == 3
    assert "Submission 1 of 2" in (graded[4] / "s8" / "tiny.report.html").read_text()


def test_the_dashboard_lists_each_kind_of_problem_in_one_line(graded):
    page = (graded[4] / "index.html").read_text()
    for kind, who in (("no attachment", "empty@uni.example"), ("unknown sender", "empty@uni.example"),
                      ("unreadable file", "s9"), ("resubmission", "s8")):
        assert f"<td>{kind}</td><td>{who}</td>" in page
    assert 'href="s0/tiny.report.html"' in page and "test_square" in page
    assert "http" not in page.replace('href="s', "").replace("http-equiv", "")  # nothing fetched from a network


def test_a_reply_is_written_for_each_student_with_an_address(graded):
    out = graded[4]
    replies = sorted(p.relative_to(out).as_posix() for p in (out / "replies").rglob("*.eml"))
    assert replies == [f"replies/{s}/tiny.eml" for s in ("s0", "s1", "s2", "s3", "s8", "s9")]
    with sqlite3.connect(out / DATABASE) as db:
        assert db.execute("SELECT COUNT(*), COUNT(sent_at) FROM replies").fetchone() == (6, 0)


def test_the_dashboard_escapes_what_students_control(tmp_path):
    course = make_course(tmp_path / "course")
    inbox = write_mbox(tmp_path / "inbox.mbox", [
        mail('Eve <"<script>alert(1)</script>"@x.example>', BASE, [("tiny.py", GOOD.encode())]),
        mail("Mallory <mallory@x.example>", BASE, [], subject="<script>alert(2)</script>", number=1)])
    out = tmp_path / "out"
    grade(inbox, out, course)
    page = (out / "index.html").read_text()
    # The one script is the page's own sort and filter, at its end; the student's is text.
    assert page.count("<script") == 1 and page.index("<script") > page.index("<h2>Problems</h2>")
    assert "&lt;script&gt;alert(1)" in page and "&lt;script&gt;alert(2)" in page


def copy_of(graded, tmp_path):
    """The graded batch's output folder, copied: a rerun over it grades nothing already graded."""
    shutil.copytree(graded[4], tmp_path / "out")
    return tmp_path / "out"


def test_a_rerun_grades_nothing_again(graded, tmp_path):
    _, course, inbox, roster, _, _ = graded
    out = copy_of(graded, tmp_path)
    before = read_csv(out / "gradebook-moodle.csv")
    again = grade(inbox, out, course, roster=roster)
    assert again.graded_now == 0 and again.reused == 7
    assert read_csv(out / "gradebook-moodle.csv") == before


def test_regrade_grades_again_and_changed_tests_regrade_under_their_new_digest(tmp_path):
    course, inbox = make_course(tmp_path / "course"), make_inbox(tmp_path, students=2, extras=False)
    out = tmp_path / "out"

    def run(**values):
        return grade(inbox, out, course, **values)

    assert run().graded_now == 2
    assert run(regrade=True).graded_now == 2
    with sqlite3.connect(out / DATABASE) as db:
        assert db.execute("SELECT COUNT(*), MAX(tries) FROM outcomes").fetchone() == (2, 2)
    hidden = course / "assignments" / "tiny" / "tests" / "hidden" / "test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# changed\n")
    assert run().graded_now == 2
    assert run().graded_now == 0


def test_a_late_submission_follows_the_late_policy(graded, tmp_path):
    _, course, inbox, roster, _, _ = graded
    out = copy_of(graded, tmp_path)
    deadline = BASE + timedelta(seconds=90)  # student2 and 3 are late
    summary = grade(inbox, out, course, roster=roster, deadline=deadline, late="10%/day")
    assert summary.graded_now == 0
    rows = {r[2]: r for r in read_csv(out / "gradebook-moodle.csv")[1:]}
    assert rows["s0"][4] == "3" and rows["s2"][4] == "2.7" and rows["s3"][4] == "0.9"
    assert "late" in rows["s2"][5]
    assert "<td>late</td><td>s2</td>" in (out / "index.html").read_text()


def test_an_unknown_sender_is_graded_under_its_address_and_a_grader_failure_is_retried(tmp_path, monkeypatch):
    course, inbox = make_course(tmp_path / "course"), make_inbox(tmp_path, students=2, extras=False)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,emails\ns0,Ada,Lovelace,student0@uni.example\n")
    real = pipeline.grade_submission

    def failing_for_student1(submission, *args, **kwargs):
        if submission.student == "student1@uni.example":
            raise RuntimeError("a bug of ours")
        return real(submission, *args, **kwargs)

    def run():
        return grade(inbox, tmp_path / "out", course, roster=roster)

    monkeypatch.setattr(pipeline, "grade_submission", failing_for_student1)
    first = run()
    assert (first.graded_now, first.grader_failed) == (2, 1)
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<td>unknown sender</td><td>student1@uni.example</td>" in page
    assert "<td>grader failed</td><td>student1@uni.example</td>" in page and "RuntimeError" in page
    report = json.loads((tmp_path / "out" / "student1@uni.example" / "tiny.report.json").read_text())
    assert "not at fault" in report["grader_error"]
    monkeypatch.setattr(pipeline, "grade_submission", real)
    second = run()
    assert (second.graded_now, second.grader_failed) == (1, 0)  # only the failed one, again
    assert "<td>grader failed</td>" not in (tmp_path / "out" / "index.html").read_text()


def test_the_summary_says_what_was_graded_now_before_and_resent_unchanged(tmp_path):
    """A rerun with nothing new, the same file sent again (in a later export, or twice in one
    mailbox), and a changed resend: each is told apart in the summary line."""
    course, out = make_course(tmp_path / "course"), tmp_path / "out"
    first = mail("Ada <ada@uni.example>", BASE, [("tiny.py", GOOD.encode())], number=1)
    same = mail("Ada <ada@uni.example>", BASE + timedelta(hours=1), [("tiny.py", GOOD.encode())],
                subject="Re: Tiny Work 1", body="Did you get it?\n", number=2)
    changed = mail("Ada <ada@uni.example>", BASE + timedelta(hours=2), [("tiny.py", (GOOD + "# tidied\n").encode())],
                   subject="Re: Tiny Work 1", number=3)

    def run(*messages):
        return grade(write_mbox(tmp_path / f"export{len(messages)}.mbox", list(messages)), out, course)

    assert "(1 graded now)" in run(first).line()
    assert "(nothing new: 1 already graded in an earlier run)" in run(first).line()
    resent = run(first, same)
    assert (resent.graded_now, resent.reused, resent.resent_unchanged) == (0, 1, 1)
    assert "(nothing new: 1 already graded in an earlier run, 1 resent unchanged, not graded again)" in resent.line()
    again = run(first, same, changed)
    assert (again.graded_now, again.reused, again.resent_unchanged) == (1, 1, 1)
    assert "(1 graded now, 1 already graded in an earlier run, 1 resent unchanged, not graded again)" in again.line()
    report = json.loads((out / "ada@uni.example" / "tiny.report.json").read_text())
    assert [a["counted"] for a in report["meta"]["attempts"]] == [False, False, True]

    fresh = grade(write_mbox(tmp_path / "one.mbox", [first, same]), tmp_path / "out2", course)
    assert "(1 graded now, 1 resent unchanged, not graded again)" in fresh.line()
    assert "unchanged" not in grade(write_mbox(tmp_path / "changed.mbox", [first, changed]), tmp_path / "out3", course).line()


def test_the_instructors_canvas_export_is_filled_in_place_for_the_matched_students(graded, tmp_path):
    _, course, inbox, roster, _, _ = graded
    out = copy_of(graded, tmp_path)
    export = tmp_path / "Grades-Tiny.csv"
    lines = ["Student,ID,SIS User ID,SIS Login ID,Section,Tiny Work 1 (4242),Current Score",
             "    Points Possible,,,,,3.00,(read only)",
             '"Lovelace0, Ada0",11,s0,student0@uni.example,A,,',  # by SIS User ID
             '"Lovelace1, Ada1",12,,student1@uni.example,A,,',  # by SIS Login ID (an address in the roster)
             '"Broken, Bob",19,s9,broken,A,,',  # could not be graded: left blank, listed
             '"Nobody, Zed",20,s77,zed,B,2.00,',  # no submission: left as it was, listed
             '"Student, Test",99,,,A,,']
    export.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines + [""]).encode())
    summary = grade(inbox, out, course, roster=roster, canvas_export=export)
    assert summary.graded_now == 0
    filled = (out / "Grades-Tiny-filled.csv").read_bytes()
    assert filled == export.read_bytes().replace(b"s0,student0@uni.example,A,,", b"s0,student0@uni.example,A,3,").replace(
        b",student1@uni.example,A,,", b",student1@uni.example,A,1,")
    assert "Canvas export filled: 2 grades written, 2 students left blank, 3 graded students not in the export" in summary.line()
    page = (out / "index.html").read_text()
    assert "<td>canvas: left blank</td><td>Nobody, Zed</td>" in page and "<td>canvas: left blank</td><td>Broken, Bob</td>" in page
    assert "<td>canvas: not in export</td><td>s8</td>" in page


def test_a_canvas_export_without_the_assignments_column_stops_the_batch_before_grading(tmp_path):
    course, inbox = make_course(tmp_path / "course"), make_inbox(tmp_path, students=1, extras=False)
    export = tmp_path / "export.csv"
    export.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Quiz 3 (777)\n", encoding="utf-8")
    with pytest.raises(BatchError, match="No column .* names tiny"):
        grade(inbox, tmp_path / "out", course, canvas_export=export)
    assert not (tmp_path / "out" / DATABASE).exists()
