"""Golden files: what students see, kept under tests/goldens/ and compared on every run.

`pytest --update-goldens` rewrites them from what the code produces now; review the diff before
committing it, since it is exactly the change students will see."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

GOLDENS = Path(__file__).resolve().parent / "goldens"
_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "pre", "dt", "dd", "section", "header", "summary",
           "table", "thead", "tbody", "tfoot", "br", "figure", "ul", "details"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.skip += 1
        elif tag == "pre":
            self.pre += 1
            self.parts.append("\n")
        elif tag == "img":
            self.parts.append(f"\n[image: {dict(attrs).get('alt', '')}]\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.skip -= 1
        elif tag == "pre":
            self.pre -= 1
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            # Layout whitespace of the template is not text; a <pre>'s lines are.
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def page_text(html: str) -> str:
    """The text a reader sees, one block per line, images as their alt text."""
    parser = _Text()
    parser.feed(html)
    lines = (re.sub(r"[ \t]+", " ", line).strip(" |") for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDENS / name
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            raise AssertionError(f"{path} did not exist and was written; review it and rerun.")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (f"{name} changed: what students see is different. If intended, rerun with "
                                "--update-goldens and review the diff.")


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
