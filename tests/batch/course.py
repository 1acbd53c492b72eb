"""A tiny course for batch tests: one assignment, `tiny`, whose tests import nothing heavy."""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST = '''slug = "tiny"
title = "Tiny Work 1"
seed = 3

[limits]
call_seconds = 5
load_seconds = 5
submission_seconds = 60

[[exercises]]
name = "double"

[[exercises]]
name = "square"
'''

PUBLIC = '''import pytest


@pytest.mark.exercise("double")
def test_double(student):
    assert student.double(21) == 42, "double(21) should be 42."
'''

HIDDEN = '''import pytest


@pytest.mark.exercise("square")
@pytest.mark.points(2)
def test_square(student):
    assert student.square(7) == 49, "square(7) should be 49."
'''

GOOD = "def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x * x\n"
HALF = "def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x + x\n"


def make_course(root: Path) -> Path:
    folder = root / "assignments" / "tiny"
    (folder / "tests" / "public").mkdir(parents=True)
    (folder / "tests" / "hidden").mkdir(parents=True)
    (folder / "assignment.toml").write_text(MANIFEST)
    (folder / "tests" / "public" / "test_public.py").write_text(PUBLIC)
    (folder / "tests" / "hidden" / "test_hidden.py").write_text(HIDDEN)
    (folder / "starter.ipynb").write_text(json.dumps(notebook("def double(x):\n    raise NotImplementedError\n")))
    return root


def notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {"tags": ["exercise:double"]}, "source": source,
                       "outputs": [], "execution_count": None}],
            "metadata": {"grader": {"assignment": "tiny"}}, "nbformat": 4, "nbformat_minor": 5}


def make_inbox(root: Path, *, students: int = 4, extras: bool = True) -> Path:
    """Saved submissions: good and half-right modules, a corrupt notebook, a folder with no
    submission file, a student who sent twice. Times are fixed, one minute apart."""
    inbox = root / "inbox"
    inbox.mkdir()
    base = 1_790_000_000
    for n in range(students):
        path = inbox / f"student{n}@uni.example.py"
        path.write_text(GOOD if n % 2 == 0 else HALF)
        os.utime(path, (base + 60 * n, base + 60 * n))
    if not extras:
        return inbox
    corrupt = inbox / "broken@uni.example"
    corrupt.mkdir()
    (corrupt / "tp.ipynb").write_text('{"cells": [ this is not json')
    os.utime(corrupt / "tp.ipynb", (base, base))
    empty = inbox / "empty@uni.example"
    empty.mkdir()
    (empty / "notes.txt").write_text("I forgot the attachment")
    os.utime(empty / "notes.txt", (base, base))
    first = inbox / "twice@uni.example"  # two mails from one sender: a folder, then a file
    first.mkdir()
    (first / "a_first.py").write_text(HALF)
    os.utime(first / "a_first.py", (base, base))
    second = inbox / "twice@uni.example.py"
    second.write_text(GOOD)
    os.utime(second, (base + 30, base + 30))
    return inbox
