"""The notebook view is safe whatever the notebook holds: no script runs, nothing loads."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

from grader.report import notebook_view
from grader.report.notebook_view import CSP, render_notebook, sanitize_html

ROOT = Path(__file__).resolve().parents[2]


def tiny_png() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def hostile_notebook() -> dict:
    png = tiny_png()
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"x": "<script>alert(1)</script>"}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {"tags": ["x\" onmouseover=\"alert(1)"]}, "source": [
                "# Answers\n", "<script>alert('md')</script>\n",
                "<img src=x onerror=alert('img')>\n", "<img src=\"https://evil.example/track.png\">\n",
                "[click](javascript:alert(1)) [docs](https://pytorch.org)\n",
                "<iframe src=\"https://evil.example\"></iframe>\n", "<style>body{background:url(https://evil.example/s)}</style>\n",
                "<a href=\"data:text/html,<script>alert(1)</script>\">d</a> <svg onload=alert(1)></svg>\n",
                "\n![ok](data:image/png;base64," + png + ")\n\n![local](/etc/passwd)\n\n",
                "<div style=\"background:url(https://evil.example/st)\">styled</div>\n",
                "lone \ud800 surrogate\n",
            ]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "print('hi')\nx = 1 < 2", "outputs": [
                {"output_type": "stream", "name": "stdout", "text": "<script>alert('stream')</script>\n"},
                {"output_type": "display_data", "metadata": {}, "data": {
                    "application/javascript": "alert('js')", "text/plain": "<IPython.core.display.Javascript object>"}},
                {"output_type": "display_data", "metadata": {}, "data": {
                    "text/html": "<iframe src='https://evil.example'></iframe><script>alert('html')</script>"}},
                {"output_type": "display_data", "metadata": {}, "data": {
                    "image/svg+xml": "<svg onload='alert(1)'/>", "image/png": png, "text/plain": "<Figure>"}},
                {"output_type": "display_data", "metadata": {}, "data": {"image/png": base64.b64encode(b"<script>").decode()}},
                {"output_type": "error", "ename": "ValueError", "evalue": "bad",
                 "traceback": ["\x1b[0;31mValueError\x1b[0m: <b onclick=alert(1)>bad</b>"]},
                {"output_type": "stream", "name": "stdout", "text": "A" * 2_000_000},
            ]},
            {"cell_type": "raw", "metadata": {"raw_mimetype": "text/html"}, "source": "<script>alert('raw')</script>"},
            {"cell_type": "markdown", "metadata": {}, "source": "![att](attachment:missing.png) ![](attachment:a.png)",
             "attachments": {"a.png": {"image/png": png}, "b.svg": {"image/svg+xml": "<svg onload=alert(1)/>"}}},
        ],
    }


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered and "<svg" not in lowered and "<object" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered), "an event handler survived"
    assert not re.search(r"<[^>]*javascript:", lowered)
    for attribute, value in re.findall(r"\b(src|href)\s*=\s*\"([^\"]*)\"", html):
        if attribute == "src":
            assert value.startswith("data:image/"), value
        else:
            assert value.startswith(("http://", "https://")), value
    assert "url(" not in re.sub(r"<style>.*?</style>", "", html, count=1, flags=re.S)
    html.encode("utf-8")  # strict: no lone surrogate left


def test_a_hostile_notebook_renders_without_scripts_handlers_or_external_loads() -> None:
    view = render_notebook(json.dumps(hostile_notebook()), title="hostile")
    assert view.rendered
    assert_safe(view.html)
    assert f'content="{escape(CSP)}"' in view.html
    # What is legitimate is still there: text, escaped text outputs, the image, a link.
    assert "Answers" in view.html and "&lt;script&gt;alert('stream')&lt;/script&gt;" in view.html
    assert view.html.count("data:image/png;base64,") >= 3  # markdown, output, attachment
    assert 'href="https://pytorch.org"' in view.html


def test_what_is_left_out_is_said_on_the_page() -> None:
    view = render_notebook(json.dumps(hostile_notebook()))
    joined = " ".join(view.notes)
    assert "type text/html was not shown" in joined
    assert "type application/javascript was not shown" in joined
    assert "claiming to be image/png" in joined
    assert "Markdown cells are shown as plain text" not in joined  # a missing attachment is not fatal
    assert all(note in view.html for note in ("not shown",))


def test_a_huge_output_is_cut_to_its_bound() -> None:
    view = render_notebook(json.dumps(hostile_notebook()))
    assert "A" * notebook_view.MAX_TEXT_CHARS in view.html
    assert "A" * (notebook_view.MAX_TEXT_CHARS + 1) not in view.html
    assert len(view.html) < 1_000_000


def test_too_many_cells_are_cut_and_said() -> None:
    notebook = {"cells": [{"cell_type": "code", "source": f"x = {i}", "outputs": []} for i in range(1000)]}
    view = render_notebook(json.dumps(notebook))
    assert f"first {notebook_view.MAX_CELLS} of 1000 cells" in view.html
    assert f"x = {notebook_view.MAX_CELLS - 1}" in re.sub(r"<[^>]+>", "", view.html)
    assert f"x = {notebook_view.MAX_CELLS}<" not in re.sub(r"<span[^>]*>|</span>", "", view.html)


@pytest.mark.parametrize("data", [b"", b"not json", b"\xff\xfe", b"[" * 100_000, b'{"cells": 3}', b"null"])
def test_a_file_that_is_not_a_notebook_gives_a_page_saying_so(data: bytes) -> None:
    view = render_notebook(data)
    assert_safe(view.html)
    assert view.notes


def test_an_oversized_notebook_is_not_rendered() -> None:
    view = render_notebook(b" " * (notebook_view.MAX_NOTEBOOK_BYTES + 1))
    assert not view.rendered and "not rendered" in view.html


def test_the_reference_notebook_renders_with_its_figures() -> None:
    view = render_notebook((ROOT / "reference/tp1/tp1_solution.ipynb").read_bytes(), title="tp1")
    assert view.rendered and not view.notes
    assert_safe(view.html)
    assert "def create_linear_dataset" in re.sub(r"<[^>]+>", "", view.html)
    assert "data:image/png;base64," in view.html


@pytest.mark.parametrize("fragment", [
    "<scr<script>ipt>alert(1)</script>",
    "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<img src=\"//evil.example/x.png\">",
    "<form action=\"https://evil.example\"><input></form>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example\">",
    "<video src=https://evil.example/v poster=https://evil.example/p></video>",
])
def test_the_sanitizer_drops_every_load_and_script(fragment: str) -> None:
    cleaned = sanitize_html(fragment)
    assert_safe(cleaned)
    assert "evil.example" not in cleaned.replace("href=\"https://evil.example", "")
    for tag in ("<form", "<input", "<link", "<base", "<meta", "<video", "<math"):
        assert tag not in cleaned.lower()


def test_an_image_that_cannot_show_is_a_note_and_every_shown_image_has_alt_text() -> None:
    cleaned = sanitize_html('<img src="https://evil.example/x.png" alt="remote"><img alt="" '
                            'src="data:image/png;base64,AAAA"><img alt="plot" src="data:image/png;base64,AAAA">')
    assert cleaned.count("[image not shown") == 1
    assert 'alt="image in the notebook, without a description"' in cleaned and 'alt="plot"' in cleaned
    assert 'alt=""' not in cleaned
