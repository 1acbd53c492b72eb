"""Read a notebook (any nbformat v4 minor, Colab exports, no cell ids) into source units,
figure outputs and free-text answers. Nothing is executed here.

The notebook JSON is hostile data: it is parsed with its output payloads dropped as they are read
(a figure only needs a "has a figure" bit, so a notebook full of plots costs little memory), and
every field is type-checked here, since nbformat only logs schema errors. What cannot be read is
skipped and reported as a problem of that cell, never a crash.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from typing import Any

from grader.assignment import Question
from grader.extract.source import SourceUnit
from grader.results import Answer, Problem

FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
# What the starter puts in an answer cell: an untouched placeholder is no answer.
PLACEHOLDERS = {"", "_your answer here._", "your answer here", "your answer here."}
# Output text kept per output (a traceback or a print): the grader never needs more.
MAX_OUTPUT_TEXT = 4096
# Image payloads kept (base64, for checks that a figure is a real image): a few, each capped.
MAX_KEPT_IMAGES = 8
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Figure outputs decoded to tell a real plot from a made-up one: a notebook shows a few dozen.
MAX_CHECKED_FIGURES = 64
# Problems reported for one notebook's malformed fields: past that, one line says how many more.
MAX_PROBLEMS = 20


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
    # Fields of the notebook that were not what nbformat's schema says, and were skipped.
    problems: tuple[Problem, ...] = ()
    # (cell label, mime type, base64 or SVG text) of the first few figures, each capped.
    images: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class _Figure:
    """What is left of a figure output once read: whether it decodes as a real image, and its
    payload when it is one of the few kept."""

    real: bool
    payload: str


class _Slimmer:
    """A json object_hook that drops output payloads as soon as each output is built, so only
    one output's data is ever in memory besides the text."""

    def __init__(self) -> None:
        self.kept_images = 0
        self.checked = 0

    def __call__(self, obj: dict[str, Any]) -> dict[str, Any]:
        if "output_type" not in obj:
            return obj
        slim: dict[str, Any] = {"output_type": obj.get("output_type")}
        data = obj.get("data")
        if isinstance(data, dict):
            slim["data"] = {mime: self._payload(mime, value) for mime, value in data.items()}
        text = obj.get("text")
        if isinstance(text, (str, list)):
            slim["text"] = _text(text)[:MAX_OUTPUT_TEXT]
        return slim

    def _payload(self, mime: str, value: Any) -> Any:
        if mime in FIGURE_MIMES:
            text = _text(value) if isinstance(value, (str, list)) else ""
            # Decoding is what proves a figure; it is bounded by a count as well as by each size.
            real = bool(text) and self.checked < MAX_CHECKED_FIGURES and _real(mime, text)
            self.checked += bool(text)
            if real and len(text) <= MAX_IMAGE_BYTES and self.kept_images < MAX_KEPT_IMAGES:
                self.kept_images += 1
                return _Figure(True, text)
            return _Figure(real, "")  # payload dropped
        return None


