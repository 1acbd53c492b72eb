"""The submission as the student saw it: their notebook rendered to one safe HTML page.

For the instructor checking a plot exercise or an answer. The notebook is hostile data, so the
page is made safe in three layers, none trusted alone:

1. Before export, the notebook is rebuilt from a strict subset: cells capped in count and size,
   metadata dropped, outputs kept only as text or validated PNG/JPEG images (HTML, JavaScript,
   SVG, widgets and other rich outputs become a one-line note), tracebacks without colour codes,
   raw cells shown as text, lone surrogates replaced. This also bounds the exporter's work.
2. Our renderer turns it into HTML: code highlighted by Pygments and outputs escaped as text or
   data: images; markdown by mistune, whose raw HTML is left for the sanitizer (local files are
   never read: an image is shown only when it is embedded in the notebook).
3. That HTML goes through nh3 (ammonia) with an allow-list: no script, style, iframe, form,
   object or event handler survives; `src` only as a data: PNG/JPEG/GIF image; `href` only as an
   http(s) link (a click, never a load). The page around it is our own template, with a
   Content-Security-Policy that forbids every load but inline data: images and inline styles.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["NotebookView", "render_notebook", "sanitize_html", "CSP"]

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
TEMPLATE = "notebook.html.j2"

# Bounds: what the exporter and the browser are given is capped whatever the notebook holds.
MAX_NOTEBOOK_BYTES = 20_000_000   # larger files are not rendered at all
MAX_CELLS = 400
MAX_SOURCE_CHARS = 20_000         # per cell
MAX_SOURCE_TOTAL = 150_000        # all cells together: markdown parsing and highlighting cost
                                  # ~linear time in it (benchmarks/notebook_view_worst_case.py)
MAX_OUTPUTS = 20                  # per cell
MAX_TEXT_CHARS = 10_000           # per text output (head kept)
MAX_TEXT_TOTAL = 150_000          # all text outputs together
MAX_IMAGE_BYTES = 1_500_000       # one image, decoded
MAX_IMAGE_TOTAL = 8_000_000       # all images together, decoded

IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]+")
_ATTACHMENT = re.compile(r"attachment:([^\s)\"'<>]+)")
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=\")[^>]*>")
_IMG = re.compile(r"<img\s[^>]*>")
_HTTP = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)

ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) - {"area", "map"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}


@dataclass(frozen=True)
class NotebookView:
    """The page, and what was left out of it (one sentence each, shown on the page too)."""

    html: str
    notes: tuple[str, ...]
    rendered: bool


def _clean_string(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else ""


def _deep_clean(value: Any, depth: int = 0) -> Any:
    """Every string of the JSON with lone surrogates replaced (they cannot be written as UTF-8)."""
    if depth > 64:
        return None
    if isinstance(value, str):
        return _clean_string(value)
    if isinstance(value, list):
        return [_deep_clean(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {_clean_string(str(k)): _deep_clean(v, depth + 1) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    """Notebook text fields are a string or a list of strings."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _cap(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters of {what} not shown]"


class _Budget:
    def __init__(self) -> None:
        self.text = MAX_TEXT_TOTAL
        self.source = MAX_SOURCE_TOTAL
        self.images = MAX_IMAGE_TOTAL
        self.notes: dict[str, int] = {}

    def note(self, what: str) -> None:
        self.notes[what] = self.notes.get(what, 0) + 1

    def take_text(self, text: str) -> str:
        text = _cap(_ANSI.sub("", text), min(MAX_TEXT_CHARS, max(self.text, 0)), "output")
        self.text -= len(text)
        return text


def _image(bundle: dict[str, Any], budget: _Budget) -> tuple[str, str] | None:
    for mime, magic in IMAGE_MAGIC.items():
        payload = _text(bundle.get(mime))
        if not payload:
            continue
        try:
            data = base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            budget.note("an image output that is not valid base64 was not shown")
            return None
        if not data.startswith(magic):
            budget.note(f"an output claiming to be {mime} but not one was not shown")
            return None
        if len(data) > min(MAX_IMAGE_BYTES, budget.images):
            budget.note("an image output over the size limit was not shown")
            return None
        budget.images -= len(data)
        return mime, base64.b64encode(data).decode("ascii")
    return None


