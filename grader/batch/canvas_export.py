"""Fill the instructor's own Canvas gradebook export in place (`grade batch --canvas-export`).

Canvas's "Export Entire Gradebook" CSV has the columns Student, ID, SIS User ID, SIS Login ID,
Section (some instances add Integration ID), then one column per assignment named
"<name> (<Canvas id>)", then score summaries; a "Points Possible" row comes under the header.
Importing it back updates only the cells that changed, so the safest file to give Canvas is its
own export with just our column filled: this module copies the export and rewrites only the
matched students' cells of the assignment's column. Every other byte is kept as it was (the
byte-order mark, the quoting, the line endings, the other rows and columns): the CSV is
scanned for the spans of its fields, never re-written by a CSV writer.

A student is matched by the SIS User ID (the roster's student id) or the SIS Login ID (a
student id or one of the roster's addresses for them). Rows that match no graded student are
left as they were and listed; so are graded students that the export does not list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.report import fmt_score

# A gradebook export of a few thousand students is a few MB; a far larger file is not one.
MAX_EXPORT_BYTES = 50 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
_ASSIGNMENT_COLUMN = re.compile(r"^(?P<name>.+?)\s*\((?P<id>\d+)\)\s*$")
_KEY_COLUMNS = ("student", "id", "sis user id", "sis login id", "section")


class CanvasExportError(Exception):
    """The export cannot be used: one sentence and a hint."""


@dataclass(frozen=True)
class Field:
    start: int  # offsets of the field's raw text (quotes included) in the file's text
    end: int
    value: str  # unquoted


@dataclass(frozen=True)
class Export:
    path: Path
    bom: bool
    text: str  # the file after the BOM, decoded so that encoding it again gives the same bytes
    records: tuple[tuple[Field, ...], ...]
    header: tuple[str, ...]
    columns: dict[str, int]  # assignment slug -> index of its column

    def column_name(self, slug: str) -> str:
        return self.header[self.columns[slug]]


@dataclass(frozen=True)
class Grade:
    """What one student gets in one assignment's column, and what may name them in the export."""

    assignment: str
    student: str
    keys: frozenset[str]  # student id and addresses, lowercased
    score: float | None


@dataclass(frozen=True)
class Filled:
    path: Path
    filled: int  # cells written
    blank: tuple[tuple[str, str], ...]  # (the export's student name, why) of rows left as they were
    missing: tuple[tuple[str, str], ...]  # (student, assignment) graded but not in the export
    test_students: int  # Canvas's "Test Student" rows, left as they were

    def sentence(self, out: Path) -> str:
        try:
            where = self.path.relative_to(out).as_posix()
        except ValueError:
            where = str(self.path)
        text = f"Canvas export filled: {self.filled} grades written, {len(self.blank)} students left blank"
        if self.missing:
            text += f", {len(self.missing)} graded students not in the export"
        return text + f" (listed on the dashboard) -> {where}"


def scan(text: str) -> list[tuple[Field, ...]]:
    """The records of a CSV text (RFC 4180: fields separated by commas, quoted with double
    quotes, a quote in a quoted field doubled, records ended by CRLF, LF or CR), with the span
    of each field. Blank lines are no records."""
    records: list[tuple[Field, ...]] = []
    fields: list[Field] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i] == '"':
            i += 1
            parts: list[str] = []
            while True:
                close = text.find('"', i)
                if close < 0:
                    raise CanvasExportError("a quoted cell never ends")
                parts.append(text[i:close])
                if text.startswith('""', close):
                    parts.append('"')
                    i = close + 2
                    continue
                i = close + 1
                break
            # Text after a closing quote (not RFC 4180, but spreadsheets write it) is kept in the value.
            tail = i
            while i < n and text[i] not in ",\r\n":
                i += 1
            value = "".join(parts) + text[tail:i]
        else:
            while i < n and text[i] not in ",\r\n":
                i += 1
            value = text[start:i]
        fields.append(Field(start, i, value))
        if i < n and text[i] == ",":
            i += 1
            if i == n:
                fields.append(Field(i, i, ""))
            continue
        if i < n:  # end of the record
            i += 2 if text.startswith("\r\n", i) else 1
        if not (len(fields) == 1 and fields[0].value == "" and fields[0].start == fields[0].end):
            records.append(tuple(fields))
        fields = []
    if fields:
        records.append(tuple(fields))
    return records


def _plain(header: str) -> str:
    return " ".join(header.strip().lower().split())


