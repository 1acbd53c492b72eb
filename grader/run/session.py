"""Run an assignment's tests against one submission's extracted code."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.extract import Extracted
from grader.results import Problem, TestResult
from grader.run.client import StudentRuntime
from grader.run.plugin import GradingPlugin, SubmissionView


@dataclass(frozen=True)
class RunOutcome:
    tests: tuple[TestResult, ...]
    problems: tuple[Problem, ...]
    student_output: str
    grader_error: str = ""


def run_tests(assignment: Assignment, extracted: Extracted, filename: str, *, hidden: bool, seed: int) -> RunOutcome:
    paths = [assignment.public_tests] + ([assignment.hidden_tests] if hidden else [])
    paths = [p for p in paths if p.is_dir()]
    if not paths:
        return RunOutcome((), (), "", f"{assignment.root} has no tests/public or tests/hidden folder.")
    workdir = Path(tempfile.mkdtemp(prefix="grader-"))
    runtime = StudentRuntime(
        code=extracted.code,
        limits=assignment.limits,
        workdir=workdir,
        deadline=time.monotonic() + assignment.limits.submission_seconds,
    )
    view = SubmissionView(filename, extracted.is_notebook, extracted.figure_cells)
    plugin = GradingPlugin(assignment, runtime, view, seed)
    args = [
        *map(str, paths),
        "--rootdir", str(assignment.root),
        "-c", os.devnull,            # never the course's or the grader's own pytest settings
        "--assert=plain",            # messages only: rewritten asserts would print hidden values
        "--import-mode=importlib",   # many submissions in one process, no sys.path games
        "-p", "no:cacheprovider",
        "-q",
    ]
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only our plugin, not whatever is installed
    try:
        with contextlib.redirect_stdout(io.StringIO()) as noise:
            code = pytest.main(args, plugins=[plugin])
    finally:
        runtime.close()
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    output = runtime.output()
    shutil.rmtree(workdir, ignore_errors=True)
    error = ""
    if plugin.collect_errors:
        error = "The assignment's tests could not be loaded: " + "; ".join(plugin.collect_errors)
    elif code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        tail = noise.getvalue().strip().splitlines()[-3:]
        error = f"The test run stopped ({pytest.ExitCode(code).name}): " + " ".join(tail)
    return RunOutcome(tuple(plugin.results()), tuple(runtime.problems), output, error)
