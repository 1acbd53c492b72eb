"""Typed values passed between the pipeline's stages, and the JSON shape of a grade.

intake -> extract -> run -> score -> report: each stage takes and returns these dataclasses,
never a shared dict, so a newcomer can read what flows where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any, Literal

Status = Literal["passed", "failed", "error", "timeout", "missing"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "error", "timeout", "missing")
Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class Problem:
    """Something met while reading a submission: one sentence, where, and what to do."""

    message: str
    where: str = ""
    hint: str = ""
    severity: Severity = "warning"


@dataclass(frozen=True)
class Answer:
    """A free-text answer collected for the instructor (not auto-scored)."""

    question_id: str
    question: str
    text: str
    found: bool


@dataclass(frozen=True)
class Drawing:
    """A figure the student's own code drew with matplotlib while a test ran (grader/run/drawn.py).
    `png` is base64 of a PNG the trusted process decoded and re-encoded itself, never the bytes
    the worker sent; `alt` is written by the grader ("Figure drawn by your train function")."""

    png: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class TestResult:
    name: str
    exercise: str
    status: Status
    points: float
    max_points: float
    message: str = ""
    hidden: bool = False
    description: str = ""
    # Whose fault a non-pass is: "student" (their code) or "grader" (our bug, never counted
    # against them without an instructor looking).
    fault: Literal["student", "grader", ""] = ""
    # Plain-data figures the test asked for (grader/report/artifacts.py): checked and capped in
    # the trusted process before they are stored, drawn only when the report is rendered.
    artifacts: tuple[dict[str, Any], ...] = ()
    # Figures the student's code drew during this test (kept whether it passed or not); they are
    # shown under its exercise and never count towards a grade.
    drawn: tuple[Drawing, ...] = ()


@dataclass(frozen=True)
class CodeView:
    """One definition the student wrote for an exercise, as shown beside its tests."""

    where: str
    source: str
    first_line: int = 1
    # True for the definition that was graded; the others are the candidates not kept.
    graded: bool = True


@dataclass(frozen=True)
class ExerciseResult:
    name: str
    score: float
    max_score: float
    tests: tuple[TestResult, ...]
    # Where the graded definition came from, e.g. "cell 7" or "line 12".
    source: str = ""
    # The student's own code for this exercise: the graded definition first, then the others.
    code: tuple[CodeView, ...] = ()


@dataclass(frozen=True)
class GradeResult:
    student: str
    assignment: str
    submission: str
    score: float
    max_score: float
    exercises: tuple[ExerciseResult, ...]
    problems: tuple[Problem, ...] = ()
    answers: tuple[Answer, ...] = ()
    hidden_included: bool = False
    # Set when the grader itself failed: the score is then not the student's fault.
    grader_error: str = ""
    student_output: str = ""
    sandbox: str = ""
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    # Where the assignment graded against was chosen: "named by the instructor", "the course's
    # only assignment", or (a student's self-check only) "from the notebook's metadata" / tags.
    assignment_source: str = ""

    @property
    def graded(self) -> bool:
        return not self.grader_error

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data. Built field by field, not with `dataclasses.asdict`, which
        deep-copies every number of every figure's data (most of a batch's time spent storing
        results went there); the artifacts' dicts are shared with this result, not copied, so
        the returned value is for serializing, not for changing."""
        data = _shallow(self)
        data["exercises"] = [
            {**_shallow(e),
             "tests": [{**_shallow(t), "artifacts": list(t.artifacts), "drawn": [_shallow(d) for d in t.drawn]}
                       for t in e.tests],
             "code": [_shallow(c) for c in e.code]}
            for e in self.exercises
        ]
        data["problems"] = [_shallow(p) for p in self.problems]
        data["answers"] = [_shallow(a) for a in self.answers]
        data["meta"] = dict(self.meta)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GradeResult:
        """The inverse of `to_json` (a result stored in a database or sent between machines)."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["exercises"] = tuple(
            ExerciseResult(**{
                **e,
                "tests": tuple(TestResult(**{**t, "artifacts": tuple(t.get("artifacts") or ()),
                                             "drawn": tuple(Drawing(**d) for d in t.get("drawn") or ())})
                               for t in e.get("tests", ())),
                "code": tuple(CodeView(**c) for c in e.get("code") or ()),
            })
            for e in data.get("exercises", ())
        )
        fields["problems"] = tuple(Problem(**p) for p in data.get("problems", ()))
        fields["answers"] = tuple(Answer(**a) for a in data.get("answers", ()))
        fields["meta"] = dict(data.get("meta") or {})
        return cls(**fields)


def _shallow(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, values as they are (the caller converts nested ones)."""
    return {f.name: getattr(value, f.name) for f in dataclass_fields(value)}