def read_export(path: Path, specs: dict[str, Any], column: str | None = None) -> Export:
    """The export, and the column of each assignment in `specs` (by the assignment's subject
    patterns, or the header given by `column` for a single assignment)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_EXPORT_BYTES:
            raise CanvasExportError(f"{path} is larger than {MAX_EXPORT_BYTES >> 20} MB; is it a Canvas gradebook export?")
        raw = path.read_bytes()
    except OSError as exc:
        raise CanvasExportError(f"The Canvas export {path} cannot be read ({exc.strerror}); check the path given to --canvas-export.") from None
    bom = raw.startswith(BOM)
    # surrogateescape: bytes that are not UTF-8 (a file saved by Excel) come back out unchanged.
    text = raw[len(BOM) if bom else 0:].decode("utf-8", "surrogateescape")
    try:
        records = scan(text)
    except CanvasExportError as exc:
        raise CanvasExportError(f"{path} is not a readable CSV file ({exc}); export the gradebook from Canvas again.") from None
    if not records:
        raise CanvasExportError(f"{path} is empty; export the gradebook from Canvas (Grades > Export > Export Entire Gradebook).")
    header = tuple(f.value for f in records[0])
    plain = [_plain(h) for h in header]
    if not all(name in plain for name in ("student", "sis user id", "sis login id")):
        raise CanvasExportError(f"{path} does not have the columns of a Canvas gradebook export (Student, ID, SIS User ID, "
                                "SIS Login ID, Section); export it from Canvas (Grades > Export > Export Entire Gradebook).")
    assignment_columns = {i: m["name"] for i, h in enumerate(header)
                          if plain[i] not in _KEY_COLUMNS and (m := _ASSIGNMENT_COLUMN.match(h))}
    listed = ", ".join(repr(header[i]) for i in assignment_columns) or "none"
    columns: dict[str, int] = {}
    if column is not None:
        if len(specs) != 1:
            raise CanvasExportError("--canvas-column names the column of one assignment; pass --assignment too.")
        wanted = [i for i, h in enumerate(header) if h.strip() == column.strip()
                  or (i in assignment_columns and _plain(assignment_columns[i]) == _plain(column))]
        if len(wanted) != 1:
            raise CanvasExportError(f"{path} has no column {column!r}; its assignment columns are: {listed}.")
        columns[next(iter(specs))] = wanted[0]
        return Export(path, bom, text, tuple(records), header, columns)
    from grader.batch.subjects import match_assignment

    found: dict[str, list[int]] = {}
    for index, name in assignment_columns.items():
        slug = match_assignment(name, list(specs.values()))
        if slug is not None:
            found.setdefault(slug, []).append(index)
    for slug in specs:
        hits = found.get(slug, [])
        if len(hits) > 1:
            raise CanvasExportError(f"Several columns of {path} name {slug} ({', '.join(repr(header[i]) for i in hits)}); "
                                    "pick one with --canvas-column.")
        if hits:
            columns[slug] = hits[0]
    if not columns:
        raise CanvasExportError(f"No column of {path} names {', '.join(specs)} (its assignment columns are: {listed}); "
                                "pick one with --canvas-column, or add the name to the manifest's [mail] subjects.")
    return Export(path, bom, text, tuple(records), header, columns)


def _cell(score: float) -> str:
    return fmt_score(score)


def fill_export(export: Export, grades: Sequence[Grade], target: Path) -> Filled:
    """Write a copy of the export with each matched student's cell of each assignment's
    column set to their grade; every other byte as it was."""
    plain = [_plain(h) for h in export.header]
    student_col = plain.index("student")
    id_cols = [plain.index(name) for name in ("sis user id", "sis login id")]
    canvas_id_col = plain.index("id") if "id" in plain else None
    by_key: dict[tuple[str, str], list[Grade]] = {}
    for grade in grades:
        for key in grade.keys:
            by_key.setdefault((grade.assignment, key), []).append(grade)
    edits: list[tuple[Field, str]] = []
    blank: list[tuple[str, str]] = []
    matched: set[tuple[str, str]] = set()
    tests = 0

    def value(record: tuple[Field, ...], index: int | None) -> str:
        return record[index].value.strip() if index is not None and index < len(record) else ""

    for record in export.records[1:]:
        name = value(record, student_col)
        ids = [value(record, i) for i in id_cols]
        if _plain(name) == "points possible" or (not name and not any(ids) and not value(record, canvas_id_col)):
            continue  # the points row (or another row that is no student)
        if not any(ids) and _plain(name).replace(",", "") in ("test student", "student test"):
            tests += 1  # Canvas's own test student ("Student, Test")
            continue
        for slug, column in export.columns.items():
            hits = {g.student: g for key in ids if key for g in by_key.get((slug, key.lower()), [])}
            if len(hits) != 1:
                why = ("no graded submission matches its SIS User ID or SIS Login ID" if not hits
                       else f"its SIS ids match {len(hits)} students ({', '.join(sorted(hits))})")
                blank.append((name or ids[0] or ids[1], f"{export.column_name(slug)}: {why}"))
                continue
            grade = next(iter(hits.values()))
            matched.add((grade.student, slug))
            if grade.score is None:
                blank.append((name, f"{export.column_name(slug)}: {grade.student}'s submission could not be graded"))
                continue
            if column >= len(record):
                blank.append((name, f"{export.column_name(slug)}: the row is shorter than the header"))
                continue
            edits.append((record[column], _cell(grade.score)))
    text = export.text
    for field, new in sorted(edits, key=lambda e: e[0].start, reverse=True):
        text = text[:field.start] + new + text[field.end:]
    data = (BOM if export.bom else b"") + text.encode("utf-8", "surrogateescape")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    missing = tuple(sorted({(g.student, g.assignment) for g in grades if g.assignment in export.columns
                            and (g.student, g.assignment) not in matched}))
    return Filled(target, len(edits), tuple(blank), missing, tests)


def grades_from_rows(rows: Sequence[Any], roster: Any) -> list[Grade]:
    """What each gradebook row (grader.batch.gradebook.Row) puts in the export, and the ids and
    addresses (the roster's) that may name its student there."""
    grades = []
    for row in rows:
        person = roster.by_id(row.student) if roster is not None else None
        keys = {row.student, row.email, *(person.emails if person else ())}
        grades.append(Grade(row.assignment, row.student, frozenset(k.strip().lower() for k in keys if k.strip()),
                            row.score))
    return grades


def issues(filled: Filled) -> list[Any]:
    """The dashboard's lines for what filling left undone."""
    from grader.batch.dashboard import Issue

    lines = [Issue("canvas: left blank", name, f"{why}; its cell is left as it was") for name, why in filled.blank]
    lines += [Issue("canvas: not in export", student, f"graded in {slug}, but no row of the Canvas export has their "
                     "SIS User ID or SIS Login ID: enter the grade by hand, or add their id to the roster")
              for student, slug in filled.missing]
    return lines
