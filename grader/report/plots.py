"""Figures for the report, drawn in the trusted process from plain data (never by student code).

Every function here takes values a test already brought back from the worker (lists, numpy
arrays, tensors copied by value) and returns a `Figure`: an image inlined as a `data:` URI plus
the alt text a screen reader speaks. Nothing is fetched and nothing of the student's runs: a hostile
value can at worst make an ugly picture, and every size is bounded (points drawn, images in a
grid, figure size), so a huge value costs a fixed amount of drawing.

x/y plots (points, fits, loss curves) and confusion matrices are SVG written by
grader/report/svg.py (~1 ms a figure, against 50-200 ms through matplotlib); digit grids are a
PNG drawn with Pillow (a few ms, against ~0.3 s). No plotting library runs in the trusted process:
no global state, no GUI backend, safe from any thread. Text from a submission (captions, labels)
is escaped in SVG and drawn as plain text by Pillow: nothing in it is parsed.

Test authors do not call these directly: they attach an artifact (plain JSON-able dict) to their
result and `grader.report.artifacts.render_artifact` turns it into a Figure (docs/feedback.md).
"""

from __future__ import annotations

import base64
import io
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from markupsafe import Markup

from grader.report import svg

__all__ = [
    "Figure", "PlotError", "Curve", "scatter", "regression_fit", "loss_curves",
    "confusion_matrix", "digit_grid", "MAX_POINTS", "MAX_IMAGES",
]

# Bounds: a figure costs the same to draw whatever a submission sent.
MAX_POINTS = 2_000        # points or curve samples drawn per series (evenly subsampled beyond)
MAX_INPUT = 1_000_000     # values accepted per series at all (beyond: refused, not subsampled)
MAX_SERIES = 8            # curves in one figure
MAX_IMAGES = 64           # digits in a grid
MAX_CLASSES = 20          # rows/columns of a confusion matrix
MAX_TEXT = 80             # characters of a title, label or caption
RELATION_SAMPLES = 200    # samples of a trusted callable relation
# Bumped whenever figures are drawn differently: a figure kept from an earlier drawing
# (grader.report.artifacts) is then drawn again.
STYLE_VERSION = 3
MAX_HEIGHT_PX = 640       # a digit grid's height: MAX_IMAGES in rows of 8 stays within it

DATA_URI_PREFIXES = ("data:image/png;base64,", "data:image/svg+xml;base64,")
STUDENT_COLOUR = "#1f77b4"
REFERENCE_COLOUR = "#d62728"


class PlotError(ValueError):
    """The data cannot be drawn (wrong shape, empty, too large): one sentence saying which."""


@dataclass(frozen=True)
class Figure:
    """A self-contained image: `data_uri` is `data:image/png;base64,...` (images, matrices) or
    `data:image/svg+xml;base64,...` (x/y plots, grader/report/svg.py); `alt` is never empty."""

    alt: str
    data_uri: str
    width: int
    height: int

    def __post_init__(self) -> None:
        if not self.alt.strip():
            raise ValueError("a figure needs a non-empty alt text")
        if not self.data_uri.startswith(DATA_URI_PREFIXES):
            raise ValueError("a figure is an inline PNG or SVG data URI")

    def to_html(self) -> Markup:
        """An `<img>` tag, escaped: safe to put in an autoescaped template as is."""
        return Markup('<img class="figure" src="{}" alt="{}" width="{}" height="{}">').format(
            self.data_uri, self.alt, self.width, self.height)


@dataclass(frozen=True)
class Curve:
    """A line or a set of points: x and y of the same length."""

    x: Sequence[float] | np.ndarray
    y: Sequence[float] | np.ndarray
    label: str = ""


def clean_text(text: Any, limit: int = MAX_TEXT) -> str:
    """Printable, one line, bounded; lone surrogates and control characters dropped."""
    if not isinstance(text, str):
        return ""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_array(values: Any, *, name: str, ndim: int | None = 1) -> np.ndarray:
    """A float array from a list, numpy array or tensor (copied; never a view on the input)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(values, torch.Tensor):
        values = values.detach().to("cpu").numpy()
    if isinstance(values, (str, bytes, dict)):
        raise PlotError(f"{name} must be numbers, not {type(values).__name__}.")
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as error:
        raise PlotError(f"{name} must be numbers ({error}).") from None
    if ndim is not None and array.ndim != ndim:
        raise PlotError(f"{name} must have {ndim} dimension(s), got shape {tuple(array.shape)}.")
    if array.size > MAX_INPUT:
        raise PlotError(f"{name} has {array.size} values; at most {MAX_INPUT} are drawn.")
    return array


def _subsample(*arrays: np.ndarray, limit: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Every array cut to the same evenly spaced `limit` indices (first and last kept)."""
    n = len(arrays[0])
    if n <= limit:
        return arrays
    keep = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return tuple(a[keep] for a in arrays)


