"""Hostile code at extraction: linear in the size of the code, bounded in size, statements and
time, and a cell that Python's parser cannot read for any reason is a problem of that cell."""

from __future__ import annotations

import pytest

from grader.assignment import Assignment, Exercise
from grader.extract import ExtractError, extract
from grader.extract.budget import Budget
from grader.extract.source import SourceUnit, extract_code
from grader.intake import read_bytes

SPEC = Assignment(slug="t", title="t", root=__import__("pathlib").Path("."), exercises=(Exercise("LinearNet"),))


def test_a_chain_of_200000_assignments_is_extracted_within_the_budget():
    chain = "x1 = 1\n" + "".join(f"x{i} = x{i - 1}\n" for i in range(2, 200_001)) + "LinearNet = x200000\n"
    assert len(chain) > 2_800_000
    code = extract_code([SourceUnit("tp1.py", chain)], required=["LinearNet"], budget=Budget("tp1.py", seconds=120))
    assert code.origins["LinearNet"] == "tp1.py, line 200001"
    assert len(code.chunks) == 200_001


def test_200000_decorator_lines_in_a_broken_cell_are_salvaged_within_the_budget():
    text = "@staticmethod\n" * 200_000 + "def f(:\n    pass\ndef LinearNet():\n    return 1\n"
    code = extract_code([SourceUnit("cell 1", text)], required=["LinearNet"], budget=Budget("tp1.ipynb", seconds=120))
    assert "LinearNet" in code.origins
    assert any("Syntax error in cell 1" in p.message for p in code.problems)


def p_where_is_cell(code) -> bool:
    return any(p.where == "cell 1" for p in code.problems)


@pytest.mark.parametrize("expression", ["+".join(["1"] * 3000), "(" * 400 + "1" + ")" * 400, "-" * 50_000 + "1",
                                        "[" * 300 + "]" * 300])
def test_an_expression_too_deep_for_the_parser_is_a_problem_of_its_cell(expression):
    units = [SourceUnit("cell 1", f"x = {expression}\ndef helper():\n    return x\n"),
             SourceUnit("cell 2", "class LinearNet:\n    pass\n")]
    code = extract_code(units, required=["LinearNet"])
    assert code.origins["LinearNet"] == "cell 2"
    assert [p.where for p in code.problems if p.severity == "error"] == ["cell 1" if p_where_is_cell(code) else "cell 1, line 1"]
    assert "helper" in code.origins  # the rest of the broken cell still counts


def test_a_definition_too_deep_to_analyse_is_left_out_with_a_problem():
    # Parses (the parser's limit is on one expression), but unparsing it for analysis recurses.
    body = "    y = " + "lambda: " * 900 + "1\n"
    units = [SourceUnit("cell 1", "def helper():\n" + body), SourceUnit("cell 2", "LinearNet = 1\n")]
    code = extract_code(units, required=["LinearNet"])
    assert "LinearNet" in code.origins
    assert "helper" not in code.origins
    assert [p.message for p in code.problems] == ["helper in cell 1, line 1 is nested too deeply to be read; it was left out."]


def test_code_beyond_the_size_budget_is_refused_in_one_sentence():
    submission = read_bytes(b"x = 1\n" * (9 * 1024 * 1024 // 6), "tp1.py")
    with pytest.raises(ExtractError, match="more than the 8 MB the grader reads"):
        extract(submission, SPEC)


def test_more_statements_than_the_budget_are_refused_in_one_sentence():
    with pytest.raises(ExtractError, match="top-level statements"):
        extract_code([SourceUnit("tp1.py", "x = 1\n" * 1000)], budget=Budget("tp1.py", max_statements=999))


def test_extraction_past_its_deadline_is_refused_in_one_sentence():
    with pytest.raises(ExtractError, match="took longer than"):
        extract_code([SourceUnit("tp1.py", "x = 1\n" * 1000)], budget=Budget("tp1.py", deadline=1.0))
