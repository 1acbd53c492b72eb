"""Whether a notebook's image output is a real picture: what counts as "the notebook shows a figure".

A figure output is student data like any other: `"image/png": "AAAA"` typed into the JSON is no
plot. A PNG or JPEG counts when Pillow decodes it whole and it is of plausible size; an SVG when it
parses as an <svg> document of plausible size that draws something. Nothing here runs code.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

# A figure smaller than this on a side is no plot (matplotlib's smallest useful ones are ~100 px);
# a larger one than MAX_SIDE is not what a notebook shows, and is not decoded.
MIN_SIDE, MAX_SIDE = 32, 20_000
# Decoding allocates width x height x channels: a decompression bomb is refused before it.
MAX_PIXELS = 25_000_000
# Encoded payloads above this are not decoded (a figure is tens of KB; this bounds the work).
MAX_BYTES = 8 << 20
_DRAWING = ("path", "line", "polyline", "polygon", "rect", "circle", "ellipse", "image", "text", "use")


def _text(payload: Any) -> str | None:
    if isinstance(payload, list):
        payload = "".join(p for p in payload if isinstance(p, str))
    return payload if isinstance(payload, str) and len(payload) <= MAX_BYTES else None


def real_raster(payload: Any) -> bool:
    """A base64 PNG or JPEG (as nbformat stores it) that decodes whole, of plausible size."""
    text = _text(payload)
    if not text:
        return False
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE) or width * height > MAX_PIXELS:
                return False
            image.load()  # the whole image decodes: a valid header over garbage does not count
            return True
    except Exception:  # any decoding failure: not an image
        return False


def _length(value: str | None) -> float:
    match = re.match(r"\s*([0-9.]+)", value or "")
    try:
        return float(match.group(1)) if match else 0.0
    except ValueError:
        return 0.0


def real_svg(payload: Any) -> bool:
    """An <svg> document of plausible size that draws something."""
    text = _text(payload)
    if not text or "<!ENTITY" in text:  # no entity expansion games
        return False
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text.encode("utf-8"))
    except (ET.ParseError, ValueError):
        return False
    if not root.tag.endswith("svg"):
        return False
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if (not width or not height) and len(box) == 4:
        width, height = _length(box[2]), _length(box[3])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        return False
    return any(el.tag.rsplit("}", 1)[-1] in _DRAWING for el in root.iter())


def real_figure(data: Any) -> bool:
    """Whether an output's `data` (mime type -> payload) holds a real figure."""
    if not isinstance(data, dict):
        return False
    return (real_raster(data.get("image/png")) or real_raster(data.get("image/jpeg"))
            or real_svg(data.get("image/svg+xml")))
