"""The `feedback` fixture: how a test asks the report for a figure without touching report code.

    def test_linear_dataset(student, feedback):
        x, y = student.create_linear_dataset(100, -1, 5)
        feedback.scatter(x, y, relation=([-7.5, 7.5], [7.5, -7.5]), title="your points")
        ...

Each call builds a plain-data artifact (docs/feedback.md): values are copied into lists of
numbers here, in the trusted process, and checked with `check_artifact`; a malformed one is not
attached (it is logged: a figure is never worth a failed test). The report draws them later.
Attach figures before the checks that may fail, so a failing test still shows its picture.
"""

from __future__ import annotations

import logging
from typing import Any

from grader.report.artifacts import check_artifact

__all__ = ["Feedback", "MAX_PER_TEST"]

log = logging.getLogger(__name__)

MAX_PER_TEST = 4


def _plain(value: Any, depth: int = 0) -> Any:
    """Lists of numbers from a tensor, numpy array or sequence, copied by value. Only those types
    are read: a handle to a worker object is refused, never asked for attributes."""
    if depth > 4:
        raise TypeError("nested too deep")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    module = type(value).__module__ or ""
    if module.startswith("torch"):
        return _plain(value.detach().cpu().tolist(), depth + 1)
    if module.startswith("numpy"):
        return _plain(value.tolist(), depth + 1)
    raise TypeError(f"{type(value).__name__} is not numbers")


def _series(x: Any, y: Any, label: str = "") -> dict[str, Any]:
    series: dict[str, Any] = {"x": _plain(x), "y": _plain(y)}
    if label:
        series["label"] = label
    return series


class Feedback:
    """The figures one test attaches to its result."""

    def __init__(self) -> None:
        self.artifacts: list[dict[str, Any]] = []
        self.rejected: list[str] = []

    def plot(self, artifact: dict[str, Any]) -> bool:
        """Attach a ready artifact; False (and nothing attached) when it is malformed or one too many."""
        problem = check_artifact(artifact)
        if not problem and len(self.artifacts) >= MAX_PER_TEST:
            problem = f"a test attaches at most {MAX_PER_TEST} figures."
        if problem:
            self.rejected.append(problem)
            log.warning("figure not attached: %s", problem)
            return False
        self.artifacts.append(artifact)
        return True

    def _build(self, build: Any) -> bool:
        try:
            artifact = build()
        except Exception as error:  # noqa: BLE001 - a value that cannot be copied is no figure
            self.rejected.append(f"the values could not be copied ({type(error).__name__}).")
            return False
        return self.plot(artifact)

    def scatter(self, x: Any, y: Any, *, relation: tuple[Any, Any] | None = None, title: str = "",
                label: str = "your points", relation_label: str = "expected", **extra: Any) -> bool:
        def build() -> dict[str, Any]:
            art = {"kind": "scatter", "title": title, "points": _series(x, y, label), **extra}
            if relation is not None:
                art["relation"] = _series(*relation, relation_label)
            return art
        return self._build(build)

    def regression(self, data: tuple[Any, Any], fit: tuple[Any, Any], *, reference: tuple[Any, Any] | None = None,
                   title: str = "", **extra: Any) -> bool:
        def build() -> dict[str, Any]:
            art = {"kind": "regression", "title": title, "data": _series(*data, "data"),
                   "fit": _series(*fit, "your fit"), **extra}
            if reference is not None:
                art["reference"] = _series(*reference, "reference fit")
            return art
        return self._build(build)

    def loss(self, loss: Any, *, reference: Any = None, title: str = "", **extra: Any) -> bool:
        def build() -> dict[str, Any]:
            art = {"kind": "loss", "title": title, "loss": _plain(loss), **extra}
            if reference is not None:
                art["reference"] = _plain(reference)
            return art
        return self._build(build)

    def confusion(self, matrix: Any, *, title: str = "", class_names: list[str] | None = None, **extra: Any) -> bool:
        def build() -> dict[str, Any]:
            art = {"kind": "confusion", "title": title, "matrix": _plain(matrix), **extra}
            if class_names is not None:
                art["class_names"] = [str(c) for c in class_names]
            return art
        return self._build(build)

    def images(self, images: Any, *, title: str = "", captions: list[str] | None = None, **extra: Any) -> bool:
        def build() -> dict[str, Any]:
            art = {"kind": "images", "title": title, "images": _plain(images), **extra}
            if captions is not None:
                art["captions"] = [str(c) for c in captions]
            return art
        return self._build(build)
