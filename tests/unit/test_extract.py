"""Extract: what is kept from a submission, and what is never run."""

from __future__ import annotations

import json

import pytest

from grader.assignment import Question
from grader.extract import read_notebook
from grader.extract.notebook import NotebookError, collect_answers
from grader.extract.source import SourceUnit, extract_code, strip_ipython, suggest


def names(code):
    return [name for chunk in code.chunks for name in chunk.defines]


def test_magics_and_shell_lines_become_nothing_with_line_numbers_kept():
    text = "%matplotlib inline\n!pip install torch\nfiles = !ls\nimport torch\ntorch.nn?\ndef f():\n    return 1\n"
    cleaned = strip_ipython(text)
    assert cleaned.splitlines()[3:] == ["import torch", "pass", "def f():", "    return 1"]
    assert len(cleaned.splitlines()) == len(text.splitlines())


def test_non_python_cell_magic_is_dropped_but_timed_cell_is_python():
    code = extract_code([SourceUnit("cell 1", "%%bash\necho hi\n"), SourceUnit("cell 2", "%%time\ndef f():\n    return 2\n")])
    assert names(code) == ["f"]
    assert code.chunks[0].first_line == 2


def test_top_level_behaviour_is_never_kept():
    text = (
        "import torch\nimport matplotlib.pyplot as plt\n"
        "def f(x):\n    return x\n"
        "for i in range(10**12):\n    pass\n"
        "plt.plot([1])\ninput('name?')\n"
        "losses = f(10**12)\n"
        "if __name__ == '__main__':\n    f(1)\n"
    )
    code = extract_code([SourceUnit("tp.py", text)], required=["f"])
    assert names(code) == ["f"]  # neither torch nor plt are used by f; losses is never read


def test_assignments_are_kept_only_for_global_names_that_kept_code_reads():
    text = "N = 3\nx = expensive()\nSCALE = N * 2\ndef f(x):\n    y = x * SCALE\n    return y\n"
    code = extract_code([SourceUnit("tp.py", text)])
    assert names(code) == ["N", "SCALE", "f"]  # f's own parameter x is not the global x


def test_a_contract_name_bound_by_assignment_is_kept():
    code = extract_code([SourceUnit("tp.py", "def my_net():\n    pass\nLinearNet = my_net\n")], required=["LinearNet"])
    assert names(code) == ["my_net", "LinearNet"]


def test_last_definition_wins_and_the_report_says_so():
    units = [SourceUnit(f"cell {i}", f"def create_dataset():\n    return {i}\n") for i in (2, 5, 9)]
    code = extract_code(units)
    assert [c.filename for c in code.chunks] == ["cell 9"]
    assert code.origins["create_dataset"] == "cell 9"
    assert "defined 3 times (cell 2, cell 5, cell 9)" in code.problems[0].message


def test_every_definition_of_a_contract_name_is_kept_as_a_candidate_the_last_one_first():
    units = [
        SourceUnit("cell 3", "def train():\n    return 'graded'\n", ("exercise:train",)),
        SourceUnit("cell 8", "def train():\n    return 'scratch'\n"),
    ]
    code = extract_code(units, required=["train"])
    assert code.origins["train"] == "cell 8"
    [alternative] = code.alternatives["train"]
    assert alternative.where == "cell 3" and alternative.code.origins["train"] == "cell 3"
    assert "'graded'" in alternative.code.chunks[0].source


def test_the_cell_the_kernel_ran_last_is_the_default_candidate():
    units = [
        SourceUnit("cell 3", "def train():\n    return 1\n", execution_count=9),
        SourceUnit("cell 8", "def train():\n    return 2\n", execution_count=4),
    ]
    code = extract_code(units, required=["train"])
    assert code.origins["train"] == "cell 3"
    assert [a.where for a in code.alternatives["train"]] == ["cell 8"]


def test_candidates_are_capped_to_the_most_recent_plus_the_tagged_one():
    units = [SourceUnit("cell 1", "def f():\n    return 0\n", ("exercise:f",))]
    units += [SourceUnit(f"cell {i}", f"def f():\n    return {i}\n") for i in range(2, 12)]
    code = extract_code(units, required=["f"])
    assert code.origins["f"] == "cell 11"
    assert [a.where for a in code.alternatives["f"]] == ["cell 10", "cell 9", "cell 8", "cell 1"]


