"""Artifacts: the plain data a test attaches to its result to ask the report for a figure.

An artifact is a JSON-able dict (it crosses the worker boundary and is stored with the grade):

    {"kind": "scatter", "title": "...", "alt": "...", "points": {"x": [...], "y": [...]},
     "relation": {"x": [...], "y": [...]}}

The kinds and their fields are documented in docs/feedback.md. This side is trusted and the
artifact is not: `check_artifact` walks it with strict types and bounds (numbers only, nesting
depth, total values) before anything is converted, and `render_artifact` never raises — a
malformed, oversized or undrawable artifact gives None and the report simply shows no figure.

Drawing costs tens of milliseconds a figure, so each distinct artifact is drawn once: figures
are remembered by `artifact_key` (a digest of the artifact's content) in a small in-process
memo and, while `figure_store(...)` is active, in a store that outlives the process (a batch
keeps the figures its grading processes drew in its database, so the reports it writes at the
end, and on every rerun, embed them without drawing again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from grader.report import plots
from grader.report.plots import Curve, Figure, PlotError

__all__ = ["KINDS", "check_artifact", "render_artifact", "artifact_key", "figure_store", "FigureStore", "MAX_VALUES"]

log = logging.getLogger(__name__)

MAX_VALUES = 200_000      # numbers in one artifact, all fields together
MAX_DEPTH = 3             # images are (N, H, W): the deepest field
MAX_STRINGS = 256         # captions / class names
TEXT_FIELDS = ("title", "alt", "x_label", "y_label")


class ArtifactError(ValueError):
    pass


def _numbers(value: Any, name: str, depth: int, budget: list[int]) -> None:
    """Nested lists of int/float (never bool), at most `depth` deep, within the shared budget."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
        raise ArtifactError(f"{name} must hold numbers, found {type(value).__name__}.")
    if isinstance(value, (int, float)):
        budget[0] -= 1
        if budget[0] < 0:
            raise ArtifactError(f"an artifact holds at most {MAX_VALUES} numbers.")
        if isinstance(value, int) and abs(value) > 2**53:
            raise ArtifactError(f"{name} holds an integer too large to draw.")
        return
    if depth == 0:
        raise ArtifactError(f"{name} is nested too deep.")
    for item in value:
        _numbers(item, name, depth - 1, budget)


def _strings(value: Any, name: str) -> None:
    if not isinstance(value, (list, tuple)) or len(value) > MAX_STRINGS:
        raise ArtifactError(f"{name} must be a list of at most {MAX_STRINGS} strings.")
    if not all(isinstance(item, str) and len(item) <= 1_000 for item in value):
        raise ArtifactError(f"{name} must hold short strings.")


def _series(value: Any, name: str, budget: list[int]) -> None:
    if not isinstance(value, dict):
        raise ArtifactError(f"{name} must be an object with x and y.")
    for axis in ("x", "y"):
        if axis not in value:
            raise ArtifactError(f"{name} has no {axis}.")
        _numbers(value[axis], f"{name}.{axis}", 1, budget)
    if "label" in value and not isinstance(value["label"], str):
        raise ArtifactError(f"{name}.label must be a string.")


def _curve(value: dict[str, Any] | None) -> Curve | None:
    if value is None:
        return None
    return Curve(value["x"], value["y"], str(value.get("label", ""))[:1_000])


def _text(artifact: dict[str, Any], key: str) -> str:
    return artifact.get(key, "")[:1_000]


# kind -> (required series fields, optional series fields, number fields with their depth)
_SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, int]]] = {
    "scatter": (("points",), ("relation",), {}),
    "regression": (("data", "fit"), ("reference",), {}),
    "loss": ((), (), {"loss": 1, "reference": 1}),
    "confusion": ((), (), {"matrix": 2}),
    "images": ((), (), {"images": 3}),
}
_REQUIRED_NUMBERS = {"loss": ("loss",), "confusion": ("matrix",), "images": ("images",)}
KINDS = tuple(_SHAPES)


def check_artifact(artifact: Any) -> str:
    """"" when the artifact is well-formed and within bounds, else one sentence saying what is wrong."""
    try:
        if not isinstance(artifact, dict):
            raise ArtifactError("an artifact is a dict.")
        kind = artifact.get("kind")
        if not isinstance(kind, str) or kind not in _SHAPES:
            raise ArtifactError(f"unknown artifact kind {str(kind)[:40]!r}; known: {', '.join(KINDS)}.")
        for key in TEXT_FIELDS:
            if key in artifact and not isinstance(artifact[key], str):
                raise ArtifactError(f"{key} must be a string.")
        required, optional, numbers = _SHAPES[kind]
        budget = [MAX_VALUES]
        for key in required:
            _series(artifact.get(key), key, budget)
        for key in optional:
            if artifact.get(key) is not None:
                _series(artifact[key], key, budget)
        for key, depth in numbers.items():
            if key in _REQUIRED_NUMBERS.get(kind, ()) or artifact.get(key) is not None:
                if key not in artifact:
                    raise ArtifactError(f"a {kind} artifact needs {key}.")
                _numbers(artifact[key], key, depth, budget)
        for key in ("captions", "class_names"):
            if artifact.get(key) is not None:
                _strings(artifact[key], key)
    except ArtifactError as error:
        return str(error)
    except RecursionError:
        return "the artifact is nested too deep."
    except Exception as error:  # noqa: BLE001 - check_artifact answers, it never raises
        return f"the artifact could not be read ({type(error).__name__})."
    return ""


