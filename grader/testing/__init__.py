"""What assignment tests import: checks that say what was got and what was expected.

    from grader.testing import check, generator

Tests receive the fixtures `student` (the submission, proxied to the worker), `seed` (a stable
per-test seed) and `submission` (facts about the file: notebook or not, cells with figures), and
use the markers `exercise(name)`, `points(n)` and `time_limit(seconds)`. See
docs/writing-assignments.md.

Messages are shown to students, for hidden tests too: say what is wrong in terms of the contract
(a shape, a dtype, "not centered"), never the hidden expected values themselves.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.run.proxy import Handle

__all__ = ["check", "generator", "Handle"]


def generator(seed: int) -> torch.Generator:
    """A trusted-side random generator: the test's data never depends on student code."""
    return torch.Generator().manual_seed(int(seed))


def _kind(value: Any) -> str:
    if isinstance(value, Handle):
        return f"a {value.type_name.rsplit('.', 1)[-1]} object"
    return f"a {type(value).__name__}"


class check:
    """Assertions for student values, checked in order: None, type, shape, dtype, values."""

    @staticmethod
    def returns_tuple(value: Any, what: str, length: int) -> tuple[Any, ...]:
        if not isinstance(value, (tuple, list)) or len(value) != length:
            got = f"{_kind(value)} of length {len(value)}" if isinstance(value, (tuple, list)) else _kind(value)
            raise AssertionError(f"{what} should return {length} values, got {got}.")
        return tuple(value)

    @staticmethod
    def tensor(value: Any, what: str, *, shape: tuple[int, ...] | None = None,
               dtype: torch.dtype | None = torch.float32) -> torch.Tensor:
        if value is None:
            raise AssertionError(f"{what} is None; expected a tensor (did you forget a return?).")
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{what} should be a torch tensor, got {_kind(value)}.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise AssertionError(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}.")
        if dtype is not None and value.dtype != dtype:
            raise AssertionError(f"{what} has dtype {value.dtype}, expected {dtype}.")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{what} contains NaN or infinite values.")
        return value

    @staticmethod
    def float_list(value: Any, what: str, length: int) -> list[float]:
        if not isinstance(value, list):
            raise AssertionError(f"{what} should return a list of Python floats, got {_kind(value)}.")
        if len(value) != length:
            raise AssertionError(f"{what} returned {len(value)} values, expected one per step ({length}).")
        bad = next((v for v in value if type(v) is not float), None)
        if bad is not None:
            hint = " (use loss.item())" if isinstance(bad, torch.Tensor) else ""
            raise AssertionError(f"{what} should hold Python floats, got {_kind(bad)}{hint}.")
        return value

    @staticmethod
    def centered(value: torch.Tensor, what: str, atol: float = 1e-3) -> None:
        mean = float(value.double().mean())
        if abs(mean) > atol:
            raise AssertionError(f"{what} is not centered: its mean is {mean:.4g}, expected 0.")

    @staticmethod
    def between(value: float, low: float, high: float, what: str, *, reveal: bool = True) -> None:
        """`reveal=False` (hidden tests) keeps the bounds out of the message."""
        if not low <= value <= high:  # NaN fails too
            bounds = f"expected between {low:.4g} and {high:.4g}" if reveal else "outside the expected range"
            raise AssertionError(f"{what} is {value:.4g}, {bounds}.")

    @staticmethod
    def at_most(value: float, limit: float, what: str, *, reveal: bool = True) -> None:
        if not value <= limit:  # NaN fails too
            bound = f"expected at most {limit:.4g}" if reveal else "above what a correct solution reaches"
            raise AssertionError(f"{what} is {value:.4g}, {bound}.")
