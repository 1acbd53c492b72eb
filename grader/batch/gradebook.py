"""Gradebook CSV files that an LMS imports as they are.

Moodle: the header of its own gradebook export ("Export > Plain text file"), which its CSV
import ("Import > CSV file") maps back by column name; students are matched by ID number or
email address. Canvas: the header of its gradebook export, with the "Points Possible" row
second; students are matched by SIS User ID or SIS Login ID (the Canvas ID is left empty: we do
not know it), the assignment by the "(id)" in its column name.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.report import fmt_score


@dataclass(frozen=True)
class Row:
    """One student's line for one assignment."""

    student: str
    first_name: str
    last_name: str
    email: str
    section: str
    assignment: str
    title: str
    score: float | None  # None: nothing graded (no submission that could be read)
    max_score: float
    feedback: str


def _cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: a student name or feedback
    text is data, so such a cell gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_moodle(rows: Sequence[Row], title: str, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Surname", "ID number", "Email address", f"Assignment: {title}", f"Feedback: {title}"])
        for r in rows:
            writer.writerow([_cell(r.first_name), _cell(r.last_name), _cell(r.student), _cell(r.email),
                             "" if r.score is None else fmt_score(r.score), _cell(r.feedback)])
    return path


def write_canvas(rows: Sequence[Row], assignments: Sequence[tuple[str, str, float]], path: Path) -> Path:
    """`assignments`: (slug, title, points possible) for each column."""
    students: dict[str, dict[str, Row]] = {}
    for r in rows:
        students.setdefault(r.student, {})[r.assignment] = r
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *[f"{title} ({slug})" for slug, title, _ in assignments]])
        writer.writerow(["Points Possible", "", "", "", "", *[fmt_score(points) for _, _, points in assignments]])
        for student, by_slug in students.items():
            first = next(iter(by_slug.values()))
            name = f"{first.last_name}, {first.first_name}".strip(", ") or student
            scores = [("" if by_slug.get(slug) is None or by_slug[slug].score is None else fmt_score(by_slug[slug].score))
                      for slug, _, _ in assignments]
            writer.writerow([_cell(name), "", _cell(student), _cell(first.email), _cell(first.section), *scores])
    return path
