"""One pass over a whole GradeResult before it is scored into a report: every text that came from
the submission (test messages and tracebacks, printed output, answers, problems, file and student
names) becomes valid Unicode without control characters, each field is capped, and the report as a
whole is capped. Rendering and JSON then never fail on what a student wrote.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from grader.results import Answer, ExerciseResult, GradeResult, Problem, TestResult
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
# The whole report's text: what is left after the per-field caps, at most.
REPORT_CHARS = 2_000_000


def sanitize(result: GradeResult) -> GradeResult:
    exercises = tuple(_exercise(e) for e in result.exercises)
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


def _test(test: TestResult) -> TestResult:
    return dataclasses.replace(
        test,
        name=clean(test.name, NAME_CHARS),
        exercise=clean(test.exercise, NAME_CHARS),
        message=clean(test.message, MESSAGE_CHARS),
        description=clean(test.description, PROBLEM_CHARS),
    )


def _exercise(exercise: ExerciseResult) -> ExerciseResult:
    return dataclasses.replace(
        exercise,
        name=clean(exercise.name, NAME_CHARS),
        source=clean(exercise.source, PROBLEM_CHARS),
        tests=tuple(_test(t) for t in exercise.tests),
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