def _xy(curve: Curve, name: str) -> tuple[np.ndarray, np.ndarray]:
    x = as_array(curve.x, name=f"{name} x")
    y = as_array(curve.y, name=f"{name} y")
    if len(x) != len(y):
        raise PlotError(f"{name}: x has {len(x)} values and y {len(y)}.")
    finite = np.isfinite(x) & np.isfinite(y)
    return _subsample(x[finite], y[finite])


def _embedded(prefix: str, data: bytes, alt: str, width: int, height: int) -> Figure:
    """A Figure of an image's bytes, embedded as a data URI (one of DATA_URI_PREFIXES)."""
    return Figure(alt=clean_text(alt, 300) or "figure", data_uri=prefix + base64.b64encode(data).decode("ascii"),
                  width=width, height=height)


def _svg_figure(svg_text: str, alt: str, size: tuple[int, int] = (svg.WIDTH, svg.HEIGHT)) -> Figure:
    return _embedded(DATA_URI_PREFIXES[1], svg_text.encode("utf-8"), alt, *size)


def _relation_curve(relation: Curve | Callable[[np.ndarray], Any], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A relation given as points, or a trusted callable evaluated over the data's x range."""
    if isinstance(relation, Curve):
        rx, ry = _xy(relation, "relation")
    else:
        lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
        rx = np.linspace(lo, hi, RELATION_SAMPLES)
        ry = as_array(relation(rx), name="relation")
        if len(ry) != len(rx):
            raise PlotError("the relation must return one y per x.")
    order = np.argsort(rx, kind="stable")
    return rx[order], ry[order]


def scatter(points: Curve, *, relation: Curve | Callable[[np.ndarray], Any] | None = None,
            alt: str, title: str = "", x_label: str = "x", y_label: str = "y") -> Figure:
    """The student's (x, y) points against the relation the contract asks for (a line or curve)."""
    x, y = _xy(points, "points")
    if not len(x):
        raise PlotError("no finite point to draw.")
    series = [svg.Series(x, y, clean_text(points.label) or "your points", STUDENT_COLOUR, line=False, opacity=0.6)]
    if relation is not None:
        rx, ry = _relation_curve(relation, x)
        label = relation.label if isinstance(relation, Curve) else ""
        series.append(svg.Series(rx, ry, clean_text(label) or "expected", REFERENCE_COLOUR))
    return _svg_figure(svg.xy_plot(series, title=clean_text(title), x_label=clean_text(x_label),
                                   y_label=clean_text(y_label)), alt)


def regression_fit(data: Curve, fit: Curve, *, reference: Curve | None = None, alt: str,
                   title: str = "", x_label: str = "x", y_label: str = "y") -> Figure:
    """Data points, the student's fitted curve, and the reference fit."""
    x, y = _xy(data, "data")
    fx, fy = _xy(fit, "fit")
    if not len(x) and not len(fx):
        raise PlotError("nothing finite to draw.")
    series = [svg.Series(x, y, clean_text(data.label) or "data", "#7f7f7f", line=False, opacity=0.4)]
    order = np.argsort(fx, kind="stable")
    series.append(svg.Series(fx[order], fy[order], clean_text(fit.label) or "your fit", STUDENT_COLOUR))
    if reference is not None:
        gx, gy = _xy(reference, "reference")
        order = np.argsort(gx, kind="stable")
        series.append(svg.Series(gx[order], gy[order], clean_text(reference.label) or "reference fit",
                                 REFERENCE_COLOUR, dashed=True))
    return _svg_figure(svg.xy_plot(series, title=clean_text(title), x_label=clean_text(x_label),
                                   y_label=clean_text(y_label)), alt)


def loss_curves(loss: Sequence[float] | np.ndarray, *, reference: Sequence[float] | np.ndarray | None = None,
                alt: str, title: str = "", log_scale: bool | None = None) -> Figure:
    """The student's loss per step against the reference's (log scale when it spans decades)."""
    series = [("your loss", as_array(loss, name="loss"), STUDENT_COLOUR, "-")]
    if reference is not None:
        series.append(("reference loss", as_array(reference, name="reference loss"), REFERENCE_COLOUR, "--"))
    drawn, lines = [], []
    for label, values, colour, style in series:
        steps = np.arange(len(values), dtype=np.float64)
        finite = np.isfinite(values)
        steps, values = _subsample(steps[finite], values[finite])
        if len(values):
            drawn.append(values)
            lines.append(svg.Series(steps, values, label, colour, dashed=style == "--"))
    if not drawn:
        raise PlotError("no finite loss value to draw.")
    all_positive = all(bool((v > 0).all()) for v in drawn)
    if log_scale is None:
        log_scale = all_positive and max(float(v.max() / v.min()) for v in drawn) > 100
    return _svg_figure(svg.xy_plot(lines, title=clean_text(title), x_label="step", y_label="loss",
                                   log_y=bool(log_scale and all_positive)), alt)


def confusion_matrix(counts: Any, *, alt: str, title: str = "", class_names: Sequence[str] | None = None) -> Figure:
    """A square matrix of counts (rows: true class, columns: predicted), each cell annotated."""
    matrix = as_array(counts, name="confusion matrix", ndim=2)
    n = matrix.shape[0]
    if n == 0 or matrix.shape != (n, n):
        raise PlotError(f"a confusion matrix is square, got shape {tuple(matrix.shape)}.")
    if n > MAX_CLASSES:
        raise PlotError(f"at most {MAX_CLASSES} classes are drawn, got {n}.")
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise PlotError("a confusion matrix holds finite counts >= 0.")
    names = [clean_text(c, 12) for c in class_names] if class_names is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise PlotError(f"{len(names)} class names for {n} classes.")
    return _svg_figure(svg.matrix_plot(matrix, names, title=clean_text(title), annotate=n <= 12), alt,
                       size=(svg.MATRIX_SIZE, svg.MATRIX_SIZE))


def digit_grid(images: Any, *, alt: str, captions: Sequence[str] | None = None, title: str = "") -> Figure:
    """Grayscale images (N, H, W) in a grid of at most MAX_IMAGES, each with its caption."""
    array = as_array(images, name="images", ndim=None)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or 0 in array.shape or array.shape[1] > 64 or array.shape[2] > 64:
        raise PlotError(f"images must be (N, H, W) with H, W <= 64, got shape {tuple(array.shape)}.")
    array = np.nan_to_num(array[:MAX_IMAGES], nan=0.0, posinf=255.0, neginf=0.0)
    count = len(array)
    texts = [clean_text(c, 24) for c in (captions or [])][:count]
    texts += [""] * (count - len(texts))
    columns = min(8, count)
    rows = math.ceil(count / columns)
    top = 255.0 if array.max() > 1.0 else 1.0
    return _grid_png(array, texts, columns, rows, top, clean_text(title), alt)


@lru_cache(maxsize=1)
def _fonts() -> tuple[Any, Any]:
    """Pillow's own font at the captions' and the title's sizes (read from disk once)."""
    from PIL import ImageFont

    return ImageFont.load_default(size=10), ImageFont.load_default(size=13)


def _fit(text: str, font: Any, width: float) -> str:
    """`text` cut (with an ellipsis) to `width` pixels in `font`."""
    while text and font.getlength(text) > width:
        text = text[:-2] + "…" if len(text) > 1 else ""
    return text


def _grid_png(array: np.ndarray, texts: list[str], columns: int, rows: int, top: float, title: str,
              alt: str) -> Figure:
    """The grid drawn with Pillow (a few ms; matplotlib's 64 small axes took ~0.3 s): each image
    scaled up by whole pixels, dark on light (0 is white, `top` black), its caption below."""
    from PIL import Image, ImageDraw

    cell = svg.WIDTH // columns
    caption_h, title_h = 14, 24 if title else 4
    side = cell - 4
    height = title_h + rows * (side + caption_h + 6)
    canvas = Image.new("L", (svg.WIDTH, height), 255)
    draw = ImageDraw.Draw(canvas)
    small, large = _fonts()
    if title:
        text = _fit(title, large, svg.WIDTH - 8)
        draw.text(((svg.WIDTH - large.getlength(text)) / 2, 5), text, fill=0, font=large)
    shades = (255.0 * (1.0 - np.clip(array / top, 0.0, 1.0))).round().astype(np.uint8)
    for index, (image, text) in enumerate(zip(shades, texts)):
        row, column = divmod(index, columns)
        row_top = title_h + row * (side + caption_h + 6)
        scale = max(1, side // max(image.shape))
        tile = Image.fromarray(image, mode="L").resize((image.shape[1] * scale, image.shape[0] * scale),
                                                        Image.Resampling.NEAREST)
        x = column * cell + (cell - tile.width) // 2
        y = row_top + (side - tile.height) // 2
        canvas.paste(tile, (x, y))
        draw.rectangle((x - 1, y - 1, x + tile.width, y + tile.height), outline=200)
        if text:
            text = _fit(text, small, cell - 2)
            draw.text((column * cell + (cell - small.getlength(text)) / 2, row_top + side + 2), text, fill=0, font=small)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return _embedded(DATA_URI_PREFIXES[0], buffer.getvalue(), alt, svg.WIDTH, height)
