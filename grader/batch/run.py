"""`grade batch`: grade every submission of a mailbox, unattended and resumable.

    inbox -> messages (mail.read_inbox) -> who (roster) and which assignment (subject)
          -> attempts and jobs (recorded in the state database before anything is graded)
          -> outcomes (grader.jobs.grade_many, each recorded as it arrives)
          -> the counted attempt per student (policy.pick_counted) and its late penalty
          -> reports, gradebooks, dashboard, replies (written from the database)

A rerun reads the inbox again, records what is new, grades only jobs without an outcome (or
whose grader failed), and rewrites the outputs: killed at any moment, it finishes when rerun.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.assignment import Assignment, find_course_root, list_assignments, load_assignment
from grader.batch.state import Attempt, MessageRow, State
from grader.data import DataConfig
from grader.jobs import GradeJob, GradeOutcome, ProcessPool, assignment_digest, grade_many

# A student's folder is named after their id (or address): anything else is replaced.
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")
BODY_FILENAME = "pasted-in-mail-body.py"
# Every submission's bytes, by SHA-256, in the output folder.
SUBMISSIONS = "submissions"


class BatchError(Exception):
    """The batch cannot start (no inbox, bad options): one sentence and a hint."""


@dataclass(frozen=True)
class Options:
    assignment: str | None = None
    roster: Path | None = None
    workers: int = 0
    deadline: datetime | None = None
    late: str | None = None
    count: str = "latest"
    regrade: bool = False
    send: bool = False
    # SMTP settings for --send (a TOML file with an [smtp] table; GRADER_SMTP_* variables win).
    smtp_config: Path | None = None
    # The From: of replies written but not sent (sent ones use the SMTP settings' sender).
    reply_from: str = field(default_factory=lambda: os.environ.get("GRADER_SMTP_FROM", ""))
    sandbox: bool = True
    data: DataConfig = field(default_factory=DataConfig)
    progress: bool | None = None  # None: a bar when stdout is a terminal
    # The instructor's own Canvas gradebook export, copied with the assignment's column filled
    # (out/<its name>-filled.csv); `canvas_column` names the column when the subjects do not.
    canvas_export: Path | None = None
    canvas_column: str | None = None
    # A Dask scheduler's address (tcp://HOST:8786): grade there instead of in local processes.
    cluster: str | None = None
    # True (the default, --warm-workers): workers forked from a warm zygote where the full sandbox
    # allows it (unless $GRADER_WARM_WORKERS=0); False (--cold-workers): started cold; None: as
    # $GRADER_WARM_WORKERS says (cold unless it is 1). Both pass the same attack suite.
    warm: bool | None = True


@dataclass(frozen=True)
class Summary:
    messages: int
    attempts: int
    graded_now: int
    reused: int
    could_not_grade: int
    grader_failed: int
    students: int
    problems: int
    seconds: float
    out: Path
    replies_written: int = 0
    replies_sent: int = 0
    # Submissions whose file a student sent again byte for byte (same SHA-256, same student and
    # assignment): listed as attempts, graded once. Not part of `reused`.
    resent_unchanged: int = 0
    replies_refused: int = 0
    canvas_export: str = ""  # a sentence about the filled Canvas export, "" when none was given
    send_error: str = ""  # why sending stopped (the connection was lost...); the next run sends the rest

    def line(self) -> str:
        sent = f", {self.replies_sent} replies sent" if self.replies_sent else ""
        refused = f", {self.replies_refused} replies refused by the server (sent on the next run)" if self.replies_refused else ""
        canvas = f"; {self.canvas_export}" if self.canvas_export else ""
        return (f"{self.messages} messages, {self.attempts} submissions ({self.what_was_graded()}), "
                f"{self.could_not_grade} could not be graded, "
                f"{self.grader_failed} grader failures, {self.students} students, {self.problems} problems{sent}{refused}"
                f"{canvas}; {self.seconds:.1f} s -> {self.out / 'index.html'}"
                + (f"\nNot every reply was sent: {self.send_error}" if self.send_error else ""))

    def what_was_graded(self) -> str:
        """What happened to the submissions: graded now, graded in an earlier run, or the same
        file sent again (graded once, not again)."""
        parts = []
        if self.graded_now:
            parts.append(f"{self.graded_now} graded now")
        if self.reused:
            parts.append(f"{self.reused} already graded in an earlier run")
        if self.resent_unchanged:
            parts.append(f"{self.resent_unchanged} resent unchanged, not graded again")
        if not parts:
            return "0 graded now"
        if not self.graded_now:
            return "nothing new: " + ", ".join(parts)
        return ", ".join(parts)


def folder_name(student: str) -> str:
    return _UNSAFE.sub("_", student).strip(".") or "unknown"


def batch(inbox: Path, out: Path, *, course: Path | None = None, options: Options = Options(),
          reader: Callable[[Path], Iterable[Any]] | None = None, roster: Any = None,
          executor: Any = None) -> Summary:
    """Grade `inbox` into `out`. `reader` reads the inbox (default: grader.batch.mail.read_inbox);
    `roster` is a loaded roster (default: read from `options.roster`, if any); `executor` is what
    grades (default: a pool of `options.workers` processes)."""
    started = time.monotonic()
    inbox = Path(inbox)
    if not inbox.exists():
        raise BatchError(f"{inbox} does not exist; pass an mbox file, a Maildir, or a folder of .eml or saved submissions.")
    course = course or find_course_root()
    specs = _assignments(course, options.assignment)
    digests = {slug: assignment_digest(spec) for slug, spec in specs.items()}
    roster = roster if roster is not None else _load_roster(options.roster)
    if reader is None:
        from grader.batch.mail import read_inbox as reader
    _check_policies(options)
    smtp = _smtp(options)  # before grading: a batch that cannot send says so at once
    export = _canvas_export(options, specs)  # the same for an export with no column to fill
    state = State(Path(out))
    try:
        # Jobs wait without their bytes (kept in out/submissions/ by SHA-256), so the batch's
        # memory does not grow with the class: each is read back just before it is sent.
        jobs: list[GradeJob] = []
        items: dict[str, Any] = {}
        queued: set[str] = set()
        attempts_seen = resent = 0
        seen_jobs: set[str] = set()  # a job is a student's file for an assignment: same bytes, same job
        for item in _read(reader, inbox):
            items[item.key] = replace(item, attachments=())
            row, attached, attempts = _plan(item, specs, digests, roster, options)
            state.record_message(row, attached, attempts)
            for attempt, job in attempts:
                attempts_seen += 1
                if job is None:
                    continue
                if job.key in seen_jobs:
                    resent += 1  # the same file again from the same student: one grade serves both
                    continue
                seen_jobs.add(job.key)
                if job.key not in queued and (options.regrade or state.needs_grading(job.key)):
                    queued.add(job.key)
                    keep(Path(out), job.data, job.sha256)
                    jobs.append(replace(job, data=b"", label=job.sha256))
        reused = attempts_seen - len(jobs) - resent
        counts = {"graded": 0, "could not grade": 0, "grader failed": 0}
        with _Progress(len(jobs), options.progress) as bar:
            def done(outcome: GradeOutcome) -> None:
                state.record_outcome(outcome)  # its own transaction, as it arrives
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
                bar.advance(outcome)

            pool = executor or (_executor(options) if jobs else None)
            try:
                waiting = (replace(job, data=kept(Path(out), job.label), label="") for job in jobs)
                for _ in grade_many(waiting, pool, course, on_done=done):
                    pass
            finally:
                if executor is None and pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
        del jobs
        from grader.batch.outputs import write_outputs

        written = write_outputs(state, Path(out), specs, roster, options)
        from grader.batch.replies import write_replies

        replies = write_replies(state, Path(out), written.entries, items, options, smtp)
        problems, canvas = written.problems, ""
        extra = []
        if export is not None:
            from grader.batch.canvas_export import fill_export, grades_from_rows, issues

            filled = fill_export(export, grades_from_rows(written.rows, roster), Path(out) / f"{export.path.stem}-filled.csv")
            canvas = filled.sentence(Path(out))
            extra = issues(filled)
        if smtp is not None or extra:  # the dashboard lists what sending and filling left to do
            from grader.batch.outputs import redraw_dashboard

            problems = redraw_dashboard(state, Path(out), written, specs, extra)
    finally:
        state.close()
    return Summary(messages=len(items), attempts=attempts_seen, graded_now=sum(counts.values()), reused=reused,
                   could_not_grade=written.could_not_grade, grader_failed=written.grader_failed,
                   students=written.students, problems=problems, seconds=time.monotonic() - started,
                   out=Path(out), replies_written=replies.written, replies_sent=replies.sent, resent_unchanged=resent,
                   replies_refused=replies.refused, send_error=replies.error, canvas_export=canvas)


def _executor(options: Options) -> Any:
    """A pool of local grading processes, or with `cluster` a Dask cluster's workers."""
    if not options.cluster:
        return ProcessPool(options.workers, warm=options.warm)
    from grader.cluster import ClusterError, DaskExecutor

    try:
        return DaskExecutor(options.cluster, warm=options.warm)
    except ClusterError as exc:
        raise BatchError(str(exc)) from None


