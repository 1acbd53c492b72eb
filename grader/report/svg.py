"""x/y plots (points, lines, a legend, ticks, a title) written as SVG text.

The report's line and point figures are drawn here rather than by matplotlib, whose Agg canvas
took ~50 ms a figure (ticks, text, rasterizing) in the process that grades: nine figures a tp1
submission, as long as its tests' own compute. Formatting a few hundred numbers into SVG takes
about a millisecond, and the figure stays sharp at any zoom.

What comes in is already numbers (finite, bounded in count: grader/report/plots.py); every text
(title, labels, legend) is escaped, so a label cannot add markup. The SVG holds no script, link,
style sheet or external reference, and the report shows it through `<img src="data:...">`, where
a browser would not run one anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 480, 320
# The plotting area inside the figure, in pixels (the same fractions as matplotlib's layout had).
LEFT, RIGHT, TOP, BOTTOM = 72.0, 465.6, 28.8, 275.2
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
GRID = "#b0b0b0"
PAD = 0.05  # share of the data's span left free on each side of an axis, as matplotlib does


@dataclass(frozen=True)
class Series:
    """One curve (`line`) or set of points to draw; x and y finite, of the same length."""

    x: np.ndarray
    y: np.ndarray
    label: str
    colour: str
    line: bool = True
    dashed: bool = False
    opacity: float = 1.0


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round values (1, 2, 2.5 or 5 times a power of ten apart) in [low, high], as close to
    `count` of them as such steps allow (the larger step on a tie)."""
    magnitude = 10.0 ** math.floor(math.log10((high - low) / max(1, count - 1)))
    best: tuple[float, float] | None = None
    for step in (m * magnitude * scale for scale in (0.1, 1.0, 10.0) for m in (1.0, 2.0, 2.5, 5.0)):
        n = math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1
        score = abs(n - count)
        if n >= 2 and (best is None or score < best[0] or (score == best[0] and step > best[1])):
            best = (score, step)
    step = best[1] if best else (high - low)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _limits(values: Sequence[np.ndarray]) -> tuple[float, float]:
    low = min(float(v.min()) for v in values if len(v))
    high = max(float(v.max()) for v in values if len(v))
    if high - low <= abs(high) * 1e-12:  # one value (or as good as): a span around it
        half = abs(low) * 0.05 or 0.5
        return low - half, high + half
    pad = (high - low) * PAD
    return low - pad, high + pad


def tick_label(value: float, step: float) -> str:
    """A tick's text: as many decimals as its step needs, no more (a rounding-error zero is 0)."""
    if abs(value) < abs(step) * 1e-6:
        value = 0.0
    if abs(value) >= 1e5 or abs(step) < 1e-4:
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(round(step, decimals) - step) > step * 1e-9:  # 2.5 x 10^k needs one place more
        decimals += 1
    return f"{value:.{decimals}f}"


class _Axis:
    """Data to pixels along one axis, linear or log10."""

    def __init__(self, values: Sequence[np.ndarray], start: float, end: float, log: bool = False) -> None:
        self.log = log
        if log:
            values = [np.log10(v) for v in values]
        self.low, self.high = _limits(values)
        self.start, self.end = start, end

    def __call__(self, values: np.ndarray) -> np.ndarray:
        data = np.log10(values) if self.log else values
        return self.start + (data - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[tuple[float, str]]:
        """(pixel, text) of each tick."""
        if self.log:
            powers = range(math.ceil(self.low - 1e-9), math.floor(self.high + 1e-9) + 1)
            every = max(1, math.ceil(len(powers) / 6))
            return [(float(self(np.array([10.0 ** p]))[0]), f"1e{p}" if abs(p) > 3 else f"{10.0 ** p:g}")
                    for p in powers if p % every == 0]
        ticks = nice_ticks(self.low, self.high)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else (self.high - self.low)
        return [(float(self(np.array([t]))[0]), tick_label(t, step)) for t in ticks]


def _points(xs: np.ndarray, ys: np.ndarray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), ys.tolist()))