def _output(output: Any, budget: _Budget) -> dict[str, Any] | None:
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return {"output_type": "stream", "name": name, "text": budget.take_text(_text(output.get("text")))}
    if kind == "error":
        trace = "\n".join(_text(line) for line in output.get("traceback") or [] if isinstance(line, str))
        text = trace or f"{_text(output.get('ename'))}: {_text(output.get('evalue'))}"
        return {"output_type": "stream", "name": "stderr", "text": budget.take_text(text)}
    if kind not in ("execute_result", "display_data"):
        return None
    bundle = output.get("data") if isinstance(output.get("data"), dict) else {}
    data: dict[str, str] = {}
    image = _image(bundle, budget)
    if image:
        data[image[0]] = image[1]
    dropped = sorted(k for k in bundle if k not in ("text/plain", *IMAGE_MAGIC))
    for mime in dropped:
        budget.note(f"an output of type {mime[:40]} was not shown (only text and images are)")
    if "text/plain" in bundle and not image:
        data["text/plain"] = budget.take_text(_text(bundle["text/plain"]))
    if not data:
        if not dropped:
            return None
        data["text/plain"] = f"[{', '.join(m[:40] for m in dropped)} output not shown]"
    result: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        count = output.get("execution_count")
        result["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
    return result


def _as_text_markdown(source: str) -> str:
    """Any text shown literally: an indented markdown code block is never parsed as HTML."""
    return "\n".join("    " + line for line in source.splitlines()) or "    "


def _attachments(value: Any, budget: _Budget) -> dict[str, dict[str, str]]:
    kept: dict[str, dict[str, str]] = {}
    if not isinstance(value, dict):
        return kept
    for name, bundle in list(value.items())[:20]:
        image = _image(bundle, budget) if isinstance(bundle, dict) else None
        if image:
            kept[str(name)[:200]] = {image[0]: image[1]}
    return kept


def safe_notebook(raw: Any, notes: list[str]) -> dict[str, Any]:
    """A new notebook (nbformat 4 JSON) holding only what the page may show, within bounds."""
    budget = _Budget()
    cells_in = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells_in, list):
        cells_in = []
        notes.append("The notebook has no list of cells.")
    if len(cells_in) > MAX_CELLS:
        notes.append(f"Only the first {MAX_CELLS} of {len(cells_in)} cells are shown.")
    cells: list[dict[str, Any]] = []
    for index, cell in enumerate(cells_in[:MAX_CELLS]):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        source = _cap(_text(cell.get("source")), min(MAX_SOURCE_CHARS, max(budget.source, 0)), "this cell")
        budget.source -= len(source)
        cell_id = f"c{index}"
        if kind == "code":
            outputs_in = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            if len(outputs_in) > MAX_OUTPUTS:
                budget.note(f"outputs beyond the first {MAX_OUTPUTS} of a cell were not shown")
            outputs = [o for o in (_output(o, budget) for o in outputs_in[:MAX_OUTPUTS]) if o]
            count = cell.get("execution_count")
            count = count if isinstance(count, int) and not isinstance(count, bool) else None
            cells.append({"cell_type": "code", "id": cell_id, "source": source, "metadata": {},
                          "outputs": outputs, "execution_count": count})
        elif kind == "markdown":
            attachments = _attachments(cell.get("attachments"), budget)
            # A reference to an attachment that is not kept would fail the whole export.
            source = _ATTACHMENT.sub(lambda m: m[0] if m[1] in attachments else "missing-attachment", source)
            cells.append({"cell_type": "markdown", "id": cell_id, "source": source, "metadata": {},
                          "attachments": attachments})
        else:
            cells.append({"cell_type": "markdown", "id": cell_id, "source": _as_text_markdown(source),
                          "metadata": {}})
    notes.extend(f"{what[0].upper()}{what[1:]}" + (f" ({n} times)." if n > 1 else ".")
                 for what, n in budget.notes.items())
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"language_info": {"name": "python", "pygments_lexer": "python3"}}}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":
        return value if tag == "img" and _DATA_IMAGE.fullmatch(value) else None
    if attribute == "href":
        return value if _HTTP.fullmatch(value) else None
    return value


