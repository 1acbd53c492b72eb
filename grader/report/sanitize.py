"""One pass over a whole GradeResult before it is scored into a report: every text that came from
the submission (test messages and tracebacks, printed output, answers, problems, file and student
names) becomes valid Unicode without control characters, each field is capped, and the report as a
whole is capped. Rendering and JSON then never fail on what a student wrote.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

from grader.images import decoded
from grader.report.artifacts import TEXT_FIELDS, check_artifact
from grader.results import Answer, CodeView, Drawing, ExerciseResult, GradeResult, Problem, TestResult
from grader.text import clean

# Per-field caps, in characters. A test message (with its traceback) needs a screenful; printed
# output is a summary for the instructor; a free-text answer is a paragraph or a page.
NAME_CHARS = 200
MESSAGE_CHARS = 8_000
PROBLEM_CHARS = 2_000
ANSWER_CHARS = 20_000
OUTPUT_CHARS = 64_000
GRADER_ERROR_CHARS = 4_000
MAX_PROBLEMS = 100
# Figures: a few per test, and a bound on the numbers one result carries in all (each artifact
# is already bounded by check_artifact), so a stored grade and its report stay small.
MAX_ARTIFACTS_PER_TEST = 4
MAX_ARTIFACT_NUMBERS = 400_000
# Figures the student's own code drew (grader/run/drawn.py, which checked and re-encoded each):
# a few per exercise, and a bound on the whole grade's images (they are stored and mailed with it).
MAX_DRAWN_PER_EXERCISE = 4
MAX_DRAWN = 12
MAX_DRAWN_BYTES = 300 * 1024      # one image
MAX_DRAWN_TOTAL_BYTES = 2 << 20   # every image of one grade
DRAWN_SIDE, DRAWN_PIXELS = 1600, 1600 * 1200
# The student's code shown beside an exercise's tests: the graded definition and a few others.
CODE_CHARS = 20_000
MAX_CODE_VIEWS = 4
# The whole report's text: what is left after the per-field caps, at most.
REPORT_CHARS = 2_000_000


def sanitize(result: GradeResult) -> GradeResult:
    budget = [MAX_ARTIFACT_NUMBERS]
    drawn_budget = [MAX_DRAWN, MAX_DRAWN_TOTAL_BYTES]
    exercises = tuple(_drawn(_exercise(e, budget), drawn_budget) for e in result.exercises)
    problems = [_problem(p) for p in result.problems[:MAX_PROBLEMS]]
    if len(result.problems) > MAX_PROBLEMS:
        problems.append(Problem(f"{len(result.problems) - MAX_PROBLEMS} more problems were not listed.", severity="info"))
    answers = tuple(
        Answer(clean(a.question_id, NAME_CHARS), clean(a.question, ANSWER_CHARS), clean(a.text, ANSWER_CHARS), bool(a.found))
        for a in result.answers
    )
    cleaned = dataclasses.replace(
        result,
        student=clean(result.student, NAME_CHARS),
        assignment=clean(result.assignment, NAME_CHARS),
        submission=clean(result.submission, NAME_CHARS),
        exercises=exercises,
        problems=tuple(problems),
        answers=answers,
        grader_error=clean(result.grader_error, GRADER_ERROR_CHARS),
        student_output=clean(result.student_output, OUTPUT_CHARS),
        sandbox=clean(result.sandbox, PROBLEM_CHARS),
        assignment_source=clean(result.assignment_source, NAME_CHARS),
        meta=_meta(result.meta),
    )
    return _within_report_cap(cleaned)


def _test(test: TestResult, budget: list[int]) -> TestResult:
    return dataclasses.replace(
        test,
        name=clean(test.name, NAME_CHARS),
        exercise=clean(test.exercise, NAME_CHARS),
        message=clean(test.message, MESSAGE_CHARS),
        description=clean(test.description, PROBLEM_CHARS),
        artifacts=_artifacts(test.artifacts, budget),
    )


def _count_numbers(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count_numbers(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_count_numbers(v) for v in value)
    return 1


def _artifacts(artifacts: Any, budget: list[int]) -> tuple[dict[str, Any], ...]:
    """Only well-formed artifacts (check_artifact), a few per test, within the result's budget;
    their texts cleaned like every other text. A bad one is dropped, never an error."""
    kept: list[dict[str, Any]] = []
    if not isinstance(artifacts, (list, tuple)):
        return ()
    for artifact in list(artifacts)[:MAX_ARTIFACTS_PER_TEST]:
        if check_artifact(artifact):
            continue
        cost = _count_numbers(artifact)
        if cost > budget[0]:
            continue
        budget[0] -= cost
        cleaned = dict(artifact)
        for key in TEXT_FIELDS:
            if key in cleaned:
                cleaned[key] = clean(cleaned[key], PROBLEM_CHARS)
        for key in ("captions", "class_names"):
            if cleaned.get(key) is not None:
                cleaned[key] = [clean(x, NAME_CHARS) for x in cleaned[key]]
        kept.append(cleaned)
    return tuple(kept)


def _drawing(drawing: Any) -> tuple[Drawing, int] | None:
    """A stored figure kept only if it is still a real PNG within the bounds: (it, its bytes)."""
    if not isinstance(drawing, Drawing) or type(drawing.png) is not str or len(drawing.png) > MAX_DRAWN_BYTES * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(drawing.png, validate=True)
    except (binascii.Error, ValueError):
        return None
    image = decoded(data, formats=("PNG",), max_side=DRAWN_SIDE, max_pixels=DRAWN_PIXELS)
    if image is None or len(data) > MAX_DRAWN_BYTES:
        return None
    size = image.size
    image.close()
    return Drawing(drawing.png, clean(drawing.alt, NAME_CHARS) or "Figure drawn by your code", *size), len(data)


def _drawn(exercise: ExerciseResult, budget: list[int]) -> ExerciseResult:
    """The first MAX_DRAWN_PER_EXERCISE real figures of the exercise's tests, within the grade's
    budget (count, bytes); a test keeps its own, the rest are dropped without a word."""
    room = MAX_DRAWN_PER_EXERCISE
    tests = []
    for test in exercise.tests:
        kept = []
        for drawing in test.drawn:
            checked = _drawing(drawing) if room > 0 and budget[0] > 0 else None
            if checked is None or checked[1] > budget[1]:
                continue
            kept.append(checked[0])
            room, budget[0], budget[1] = room - 1, budget[0] - 1, budget[1] - checked[1]
        tests.append(dataclasses.replace(test, drawn=tuple(kept)) if kept or test.drawn else test)
    return dataclasses.replace(exercise, tests=tuple(tests))


def _code(view: CodeView) -> CodeView:
    return CodeView(clean(view.where, NAME_CHARS), clean(view.source, CODE_CHARS),
                    max(1, int(view.first_line)), bool(view.graded))


def _exercise(exercise: ExerciseResult, budget: list[int]) -> ExerciseResult:
    return dataclasses.replace(
        exercise,
        name=clean(exercise.name, NAME_CHARS),
        source=clean(exercise.source, PROBLEM_CHARS),
        tests=tuple(_test(t, budget) for t in exercise.tests),
        code=tuple(_code(c) for c in exercise.code[:MAX_CODE_VIEWS]),
    )


def _problem(problem: Problem) -> Problem:
    return Problem(clean(problem.message, PROBLEM_CHARS), clean(problem.where, NAME_CHARS),
                   clean(problem.hint, PROBLEM_CHARS), problem.severity)


def _meta(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return clean(value, PROBLEM_CHARS)
    if depth > 8:
        return None
    if isinstance(value, dict):
        return {clean(k, NAME_CHARS): _meta(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple)):
        return [_meta(v, depth + 1) for v in list(value)[:200]]
    return value if isinstance(value, (int, float, bool)) or value is None else clean(repr(value), NAME_CHARS)


def _size(result: GradeResult) -> int:
    texts = [result.student_output, result.grader_error]
    texts += [t.message for e in result.exercises for t in e.tests]
    texts += [p.message + p.hint for p in result.problems]
    texts += [a.text for a in result.answers]
    return sum(map(len, texts))


def _within_report_cap(result: GradeResult) -> GradeResult:
    """Many tests or answers can add up past the per-field caps: then printed output goes first,
    then answers and messages shrink, until the whole fits."""
    excess = _size(result) - REPORT_CHARS
    if excess <= 0:
        return result
    output = result.student_output
    result = dataclasses.replace(result, student_output=clean(output, max(0, len(output) - excess)))
    share = 2_000
    while _size(result) > REPORT_CHARS and share >= 100:
        result = dataclasses.replace(
            result,
            answers=tuple(dataclasses.replace(a, text=clean(a.text, share)) for a in result.answers),
            exercises=tuple(
                dataclasses.replace(e, tests=tuple(dataclasses.replace(t, message=clean(t.message, share)) for t in e.tests))
                for e in result.exercises
            ),
        )
        share //= 2
    return result
