"""Text from a submission made safe to store, render and print.

Exception messages, answers, printed output and file names all come from the student. Before any
of it reaches a report it is: valid Unicode (lone surrogates and other code points that cannot be
encoded become U+FFFD, so UTF-8 writers and JSON never fail), free of control characters (ANSI
escapes, carriage returns, backspaces, which could redraw an instructor's terminal), and capped.
"""

from __future__ import annotations

import re

# ANSI/VT escape sequences (CSI, OSC, and two-character escapes), then any other C0/C1 control
# character except newline and tab.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Unicode bidirectional overrides and isolates can make a terminal line read backwards.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")
MARK = "\n[... {n} more characters cut here ...]\n"


def valid_unicode(text: str) -> str:
    """`text` with every code point that UTF-8 cannot encode (lone surrogates) replaced."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)


def capped(text: str, limit: int) -> str:
    """At most `limit` characters (plus a note saying how many were cut): the head and the tail,
    since the end of a traceback or of printed output says the most."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    return text[: limit - tail] + MARK.format(n=len(text) - limit) + (text[-tail:] if tail else "")


def clean(text: object, limit: int) -> str:
    """Report text: valid Unicode, no control characters but newline and tab, capped."""
    value = text if isinstance(text, str) else str(text)
    # Cap first (a 10 MB message is cut before any regex walks it), then clean what is kept.
    value = capped(value, limit)
    value = valid_unicode(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", value))


def for_terminal(text: str) -> str:
    """One line for a terminal: no escapes, no control characters (newlines and tabs included),
    no bidirectional overrides."""
    value = _ESCAPES.sub("", valid_unicode(text))
    value = _BIDI.sub("", value)
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", value)


def shown_name(name: str, limit: int = 120) -> str:
    """A file or member name as it may appear in a one-sentence message."""
    return capped(for_terminal(name), limit)
