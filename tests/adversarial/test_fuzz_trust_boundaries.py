"""Property-based fuzzing of the trusted side's readers of submission bytes.

For random and mutated zips, notebooks and modules, and random Python source, the only outcomes
are a value or the stage's one-sentence refusal (IntakeError, NotebookError, ExtractError), never
another exception, within TIME_LIMIT seconds of CPU (CPU, not wall-clock time: other processes on a
loaded machine do not count) and MEMORY_LIMIT bytes per example. Reports built
from random text always render and round-trip through JSON.

`make test` runs a bounded number of examples (profile "default"); HYPOTHESIS_PROFILE=long runs
10,000 per target.
"""

from __future__ import annotations

import io
import json
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.assignment import Assignment, Exercise, Question
from grader.extract import ExtractError, NotebookError, extract
from grader.extract.notebook import collect_answers, read_notebook
from grader.extract.source import SourceUnit, extract_code
from grader.intake import IntakeError, read_bytes
from grader.report import render_html, sanitize, summary_table
from grader.results import Answer, ExerciseResult, GradeResult, Problem
from grader.results import TestResult as Outcome
from tests.conftest import ROOT

settings.register_profile("default", max_examples=200, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=10_000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TIME_LIMIT = 10.0
MEMORY_LIMIT = 64 * 1024 * 1024
SPEC = Assignment(slug="t", title="t", root=Path("."), exercises=(Exercise("f"), Exercise("LinearNet")),
                  questions=(Question("q1", "Why?"),))
SOLUTION = (ROOT / "assignments" / "tp1" / "variants" / "ok_course_style.py").read_text(encoding="utf-8")
NOTEBOOK = json.dumps({
    "nbformat": 4, "nbformat_minor": 5, "metadata": {"grader": {"assignment": "tp1"}},
    "cells": [
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["exercise:f"]}, "source": ["def f():\n", "    return 1\n"],
         "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}]},
        {"cell_type": "markdown", "metadata": {}, "source": "**Question q1.** Why?"},
        {"cell_type": "markdown", "metadata": {"tags": ["answer:q1"]}, "source": "Because."},
    ],
}).encode()


def zip_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buf.getvalue()


def bounded(call: Callable[[], object], allowed: tuple[type[BaseException], ...]) -> object:
    """Run `call`: it returns or raises one of `allowed` with a one-line message, in time and memory."""
    tracemalloc.start()
    started = time.process_time()
    try:
        return call()
    except allowed as refusal:
        message = str(refusal)
        assert message and "\n" not in message and "Traceback" not in message, message
        return refusal
    finally:
        elapsed = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < TIME_LIMIT, f"{elapsed:.1f} s"
        assert peak < MEMORY_LIMIT, f"{peak >> 20} MB"


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a few random edits: flipped, inserted, deleted bytes, or a cut."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "set"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "cut":
            del data[at:]
        else:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80]))
    return bytes(data)


SUBMISSION_BYTES = st.one_of(
    st.binary(max_size=2048),
    mutated(zip_of("tp1.ipynb", NOTEBOOK)),
    mutated(zip_of("tp1.py", SOLUTION.encode())),
    mutated(zip_of("inner.zip", zip_of("tp1.ipynb", NOTEBOOK))),
    mutated(NOTEBOOK),
    mutated(SOLUTION.encode()),
)


@given(data=SUBMISSION_BYTES, suffix=st.sampled_from([".zip", ".ipynb", ".py", ".txt", ""]))
def test_fuzz_any_bytes_make_a_submission_or_one_intake_sentence(data, suffix):
    result = bounded(lambda: read_bytes(data, "sub" + suffix), (IntakeError,))
    if not isinstance(result, IntakeError):
        # Whatever intake accepts, the next stage reads or refuses too.
        bounded(lambda: extract(result, SPEC), (NotebookError, ExtractError))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)
FIELD = st.one_of(JSON, st.text(max_size=60), st.lists(st.text(max_size=30), max_size=4))
CELL = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"cell_type": st.sampled_from(["code", "markdown", "raw", 5, None])},
        optional={"source": FIELD, "metadata": st.one_of(JSON, st.fixed_dictionaries({}, optional={"tags": FIELD})),
                  "outputs": st.one_of(JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries(
                      {"output_type": st.sampled_from(["display_data", "stream", "error"])},
                      optional={"data": JSON, "text": FIELD})), max_size=3)),
                  "execution_count": JSON},
    ),
)
NOTEBOOKS = st.one_of(
    JSON,
    st.fixed_dictionaries({"cells": st.one_of(JSON, st.lists(CELL, max_size=6))},
                          optional={"nbformat": st.one_of(st.just(4), JSON), "metadata": JSON}),
)


@given(nb=NOTEBOOKS)
def test_fuzz_any_json_is_a_notebook_or_one_notebook_sentence(nb):
    text = json.dumps(nb)
    facts = bounded(lambda: read_notebook(text, "tp.ipynb"), (NotebookError,))
    if not isinstance(facts, NotebookError):
        bounded(lambda: collect_answers(facts, SPEC.questions), ())
        bounded(lambda: extract_code(facts.units, required=SPEC.code_names), (ExtractError,))


PYTHON_PIECES = st.sampled_from([
    "def f():\n    return 1\n", "class LinearNet:\n    pass\n", "x = y\n", "@d\n", "import torch\n", "%matplotlib inline\n",
    "!pip install x\n", "LinearNet = f\n", "if True:\n", "    ", "(", ")", "[", "lambda: ", "1 + ", "\\\n", "# c\n", "\x00",
    "'''", '"', "async def g(): await h()\n", "f = lambda q: q\n", "global z\n", "x += 1\n", "del x\n", "\t",
])


@given(source=st.one_of(st.text(max_size=400),
                        st.lists(PYTHON_PIECES, max_size=40).map("".join),
                        mutated(SOLUTION.encode()).map(lambda b: b.decode("utf-8", "replace"))),
       cells=st.integers(1, 3))
def test_fuzz_any_source_extracts_or_is_refused_in_one_sentence(source, cells):
    units = [SourceUnit(f"cell {i}", source, ("exercise:f",) if i == 1 else (), i) for i in range(1, cells + 1)]
    bounded(lambda: extract_code(units, required=("f", "LinearNet")), (ExtractError,))


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)


@given(texts=st.lists(TEXT, min_size=8, max_size=8))
def test_fuzz_any_text_renders_and_round_trips_once_sanitized(texts):
    a, b, c, d, e, f, g, h = texts
    result = GradeResult(a, b, c, 0.0, 1.0, (ExerciseResult(d, 0.0, 1.0, (Outcome(e, d, "failed", 0.0, 1.0, message=f),), source=g),),
                         problems=(Problem(h, a, b, "error"),), answers=(Answer(c, d, e, True),), student_output=f)
    clean = sanitize(result)
    bounded(lambda: render_html(clean), ())
    assert GradeResult.from_json(json.loads(json.dumps(clean.to_json()))) == clean
    table = summary_table(clean)
    assert not [ch for ch in table if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0]