def keep(out: Path, data: bytes, sha256: str) -> Path:
    """Store a submission's bytes under their SHA-256 (once; written whole or not at all)."""
    path = out / SUBMISSIONS / sha256[:2] / sha256
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    return path


def kept(out: Path, sha256: str) -> bytes:
    data = (out / SUBMISSIONS / sha256[:2] / sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:  # a damaged store must not grade other bytes
        raise BatchError(f"{out / SUBMISSIONS} holds a damaged copy of {sha256[:12]}; delete it and rerun.")
    return data


def _read(reader: Callable[[Path], Iterable[Any]], inbox: Path) -> Iterator[Any]:
    """The inbox's messages; an inbox that cannot be opened is one sentence (BatchError)."""
    from grader.batch.mail import MailError

    try:
        yield from reader(inbox)
    except MailError as exc:
        raise BatchError(str(exc)) from None


def _check_policies(options: Options) -> None:
    """The late policy and the counting rule are read before anything is graded."""
    from grader.batch.policy import LatePolicy, PolicyError

    if options.count not in ("latest", "best"):
        raise BatchError(f"Unknown counting rule {options.count!r}; use 'latest' or 'best'.")
    if options.late:
        try:
            LatePolicy.parse(options.late)
        except PolicyError as exc:
            raise BatchError(str(exc)) from None


def _smtp(options: Options) -> Any:
    """The SMTP settings when --send is given, else None."""
    if not options.send:
        return None
    from grader.batch.replies import ReplyError, SmtpConfig

    try:
        return SmtpConfig.load(options.smtp_config)
    except ReplyError as exc:
        raise BatchError(str(exc)) from None


def _canvas_export(options: Options, specs: dict[str, Assignment]) -> Any:
    """The Canvas export to fill, read and its columns found before anything is graded."""
    if options.canvas_export is None:
        if options.canvas_column:
            raise BatchError("--canvas-column needs --canvas-export (the gradebook exported from Canvas).")
        return None
    from grader.batch.canvas_export import CanvasExportError, read_export

    try:
        return read_export(Path(options.canvas_export), specs, options.canvas_column)
    except CanvasExportError as exc:
        raise BatchError(str(exc)) from None


def _assignments(course: Path, only: str | None) -> dict[str, Assignment]:
    slugs = [only] if only else list_assignments(course)
    return {slug: load_assignment(course, slug) for slug in slugs}


def _load_roster(path: Path | None) -> Any:
    if path is None:
        return None
    from grader.batch.roster import load_roster

    from grader.batch.roster import RosterError

    if not Path(path).is_file():
        raise BatchError(f"The roster {path} does not exist; pass a CSV of student id, names and emails.")
    try:
        return load_roster(Path(path))
    except RosterError as exc:
        raise BatchError(str(exc)) from None


def identify(item: Any, roster: Any) -> tuple[str, bool]:
    """(student id, known). A mail: the roster's id for its sender, else the sender's address.
    A saved submission (an LMS download names it after the student, no address): the roster's
    one student of that name, else the name. Known is False when a roster was given and does not
    list the student, or when nothing says who sent it."""
    if item.sender:
        student = roster.lookup(item.sender) if roster is not None else None
        if student is not None:
            return student.id, True
        return item.sender, roster is None
    if item.sender_name and str(item.key).startswith("saved:"):
        student = roster.lookup_name(item.sender_name) if roster is not None else None
        if student is not None:
            return student.id, True
        return (item.sender_name, True) if roster is None else (f"unknown:{item.sender_name}", False)
    return (item.sender_name and f"unknown:{item.sender_name}") or f"unknown:{item.key[:12]}", False


def _plan(item: Any, specs: dict[str, Assignment], digests: dict[str, str], roster: Any,
          options: Options) -> tuple[MessageRow, list[tuple[str, str, str, int]], list[tuple[Attempt, GradeJob | None]]]:
    """What one message becomes: its row, its attachments, and its attempts with their jobs."""
    student, known = identify(item, roster)
    slug = options.assignment
    if slug is None and specs:
        from grader.batch.mail import match_assignment

        slug = match_assignment(item.subject, list(specs.values()))
    problem = ""
    candidates: list[tuple[str, bytes, bool]] = [(a.filename, a.data, False) for a in item.attachments]
    if item.skipped:
        problem, candidates = f"skipped: {item.skipped}", []
    elif not candidates and item.body_code:
        candidates = [(BODY_FILENAME, item.body_code.encode("utf-8"), True)]
    if not problem and not candidates:
        problem = "no attachment: no notebook, .py or .zip in this mail"
    elif not problem and slug is None:
        problem = f"no assignment: the subject {item.subject!r} names none; pass --assignment"
    row = MessageRow(key=item.key, sender=item.sender, sender_name=item.sender_name, subject=item.subject,
                     sent_at=item.sent_at, time_source=item.time_source, skipped=item.skipped, notes=tuple(item.notes),
                     student=student, student_known=known, assignment=slug or "", problem=problem,
                     message_id=item.message_id, in_reply_to=item.in_reply_to, references=tuple(item.references))
    attached = [(a.filename, a.sha256, a.content_type, len(a.data)) for a in item.attachments]
    attempts: list[tuple[Attempt, GradeJob | None]] = []
    if problem:
        return row, attached, attempts
    assert slug is not None
    for index, (filename, data, from_body) in enumerate(candidates):
        job = GradeJob(data=data, filename=filename, student=student, assignment=slug,
                       assignment_digest=digests[slug], hidden=True, seed=None,
                       data_root=str(options.data.root) if options.data.root else None,
                       download=options.data.download, sandbox=options.sandbox, figures=True,
                       assignment_source=("named by the instructor" if options.assignment
                                          else "matched by the mail's subject (the course's subject patterns)"))
        key = hashlib.sha256(f"{item.key}\0{index}\0{job.sha256}".encode()).hexdigest()
        attempts.append((Attempt(key=key, student=student, assignment=slug, sent_at=item.sent_at, score=None,
                                 max_score=None, status="pending", filename=filename, message_key=item.key,
                                 job_key=job.key, from_body=from_body), job))
    return row, attached, attempts


class _Progress:
    """A tqdm bar with counts and an ETA on a terminal; nothing when stdout is not one (the
    caller prints one summary line instead)."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self.total = total
        self.bar: Any = None
        self.failed = 0

    def __enter__(self) -> _Progress:
        if self.enabled and self.total:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="submission", desc="grading", dynamic_ncols=True, file=sys.stdout)
        return self

    def advance(self, outcome: GradeOutcome) -> None:
        if self.bar is not None:
            self.failed += outcome.status != "graded"
            self.bar.set_postfix_str(f"not graded: {self.failed}", refresh=False)
            self.bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def parse_deadline(text: str | None) -> datetime | None:
    """The --deadline (grader.batch.policy.parse_deadline: without a zone, this machine's)."""
    if not text:
        return None
    from grader.batch.policy import PolicyError, parse_deadline as parse

    try:
        return parse(text)
    except PolicyError as exc:
        raise BatchError(str(exc)) from None
