"""What a batch writes, all from the state database: per-student reports, the gradebooks, the
dashboard and the replies. Rewritten whole on every run (they are views of the database)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.batch import gradebook, views
from grader.batch.dashboard import Entry, Issue, write_dashboard
from grader.batch.state import Attempt, State
from grader.report import fmt_score, write_html, write_json
from grader.report.artifacts import figure_store
from grader.results import GradeResult, Problem


@dataclass(frozen=True)
class Written:
    students: int
    problems: int
    could_not_grade: int
    grader_failed: int
    entries: tuple[Entry, ...] = ()
    # What the dashboard was drawn from, less the replies' state (redrawn after sending).
    issues: tuple[Issue, ...] = ()
    similarity: tuple[tuple[str, str], ...] = ()
    rows: tuple[gradebook.Row, ...] = ()  # the gradebooks' lines


def reply_issues(state: State) -> list[Issue]:
    """A line per reply the SMTP server refused and that is still unsent (retried each run with --send)."""
    return [Issue("reply refused", student, f"{slug}: {why} Not sent yet (tried {tries}x); "
                  "the next run with --send tries again")
            for student, slug, why, tries in state.refused_replies()]


def redraw_dashboard(state: State, out: Path, written: Written, specs: dict[str, Assignment],
                     extra: Sequence[Issue] = ()) -> int:
    """The dashboard again, with the replies' state as it is now and `extra` problems (from
    filling a Canvas export); the number of problems."""
    issues = [*written.issues, *extra, *reply_issues(state)]
    write_dashboard(out / "index.html", written.entries, issues, specs, similarity=dict(written.similarity))
    return len(issues)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "time unknown"


def _counted(attempts: Sequence[Attempt], options: Any) -> Attempt | None:
    from grader.batch.policy import pick_counted

    return pick_counted(list(attempts), options.deadline, options.count)


def _penalty(attempt: Attempt, options: Any) -> tuple[float, str]:
    if options.deadline is None or attempt.sent_at is None or attempt.sent_at <= options.deadline:
        return 1.0, ""
    if not options.late:
        return 1.0, "late (no late policy given: not penalised)"
    from grader.batch.policy import LatePolicy

    return LatePolicy.parse(options.late).penalty(attempt.sent_at, options.deadline)


def _unreadable(attempt: Attempt, message: str, status: str) -> GradeResult:
    """A report for a submission that was not graded, so the student reads why."""
    fault = "The grader failed on this submission; it is not your fault and your instructor will look at it. "
    return GradeResult(student=attempt.student, assignment=attempt.assignment, submission=attempt.filename,
                       score=0.0, max_score=0.0, exercises=(), hidden_included=True,
                       problems=(Problem(message=(fault if status == "grader failed" else "") + message,
                                         where=attempt.filename, severity="error"),),
                       grader_error=message if status == "grader failed" else "")


def write_outputs(state: State, out: Path, specs: dict[str, Assignment], roster: Any,
                  options: Any) -> Written:
    # Figures drawn by the grading processes (or for an earlier run's reports) are embedded, not drawn again.
    with figure_store(state):
        return _write_outputs(state, out, specs, roster, options)


def _write_outputs(state: State, out: Path, specs: dict[str, Assignment], roster: Any,
                   options: Any) -> Written:
    groups: dict[tuple[str, str], list[tuple[Attempt, str, GradeResult | None]]] = defaultdict(list)
    # Results are read one counted attempt at a time (state.outcome), never a whole class at once.
    for attempt, message, result in state.attempts(results=False):
        groups[(attempt.assignment, attempt.student)].append((attempt, message, result))
    known = {m.student: m.student_known for m in state.messages() if not m.skipped}
    issues: list[Issue] = []
    for m in state.messages():
        who = m.student if m.student else m.sender
        if m.problem:
            kind = m.problem.split(":", 1)[0]
            issues.append(Issue(kind, who, f"{m.problem} (subject {m.subject!r}, {_when(m.sent_at)})"))
        for note in m.notes:
            issues.append(Issue("mail note", who, note))
    for student, ok in sorted(known.items()):
        if not ok:
            issues.append(Issue("unknown sender", student, "not in the roster (or no sender address): graded under this "
                                "address; add it to the roster to credit the right student"))

    entries: list[Entry] = []
    rows: list[gradebook.Row] = []
    could_not, failed = 0, 0
    # The counted attempt of each student and its stored file; the similarity pages start from
    # them at once, beside the reports (views.start_similarity).
    counted_of = {key: _counted([a for a, _, _ in group], options) for key, group in groups.items()}
    stored_of = {key: state.job_file(c.job_key) if c and c.job_key else None for key, c in counted_of.items()}
    compared: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for (slug, student), counted in sorted(counted_of.items()):
        stored = stored_of[(slug, student)]
        if stored is not None and counted is not None and counted.status == "graded":
            compared[slug].append((student, *stored))
    similarity_pages = views.start_similarity(out, specs, compared)
    for (slug, student), group in sorted(groups.items()):
        spec = specs.get(slug)
        counted = counted_of[(slug, student)]
        fraction, late_note = _penalty(counted, options) if counted else (1.0, "")
        listing = []
        for number, (attempt, message, result) in enumerate(group, 1):
            could_not += attempt.status == "could not grade"
            failed += attempt.status == "grader failed"
            listing.append({"attempt": number, "sent_at": attempt.sent_at.isoformat() if attempt.sent_at else None,
                            "file": attempt.filename, "status": attempt.status, "score": attempt.score,
                            "max_score": attempt.max_score, "message": message,
                            "counted": counted is not None and attempt.key == counted.key,
                            "pasted_in_body": attempt.from_body})
            if attempt.status in ("could not grade", "grader failed"):
                issues.append(Issue("unreadable file" if attempt.status == "could not grade" else "grader failed",
                                    student, f"{attempt.filename}: {message}"))
            if attempt.from_body:
                issues.append(Issue("code in mail body", student, "no attachment; graded the code pasted in the mail: review it"))
        if len(group) > 1:
            issues.append(Issue("resubmission", student, f"{len(group)} submissions for {slug}; "
                                f"counted: {_describe(counted, group)}"))
        kept = state.outcome(counted.job_key) if counted and counted.job_key else None
        base = kept[2] if kept else None
        counted_entry = next(((a, m) for a, m, _ in group if counted and a.key == counted.key), None)
        if base is None and counted_entry is not None:
            base = _unreadable(counted_entry[0], counted_entry[1], counted_entry[0].status)
        elif base is None:
            last = group[-1]
            base = _unreadable(last[0], last[1] or "no submission could be graded", last[0].status)
        final = round(base.score * fraction, 4) if counted and counted.score is not None else None
        if late_note:
            issues.append(Issue("late", student, f"{slug}: {late_note}"))
        extra = tuple(Problem(message=f"Submission {entry['attempt']} of {len(group)}, sent {_when(a.sent_at)} "
                                      f"({a.filename}): {_score_text(a)}{' - this one counts' if entry['counted'] else ''}.",
                              severity="info")
                      for entry, (a, _, _) in zip(listing, group))
        if late_note:
            extra += (Problem(message=f"Late: {late_note}; grade {fmt_score(final or 0)}/{fmt_score(base.max_score)}.",
                              severity="warning"),)
        report = dataclasses.replace(base, problems=base.problems + extra,
                                     meta={**base.meta, "attempts": listing, "late": late_note, "kept_fraction": fraction,
                                           "final_score": final})
        folder = out / _folder(student)
        title = spec.title if spec else slug
        notebook = ""
        stored = stored_of[(slug, student)]
        if stored is not None:
            notebook = views.write_notebook_view(out, folder, slug, stored[0], stored[1], f"{title} · {student}")
        html = write_html(report, folder / f"{slug}.report.html", title=title,
                          show_hidden_test_names=spec.show_hidden_test_names if spec else False,
                          hidden_visibility=spec.hidden_visibility if spec else "points-only",
                          notebook_link=Path(notebook).name if notebook else "")
        write_json(report, folder / f"{slug}.report.json")
        person = roster.lookup(student) if roster is not None and "@" in student else None
        person = person or _by_id(roster, student)
        rows.append(gradebook.Row(student=student, first_name=person.first_name if person else "",
                                  last_name=person.last_name if person else "",
                                  email=(person.emails[0] if person and person.emails else (student if "@" in student else "")),
                                  section=person.section if person else "", assignment=slug, title=title,
                                  score=final, max_score=base.max_score, feedback=_feedback(report, late_note)))
        entries.append(Entry(student=student, name=" ".join(p for p in (rows[-1].first_name, rows[-1].last_name) if p),
                             assignment=slug, score=final, max_score=base.max_score, status=counted.status if counted else "",
                             attempts=len(group), late=late_note, report=html.relative_to(out).as_posix(),
                             result=_slim(report) if counted and counted.score is not None else None,
                             shown=_slim(report),
                             message_key=counted.message_key if counted else group[-1][0].message_key,
                             job_key=counted.job_key if counted else group[-1][0].job_key, notebook=notebook))
    _gradebooks(rows, specs, out)
    similarity = similarity_pages()
    shown = [*issues, *reply_issues(state)]
    write_dashboard(out / "index.html", entries, shown, specs, similarity=similarity)
    return Written(students=len({e.student for e in entries}), problems=len(shown), could_not_grade=could_not,
                   grader_failed=failed, entries=tuple(entries), issues=tuple(issues),
                   similarity=tuple(similarity.items()), rows=tuple(rows))


def _score_text(attempt: Attempt) -> str:
    if attempt.score is not None:
        return f"{fmt_score(attempt.score)}/{fmt_score(attempt.max_score or 0)}"
    return attempt.status


def _describe(counted: Attempt | None, group: list[tuple[Attempt, str, GradeResult | None]]) -> str:
    if counted is None:
        return "none"
    number = next(i for i, (a, _, _) in enumerate(group, 1) if a.key == counted.key)
    return f"submission {number} ({_when(counted.sent_at)})"


def _slim(result: GradeResult) -> GradeResult:
    """What the dashboard and the replies read of a result (scores, statuses, messages, problems),
    without what only its report shows (figures, code, printed output): a class of them is small."""
    exercises = tuple(dataclasses.replace(e, code=(), tests=tuple(dataclasses.replace(t, artifacts=(), drawn=())
                                                                   for t in e.tests))
                      for e in result.exercises)
    return dataclasses.replace(result, exercises=exercises, student_output="")


def _feedback(result: GradeResult, late_note: str) -> str:
    parts = [f"{e.name}: {fmt_score(e.score)}/{fmt_score(e.max_score)}" for e in result.exercises]
    if late_note:
        parts.append(late_note)
    if result.grader_error:
        parts.append("grader error: your instructor will check this grade")
    return "; ".join(parts) or next((p.message for p in result.problems if p.severity == "error"), "")


def _folder(student: str) -> str:
    from grader.batch.run import folder_name

    return folder_name(student)


def _by_id(roster: Any, student: str) -> Any:
    if roster is None:
        return None
    return next((s for s in roster.students if s.id == student), None)


def _gradebooks(rows: list[gradebook.Row], specs: dict[str, Assignment], out: Path) -> None:
    slugs = [slug for slug in specs if any(r.assignment == slug for r in rows)]
    for slug in slugs:
        name = "gradebook-moodle.csv" if len(slugs) == 1 else f"gradebook-moodle-{slug}.csv"
        gradebook.write_moodle([r for r in rows if r.assignment == slug], specs[slug].title, out / name)
    columns = [(slug, specs[slug].title, max((r.max_score for r in rows if r.assignment == slug), default=0.0))
               for slug in slugs]
    gradebook.write_canvas(rows, columns, out / "gradebook-canvas.csv")
