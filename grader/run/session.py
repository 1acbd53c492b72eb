"""Run an assignment's tests against one submission's extracted code."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.data import DataConfig
from grader.extract import Extracted
from grader.results import Problem, TestResult
from grader.run import cleanup
from grader.run.client import StudentRuntime
from grader.run.launcher import WorkerLauncher
from grader.run.plugin import GradingPlugin, SubmissionView
from grader.run.sandbox import SandboxPolicy
from grader.measures import Measure


@dataclass(frozen=True)
class RunOutcome:
    tests: tuple[TestResult, ...]
    problems: tuple[Problem, ...]
    student_output: str
    grader_error: str = ""
    # What each test's checks compared with their bounds (by test name), for calibration scripts:
    # it holds hidden thresholds, so it never goes into a grade.
    measures: dict[str, tuple[Measure, ...]] = field(default_factory=dict)


@contextlib.contextmanager
def _isolated_pytest(tests_root: Path) -> Iterator[None]:
    """Run pytest in-process as if it were alone, and leave nothing behind.

    - only our plugin: not whatever pytest plugins happen to be installed;
    - no assertion rewriting from an enclosing pytest session (its import hook would rewrite the
      hidden tests and print their expected values into messages);
    - the tests' modules leave sys.modules: importlib mode names them by their path under the
      assignment (tests.public.test_x), so the next assignment or course would get these.
    """
    saved_env = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    rewriters = [h for h in sys.meta_path if type(h).__name__ == "AssertionRewritingHook"]
    for hook in rewriters:
        sys.meta_path.remove(hook)
    before = set(sys.modules)
    root = str(tests_root.resolve())
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(root) or name.startswith(("tests.", "conftest")):
                del sys.modules[name]
        sys.meta_path[:0] = rewriters
        if saved_env is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved_env


class _OnlyExercises:
    """Deselects every test but those of the given exercises (by their exercise marker)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        def wanted(item: pytest.Item) -> bool:
            marker = item.get_closest_marker("exercise")
            return bool(marker and marker.args and str(marker.args[0]) in self.names)

        config.hook.pytest_deselected(items=[i for i in items if not wanted(i)])
        items[:] = [i for i in items if wanted(i)]


# pytest plugins a grading never uses: each one costs its registration, its hooks and its fixture
# parsing on every submission (together ~13 % of the trusted side's CPU on tp1). The command-line
# ones (--junitxml, --pdb, --sw, --setup-only, ...) have no use in a grading run.
_UNUSED_PLUGINS = ("junitxml", "doctest", "pastebin", "stepwise", "setuponly", "setupplan", "debugging")
# Plugins kept only for the tests that use what they give: a word in the tests' sources -> the
# plugin. Without a test that captures logs, the logging plugin would attach its handlers to every
# logger torch made around every test phase for nothing.
_PLUGINS_BY_WORD = {"caplog": "logging", "subtests": "subtests"}


@functools.cache
def _plugins_off(stamp: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """`-p no:` arguments for the test files of `stamp` (each with its modification time, so that
    an edited test file is read again)."""
    text = "\n".join(Path(name).read_text(errors="replace") for name, _ in stamp)
    unused = [*_UNUSED_PLUGINS, *(plugin for word, plugin in _PLUGINS_BY_WORD.items() if word not in text)]
    return tuple(arg for plugin in unused for arg in ("-p", f"no:{plugin}"))


def plugins_off(assignment: Assignment, paths: list[Path]) -> tuple[str, ...]:
    """What `run_tests` turns off for these test folders: the plugins no grading uses, and those
    no test (nor the assignment's conftest.py) asks for."""
    files = sorted(f for folder in paths for f in folder.rglob("*.py") if f.is_file())
    files += [f for f in [assignment.root / "conftest.py", assignment.root / "tests" / "conftest.py"] if f.is_file()]
    return _plugins_off(tuple((str(f), f.stat().st_mtime_ns) for f in files))


def _one_thread() -> None:
    """The trusted side computes little (replays, cross-checks) next to workers that need every
    core: one torch thread. With more, OpenMP threads left spinning after each parallel region
    take the cores the workers need (a trusted replay of 0.13 s took 8.4 s on a busy machine)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    else:  # read when torch is first imported here
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"


def run_tests(assignment: Assignment, extracted: Extracted, filename: str, *, hidden: bool, seed: int,
              policy: SandboxPolicy | None = None, data: DataConfig = DataConfig(),
              exercises: set[str] | None = None, launcher: WorkerLauncher | None = None) -> RunOutcome:
    """`exercises`: run only the tests of these exercises (default: all); `launcher`: how workers
    start (default: `grader.run.launcher.default_launcher()`)."""
    paths = [assignment.public_tests] + ([assignment.hidden_tests] if hidden else [])
    paths = [p for p in paths if p.is_dir()]
    if not paths:
        return RunOutcome((), (), "", f"{assignment.root} has no tests/public or tests/hidden folder.")
    _one_thread()
    workdir = Path(tempfile.mkdtemp(prefix="grader-"))
    # Removed however grading ends, a SIGTERM from a batch runner included.
    forget_workdir = cleanup.register(lambda: shutil.rmtree(workdir, ignore_errors=True))
    runtime = StudentRuntime(
        code=extracted.code,
        limits=assignment.limits,
        workdir=workdir,
        deadline=time.monotonic() + assignment.limits.submission_seconds,
        policy=policy or SandboxPolicy(),
        launcher=launcher,
    )
    runtime.prestart()  # the worker gets ready while pytest imports and collects the tests
    view = SubmissionView(filename, extracted.is_notebook, extracted.figure_cells)
    plugin = GradingPlugin(assignment, runtime, view, seed, data)
    args = [
        *map(str, paths),
        "--rootdir", str(assignment.root),
        "-c", os.devnull,            # never the course's or the grader's own pytest settings
        "--confcutdir", str(assignment.root),  # nor conftest.py files above the assignment
        "--assert=plain",            # messages only: rewritten asserts would print hidden values
        "--import-mode=importlib",   # many submissions in one process, no sys.path games
        "-p", "no:cacheprovider",
        # Its unconfigure runs a full gc.collect(): ~0.2 s per grading in a process holding torch,
        # to turn unraisable exceptions of the trusted side into warnings nobody reads.
        "-p", "no:unraisableexception",
        # Failures are reported from the exception by the plugin, never from pytest's rendering
        # of it, which parses each test file's source again per failure (~40 ms a failing test).
        "--tb=no",
        "-q",
        *plugins_off(assignment, paths),
    ]
    try:
        with _isolated_pytest(assignment.root), contextlib.redirect_stdout(io.StringIO()) as noise:
            extra = [_OnlyExercises(exercises)] if exercises is not None else []
            code = pytest.main(args, plugins=[*extra, plugin])
        from grader.run import devices  # torch: imported here, after the worker was started

        runtime.problems.extend(devices.collect(runtime))  # "your CUDA code ran on the CPU"
        runtime.close()  # first: its output is complete once the worker is gone
        output = runtime.output()
    finally:
        runtime.close()
        shutil.rmtree(workdir, ignore_errors=True)
        cleanup.unregister(forget_workdir)
    error = ""
    if plugin.collect_errors:
        error = "The assignment's tests could not be loaded: " + "; ".join(plugin.collect_errors)
    elif plugin.data_errors:
        error = " ".join(plugin.data_errors)
    elif code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        tail = noise.getvalue().strip().splitlines()[-3:]
        error = f"The test run stopped ({pytest.ExitCode(code).name}): " + " ".join(tail)
    return RunOutcome(tuple(plugin.results()), tuple(runtime.problems), output, error, plugin.measures)
