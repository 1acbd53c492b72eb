"""`grade new`: a new assignment that validates out of the box, to be edited from there."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.authoring.assign import assign

MANIFEST = '''\
slug = "{slug}"
title = "{slug}: a new practical work"
starter = "starter.ipynb"
seed = 1

[limits]
call_seconds = 20
load_seconds = 20
submission_seconds = 300

[[exercises]]
name = "double"
description = "double(x) returns 2 * x for numbers and tensors"

[[questions]]
id = "q1"
text = "Why is doubling a linear map?"

[mail]
# Mail subjects that name this assignment for `grade batch` (docs/mail.md).
subjects = ["{slug}"]
'''

PUBLIC = '''\
"""Public tests: students see and run these with `grade local`."""

import pytest
import torch

from grader.testing import check


@pytest.mark.exercise("double")
@pytest.mark.points(1)
def test_double_keeps_the_shape(student):
    """double(x) returns a tensor of x's shape."""
    check.tensor(student.double(torch.ones(3, 1)), "double(torch.ones(3, 1))", shape=(3, 1))
'''

HIDDEN = '''\
"""Hidden tests: only `grade local --hidden` runs these; messages never reveal expected values."""

import pytest
import torch

from grader.testing import generator


@pytest.mark.exercise("double")
@pytest.mark.points(2)
def test_double_doubles(student, seed):
    """double(x) is 2 * x on data the worker has never seen."""
    x = torch.randn(20, 1, generator=generator(seed))
    assert torch.allclose(student.double(x), 2 * x), "double(x) is not 2 * x."
'''

VARIANTS = {
    "ok_double_add.py": "# expect: full\n# why: x + x is 2 * x too.\n\n\ndef double(x):\n    return x + x\n",
    "bad_double_off_by_one.py": "# expect: double\n# why: 2 * x + 1 is not 2 * x.\n\n\ndef double(x):\n    return 2 * x + 1\n",
    "bad_double_flattens.py": "# expect: double\n# why: the result loses x's shape.\n\n\ndef double(x):\n    return (2 * x).flatten()\n",
}


def solution_notebook(slug: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["grader"] = {"assignment": slug}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {slug}\n\nFill in the tagged cells, then check with `grade local`."),
        nbformat.v4.new_code_cell("import torch", metadata={"tags": ["imports"]}),
        nbformat.v4.new_code_cell(
            'def double(x):\n    """Return 2 * x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION',
            metadata={"tags": ["exercise:double"]},
        ),
        nbformat.v4.new_markdown_cell("**Question q1.** Why is doubling a linear map?", metadata={"tags": ["question:q1"]}),
        nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nBecause 2(ax + by) = a(2x) + b(2y).\n### END SOLUTION",
                                      metadata={"tags": ["answer:q1"]}),
    ]
    return nb


def new(course: Path, slug: str) -> list[Path]:
    root = course / "assignments" / slug
    if root.exists():
        raise FileExistsError(f"assignments/{slug} already exists; pick another name.")
    solution = course / "reference" / slug / f"{slug}_solution.ipynb"
    written = {
        root / "assignment.toml": MANIFEST.format(slug=slug),
        root / "tests" / "public" / "test_double.py": PUBLIC,
        root / "tests" / "hidden" / "test_double_hidden.py": HIDDEN,
        **{root / "variants" / name: text for name, text in VARIANTS.items()},
    }
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    solution.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(solution_notebook(slug), str(solution))
    starter = assign(solution, root / "starter.ipynb", ("double",), slug)
    return [*written, solution, starter]