def test_a_syntax_error_hides_neither_other_cells_nor_other_definitions_of_its_cell():
    units = [
        SourceUnit("cell 1", "def ok():\n    return 1\n"),
        SourceUnit("cell 2", "def broken(:\n    pass\n"),
        SourceUnit("cell 3", "def train():\n    return 2\n\nprint('done'\n"),
        SourceUnit("cell 4", "@decorate\ndef g():\n    return 3\nx = (1 +\n"),
    ]
    code = extract_code(units)
    assert set(code.origins) >= {"ok", "train", "g"}
    errors = [p for p in code.problems if p.severity == "error"]
    assert [p.where for p in errors] == ["cell 2, line 1", "cell 3, line 4", "cell 4, line 4"]


def test_chunks_keep_the_students_line_numbers():
    code = extract_code([SourceUnit("cell 4", "%matplotlib inline\n\nimport torch\n\ndef f():\n    return torch.zeros(1)\n")])
    assert [(c.defines, c.first_line) for c in code.chunks] == [(("torch",), 3), (("f",), 5)]


@pytest.mark.parametrize(
    "name, defined, expected",
    [
        ("create_linear_dataset", ["create_dataset", "Net"], "create_dataset"),
        ("LinearNet", ["Net", "train"], "Net"),
        ("MLPNet", ["mlp_net"], "mlp_net"),
        ("train", ["create_dataset", "Net"], None),
    ],
)
def test_did_you_mean(name, defined, expected):
    assert suggest(name, defined) == expected


# A real 64x48 PNG (a line on white), as nbformat stores it: a figure that counts.
PNG_64x48 = "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAA2UlEQVR42u3ZWQrDMAwEUCv4/ldWf0ppkqZ40TID0gnmDQP+sKhqY76jkV8BClAAthOhBYi8038bOl3xl3erc23m/up23ujogKfNEABGigcFTEWHAwxuBhGwUDwQYK14CMBO8ckAk+hpgM3NZAIMi48GeESPA9huJhTgV7w7ICC6I8B1M76AsOLtAfHRLQGRmzEGZBVvAEiPvgVI3MwuAKT4RQBO8dMAtOInALDRhwCAmxkFgBf/D8AS/TcAfzOPAK7iP3dcQqs2rp/v0xcT46d9/VIWoADk9wJViU2fXRs1+AAAAABJRU5ErkJggg=="


def notebook_json(cells, minor=4, metadata=None):
    return json.dumps({"nbformat": 4, "nbformat_minor": minor, "metadata": metadata or {}, "cells": cells})


def test_old_minor_without_ids_with_colab_metadata_reads():
    cells = [
        {"cell_type": "markdown", "metadata": {"id": "abc"}, "source": ["**Question q1.** What is it?"]},
        {"cell_type": "markdown", "metadata": {"id": "abd"}, "source": "A line."},
        {"cell_type": "code", "metadata": {"id": "x1", "colab": {}}, "execution_count": 3, "source": ["def f():\n", "    return 1\n"],
         "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG_64x48, "text/plain": "<Figure>"}}]},
    ]
    facts = read_notebook(notebook_json(cells, minor=2, metadata={"colab": {"provenance": []}}), "tp.ipynb")
    assert facts.units[0].text.startswith("def f()")
    assert facts.figure_cells == ("cell 3",)
    answers = collect_answers(facts, (Question("q1", "What is it?"), Question("q2", "Not asked")))
    assert [(a.found, a.text) for a in answers] == [(True, "A line."), (False, "")]


def test_answers_by_tag_and_placeholders_are_no_answer():
    cells = [
        {"cell_type": "markdown", "metadata": {"tags": ["answer:q1"]}, "source": "My answer."},
        {"cell_type": "markdown", "metadata": {"tags": ["answer:q2"]}, "source": "_Your answer here._"},
    ]
    facts = read_notebook(notebook_json(cells), "tp.ipynb")
    answers = collect_answers(facts, (Question("q1", "a"), Question("q2", "b")))
    assert [(a.found, a.text) for a in answers] == [(True, "My answer."), (False, "")]


def test_a_broken_notebook_is_one_sentence_with_what_to_do():
    with pytest.raises(NotebookError, match="not a readable Jupyter notebook.*save it again"):
        read_notebook('{"cells": [', "tp.ipynb")
