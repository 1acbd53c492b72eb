"""Shared paths and helpers for the project's own tests."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from grader.assignment import Assignment, Limits, load_assignment

# Courses that tests grade hold test files of their own: they are graded, not collected.
collect_ignore_glob = ["adversarial/course/*"]

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"


STRICT = "GRADER_TESTS_STRICT"


def skip_unless_strict(reason: str) -> None:
    """Skip a test this machine cannot run (no Chromium, no openssl, not Linux, no full sandbox),
    or fail it when $GRADER_TESTS_STRICT is set: CI sets it, so there a missing tool or sandbox is
    a red run, never a test that quietly proved nothing."""
    if os.environ.get(STRICT):
        pytest.fail(f"{reason} (${STRICT} is set: CI runs every test)")
    pytest.skip(reason)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite the golden files under tests/goldens/ from what the code produces now")


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def course() -> Path:
    return ROOT


def fast_limits(spec: Assignment, call_seconds: float = 10.0) -> Assignment:
    """The assignment with short limits, so that tests of runaway code stay quick. The honest
    calls of tp1 take well under a second each."""
    return dataclasses.replace(spec, limits=Limits(call_seconds=call_seconds, load_seconds=5.0, submission_seconds=300.0))


@pytest.fixture(scope="session")
def tp1() -> Assignment:
    return fast_limits(load_assignment(ROOT, "tp1"))
