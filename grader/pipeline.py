"""The whole pipeline for one submission: intake -> extract -> run -> score.

`grade_file` always returns a GradeResult once the file is read: a grader failure becomes a
result that says so (never a lost submission); only an unreadable file raises GradingError.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from grader.assignment import Assignment, AssignmentError, find_course_root, list_assignments, load_assignment
from grader.data import DataConfig
from grader.extract import NotebookError, extract, read_notebook
from grader.intake import IntakeError, Submission, read_submission
from grader.results import GradeResult, Problem
from grader.run import launcher as launchers
from grader.run.launcher import WorkerLauncher
from grader.run.sandbox import SandboxLimits, SandboxPolicy, SandboxUnavailable
from grader.run.session import run_tests
from grader.score import score_exercises, total


class GradingError(Exception):
    """The submission could not be graded at all: one sentence and a hint."""


def guess_assignment(submission: Submission, course: Path) -> str:
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
    try:
        submission = read_submission(Path(path))
        course = course or find_course_root()
        slug = assignment or guess_assignment(submission, course)
        spec = load_assignment(course, slug)
    except (IntakeError, AssignmentError) as exc:
        raise GradingError(str(exc)) from None
    return grade_submission(submission, spec, hidden=hidden, seed=seed, policy=policy, data=data)


def grade_submission(submission: Submission, spec: Assignment, *, hidden: bool = False,
                     seed: int | None = None, policy: SandboxPolicy | None = None,
                     data: DataConfig | None = None, launcher: WorkerLauncher | None = None) -> GradeResult:
    """`data`: where tests find data sets such as MNIST (default: $GRADER_DATA_DIR, no download);
    `launcher`: how workers start (default: `grader.run.launcher.default_launcher()`)."""
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
    base = dict(student=submission.student, assignment=spec.slug, submission=submission.filename,
                hidden_included=hidden, seed=seed)
    try:
        extracted = extract(submission, spec)
    except NotebookError as exc:
        raise GradingError(str(exc)) from None
    try:
        outcome = run_tests(spec, extracted, submission.filename, hidden=hidden, seed=seed, policy=policy,
                            data=data, launcher=launcher)
    except Exception as exc:  # a grader bug must still produce a result, and blame the grader
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return GradeResult(
            **base, score=0.0, max_score=0.0, exercises=(), problems=extracted.problems,
            answers=extracted.answers,
            grader_error=f"The grader failed ({type(exc).__name__}: {exc}, at {Path(where.filename).name}:{where.lineno}); "
            "the submission was not graded and is not at fault.",
        )
    origins = dict(extracted.code.origins)
    if extracted.figure_cells:
        for exercise in spec.exercises:
            if exercise.kind == "figure":
                origins[exercise.name] = "figure in " + ", ".join(extracted.figure_cells)
    exercises = score_exercises(spec, outcome.tests, origins)
    score, max_score = total(exercises)
    problems: tuple[Problem, ...] = extracted.problems + outcome.problems
    return GradeResult(
        **base, score=score, max_score=max_score, exercises=exercises, problems=problems,
        answers=extracted.answers, grader_error=outcome.grader_error, student_output=outcome.student_output,
        sandbox=policy.describe(SandboxLimits.from_limits(spec.limits)),
    )