def sanitize_html(fragment: str) -> str:
    """Allow-listed HTML: no scripts, styles, frames, forms or handlers; src only as data: images.
    An image whose source was removed (a remote or local file) becomes a visible note."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # nh3's output is normalized (double-quoted attributes, ">" escaped in values): exact matches.
    cleaned = _IMG_WITHOUT_SRC.sub('<span class="dropped">[image not shown: not embedded in the notebook]</span>', cleaned)
    return _IMG.sub(_with_alt, cleaned)


def _with_alt(match: re.Match[str]) -> str:
    tag = match[0]
    if re.search(r'\salt="[^"]*[^"\s][^"]*"', tag):
        return tag
    return re.sub(r'\salt="[^"]*"', "", tag).replace("<img", '<img alt="image in the notebook, without a description"', 1)


def _export(notebook: dict[str, Any]) -> str:
    """The cells of a `safe_notebook` as HTML, before sanitizing: code highlighted by Pygments,
    markdown by mistune (its raw HTML kept for the sanitizer to judge), outputs as escaped text
    or data: images. Our own few lines rather than nbconvert's exporter, which took ~0.2 s a
    notebook (its templates, and two HTML parsers over what we sanitize again anyway)."""
    parts = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            parts.append(_code_cell(cell))
        else:
            parts.append(_markdown_cell(cell))
    return "\n".join(parts)


def _code_cell(cell: dict[str, Any]) -> str:
    from pygments import highlight

    lexer, formatter = _pygments()
    parts = ['<div class="cell code_cell">', f'<div class="input_area">{highlight(cell["source"], lexer, formatter)}</div>']
    for output in cell["outputs"]:
        if output["output_type"] == "stream":
            parts.append(f'<div class="output_area"><pre class="output_{output["name"]}">{html.escape(output["text"])}</pre></div>')
            continue
        data = output["data"]
        image = next((mime for mime in IMAGE_MAGIC if mime in data), None)
        if image:
            parts.append(f'<div class="output_area output_subarea"><img src="data:{image};base64,{data[image]}" '
                         'alt="an image the code above produced"></div>')
        elif "text/plain" in data:
            parts.append(f'<div class="output_area"><pre>{html.escape(data["text/plain"])}</pre></div>')
    parts.append("</div>")
    return "\n".join(parts)


def _markdown_cell(cell: dict[str, Any]) -> str:
    attachments = cell.get("attachments") or {}

    def inline(match: re.Match[str]) -> str:
        bundle = attachments.get(match[1])
        if not bundle:
            return match[0]
        mime, payload = next(iter(bundle.items()))
        return f"data:{mime};base64,{payload}"

    source = _ATTACHMENT.sub(inline, cell["source"])
    return f'<div class="cell text_cell">{_markdown()(source)}</div>'


@lru_cache(maxsize=1)
def _pygments() -> tuple[Any, Any]:
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return PythonLexer(), HtmlFormatter(cssclass="highlight")


@lru_cache(maxsize=1)
def _markdown() -> Any:
    import mistune

    # escape=False: HTML in markdown is kept here and judged by sanitize_html (layer 3).
    markdown = mistune.create_markdown(escape=False, plugins=["math", "table", "strikethrough"])
    # Math is shown as the student typed it ($...$), its text escaped and never parsed as markdown.
    markdown.renderer.register("inline_math", lambda _, text: f'<span class="math">${html.escape(text)}$</span>')
    markdown.renderer.register("block_math", lambda _, text: f'<div class="math">$${html.escape(text)}$$</div>\n')
    return markdown


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("grader.report", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=1)
def _code_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def _page(title: str, body: str, notes: list[str]) -> str:
    from markupsafe import Markup

    template = _environment().get_template(TEMPLATE)
    # body has just been through sanitize_html: the one place it is marked safe.
    return template.render(title=_clean_string(title) or "notebook", csp=CSP, notes=notes,
                           body=Markup(body), code_css=Markup(_code_css()))


def render_notebook(data: bytes | str, *, title: str = "") -> NotebookView:
    """The notebook as a self-contained, script-free page. Never raises: a notebook that cannot
    be read or rendered gives a page saying so (and `rendered` False)."""
    notes: list[str] = []
    size = len(data)
    if size > MAX_NOTEBOOK_BYTES:
        notes.append(f"The notebook is {size // 1_000_000} MB; notebooks over "
                     f"{MAX_NOTEBOOK_BYTES // 1_000_000} MB are not rendered. Open the file itself.")
        return NotebookView(_page(title, "", notes), tuple(notes), False)
    try:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        raw = _deep_clean(json.loads(_clean_string(text)))
    except (ValueError, RecursionError):
        notes.append("The file is not a readable notebook (not JSON). Open the file itself.")
        return NotebookView(_page(title, "", notes), tuple(notes), False)
    notebook = safe_notebook(raw, notes)
    try:
        body = _export(notebook)
    except Exception:  # noqa: BLE001 - e.g. a markdown image naming a missing attachment
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                cell["source"] = _as_text_markdown(cell["source"])
                cell["attachments"] = {}
        notes.append("Markdown cells are shown as plain text: rendering them failed.")
        try:
            body = _export(notebook)
        except Exception:  # noqa: BLE001
            notes.append("The notebook could not be rendered. Open the file itself.")
            return NotebookView(_page(title, "", notes), tuple(notes), False)
    return NotebookView(_page(title, sanitize_html(body), notes), tuple(notes), True)
