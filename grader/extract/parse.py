"""Student text -> Python statements, whatever the text: IPython lines neutralised, line numbers
kept, a broken cell salvaged block by block in one linear pass, and any failure of the parser
(a syntax error, a NUL byte, an expression too deep for its stack) turned into a problem of that
cell."""

from __future__ import annotations

import ast
import re
import warnings

from grader.extract.budget import Budget
from grader.results import Problem

# Cell magics whose body is still Python (the magic only times or captures it).
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# A statement-start line that IPython, not Python, understands: %magic, !shell, `x = !cmd`,
# `obj?` / `??obj` help.
_IPYTHON_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[%!]|\?{1,2}[\w.]|[\w.]+\?{1,2}\s*$|[\w, ]+=\s*[%!])"
)

# Line breaks as Python's tokenizer sees them (str.splitlines also splits on \f, \x1c, \u2028...,
# which would shift line numbers inside strings and comments).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def strip_ipython(text: str) -> str:
    """Replace IPython-only lines by `pass` (same indent, same line count) so that Python parses
    the cell and line numbers still match what the student sees."""
    lines = split_lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].strip() != "%%" else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return ""  # %%bash, %%writefile, %%html...: not Python at all
        lines[first] = "pass"
    cleaned = []
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        cleaned.append(f"{match.group('indent')}pass" if match else line)
    return "\n".join(cleaned)


# Anything that stops the parser or the analysis on one cell: a syntax error, a string with a
# NUL byte (ValueError), an expression nested past the parser's stack (RecursionError), one too
# big for memory. Each is a problem of that cell, never of the grader.
UNREADABLE = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)


def try_parse(text: str) -> list[ast.stmt] | BaseException:
    try:
        with warnings.catch_warnings():
            # SyntaxWarnings about the student's literals would print to the grader's stderr.
            warnings.simplefilter("ignore")
            return ast.parse(text).body
    except UNREADABLE as exc:
        return exc


def parse_unit(filename: str, text: str, problems: list[Problem], budget: Budget) -> tuple[str, list[ast.stmt]]:
    """The text parsed and its top-level statements; on a syntax error, what can be salvaged."""
    budget.tick()
    original = text
    first = try_parse(original)
    if isinstance(first, list):
        return original, first
    text = strip_ipython(original)
    second = try_parse(text) if text != original else first
    if isinstance(second, list):
        return text, second
    exc = second
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 1
        message = f"Syntax error in {filename}, line {line}: {exc.msg}."
        where = f"{filename}, line {line}"
    else:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "too large or malformed"
        message = f"{filename} could not be read by Python's parser (an expression {reason})."
        where = filename
    problems.append(
        Problem(
            message=message,
            where=where,
            hint="The definitions elsewhere in this cell were still read; fix the line so the cell runs.",
            severity="error",
        )
    )
    return text, _salvage(text, budget)


def _block_starts(lines: list[str]) -> list[int]:
    """Where each top-level block of a broken unit starts, in one pass: a decorator stays with
    what it decorates, a backslash continuation with its line."""
    starts: list[int] = []
    # True while every line since the last start is a decorator or blank (and it is one).
    decorators_only = False
    for i, line in enumerate(lines):
        top_level = bool(line) and line[0] not in " \t#)]}" and not line.startswith(("else", "elif", "except", "finally"))
        if top_level and starts:
            if lines[i - 1].rstrip().endswith("\\") or decorators_only:
                top_level = False
        if top_level:
            starts.append(i)
            decorators_only = line.startswith("@")
        elif decorators_only and line.strip() and not line.startswith("@"):
            decorators_only = False
    return starts


def _salvage(text: str, budget: Budget) -> list[ast.stmt]:
    """Parse each top-level block of a broken unit on its own; keep those that parse."""
    lines = split_lines(text)
    starts = _block_starts(lines)
    body: list[ast.stmt] = []
    for start, end in zip(starts, [*starts[1:], len(lines)]):
        budget.tick()
        parsed = try_parse("\n".join(lines[start:end]))
        if isinstance(parsed, BaseException):
            continue
        for node in parsed:
            ast.increment_lineno(node, start)
        body.extend(parsed)
    return body
