"""Which assignment a mail is about, from its subject and the manifests' `[mail] subjects`.

Subjects and patterns are compared as sequences of words: accents, case, punctuation, spaces
and dashes do not matter ("RE: Fwd: practical-work 1" has the words `re fwd practical work 1`),
letters and digits are split apart ("TP1" is `tp 1`), and numbers compare by value ("TP 01"
is "TP 1"), so a pattern "TP 1" is found in "tp-1" but never in "TP 10" or "TP 12".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.assignment import Assignment

# A subject line is a few dozen characters; a longer one is cut before it is compared.
MAX_SUBJECT_CHARS = 1000
# "TP n° 1", "TP no. 1", "TP nr 1": a number marker before a number is not a word.
_NUMBER_MARKERS = {"n", "no", "nr", "num", "nb"}


def words(text: str) -> tuple[str, ...]:
    """The comparable words of a subject or a pattern."""
    text = unicodedata.normalize("NFKD", text[:MAX_SUBJECT_CHARS])
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    raw = re.findall(r"[^\W\d_]+|\d+", text)
    out: list[str] = []
    for i, word in enumerate(raw):
        if word.isdigit():
            out.append(str(int(word)) if len(word) < 20 else word)
        elif word in _NUMBER_MARKERS and i + 1 < len(raw) and raw[i + 1].isdigit() and out:
            continue
        else:
            out.append(word)
    return tuple(out)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def patterns(assignment: Assignment) -> tuple[str, ...]:
    """The manifest's subjects; without any, the slug ("mnist-mlp") and the title."""
    return assignment.subjects or (assignment.slug, assignment.title)


def match_assignment(subject: str, assignments: Sequence[Assignment]) -> str | None:
    """The slug of the assignment the subject names, or None when none does or when two
    assignments match equally well (the batch then lists the mail for the instructor)."""
    found = words(subject or "")
    best: dict[str, int] = {}
    for assignment in assignments:
        for pattern in patterns(assignment):
            needle = words(pattern)
            if _contains(found, needle):
                best[assignment.slug] = max(best.get(assignment.slug, 0), len(needle))
    if not best:
        return None
    top = max(best.values())
    winners = [slug for slug, length in best.items() if length == top]
    return winners[0] if len(winners) == 1 else None
