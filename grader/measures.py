"""What a test's checks compared with their bounds, recorded for calibration scripts
(scripts/seed_sweep.py), never for students. Apart from `grader.testing` so that the grading
plugin can collect them without importing torch."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Measure", "measure", "measuring"]


@dataclass(frozen=True)
class Measure:
    """A value a check compared with its bounds: what calibration scripts read (never students)."""

    what: str
    value: float
    low: float
    high: float


_measures: ContextVar[list[Measure] | None] = ContextVar("grader_measures", default=None)


@contextlib.contextmanager
def measuring() -> Iterator[list[Measure]]:
    """Collect what `check.between`, `at_most` and `at_least` compare while the block runs."""
    sink: list[Measure] = []
    token = _measures.set(sink)
    try:
        yield sink
    finally:
        _measures.reset(token)


def measure(what: str, value: float, low: float = -math.inf, high: float = math.inf) -> None:
    """Record a value that a test compares with bounds of its own, for calibration scripts
    (scripts/seed_sweep.py). It checks nothing, and never reaches students."""
    sink = _measures.get()
    if sink is not None:
        sink.append(Measure(what, float(value), float(low), float(high)))
