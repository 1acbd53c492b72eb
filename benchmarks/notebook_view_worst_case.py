"""What the notebook view's bounds buy: rendering the worst notebook they let through.

    .venv/bin/python benchmarks/notebook_view_worst_case.py

Builds a notebook just under the size limit that fills every other bound (cells, source per cell
and in all, outputs per cell, text in all, heavy inline markdown), renders it, and prints the
ratio of its time to the time of the tp1 reference notebook, measured in the same run. Quote the
ratio, not the seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from grader.report import notebook_view as nv

ROOT = Path(__file__).resolve().parent.parent


def worst_notebook() -> str:
    code = "x = foo(a, b, [1, 2, 3], {'k': 'v'})  # comment\n"
    code = code * (nv.MAX_SOURCE_CHARS // len(code))
    markdown = "**b** _i_ `c` [l](https://x.y) <b>h</b> " * (nv.MAX_SOURCE_CHARS // 40)
    output = {"output_type": "stream", "name": "stdout", "text": "y" * nv.MAX_TEXT_CHARS}
    cells = []
    for i in range(nv.MAX_CELLS):
        if i % 2:
            cells.append({"cell_type": "markdown", "source": markdown})
        else:
            cells.append({"cell_type": "code", "source": code, "outputs": [output] * 3})
    data = json.dumps({"cells": cells})
    assert len(data) <= nv.MAX_NOTEBOOK_BYTES, len(data)
    return data


def timed(data: str | bytes) -> float:
    start = time.perf_counter()
    nv.render_notebook(data)
    return time.perf_counter() - start


def main() -> None:
    reference = (ROOT / "reference/tp1/tp1_solution.ipynb").read_bytes()
    timed(reference)  # warm imports and template caches
    base = min(timed(reference) for _ in range(3))
    worst = timed(worst_notebook())
    print(f"worst bounded notebook / tp1 reference: {worst / base:.1f}x (reference {base:.2f} s here)")


if __name__ == "__main__":
    main()
