"""A figure counts when it is a real picture: decoded on the trusted side, never taken on trust."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from grader.images import real_figure, real_raster, real_svg


def encoded(size, fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_matplotlib_sized_png_and_jpeg_are_figures():
    assert real_figure({"image/png": encoded((640, 480))})
    assert real_figure({"image/jpeg": encoded((370, 250), "JPEG")})
    assert real_raster([encoded((100, 80))[:50], encoded((100, 80))[50:]])  # nbformat's list of lines


@pytest.mark.parametrize("payload", [
    "AAAA", "", "iVBORw0KGgo=", "not base64 at all!", None, 42, ["AAAA"],
], ids=["AAAA", "empty", "png-signature-only", "garbage", "none", "number", "list"])
def test_a_hand_written_image_output_is_no_figure(payload):
    assert not real_figure({"image/png": payload})


def test_a_truncated_png_is_no_figure():
    data = base64.b64decode(encoded((200, 200)))
    assert not real_raster(base64.b64encode(data[: len(data) // 2]).decode())


@pytest.mark.parametrize("size", [(1, 1), (10, 300), (30000, 40)])
def test_an_image_of_implausible_size_is_no_figure(size):
    assert not real_raster(encoded(size))


def test_an_svg_figure_counts_when_it_draws_something_of_plausible_size():
    drawn = '<svg xmlns="http://www.w3.org/2000/svg" width="432pt" height="288pt"><path d="M 0 0 L 10 10"/></svg>'
    assert real_svg(drawn) and real_figure({"image/svg+xml": drawn})
    assert real_svg('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300"><line x1="0" y1="0" x2="1" y2="1"/></svg>')
    assert not real_svg('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"></svg>')  # draws nothing
    assert not real_svg('<svg width="4" height="3"><path d="M 0 0"/></svg>')
    assert not real_svg("<html><path/></html>")
    assert not real_svg('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg width="400" height="300"><text>&a;</text></svg>')