def _legend(series: Sequence[Series], pixels: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[str]:
    """A framed legend in the corner of the plot that covers the fewest points."""
    labelled = [s for s in series if s.label]
    if not labelled:
        return []
    width = 34 + 6.2 * max(len(s.label) for s in labelled)
    height = 8 + 16 * len(labelled)
    corners = [(RIGHT - width - 6, TOP + 6), (LEFT + 6, TOP + 6), (LEFT + 6, BOTTOM - height - 6),
               (RIGHT - width - 6, BOTTOM - height - 6)]

    def covered(corner: tuple[float, float]) -> int:
        x0, y0 = corner
        return sum(int(((px >= x0) & (px <= x0 + width) & (py >= y0) & (py <= y0 + height)).sum())
                   for px, py in pixels)

    x0, y0 = min(corners, key=covered)  # the first of the least covered: upper right by default
    out = [f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{width:.1f}" height="{height}" rx="3" fill="#fff" '
           'fill-opacity="0.8" stroke="#ccc"/>']
    for i, item in enumerate(labelled):
        y = y0 + 12 + 16 * i
        if item.line:
            dash = ' stroke-dasharray="6 4"' if item.dashed else ""
            out.append(f'<line x1="{x0 + 6:.1f}" y1="{y:.1f}" x2="{x0 + 26:.1f}" y2="{y:.1f}" stroke="{item.colour}" '
                       f'stroke-width="2"{dash}/>')
        else:
            out.append(f'<circle cx="{x0 + 16:.1f}" cy="{y:.1f}" r="3" fill="{item.colour}" '
                       f'fill-opacity="{item.opacity}"/>')
        out.append(f'<text x="{x0 + 32:.1f}" y="{y + 4:.1f}" font-size="11">{escape(item.label)}</text>')
    return out


def _document(width: int, height: int) -> list[str]:
    """The opening of an SVG document on a white page."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10" fill="#222">',
            f'<rect width="{width}" height="{height}" fill="#fff"/>']


def _vertical(text: str, middle: float) -> str:
    """An axis label read bottom to top, along the left edge."""
    return (f'<text x="14" y="{middle:.1f}" text-anchor="middle" font-size="11" '
            f'transform="rotate(-90 14 {middle:.1f})">{escape(text)}</text>')


def xy_plot(series: Sequence[Series], *, title: str = "", x_label: str = "", y_label: str = "",
            log_y: bool = False) -> str:
    """The SVG document of one pair of axes with `series` on it (at least one with a point)."""
    drawn = [s for s in series if len(s.x)]
    x_axis = _Axis([s.x for s in drawn], LEFT, RIGHT)
    y_axis = _Axis([s.y for s in drawn], BOTTOM, TOP, log=log_y)
    out = _document(WIDTH, HEIGHT)
    for x, text in x_axis.ticks():
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{BOTTOM}" stroke="{GRID}" stroke-opacity="0.3"/>')
        out.append(f'<line x1="{x:.1f}" y1="{BOTTOM}" x2="{x:.1f}" y2="{BOTTOM + 4}" stroke="#222"/>')
        out.append(f'<text x="{x:.1f}" y="{BOTTOM + 15}" text-anchor="middle">{escape(text)}</text>')
    for y, text in y_axis.ticks():
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{RIGHT}" y2="{y:.1f}" stroke="{GRID}" stroke-opacity="0.3"/>')
        out.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT}" y2="{y:.1f}" stroke="#222"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end">{escape(text)}</text>')
    pixels = []
    for item in drawn:
        px, py = x_axis(item.x), y_axis(item.y)
        pixels.append((px, py))
        if item.line:
            dash = ' stroke-dasharray="6 4"' if item.dashed else ""
            out.append(f'<polyline fill="none" stroke="{item.colour}" stroke-width="2" stroke-linejoin="round"'
                       f'{dash} points="{_points(px, py)}"/>')
        else:
            out.append(f'<g fill="{item.colour}" fill-opacity="{item.opacity}">')
            out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>' for x, y in zip(px.tolist(), py.tolist()))
            out.append("</g>")
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT:.1f}" height="{BOTTOM - TOP:.1f}" fill="none" '
               'stroke="#222"/>')
    out.extend(_legend(drawn, pixels))
    if title:
        out.append(f'<text x="{(LEFT + RIGHT) / 2:.1f}" y="{TOP - 9}" text-anchor="middle" font-size="12">'
                   f'{escape(title)}</text>')
    if x_label:
        out.append(f'<text x="{(LEFT + RIGHT) / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">'
                   f'{escape(x_label)}</text>')
    if y_label:
        out.append(_vertical(y_label, (TOP + BOTTOM) / 2))
    out.append("</svg>")
    return "\n".join(out)


# The "Blues" ramp (light to dark), for counts: interpolated, never looked up in a library.
BLUES = ((247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107))
MATRIX_SIZE = 408  # a confusion matrix's figure is square: 408 x 408 px


def _blue(share: float) -> str:
    position = min(max(share, 0.0), 1.0) * (len(BLUES) - 1)
    low = min(int(position), len(BLUES) - 2)
    t = position - low
    rgb = (round(a + (b - a) * t) for a, b in zip(BLUES[low], BLUES[low + 1]))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def matrix_plot(matrix: np.ndarray, names: Sequence[str], *, title: str = "", row_label: str = "true",
                column_label: str = "predicted", annotate: bool = True) -> str:
    """The SVG document of a square matrix of counts >= 0 (n >= 1): a cell per count, shaded by its share
    of the largest, written in it when `annotate`, the classes' names along both sides."""
    n = matrix.shape[0]
    left, top, right, bottom = 64.0, 34.0, MATRIX_SIZE - 10.0, MATRIX_SIZE - 52.0
    cell = min(right - left, bottom - top) / n
    largest = float(matrix.max()) or 1.0
    out = _document(MATRIX_SIZE, MATRIX_SIZE)
    size = max(7, min(11, int(cell / 3)))
    for i in range(n):
        for j in range(n):
            value = float(matrix[i, j])
            x, y = left + j * cell, top + i * cell
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" fill="{_blue(value / largest)}"/>')
            if annotate:
                text = str(int(value)) if value.is_integer() else f"{value:.2g}"
                colour = "#fff" if value > largest / 2 else "#222"
                out.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + size / 3:.1f}" text-anchor="middle" '
                           f'font-size="{size}" fill="{colour}">{escape(text)}</text>')
    for k, name in enumerate(names):
        middle = k * cell + cell / 2
        out.append(f'<text x="{left + middle:.1f}" y="{top + n * cell + 13:.1f}" text-anchor="middle">{escape(name)}</text>')
        out.append(f'<text x="{left - 5:.1f}" y="{top + middle + 3.5:.1f}" text-anchor="end">{escape(name)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{n * cell:.1f}" height="{n * cell:.1f}" fill="none" stroke="#222"/>')
    if title:
        out.append(f'<text x="{MATRIX_SIZE / 2:.1f}" y="20" text-anchor="middle" font-size="12">{escape(title)}</text>')
    out.append(f'<text x="{left + n * cell / 2:.1f}" y="{top + n * cell + 32:.1f}" text-anchor="middle" '
               f'font-size="11">{escape(column_label)}</text>')
    out.append(_vertical(row_label, top + n * cell / 2))
    out.append("</svg>")
    return "\n".join(out)