def _default_alt(kind: str, title: str) -> str:
    what = {
        "scatter": "Scatter plot of your points against the expected relation",
        "regression": "Your fitted curve against the data and the reference fit",
        "loss": "Your loss per step against the reference loss",
        "confusion": "Confusion matrix: true class by row, predicted class by column",
        "images": "Grid of images",
    }[kind]
    return f"{what}: {title}" if title else what


def _render(artifact: dict[str, Any]) -> Figure:
    kind = artifact["kind"]
    title = _text(artifact, "title")
    alt = _text(artifact, "alt").strip() or _default_alt(kind, plots.clean_text(title))
    labels = {"x_label": _text(artifact, "x_label") or "x", "y_label": _text(artifact, "y_label") or "y"}
    renderers: dict[str, Callable[[], Figure]] = {
        "scatter": lambda: plots.scatter(_curve(artifact["points"]), relation=_curve(artifact.get("relation")),
                                         alt=alt, title=title, **labels),
        "regression": lambda: plots.regression_fit(_curve(artifact["data"]), _curve(artifact["fit"]),
                                                   reference=_curve(artifact.get("reference")),
                                                   alt=alt, title=title, **labels),
        "loss": lambda: plots.loss_curves(artifact["loss"], reference=artifact.get("reference"), alt=alt, title=title),
        "confusion": lambda: plots.confusion_matrix(artifact["matrix"], alt=alt, title=title,
                                                    class_names=artifact.get("class_names")),
        "images": lambda: plots.digit_grid(artifact["images"], alt=alt, title=title,
                                           captions=artifact.get("captions")),
    }
    return renderers[kind]()


class FigureStore(Protocol):
    """Where drawn figures are kept beyond one process (a batch's database)."""

    def get_figure(self, key: str) -> Figure | None: ...

    def put_figure(self, key: str, figure: Figure) -> None: ...


# Figures kept in this process by the digest of their data. $GRADER_FIGURE_MEMO changes the count;
# benchmarks set it to 0 so that a synthetic class of copies draws every figure, as a real class,
# whose students' values all differ, does.
MEMO_SIZE = int(os.environ.get("GRADER_FIGURE_MEMO", "64") or 64)
_memo: OrderedDict[str, Figure] = OrderedDict()
_store: list[FigureStore] = []


@contextlib.contextmanager
def figure_store(store: FigureStore) -> Iterator[None]:
    """While active, figures are looked up in `store` before being drawn, and kept there after."""
    _store.append(store)
    try:
        yield
    finally:
        _store.remove(store)


def artifact_key(artifact: dict[str, Any]) -> str:
    """A digest of what the artifact says: the same data draws the same figure."""
    text = json.dumps(artifact, sort_keys=True, separators=(",", ":"), allow_nan=True, default=repr)
    return hashlib.sha256(f"{plots.STYLE_VERSION}\0{text}".encode()).hexdigest()


def _remembered(key: str) -> Figure | None:
    if key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    for store in reversed(_store):
        try:
            found = store.get_figure(key)
        except Exception:  # noqa: BLE001 - a store that fails is one that has nothing
            log.warning("figure store failed; drawing again", exc_info=True)
            found = None
        if found is not None:
            return found
    return None


def _remember(key: str, figure: Figure) -> None:
    _memo[key] = figure
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    for store in _store:
        try:
            store.put_figure(key, figure)
        except Exception:  # noqa: BLE001 - not kept: drawn again next time
            log.warning("figure store failed to keep a figure", exc_info=True)


def render_artifact(artifact: Any) -> Figure | None:
    """The figure an artifact asks for, or None when it is malformed or cannot be drawn. Never raises."""
    problem = check_artifact(artifact)
    if problem:
        log.info("artifact not drawn: %s", problem)
        return None
    try:
        key = artifact_key(artifact)
    except (TypeError, ValueError, RecursionError):  # checked above: cannot happen, never worth a report
        key = ""
    found = _remembered(key) if key else None
    if found is not None:
        return found
    try:
        figure = _render(artifact)
    except PlotError as error:
        log.info("artifact not drawn: %s", error)
        return None
    except Exception:  # noqa: BLE001 - a figure is never worth a failed report
        log.warning("artifact not drawn: drawing failed", exc_info=True)
        return None
    if key:
        _remember(key, figure)
    return figure
