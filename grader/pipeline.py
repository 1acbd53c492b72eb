"""The whole pipeline for one submission: intake -> extract -> run -> score.

`grade_file` always returns a GradeResult once the file is read: a grader failure becomes a
result that says so (never a lost submission); only an unreadable file raises GradingError.
"""

from __future__ import annotations

import dataclasses
import traceback
from pathlib import Path

from grader.assignment import Assignment, AssignmentError, find_course_root, list_assignments, load_assignment
from grader.data import DataConfig
from grader.extract import ExtractError, NotebookError, extract, read_notebook
from grader.intake import IntakeError, Submission, read_submission
from grader.report.sanitize import sanitize
from grader.results import GradeResult, Problem
from grader.run import launcher as launchers
from grader.run.launcher import WorkerLauncher
from grader.run.sandbox import SandboxLimits, SandboxPolicy, SandboxUnavailable
from grader.score import score_exercises, total


class GradingError(Exception):
    """The submission could not be graded at all: one sentence and a hint."""


NAMED = "named by the instructor"
ONLY = "the course's only assignment"
FROM_METADATA = "from the notebook's metadata (a self-check: instructors name the assignment)"
FROM_TAGS = "from the notebook's exercise tags (a self-check: instructors name the assignment)"


def choose_assignment(submission: Submission, course: Path, named: str | None, *,
                      instructor: bool) -> tuple[str, str]:
    """(slug, where the choice came from). The submission never picks what it is graded against
    for an instructor: the named assignment, else the course's only one, else a refusal. A
    student's self-check may follow the notebook's metadata or tags, for convenience."""
    if named:
        return named, NAMED
    known = list_assignments(course)
    if len(known) == 1:
        return known[0], ONLY
    if instructor:
        raise GradingError(
            f"Grading with hidden tests needs the assignment named: pass --assignment (one of: {', '.join(known) or 'none'}); "
            f"a submission's own metadata never chooses what it is graded against."
        )
    slug = guess_assignment(submission, course)
    return slug, FROM_TAGS if _from_tags(submission, slug) else FROM_METADATA


def _from_tags(submission: Submission, slug: str) -> bool:
    try:
        return read_notebook(submission.text, submission.filename).assignment_hint != slug
    except NotebookError:
        return True


def guess_assignment(submission: Submission, course: Path) -> str:
    """A suggestion for a student's self-check: the notebook's metadata, else its exercise tags."""
    known = list_assignments(course)
    if submission.kind == "notebook":
        try:
            facts = read_notebook(submission.text, submission.filename)
        except NotebookError as exc:
            raise GradingError(str(exc)) from None
        if facts.assignment_hint in known:
            return facts.assignment_hint
        tagged = {t.split(":", 1)[1] for t in facts.tags if t.startswith("exercise:")}
        scores = {slug: len({e.name for e in load_assignment(course, slug).exercises} & tagged) for slug in known}
        best = max(scores.values(), default=0)
        leaders = [slug for slug, score in scores.items() if score == best]
        if best > 0:
            if len(leaders) == 1:
                return leaders[0]
            known = leaders  # e.g. only a cell tagged exercise:train, which several assignments have: ask
    if len(known) == 1:
        return known[0]
    raise GradingError(
        f"Could not tell which assignment {submission.filename} is for; "
        f"pass --assignment (one of: {', '.join(known) or 'none'})."
    )


def grade_file(path: Path, *, assignment: str | None = None, course: Path | None = None,
               hidden: bool = False, seed: int | None = None, policy: SandboxPolicy | None = None,
               data: DataConfig | None = None) -> GradeResult:
    """Grade one file. With `hidden` (an instructor's grading) the assignment must be named, or
    be the course's only one."""
    try:
        submission = read_submission(Path(path))
        course = course or find_course_root()
        slug, source = choose_assignment(submission, course, assignment, instructor=hidden)
        spec = load_assignment(course, slug)
    except (IntakeError, AssignmentError) as exc:
        raise GradingError(str(exc)) from None
    return grade_submission(submission, spec, hidden=hidden, seed=seed, policy=policy, data=data,
                            assignment_source=source)


def grade_submission(submission: Submission, spec: Assignment, *, hidden: bool = False,
                     seed: int | None = None, policy: SandboxPolicy | None = None,
                     data: DataConfig | None = None, assignment_source: str = NAMED,
                     measures: dict | None = None, launcher: WorkerLauncher | None = None) -> GradeResult:
    """`data`: where tests find data sets such as MNIST (default: $GRADER_DATA_DIR, no download).
    `measures`: a dict to fill with what each test's checks compared with their bounds (for
    calibration scripts; it holds hidden thresholds, so it never goes into the result).
    `launcher`: how workers start (default: `grader.run.launcher.default_launcher()`).
    The result is sanitized (see grader/report/sanitize.py) before it is returned."""
    seed = spec.seed if seed is None else seed
    data = data or DataConfig.resolve()
    policy = policy or SandboxPolicy()
    try:
        policy.check()  # fail closed: no confinement, no student code
    except SandboxUnavailable as exc:
        raise GradingError(str(exc)) from None
    launcher = launcher or launchers.default_launcher()
    if isinstance(launcher, launchers.ZygoteLauncher):
        launcher.warm(policy)  # the zygote imports torch while the submission is extracted
    # Imported here, after the zygote started: they bring torch and pytest into this process
    # (seconds of a cold start, spent while the zygote imports torch in its sandbox).
    from grader.candidates import best_candidates, code_views
    from grader.run.session import run_tests
    base = dict(student=submission.student, assignment=spec.slug, submission=submission.filename,
                hidden_included=hidden, seed=seed, assignment_source=assignment_source)
    try:
        extracted = extract(submission, spec)
    except (NotebookError, ExtractError) as exc:
        raise GradingError(str(exc)) from None
    try:
        outcome = run_tests(spec, extracted, submission.filename, hidden=hidden, seed=seed, policy=policy,
                            data=data, launcher=launcher)
        if measures is not None:
            measures.update(outcome.measures)
        tests, origins, chosen = best_candidates(spec, extracted, outcome.tests, submission.filename,
                                                 hidden=hidden, seed=seed, policy=policy, data=data,
                                                 launcher=launcher)
    except Exception as exc:  # a grader bug must still produce a result, and blame the grader
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return sanitize(GradeResult(
            **base, score=0.0, max_score=0.0, exercises=(), problems=extracted.problems,
            answers=extracted.answers,
            grader_error=f"The grader failed ({type(exc).__name__}: {exc}, at {Path(where.filename).name}:{where.lineno}); "
            "the submission was not graded and is not at fault.",
        ))
    if extracted.figure_cells:
        for exercise in spec.exercises:
            if exercise.kind == "figure":
                origins[exercise.name] = "figure in " + ", ".join(extracted.figure_cells)
    exercises = tuple(
        dataclasses.replace(e, code=code_views(extracted, e.name, origins.get(e.name, "")))
        for e in score_exercises(spec, tests, origins)
    )
    score, max_score = total(exercises)
    problems: tuple[Problem, ...] = extracted.problems + chosen + outcome.problems
    return sanitize(GradeResult(
        **base, score=score, max_score=max_score, exercises=exercises, problems=problems,
        answers=extracted.answers, grader_error=outcome.grader_error, student_output=outcome.student_output,
        sandbox=policy.describe(SandboxLimits.from_limits(spec.limits)),
    ))
