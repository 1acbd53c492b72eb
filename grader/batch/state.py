"""A batch's memory: an SQLite database in the output folder (standard library, WAL).

What is in it: every message seen (and why one was skipped), every attachment (by SHA-256),
every attempt (one candidate submission of one message, for one student and assignment), every
job (keyed by `GradeJob.key`: bytes, assignment and its digest, hidden, seed, grader version) and
its outcome (the GradeResult as JSON), and every reply sent. A rerun grades only the jobs with no
outcome, so a batch killed at any moment (SIGKILL included) finishes when run again: each message
is recorded in one transaction, each outcome in its own as it arrives, and only the coordinating
process writes. Everything the dashboard shows is read back from here.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.jobs import GRADER_FAILED, GradeJob, GradeOutcome
from grader.report.plots import Figure
from grader.results import GradeResult

DATABASE = "batch.sqlite"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY, message_id TEXT, sender TEXT, sender_name TEXT, subject TEXT,
    sent_at TEXT, time_source TEXT, skipped TEXT, notes TEXT, in_reply_to TEXT, refs TEXT,
    student TEXT, student_known INTEGER, assignment TEXT, problem TEXT, first_seen REAL);
CREATE TABLE IF NOT EXISTS attachments (
    message_key TEXT, idx INTEGER, filename TEXT, sha256 TEXT, content_type TEXT, size INTEGER,
    PRIMARY KEY (message_key, idx));
CREATE TABLE IF NOT EXISTS attempts (
    key TEXT PRIMARY KEY, message_key TEXT, idx INTEGER, student TEXT, assignment TEXT,
    sent_at TEXT, filename TEXT, sha256 TEXT, from_body INTEGER, job_key TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, student TEXT, assignment TEXT, assignment_digest TEXT, sha256 TEXT,
    filename TEXT, hidden INTEGER, seed INTEGER, grader_version TEXT, created REAL);
CREATE TABLE IF NOT EXISTS outcomes (
    job_key TEXT PRIMARY KEY, status TEXT, message TEXT, result TEXT, started_at REAL,
    seconds REAL, host TEXT, grader_version TEXT, assignment_digest TEXT, recorded_at REAL,
    tries INTEGER DEFAULT 1);
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY, student TEXT, assignment TEXT, job_key TEXT, path TEXT, sent_at REAL,
    refused TEXT, refused_at REAL, tries INTEGER DEFAULT 0);
-- png: the image's bytes, a PNG or (x/y plots) an SVG document, told apart by the PNG signature.
CREATE TABLE IF NOT EXISTS figures (
    key TEXT PRIMARY KEY, alt TEXT, png BLOB, width INTEGER, height INTEGER);
CREATE INDEX IF NOT EXISTS attempts_by_student ON attempts (assignment, student);
"""


@dataclass(frozen=True)
class Attempt:
    """One candidate submission of one student for one assignment, and how it graded.
    `status` is an outcome status ("graded", "could not grade", "grader failed") or "pending"."""

    key: str
    student: str
    assignment: str
    sent_at: datetime | None
    score: float | None
    max_score: float | None
    status: str
    filename: str = ""
    message_key: str = ""
    job_key: str = ""
    from_body: bool = False

    @property
    def graded(self) -> bool:
        """Whether it has a grade (what `policy.pick_counted` lets compete)."""
        return self.status == "graded"


