"""The trusted side of the figures student code draws while it is graded.

After a test whose requests drew figures (the worker says so in its replies, see
grader/run/drawings.py), the runner asks the worker for them once. What comes back is hostile
data like every reply: at most MAX_DECODED images are looked at, each must be a real PNG of at
most MAX_IMAGE_BYTES and MAX_SIDE px a side (the header is checked before anything is decoded),
and what is kept is the image as Pillow decoded and re-encoded it here, never the bytes received.
The alt text is written here from the request that drew it. `sanitize` bounds them again per
exercise and per grade (grader/report/sanitize.py).

A figure never changes a grade: collecting them cannot raise, its time is given back to the
submission's budget, and whatever goes wrong (a figure that raised when drawn, a patched
`savefig`, garbage, a worker that died) is an info note at most, never a failed test or a
grader fault.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from grader.images import reencoded_png
from grader.results import Drawing
from grader.run import drawings as in_worker

# Bounds on what one test's figures cost the trusted process.
MAX_IMAGE_BYTES = in_worker.MAX_PNG_BYTES            # 300 KB, the worker's own bound
MAX_SIDE = in_worker.MAX_SIDE_PX                     # 1,600 px
MAX_PIXELS = in_worker.MAX_SIDE_PX * 1200            # 1,600 x 1,200 at most
MAX_DECODED = in_worker.MAX_KEPT                     # images looked at per test
MAX_KEPT_PER_TEST = 4
REPLY_BYTES = MAX_DECODED * MAX_IMAGE_BYTES + (64 << 10)
# Drawing a few figures takes well under a second; a figure that takes longer is not shown.
SECONDS = 10.0
LABEL_CHARS = 80
_LOADING_OPS = ("sources", "define", "seed")


@dataclass(frozen=True)
class Collected:
    drawings: tuple[Drawing, ...] = ()
    notes: tuple[str, ...] = ()


def collect(runtime: Any) -> Collected:
    """The figures drawn since the last collection, checked and re-encoded. Never raises."""
    try:
        drawn_by, value = runtime.take_drawings(SECONDS, REPLY_BYTES)
    except Exception:  # noqa: BLE001 - a timeout, a dead worker, garbage: no figures, no failure
        return Collected((), ("The figures your code drew during a test could not be collected.",))
    if value is None:
        return Collected()
    try:
        return accept(value, drawn_by)
    except Exception:  # noqa: BLE001 - never: accept is total, but a figure is never worth a failure
        return Collected()


def alt_text(op: str, what: str) -> str:
    what = " ".join(str(what).split())[:LABEL_CHARS] or "code"
    if op == "call":
        return f"Figure drawn by your {what} function"
    return f"Figure drawn by your code ({what})"


def accept(value: Any, drawn_by: tuple[tuple[str, str], ...]) -> Collected:
    """What the worker sent (`{"images": [bytes | None, ...], "dropped": n}`) made safe."""
    if type(value) is not dict or type(value.get("images")) is not list:
        return Collected((), ("The figures your code drew during a test could not be read.",))
    images = value["images"]
    dropped = value.get("dropped")
    not_kept = (dropped if type(dropped) is int and 0 < dropped < 1 << 20 else 0) + max(len(images) - MAX_DECODED, 0)
    kept: list[Drawing] = []
    failed = 0
    for index, data in enumerate(images[:MAX_DECODED]):
        op, what = drawn_by[index] if index < len(drawn_by) else ("", "")
        if op in _LOADING_OPS:
            continue  # drawn while the code was loaded, by no exercise's function
        png = reencoded_png(data, max_bytes=MAX_IMAGE_BYTES, max_side=MAX_SIDE,
                            max_pixels=MAX_PIXELS) if type(data) is bytes else None
        if png is None:
            failed += 1
        elif len(kept) >= MAX_KEPT_PER_TEST:
            not_kept += 1
        else:
            kept.append(Drawing(base64.b64encode(png[0]).decode("ascii"), alt_text(op, what), png[1], png[2]))
    notes = []
    if failed:
        notes.append(f"{failed} figure{'s' if failed > 1 else ''} your code drew could not be shown "
                     "(too large, not an image, or it raised an error when drawn).")
    if not_kept:
        notes.append(f"{not_kept} more figure{'s' if not_kept > 1 else ''} your code drew during one test "
                     f"{'were' if not_kept > 1 else 'was'} not kept: the report shows at most {MAX_KEPT_PER_TEST}.")
    return Collected(tuple(kept), tuple(notes))
