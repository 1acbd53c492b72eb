"""Code pasted in a mail's body: the last resort when a mail has no attachment.

A student who cannot attach a file pastes the module between a greeting and a signature. The
longest span of lines that parses as Python and defines a function or a class is taken; the
batch flags it for the instructor to review. Parsing is bounded: the text's size and the
number of attempts are capped, and the text is only parsed here, never run.
"""

from __future__ import annotations

import ast
import re

# A module of a practical work is a few hundred lines; a longer body is not pasted code.
MAX_BODY_CODE_CHARS = 200_000
MAX_PARSE_ATTEMPTS = 40

_CODE_START = re.compile(r"^(import |from |def |class |@|#)")


def body_code(bodies: list[str]) -> str | None:
    """Python pasted in a body: the longest span of lines that parses and defines a function or
    a class. A last resort (the batch flags it for review), tried a bounded number of times."""
    text = "\n".join(bodies).replace("\r\n", "\n")
    if "def " not in text and "class " not in text:
        return None
    lines = [ln for ln in text.split("\n") if not ln.startswith(">")]
    if sum(len(ln) for ln in lines) > MAX_BODY_CODE_CHARS:
        return None
    if "-- " in lines:  # a signature follows the conventional delimiter
        lines = lines[: lines.index("-- ")]
    starts = [i for i, ln in enumerate(lines) if _CODE_START.match(ln)][:8]
    attempts = 0
    for start in starts:
        end = len(lines)
        while end > start and attempts < MAX_PARSE_ATTEMPTS:
            attempts += 1
            code = "\n".join(lines[start:end]).strip("\n")
            found = _code_of(code)
            if found is not None:
                return found
            end -= 1
            while end > start and not lines[end - 1].strip():
                end -= 1
    return None


def _code_of(code: str) -> str | None:
    """The code without trailing prose that happens to parse ("Best,\nJane" is a tuple and a
    name), or None when it does not parse or defines no function or class."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    body = list(tree.body)
    while body and isinstance(body[-1], ast.Expr) and _is_prose(body[-1].value):
        body.pop()
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in body):
        return None
    last_line = max(getattr(body[-1], "end_lineno", None) or 0, 1)
    return "\n".join(code.split("\n")[:last_line]) + "\n"


def _is_prose(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return all(_is_prose(e) for e in node.elts)
    return isinstance(node, (ast.Name, ast.Constant))
