"""Extract: a Submission -> what the worker defines, plus what the notebook shows and answers."""

from __future__ import annotations

from dataclasses import dataclass

from grader.assignment import Assignment
from grader.extract.budget import Budget, ExtractError
from grader.extract.notebook import NotebookError, NotebookFacts, collect_answers, read_notebook
from grader.extract.source import Alternative, Chunk, SourceUnit, StudentCode, extract_code, suggest
from grader.intake import Submission
from grader.results import Answer, Problem

__all__ = ["Alternative", "Extracted", "ExtractError", "NotebookError", "extract", "Chunk", "StudentCode", "suggest",
           "read_notebook"]


@dataclass(frozen=True)
class Extracted:
    code: StudentCode
    figure_cells: tuple[str, ...]
    answers: tuple[Answer, ...]
    problems: tuple[Problem, ...]
    is_notebook: bool


def extract(submission: Submission, assignment: Assignment) -> Extracted:
    """Raises NotebookError (an unreadable notebook) or ExtractError (code beyond the budget)."""
    facts: NotebookFacts | None = None
    if submission.kind == "notebook":
        facts = read_notebook(submission.text, submission.filename)
        units = facts.units
    else:
        units = (SourceUnit(submission.filename, submission.text),)
    code = extract_code(units, required=assignment.code_names, budget=Budget(submission.filename))
    problems = list(facts.problems if facts else ()) + list(code.problems)
    for name in assignment.code_names:
        if name not in code.origins:
            guess = code.suggestion(name)
            problems.append(
                Problem(
                    message=f"{name} is not defined in {submission.filename}"
                    + (f"; did you mean {guess}?" if guess else "."),
                    where=submission.filename,
                    hint=f"Define {name} with exactly this name (see the starter notebook).",
                    severity="error",
                )
            )
    answers = collect_answers(facts, assignment.questions) if facts else ()
    return Extracted(
        code=code,
        figure_cells=facts.figure_cells if facts else (),
        answers=answers,
        problems=tuple(problems),
        is_notebook=facts is not None,
    )
