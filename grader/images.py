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
    image = decoded(data)
    if image is None:
        return False
    image.close()
    return True


def decoded(data: bytes, *, formats: tuple[str, ...] = ("PNG", "JPEG"), max_side: int = MAX_SIDE,
            max_pixels: int = MAX_PIXELS) -> Any:
    """The image, decoded whole, if `data` is one of `formats` of plausible size; else None.

    The size is read from the header and checked before anything is decoded, so a small file that
    announces a huge image (a decompression bomb) costs nothing; `load()` then decodes it all, so a
    valid header over garbage does not count."""
    try:
        from PIL import Image

        image = Image.open(io.BytesIO(data), formats=list(formats))
        width, height = image.size
        if not (MIN_SIDE <= width <= max_side and MIN_SIDE <= height <= max_side) or width * height > max_pixels:
            image.close()
            return None
        image.load()
        return image
    except Exception:  # any decoding failure (a bomb Pillow itself refuses included): not an image
        return None


def reencoded_png(data: bytes, *, max_bytes: int, max_side: int, max_pixels: int) -> tuple[bytes, int, int] | None:
    """`data` drawn again by Pillow as a fresh PNG (RGB or RGBA pixels only, no metadata), with its
    width and height; None unless `data` is a real PNG within the bounds and the result fits in
    `max_bytes`. What a page shows is always these bytes, never the ones received."""
    if len(data) > max_bytes:
        return None
    image = decoded(data, formats=("PNG",), max_side=max_side, max_pixels=max_pixels)
    if image is None:
        return None
    try:
        with image:
            pixels = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            out = io.BytesIO()
            pixels.save(out, format="PNG")
    except Exception:  # noqa: BLE001 - an image Pillow cannot convert is no figure
        return None
    png = out.getvalue()
    return (png, pixels.width, pixels.height) if len(png) <= max_bytes else None


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
