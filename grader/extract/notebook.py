"""Read a notebook (any nbformat v4 minor, Colab exports, no cell ids) into source units,
figure outputs and free-text answers. Nothing is executed here."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import nbformat

from grader.assignment import Question
from grader.extract.source import SourceUnit
from grader.results import Answer

FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
# What the starter puts in an answer cell: an untouched placeholder is no answer.
PLACEHOLDERS = {"", "_your answer here._", "your answer here", "your answer here."}


class NotebookError(Exception):
    """The notebook file cannot be read: one sentence and a hint."""


@dataclass(frozen=True)
class NotebookFacts:
    units: tuple[SourceUnit, ...]
    # Cell labels ("cell 7") that hold a figure output, in order.
    figure_cells: tuple[str, ...]
    markdown: tuple[tuple[str, str, tuple[str, ...]], ...]  # (label, text, tags)
    assignment_hint: str | None
    tags: frozenset[str]


def read_notebook(text: str, filename: str) -> NotebookFacts:
    with warnings.catch_warnings():
        # Old minors lack cell ids and Colab adds keys: nbformat warns, we read them anyway.
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception as exc:  # NotJSONError, validation errors, bad structure
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise NotebookError(
                f"{filename} is not a readable Jupyter notebook ({reason}); "
                "open it in Jupyter or Colab, save it again and resend it."
            ) from None
    units: list[SourceUnit] = []
    markdown: list[tuple[str, str, tuple[str, ...]]] = []
    figures: list[str] = []
    all_tags: set[str] = set()
    for index, cell in enumerate(nb.get("cells", []), start=1):
        label = f"cell {index}"
        tags = tuple(str(t) for t in cell.get("metadata", {}).get("tags", []) or [])
        all_tags.update(tags)
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if cell.get("cell_type") == "code":
            units.append(SourceUnit(label, source, tags))
            if any(_has_figure(out) for out in cell.get("outputs", []) or []):
                figures.append(label)
        elif cell.get("cell_type") == "markdown":
            markdown.append((label, source, tags))
    grader_meta = nb.get("metadata", {}).get("grader", {})
    hint = grader_meta.get("assignment") if isinstance(grader_meta, dict) else None
    return NotebookFacts(
        units=tuple(units),
        figure_cells=tuple(figures),
        markdown=tuple(markdown),
        assignment_hint=str(hint) if hint else None,
        tags=frozenset(all_tags),
    )


def _has_figure(output: dict) -> bool:
    """A real image, decoded (grader/images.py): a made-up "image/png" entry is no figure."""
    from grader.images import real_figure

    return real_figure(output.get("data") or {})


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def collect_answers(facts: NotebookFacts, questions: tuple[Question, ...]) -> tuple[Answer, ...]:
    """Answers by tag (`answer:<id>`), else the markdown right after the question's text."""
    answers = []
    cells = facts.markdown
    for question in questions:
        text = None
        tagged = [src for _, src, tags in cells if f"answer:{question.id}" in tags]
        if tagged:
            text = "\n\n".join(tagged)
        else:
            key = _norm(question.text)
            for pos, (_, src, tags) in enumerate(cells):
                if key and key in _norm(src) and pos + 1 < len(cells):
                    following = cells[pos + 1][1]
                    if key not in _norm(following):
                        text = following
                    break
        # A reference notebook keeps its answers between solution markers: not part of the answer.
        cleaned = "\n".join(
            line for line in (text or "").splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
        ).strip()
        found = _norm(cleaned) not in {_norm(p) for p in PLACEHOLDERS}
        answers.append(Answer(question.id, question.text, cleaned if found else "", found))
    return tuple(answers)
