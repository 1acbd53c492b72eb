"""The batch database and the views written from it, without grading anything."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

from grader.batch import gradebook
from grader.batch.dashboard import Entry, histogram
from grader.batch.state import DATABASE, Attempt, MessageRow, State
from grader.jobs import COULD_NOT_GRADE, GRADED, GRADER_FAILED, GradeJob, GradeOutcome
from grader.results import ExerciseResult, GradeResult
from grader.results import TestResult as Outcome

WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def message(key: str = "m1", problem: str = "") -> MessageRow:
    return MessageRow(key=key, sender="ada@uni.example", sender_name="Ada", subject="TP1", sent_at=WHEN,
                      time_source="received", skipped="", notes=("Date: header malformed; used Received",),
                      student="s1", student_known=True, assignment="tiny", problem=problem)


def attempt_and_job(data: bytes = b"def f(): pass\n") -> tuple[Attempt, GradeJob]:
    job = GradeJob(data=data, filename="tp.py", student="s1", assignment="tiny", assignment_digest="d")
    return Attempt(key=f"a-{job.sha256[:8]}", student="s1", assignment="tiny", sent_at=WHEN, score=None,
                   max_score=None, status="pending", filename="tp.py", message_key="m1", job_key=job.key), job


def result(score: float) -> GradeResult:
    test = Outcome(name="test_f", exercise="f", status="passed" if score else "failed", points=score, max_points=2)
    return GradeResult(student="s1", assignment="tiny", submission="tp.py", score=score, max_score=2,
                       exercises=(ExerciseResult("f", score, 2, (test,)),))


def test_a_message_recorded_twice_is_one_message_with_its_attempts_once(tmp_path):
    state = State(tmp_path)
    attempt, job = attempt_and_job()
    for _ in range(2):
        state.record_message(message(), [("tp.py", job.sha256, "text/x-python", len(job.data))], [(attempt, job)])
    counts = state.counts()
    assert (counts["messages"], counts["attachments"], counts["attempts"], counts["jobs"]) == (1, 1, 1, 1)
    assert state.messages()[0].notes == ("Date: header malformed; used Received",)


def test_an_outcome_round_trips_with_its_result_and_a_retry_is_counted_not_duplicated(tmp_path):
    state = State(tmp_path)
    attempt, job = attempt_and_job()
    state.record_message(message(), [], [(attempt, job)])
    assert state.needs_grading(job.key)
    state.record_outcome(GradeOutcome(job.key, GRADER_FAILED, None, "a bug of ours"))
    assert state.needs_grading(job.key)  # a grader failure is worth another try
    state.record_outcome(GradeOutcome(job.key, GRADED, result(2.0)))
    assert not state.needs_grading(job.key)
    (got, message_text, stored), = list(state.attempts())
    assert (got.status, got.score, got.max_score) == (GRADED, 2.0, 2)
    assert stored == result(2.0)
    assert state.db.execute("SELECT COUNT(*), MAX(tries) FROM outcomes").fetchone() == (1, 2)
    state.close()
    reopened = State(tmp_path)  # the database outlives the process that wrote it
    assert reopened.outcome(job.key)[0] == GRADED


def test_a_stored_result_holding_nan_is_read_with_or_without_its_result(tmp_path):
    """A student's value can be NaN (a loss that diverged, a point of a plot): Python's JSON keeps
    it, SQLite's JSON functions refuse it. Reading the class's attempts must not stop there."""
    import dataclasses

    state = State(tmp_path)
    attempt, job = attempt_and_job()
    state.record_message(message(), [], [(attempt, job)])
    nan_test = dataclasses.replace(result(2.0).exercises[0].tests[0], artifacts=(
        {"kind": "loss", "title": "diverged", "loss": [1.0, float("nan"), float("inf")]},))
    graded = dataclasses.replace(result(2.0), exercises=(ExerciseResult("f", 2.0, 2, (nan_test,)),))
    state.record_outcome(GradeOutcome(job.key, GRADED, graded))
    (light, _, none), = list(state.attempts(results=False))
    assert (light.score, light.max_score, none) == (2.0, 2, None)
    (full, _, stored), = list(state.attempts())
    assert full.score == 2.0 and stored.exercises[0].tests[0].artifacts[0]["title"] == "diverged"


def test_an_attempt_that_could_not_be_graded_has_no_score(tmp_path):
    state = State(tmp_path)
    attempt, job = attempt_and_job(b"{not json")
    state.record_message(message(), [], [(attempt, job)])
    state.record_outcome(GradeOutcome(job.key, COULD_NOT_GRADE, None, "tp.ipynb is not a readable notebook"))
    (got, text, stored), = list(state.attempts())
    assert got.status == COULD_NOT_GRADE and got.score is None and stored is None and "readable" in text


def test_a_reply_is_marked_sent_once(tmp_path):
    state = State(tmp_path)
    state.record_reply("r1", "s1", "tiny", "job", "replies/s1/tiny.eml")
    state.record_reply("r1", "s1", "tiny", "job", "replies/s1/tiny.eml")
    assert not state.reply_sent("r1")
    state.mark_sent("r1")
    assert state.reply_sent("r1") and state.counts()["replies"] == 1


def test_gradebook_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    row = gradebook.Row(student="s1", first_name="=HYPERLINK(\"http://x\")", last_name="@SUM(A1)", email="a@b",
                        section="", assignment="tiny", title="Tiny", score=1.5, max_score=2, feedback="-1 point")
    gradebook.write_moodle([row], "Tiny", tmp_path / "m.csv")
    gradebook.write_canvas([row], [("tiny", "Tiny", 2.0)], tmp_path / "c.csv")
    moodle = list(csv.reader((tmp_path / "m.csv").open()))
    canvas = list(csv.reader((tmp_path / "c.csv").open()))
    assert moodle[1][0].startswith("'=") and moodle[1][1].startswith("'@") and moodle[1][5] == "'-1 point"
    assert moodle[1][4] == "1.5" and canvas[2][5] == "1.5" and canvas[2][0].startswith("'@")


def test_the_score_distribution_puts_full_marks_in_the_top_band():
    def entry(score):
        return Entry(student="s", name="", assignment="tiny", score=score, max_score=2, status=GRADED, attempts=1,
                     late="", report="r", result=None)

    bars = histogram([entry(0), entry(1), entry(2), entry(2), entry(None)])
    assert bars[0] == 1 and bars[5] == 1 and bars[9] == 2 and sum(bars) == 4


def test_a_refused_reply_stays_unsent_and_listed_until_sent_or_superseded(tmp_path):
    state = State(tmp_path)
    state.record_reply("r1", "s1", "tiny", "job1", "replies/s1/tiny.eml")
    state.mark_refused("r1", "The SMTP server refused the reply to s1@x (550).")
    assert not state.reply_sent("r1") and state.refused_replies() == [("s1", "tiny", "The SMTP server refused the reply to s1@x (550).", 1)]
    state.mark_refused("r1", "again")
    assert state.refused_replies()[0][2:] == ("again", 2)
    state.record_reply("r2", "s1", "tiny", "job2", "replies/s1/tiny.eml")  # a new grade: a new reply
    assert state.refused_replies() == [] and not state.reply_sent("r2")
    state.mark_sent("r2")
    assert state.reply_sent("r2") and not state.reply_sent("r1")
    state.close()


def test_a_database_from_before_refusals_were_recorded_gains_the_columns(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / DATABASE) as db:
        db.execute("CREATE TABLE replies (key TEXT PRIMARY KEY, student TEXT, assignment TEXT, job_key TEXT,"
                   " path TEXT, sent_at REAL)")
        db.execute("INSERT INTO replies VALUES ('old', 's1', 'tiny', 'j', 'p', 12.5)")
    state = State(tmp_path)
    assert state.reply_sent("old") and state.refused_replies() == []
    state.record_reply("r", "s2", "tiny", "j2", "p2")
    state.mark_refused("r", "no")
    assert state.refused_replies() == [("s2", "tiny", "no", 1)]
    state.close()