def _text(value: Any) -> str:
    """A notebook text field: a string, or a list of strings (anything else reads as '')."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return ""


def _parse(text: str, filename: str) -> dict[str, Any]:
    def refuse(reason: str) -> NotebookError:
        return NotebookError(
            f"{filename} is not a readable Jupyter notebook ({reason}); "
            "open it in Jupyter or Colab, save it again and resend it."
        )

    try:
        nb = json.loads(text, object_hook=_Slimmer())
    except json.JSONDecodeError as exc:
        raise refuse(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise refuse("its JSON is nested too deeply") from None
    except (ValueError, MemoryError) as exc:  # e.g. an integer of 5,000 digits
        raise refuse(type(exc).__name__) from None
    if not isinstance(nb, dict):
        raise refuse("its JSON is not an object")
    major = nb.get("nbformat")
    if isinstance(major, int) and not isinstance(major, bool) and major < 4:
        nb = _upgrade(nb, refuse)
    if not isinstance(nb.get("cells"), list):
        raise refuse("it has no list of cells")
    return nb


def _upgrade(nb: dict[str, Any], refuse: Any) -> dict[str, Any]:
    """A notebook older than v4 (IPython 2): nbformat converts it."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            converted = nbformat.convert(nbformat.from_dict(nb), 4)
        except Exception as exc:  # nbformat raises many kinds on a malformed old notebook
            raise refuse(f"an old notebook format that could not be converted: {type(exc).__name__}") from None
    return dict(converted) if isinstance(converted, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_notebook(text: str, filename: str) -> NotebookFacts:
    nb = _parse(text, filename)
    units: list[SourceUnit] = []
    markdown: list[tuple[str, str, tuple[str, ...]]] = []
    figures: list[str] = []
    images: list[tuple[str, str, str]] = []
    all_tags: set[str] = set()
    problems: list[str] = []
    for index, cell in enumerate(nb["cells"], start=1):
        label = f"cell {index}"
        if not isinstance(cell, dict):
            problems.append(f"{label} is not a notebook cell and was skipped")
            continue
        metadata = cell.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            problems.append(f"{label} has metadata that is not an object (ignored)")
            metadata = {}
        raw_tags = (metadata or {}).get("tags") or []
        if not isinstance(raw_tags, list):
            problems.append(f"{label} has tags that are not a list (ignored)")
            raw_tags = []
        tags = tuple(t for t in raw_tags if isinstance(t, str))
        all_tags.update(tags)
        raw_source = cell.get("source", "")
        source = _text(raw_source)
        if raw_source and not source:
            problems.append(f"{label} has a source that is not text and was skipped")
            continue
        cell_type = cell.get("cell_type")
        if cell_type == "code":
            units.append(SourceUnit(label, source, tags, _int(cell.get("execution_count"))))
            outputs = cell.get("outputs") or []
            if not isinstance(outputs, list):
                problems.append(f"{label} has outputs that are not a list (ignored)")
                outputs = []
            for out in outputs:
                found = _figures(out)
                if found and label not in figures:
                    figures.append(label)
                images.extend((label, mime, payload) for mime, payload in found if payload)
        elif cell_type == "markdown":
            markdown.append((label, source, tags))
    grader_meta = nb.get("metadata")
    grader_meta = grader_meta.get("grader") if isinstance(grader_meta, dict) else None
    hint = grader_meta.get("assignment") if isinstance(grader_meta, dict) else None
    return NotebookFacts(
        units=tuple(units),
        figure_cells=tuple(figures),
        markdown=tuple(markdown),
        assignment_hint=hint if isinstance(hint, str) and hint else None,
        tags=frozenset(all_tags),
        problems=_problems(problems, filename),
        images=tuple(images[:MAX_KEPT_IMAGES]),
    )


def _problems(found: list[str], filename: str) -> tuple[Problem, ...]:
    hint = "Open the notebook in Jupyter or Colab and save it again; hand-edited JSON can break cells."
    shown = [Problem(f"In {filename}, {text}.", filename, hint, "warning") for text in found[:MAX_PROBLEMS]]
    if len(found) > MAX_PROBLEMS:
        shown.append(Problem(f"In {filename}, {len(found) - MAX_PROBLEMS} more malformed fields were skipped.",
                             filename, hint, "warning"))
    return tuple(shown)


def _figures(output: Any) -> list[tuple[str, str]]:
    """(mime, payload) of each real figure in one output ('' when the payload was not kept). A
    figure is real when it decodes as an image of plausible size (grader/images.py): a made-up
    "image/png" entry typed into the JSON is no plot."""
    data = output.get("data") if isinstance(output, dict) else None
    if not isinstance(data, dict):
        return []
    found = []
    for mime in FIGURE_MIMES:
        value = data.get(mime)
        if isinstance(value, _Figure):
            if value.real:
                found.append((mime, value.payload))
        elif value is not None and _real(mime, _text(value) if isinstance(value, (str, list)) else ""):
            found.append((mime, ""))  # a notebook read without slimming (older formats)
    return found


def _real(mime: str, text: str) -> bool:
    from grader.images import real_raster, real_svg

    return bool(text) and (real_svg(text) if mime == "image/svg+xml" else real_raster(text))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def collect_answers(facts: NotebookFacts, questions: tuple[Question, ...]) -> tuple[Answer, ...]:
    """Answers by tag (`answer:<id>`), else the markdown right after the question's text."""
    answers = []
    cells = facts.markdown
    normed = [_norm(src) for _, src, _ in cells]  # once per cell, not once per question
    for question in questions:
        text = None
        tagged = [src for _, src, tags in cells if f"answer:{question.id}" in tags]
        if tagged:
            text = "\n\n".join(tagged)
        else:
            key = _norm(question.text)
            for pos in range(len(cells)):
                if key and key in normed[pos] and pos + 1 < len(cells):
                    if key not in normed[pos + 1]:
                        text = cells[pos + 1][1]
                    break
        # A reference notebook keeps its answers between solution markers: not part of the answer.
        cleaned = "\n".join(
            line for line in (text or "").splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
        ).strip()
        found = _norm(cleaned) not in {_norm(p) for p in PLACEHOLDERS}
        answers.append(Answer(question.id, question.text, cleaned if found else "", found))
    return tuple(answers)
