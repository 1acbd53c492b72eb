"""Filling the instructor's own Canvas gradebook export: only the matched students' cells of
the assignment's column change; every other byte stays (BOM, quoting, line endings, rows)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.batch.canvas_export import CanvasExportError, Grade, fill_export, read_export, scan

SPECS = {"tp1": SimpleNamespace(slug="tp1", title="Practical Work 1: Build a Neural Network in PyTorch",
                                subjects=("Practical Work 1", "TP 1", "TP1", "tp-1"))}
HEADER = ("Student,ID,SIS User ID,SIS Login ID,Section,Practical Work 1 (12345),Practical Work 2 (12399),"
          "Current Score,Unposted Current Score,Final Score")
ROWS = [
    "    Points Possible,,,,,3.00,5.00,(read only),(read only),(read only)",
    '"Lovelace, Ada",101,21000101,ada@uni.example,"Section A, Monday",,4.00,80.00,80.00,80.00',
    '"O""Brien, Seán",102,21000102,sean.obrien,Section B,1.00,,12.5,12.5,12.5',
    '"Nobody, Zed",103,21000199,zed@uni.example,Section B,,,,,',
    '"Student, Test",999,,,Section A,,,,,',
]


def export(tmp_path: Path, *, bom: bool = True, newline: str = "\r\n") -> Path:
    path = tmp_path / "2026-03-21T1012_Grades-ML_101.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join([HEADER, *ROWS, ""]).encode("utf-8"))
    return path


def grades() -> list[Grade]:
    return [Grade("tp1", "21000101", frozenset({"21000101", "ada@uni.example"}), 2.7),
            Grade("tp1", "21000102", frozenset({"21000102", "sean.obrien@uni.example"}), 3.0),
            Grade("tp1", "21000150", frozenset({"21000150", "late.comer@uni.example"}), 1.0)]


@pytest.mark.parametrize("bom,newline", [(True, "\r\n"), (False, "\n")])
def test_only_the_matched_cells_of_the_assignments_column_change(tmp_path, bom, newline):
    path = export(tmp_path, bom=bom, newline=newline)
    found = read_export(path, SPECS)
    assert found.column_name("tp1") == "Practical Work 1 (12345)"
    filled = fill_export(found, grades(), tmp_path / "out" / "filled.csv")
    before, after = path.read_bytes(), filled.path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") == bom
    old_lines, new_lines = before.split(newline.encode()), after.split(newline.encode())
    assert len(old_lines) == len(new_lines)
    changed = {i: (o, n) for i, (o, n) in enumerate(zip(old_lines, new_lines)) if o != n}
    assert sorted(changed) == [2, 3]  # Ada's and Seán's lines, nothing else
    assert changed[2][1] == b'"Lovelace, Ada",101,21000101,ada@uni.example,"Section A, Monday",2.7,4.00,80.00,80.00,80.00'
    assert changed[3][1] == '"O""Brien, Seán",102,21000102,sean.obrien,Section B,3,,12.5,12.5,12.5'.encode()
    assert filled.filled == 2 and filled.test_students == 1
    assert filled.blank == (("Nobody, Zed", "Practical Work 1 (12345): no graded submission matches its SIS User ID "
                                            "or SIS Login ID"),)
    assert filled.missing == (("21000150", "tp1"),)  # graded, but not in the export: listed, never dropped


def test_a_student_is_matched_by_sis_login_id_when_it_is_a_roster_address(tmp_path):
    path = export(tmp_path)
    only_login = [Grade("tp1", "x", frozenset({"ada@uni.example"}), 1.5)]
    filled = fill_export(read_export(path, SPECS), only_login, tmp_path / "filled.csv")
    rows = list(csv.reader(io.StringIO(filled.path.read_text(encoding="utf-8-sig"))))
    assert rows[2][5] == "1.5" and rows[3][5] == "1.00"  # Seán's earlier cell is left as it was


def test_an_export_with_no_column_for_the_assignment_says_which_columns_it_has(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Quiz 3 (777)\n", encoding="utf-8")
    with pytest.raises(CanvasExportError, match=r"No column .* names tp1 .*'Quiz 3 \(777\)'.*--canvas-column"):
        read_export(path, SPECS)
    assert read_export(path, SPECS, column="Quiz 3").column_name("tp1") == "Quiz 3 (777)"
    two = tmp_path / "two.csv"
    two.write_text("Student,ID,SIS User ID,SIS Login ID,Section,TP1 (1),TP 1 resubmission (2)\n", encoding="utf-8")
    with pytest.raises(CanvasExportError, match="Several columns"):
        read_export(two, SPECS)


def test_a_file_that_is_not_a_canvas_export_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "moodle.csv"
    path.write_text("First name,Surname,ID number,Email address,Assignment: TP1\n", encoding="utf-8")
    with pytest.raises(CanvasExportError, match="Export Entire Gradebook"):
        read_export(path, SPECS)


def test_bytes_that_are_not_utf8_come_back_unchanged(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(HEADER.encode() + b"\r\n" + b'"Dur\xe9, L\xe9a",5,21000101,lea,A,,,,,\r\n')
    filled = fill_export(read_export(path, SPECS), grades(), tmp_path / "filled.csv")
    assert filled.path.read_bytes() == path.read_bytes().replace(b"lea,A,,", b"lea,A,2.7,")


cells = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=2, max_size=5), min_size=1, max_size=6),
       st.sampled_from(["\r\n", "\n"]), st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_the_scanner_reads_what_a_csv_writer_wrote_with_each_fields_exact_span(rows, newline, quoting):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline, quoting=quoting).writerows(rows)
    text = buffer.getvalue()
    expected = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    records = scan(text)
    assert [[f.value for f in record] for record in records] == expected
    for record in records:
        for field in record:  # a field's span alone reads back as that field
            alone = [[f.value for f in r] for r in scan(text[field.start:field.end] + newline)]
            assert alone == ([[field.value]] if field.end > field.start else [])
