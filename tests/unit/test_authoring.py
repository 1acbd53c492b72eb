"""Authoring verbs: assign makes starters, validate catches what broke, release hides what must
stay hidden, new scaffolds an assignment that validates."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.authoring.assign import AssignError, starter_from_solution
from grader.authoring.release import release
from grader.authoring.scaffold import new
from grader.authoring.validate import validate
from grader.pipeline import grade_file


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_assign_turns_answers_into_stubs_and_keeps_the_rest():
    solution = notebook(
        nbformat.v4.new_code_cell('def train(x):\n    """Doc kept."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\nTRAIN_STEPS = 3'),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nplt.plot(x)\n### END SOLUTION", metadata={"tags": ["exercise:plot_dataset"]}),
        nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nBecause.\n### END SOLUTION", metadata={"tags": ["answer:q1"]}),
        nbformat.v4.new_code_cell("assert train(1) == 1", metadata={"tags": ["hidden-tests"]}),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert train(2) == 2\n### END HIDDEN TESTS"),
    )
    solution.cells[0].outputs = [nbformat.v4.new_output("stream", text="x")]
    solution.cells[0].execution_count = 4
    starter = starter_from_solution(solution, ("train", "plot_dataset"), "tp9")
    assert [c.source for c in starter.cells] == [
        'def train(x):\n    """Doc kept."""\n    raise NotImplementedError("train: write your code here")\n\nTRAIN_STEPS = 3',
        "# YOUR CODE HERE",
        "_Your answer here._",
    ]
    assert starter.cells[0].metadata["tags"] == ["exercise:train"]
    assert starter.cells[0].outputs == [] and starter.cells[0].execution_count is None
    assert starter.metadata["grader"] == {"assignment": "tp9"}
    assert solution.cells[0].outputs  # the solution itself is untouched


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "without a"),
])
def test_assign_says_where_markers_are_broken(source, message):
    with pytest.raises(AssignError, match=rf"cell 1, line \d+: .*{message}"):
        starter_from_solution(notebook(nbformat.v4.new_code_cell(source)))


@pytest.mark.slow
def test_new_scaffolds_an_assignment_that_validates_and_validate_catches_what_breaks(tmp_path):
    new(tmp_path, "demo")
    assert all(c.ok for c in validate(tmp_path, ["demo"], seeds=2)), "a fresh scaffold must validate"

    solution = tmp_path / "reference" / "demo" / "demo_solution.ipynb"
    nb = nbformat.read(str(solution), as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("return 2 * x", "return 3 * x")  # broken on purpose
    nbformat.write(nb, str(solution))
    starter = tmp_path / "assignments" / "demo" / "starter.ipynb"
    data = json.loads(starter.read_text())
    data["cells"][2]["source"] = "def double(x):\n    pass\n"  # edited by hand: stale
    starter.write_text(json.dumps(data))
    variant = tmp_path / "assignments" / "demo" / "variants" / "bad_double_off_by_one.py"
    variant.write_text("# expect: double\n\ndef double(x):\n    return x * 2\n")  # stopped failing

    checks = {c.name: c for c in validate(tmp_path, ["demo"], seeds=1)}
    assert not checks["reference earns full marks"].ok
    assert not checks["starter is up to date"].ok and "grade assign" in checks["starter is up to date"].detail
    assert not checks["variant bad_double_off_by_one.py"].ok
    assert "expected to lose ['double'], lost nothing" in checks["variant bad_double_off_by_one.py"].detail
    assert checks["variant bad_double_flattens.py"].ok


def test_a_release_holds_no_hidden_test_reference_or_variant_and_self_checks(tmp_path):
    course = tmp_path / "course"
    new(course, "demo")
    out = release(course, "demo", tmp_path / "kit")
    shipped = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert shipped == {
        "README.md", "assignments/demo/assignment.toml", "assignments/demo/starter.ipynb",
        "assignments/demo/tests/public/test_double.py",
    }
    secret_bits = ["test_double_doubles", "### BEGIN SOLUTION", "return 2 * x", "bad_double"]
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not [bit for bit in secret_bits if bit in text], path
    student = tmp_path / "mine.py"
    student.write_text("def double(x):\n    return 2 * x\n")
    result = grade_file(student, course=out, hidden=True)  # even asked for, there are none
    assert result.score == result.max_score == 1 and not any(t.hidden for e in result.exercises for t in e.tests)


def test_validate_fails_when_a_starter_imports_what_the_worker_cannot(tmp_path):
    """A package the course uses and the worker lacks costs students points for nothing: caught here."""
    import json as _json

    from grader.assignment import load_assignment as _load
    from grader.authoring.validate import _environment_check

    base = tmp_path / "assignments" / "plots"
    base.mkdir(parents=True)
    (base / "assignment.toml").write_text('slug = "plots"\nstarter = "starter.ipynb"\n[[exercises]]\nname = "f"\n')
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport os\n"}]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    (base / "starter.ipynb").write_text(_json.dumps(notebook))
    assert _environment_check(tmp_path, _load(tmp_path, "plots")).ok
    cells[0]["source"] += "import seaborn as sns\nfrom tqdm.auto import tqdm\n"
    (base / "starter.ipynb").write_text(_json.dumps(notebook))
    check = _environment_check(tmp_path, _load(tmp_path, "plots"))
    assert not check.ok and "seaborn" in check.detail and "tqdm" in check.detail