@dataclass(frozen=True)
class MessageRow:
    key: str
    sender: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    time_source: str
    skipped: str
    notes: tuple[str, ...]
    student: str
    student_known: bool
    assignment: str
    problem: str
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image_bytes(figure: Figure) -> bytes:
    """What the figures table keeps of a figure: its image's bytes (the data URI's payload)."""
    return base64.b64decode(figure.data_uri.split(",", 1)[1])


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class State:
    """The batch database. One instance per coordinating process; not shared across threads."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / DATABASE
        # isolation_level=None: transactions are explicit (BEGIN ... COMMIT) below.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a killed process
        self.db.executescript(SCHEMA)
        self._add_columns("replies", {"refused": "TEXT", "refused_at": "REAL", "tries": "INTEGER DEFAULT 0"})
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def _add_columns(self, table: str, columns: dict[str, str]) -> None:
        """A database made by an earlier version lacks newer columns: add them (data kept)."""
        have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self.db.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    # --- writing ---------------------------------------------------------------------------

    def record_message(self, row: MessageRow, attachments: list[tuple[str, str, str, int]],
                       attempts: list[tuple[Attempt, GradeJob | None]]) -> None:
        """A message, its attachments, and its attempts with their jobs, in one transaction.
        Seen again, the message keeps its first_seen; its attempts point at today's job keys."""
        with self._tx():
            self.db.execute(
                """INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(key) DO UPDATE SET student=excluded.student, student_known=excluded.student_known,
                   assignment=excluded.assignment, problem=excluded.problem, skipped=excluded.skipped,
                   notes=excluded.notes""",
                (row.key, row.message_id, row.sender, row.sender_name, row.subject, _when(row.sent_at),
                 row.time_source, row.skipped, json.dumps(list(row.notes)), row.in_reply_to,
                 json.dumps(list(row.references)), row.student, int(row.student_known), row.assignment,
                 row.problem, time.time()))
            self.db.executemany("INSERT OR REPLACE INTO attachments VALUES (?,?,?,?,?,?)",
                                [(row.key, i, name, sha, ctype, size)
                                 for i, (name, sha, ctype, size) in enumerate(attachments)])
            self.db.execute("DELETE FROM attempts WHERE message_key = ?", (row.key,))
            for index, (attempt, job) in enumerate(attempts):
                self.db.execute("INSERT INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?)",
                                (attempt.key, attempt.message_key, index, attempt.student, attempt.assignment,
                                 _when(attempt.sent_at), attempt.filename, job.sha256 if job else "",
                                 int(attempt.from_body), attempt.job_key))
                if job is not None:
                    self.db.execute("INSERT OR IGNORE INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?)",
                                    (job.key, job.student, job.assignment, job.assignment_digest, job.sha256,
                                     job.filename, int(job.hidden), job.seed, _version(), time.time()))

    def record_outcome(self, outcome: GradeOutcome) -> None:
        """One outcome, in its own transaction, as soon as it arrives. Recording the same job
        again (a regrade, a retried grader failure) replaces it and counts the try."""
        result = json.dumps(outcome.result.to_json(), ensure_ascii=False) if outcome.result else None
        with self._tx():
            self.db.execute(
                """INSERT INTO outcomes VALUES (?,?,?,?,?,?,?,?,?,?,1)
                   ON CONFLICT(job_key) DO UPDATE SET status=excluded.status, message=excluded.message,
                   result=excluded.result, started_at=excluded.started_at, seconds=excluded.seconds,
                   host=excluded.host, grader_version=excluded.grader_version,
                   assignment_digest=excluded.assignment_digest, recorded_at=excluded.recorded_at,
                   tries=outcomes.tries + 1""",
                (outcome.key, outcome.status, outcome.message, result, outcome.started_at, outcome.seconds,
                 outcome.host, outcome.grader_version, outcome.assignment_digest, time.time()))
            self.db.executemany("INSERT OR IGNORE INTO figures VALUES (?,?,?,?,?)",
                                [(key, f.alt, _image_bytes(f), f.width, f.height) for key, f in outcome.figures.items()])

    # ---------------------------------------------------------------- figures (a FigureStore)

    def get_figure(self, key: str) -> Figure | None:
        """A report figure drawn before (by a grading process, or for an earlier report)."""
        row = self.db.execute("SELECT alt, png, width, height FROM figures WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        kind = "png" if bytes(row[1][:8]) == PNG_MAGIC else "svg+xml"
        return Figure(alt=row[0], data_uri=f"data:image/{kind};base64," + base64.b64encode(row[1]).decode("ascii"),
                      width=row[2], height=row[3])

    def put_figure(self, key: str, figure: Figure) -> None:
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO figures VALUES (?,?,?,?,?)",
                            (key, figure.alt, _image_bytes(figure), figure.width, figure.height))

    def record_reply(self, key: str, student: str, assignment: str, job_key: str, path: str) -> None:
        """A reply for the student's current grade; an unsent, refused one for an earlier grade
        is superseded by it (no longer listed: this one is what will be sent)."""
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO replies (key, student, assignment, job_key, path) VALUES (?,?,?,?,?)",
                            (key, student, assignment, job_key, path))
            self.db.execute("UPDATE replies SET refused = NULL WHERE student = ? AND assignment = ? AND key != ?"
                            " AND sent_at IS NULL AND refused IS NOT NULL", (student, assignment, key))

    def mark_sent(self, key: str) -> None:
        with self._tx():
            self.db.execute("UPDATE replies SET sent_at = ?, refused = NULL, tries = tries + 1 WHERE key = ?",
                            (time.time(), key))

    def mark_refused(self, key: str, sentence: str) -> None:
        """The server refused this reply (a recipient, the sender, the content): it stays unsent,
        so the next run tries it again, and the dashboard lists why."""
        with self._tx():
            self.db.execute("UPDATE replies SET refused = ?, refused_at = ?, tries = tries + 1 WHERE key = ?",
                            (sentence[:1000], time.time(), key))

    # --- reading ---------------------------------------------------------------------------

    def needs_grading(self, job_key: str) -> bool:
        """No outcome yet, or the grader failed last time (worth another try)."""
        row = self.db.execute("SELECT status FROM outcomes WHERE job_key = ?", (job_key,)).fetchone()
        return row is None or row[0] == GRADER_FAILED

    def outcome(self, job_key: str) -> tuple[str, str, GradeResult | None] | None:
        row = self.db.execute("SELECT status, message, result FROM outcomes WHERE job_key = ?", (job_key,)).fetchone()
        if row is None:
            return None
        return row[0], row[1] or "", GradeResult.from_json(json.loads(row[2])) if row[2] else None

    def messages(self) -> list[MessageRow]:
        rows = self.db.execute(
            "SELECT key, sender, sender_name, subject, sent_at, time_source, skipped, notes, student, student_known,"
            " assignment, problem, message_id, in_reply_to, refs FROM messages ORDER BY sent_at, key").fetchall()
        return [MessageRow(r[0], r[1], r[2], r[3], _parse_when(r[4]), r[5], r[6], tuple(json.loads(r[7] or "[]")),
                           r[8], bool(r[9]), r[10], r[11], r[12] or "", r[13] or "", tuple(json.loads(r[14] or "[]")))
                for r in rows]

    def attempts(self, *, results: bool = True) -> Iterator[tuple[Attempt, str, GradeResult | None]]:
        """Every attempt with its outcome's message and result, oldest first per student. With
        `results=False`, no result is read (None), only its score: a class's attempts then fit
        in little memory, and `outcome(job_key)` reads the one result needed at a time."""
        # Row by row, not fetchall: one stored result in memory at a time. Scores are read by
        # parsing the result here (a stored result may hold NaN, which SQLite's JSON rejects).
        rows = self.db.execute(
            """SELECT a.key, a.student, a.assignment, a.sent_at, a.filename, a.message_key, a.job_key, a.from_body,
                      o.status, o.message, o.result
               FROM attempts a LEFT JOIN outcomes o ON o.job_key = a.job_key
               ORDER BY a.assignment, a.student, a.sent_at, a.message_key, a.idx""")
        for r in rows:
            stored = json.loads(r[10]) if r[10] else None
            graded = r[8] == "graded" and stored is not None
            yield (Attempt(key=r[0], student=r[1], assignment=r[2], sent_at=_parse_when(r[3]),
                           score=float(stored["score"]) if graded else None,
                           max_score=float(stored["max_score"]) if graded else None,
                           status=r[8] or "pending", filename=r[4], message_key=r[5], job_key=r[6],
                           from_body=bool(r[7])),
                   r[9] or "", GradeResult.from_json(stored) if results and stored is not None else None)

    def job_file(self, job_key: str) -> tuple[str, str] | None:
        """(sha256 of the stored bytes, file name) of a job's submission, or None."""
        row = self.db.execute("SELECT sha256, filename FROM jobs WHERE key = ?", (job_key,)).fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def reply_sent(self, key: str) -> bool:
        row = self.db.execute("SELECT sent_at FROM replies WHERE key = ?", (key,)).fetchone()
        return bool(row and row[0])

    def refused_replies(self) -> list[tuple[str, str, str, int]]:
        """(student, assignment, why, tries) of each reply the server refused and that is not sent."""
        return self.db.execute("SELECT student, assignment, refused, tries FROM replies WHERE refused IS NOT NULL"
                               " AND sent_at IS NULL ORDER BY student, assignment").fetchall()

    def counts(self) -> dict[str, int]:
        tables = ("messages", "attachments", "attempts", "jobs", "outcomes", "replies")
        return {t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


def _version() -> str:
    from grader.jobs import grader_version

    return grader_version()


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
