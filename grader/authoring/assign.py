"""`grade assign`: a solution notebook -> the starter students get.

The instructor writes one notebook with the answers between nbgrader's markers:

    def train(net, x, y, num_steps, lr):
        \"\"\"Docstring kept in the starter.\"\"\"
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

In the starter, an indented region becomes `raise NotImplementedError("<exercise>: write your
code here")`, a top-level one `# YOUR CODE HERE`, a markdown one `_Your answer here._`. Cells
tagged `hidden-tests` (or holding `### BEGIN HIDDEN TESTS`) are removed, code cells holding an
answer get the `exercise:<name>` tag the grader uses, outputs and execution counts are cleared.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import warnings
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_TAG, HIDDEN_MARK = "hidden-tests", "### BEGIN HIDDEN TESTS"
ANSWER_PLACEHOLDER = "_Your answer here._"


class AssignError(Exception):
    """The solution notebook cannot be turned into a starter: where, and what to fix."""


def starter_from_solution(solution: nbformat.NotebookNode, exercises: tuple[str, ...] = (),
                          slug: str | None = None, label: str = "solution") -> nbformat.NotebookNode:
    """The starter notebook for a solution notebook (which is left unchanged)."""
    nb = copy.deepcopy(solution)
    cells = []
    for index, cell in enumerate(nb.cells, start=1):
        tags = list(cell.get("metadata", {}).get("tags", []))
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if HIDDEN_TAG in tags or HIDDEN_MARK in source:
            continue
        if cell.cell_type == "code":
            names = _defined_names(source)
            exercise = _exercise_for(tags, names, exercises)
            if BEGIN in source or END in source:
                source = _strip_solutions(source, exercise or (names[0] if names else "this"), f"{label} cell {index}")
                if exercise and f"exercise:{exercise}" not in tags:
                    tags.append(f"exercise:{exercise}")
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown" and (BEGIN in source or END in source):
            source = _strip_markdown(source, f"{label} cell {index}")
        cell.source = source
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    nb.cells = cells
    if slug:
        nb.metadata.setdefault("grader", {})["assignment"] = slug
    return nb


def _defined_names(source: str) -> list[str]:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return re.findall(r"^(?:def|class)\s+(\w+)", source, flags=re.M)
    return [n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _exercise_for(tags: list[str], names: list[str], exercises: tuple[str, ...]) -> str | None:
    for tag in tags:
        if tag.startswith("exercise:"):
            return tag.split(":", 1)[1]
    for name in names:
        if name in exercises:
            return name
    return None


def _regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    regions, start = [], None
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith(BEGIN):
            if start is not None:
                raise AssignError(f"{where}, line {i + 1}: {BEGIN} inside another solution; close it with {END}.")
            start = i
        elif text.startswith(END):
            if start is None:
                raise AssignError(f"{where}, line {i + 1}: {END} without a {BEGIN} before it.")
            regions.append((start, i))
            start = None
    if start is not None:
        raise AssignError(f"{where}, line {start + 1}: {BEGIN} is never closed; add {END}.")
    return regions


def _strip_solutions(source: str, exercise: str, where: str) -> str:
    lines = source.split("\n")
    for start, end in reversed(_regions(lines, where)):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        stub = f'{indent}raise NotImplementedError("{exercise}: write your code here")' if indent else "# YOUR CODE HERE"
        lines[start : end + 1] = [stub]
    return "\n".join(lines)


def _strip_markdown(source: str, where: str) -> str:
    lines = source.split("\n")
    for start, end in reversed(_regions(lines, where)):
        lines[start : end + 1] = [ANSWER_PLACEHOLDER]
    return "\n".join(lines)


def read(path: Path) -> nbformat.NotebookNode:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(str(path), as_version=4)


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as written to disk: stable, so that a regenerated starter diffs cleanly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.writes(nb) + "\n"


def canonical(nb: nbformat.NotebookNode) -> str:
    """What must match between a starter and its source: cells (type, source, tags) and the
    grader metadata; not ids, outputs or editor metadata."""
    cells = [
        {"type": c.cell_type, "source": c.source if isinstance(c.source, str) else "".join(c.source),
         "tags": sorted(c.get("metadata", {}).get("tags", []))}
        for c in nb.cells
    ]
    return json.dumps({"cells": cells, "grader": nb.metadata.get("grader", {})}, sort_keys=True)


def assign(solution: Path, out: Path, exercises: tuple[str, ...] = (), slug: str | None = None) -> Path:
    starter = starter_from_solution(read(solution), exercises, slug, label=solution.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(starter), encoding="utf-8")
    return out
