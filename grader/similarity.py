"""Similarity: pairs of submissions whose kept code is suspiciously alike, for a human to look at.

It flags; it never changes a grade. Computed on the code the extractor kept (imports, top-level
definitions), not on outputs, with the starter's code as boilerplate that matches nobody.

The comparison is copydetect's (MIT): code is tokenized with Pygments, names and strings are
replaced by one letter each (so renaming variables does not hide a copy), then the k-gram
fingerprints that winnowing selects are intersected pair by pair (Schleimer, Wilkerson, Aiken,
SIGMOD 2003). docs/feedback.md says why it was chosen over difflib and what the scores mean.

Cost: fingerprinting is linear in the code; comparing is one sorted lookup per pair and side
(`_Prints.share_in`, copydetect's shares computed ~3x faster), so n submissions cost n(n-1)/2
of them; copydetect itself finds the matching regions of the listed pairs only. Both are
bounded: at most MAX_SUBMISSIONS submissions and MAX_CODE_CHARS characters of each.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Pair", "Report", "compare", "compare_submissions", "kept_code", "render_page", "write_page",
    "MAX_SUBMISSIONS", "MAX_CODE_CHARS",
]

MAX_SUBMISSIONS = 500      # 124,750 pairs: seconds, not minutes
MAX_CODE_CHARS = 100_000   # per submission (kept code), the rest is ignored
NOISE_CHARS = 25           # matches shorter than this (in normalized code) are never reported
GUARANTEE_CHARS = 30       # matches at least this long are always found
DISPLAY_THRESHOLD = 0.5    # pairs shown on the page: at least this share of one side matches
MAX_SHOWN = 30             # pairs drawn side by side on the page
MAX_LISTED = 500           # pairs kept, ranked, in a report: the most alike (the rest are counted)
TEMPLATE = "similarity.html.j2"


@dataclass(frozen=True)
class Pair:
    """Two submissions and how much of each one's code is found in the other."""

    a: str
    b: str
    # Share of a's (resp. b's) fingerprinted code that matches the other, in [0, 1].
    similarity_a: float
    similarity_b: float
    # Matching regions, as 1-based inclusive line ranges in each one's kept code.
    lines_a: tuple[tuple[int, int], ...]
    lines_b: tuple[tuple[int, int], ...]

    @property
    def score(self) -> float:
        """The larger share: a short copy pasted into a longer submission still ranks high."""
        return max(self.similarity_a, self.similarity_b)


@dataclass(frozen=True)
class Report:
    pairs: tuple[Pair, ...]          # the MAX_LISTED most alike pairs with some match, highest score first
    codes: dict[str, str]            # student -> the kept code compared (bounded)
    skipped: tuple[str, ...]         # one sentence each: what was left out and why
    # The scores of the pairs with some match beyond the listed ones (a short exercise makes most
    # pairs of a class alike: 124,750 of them at 500 students would fill memory and the page).
    unlisted: tuple[float, ...] = ()


def kept_code(path: Path, assignment: Any) -> str:
    """The code the extractor keeps from a submission file, as one text (chunks in order)."""
    from grader.extract import extract
    from grader.intake import read_submission

    extracted = extract(read_submission(Path(path)), assignment)
    return "\n\n".join(chunk.source.rstrip() for chunk in extracted.code.chunks) + "\n"


def compare_submissions(paths: Iterable[Path], assignment: Any) -> Report:
    """`compare` on submission files, the assignment's starter as boilerplate. A file that cannot
    be read is left out and named in `skipped`; it never stops the others."""
    from grader.extract import NotebookError
    from grader.intake import IntakeError, read_submission

    codes: list[tuple[str, str]] = []
    unreadable: list[str] = []
    for path in paths:
        try:
            student = read_submission(Path(path)).student
            codes.append((student, kept_code(Path(path), assignment)))
        except (IntakeError, NotebookError, OSError, ValueError) as error:
            unreadable.append(f"{Path(path).name}: not compared ({str(error)[:200]}).")
    starter = Path(assignment.starter_path)
    boilerplate = kept_code(starter, assignment) if starter.is_file() else ""
    report = compare(codes, boilerplate=boilerplate)
    return Report(report.pairs, report.codes, tuple(unreadable) + report.skipped, report.unlisted)


def _newlines(code: str) -> list[int]:
    """Where each line of `code` ends (its newlines' offsets), for `_line_ranges`."""
    return [match.start() for match in re.finditer("\n", code)]


def _line_ranges(newlines: list[int], slices: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Character slices (2 x N: starts, ends) of a code whose newlines are at `newlines` ->
    merged 1-based inclusive line ranges."""
    if slices.size == 0:
        return ()
    ranges: list[tuple[int, int]] = []
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())):
        first = bisect.bisect_right(newlines, int(start) - 1) + 1
        last = bisect.bisect_right(newlines, max(int(end) - 1, int(start)) - 1) + 1
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return tuple(ranges)


_MULTIPLIER = np.uint64(1_000_003)


def stable_kgrams(string: str, k: int) -> np.ndarray:
    """A hash of every k-character window of `string` (int64), the same in every process.

    copydetect hashes each window with Python's `hash()`, which is salted per process: winnowing
    keeps each window's smallest hash, so two runs kept different fingerprints, and a pair of
    near copies got different scores and marked lines from one run to the next. This is a
    polynomial hash of the code points (mod 2**64), mixed by splitmix64's finalizer so that the
    smallest hashes fall anywhere, as salted ones do."""
    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    if n <= 0:
        return np.array([])  # as copydetect's own: no window, nothing to fingerprint
    hashes = np.zeros(n, dtype=np.uint64)
    for offset in range(k):  # k passes over n windows (arrays wrap around 2**64 silently)
        hashes = hashes * _MULTIPLIER + codes[offset:offset + n]
    hashes ^= hashes >> np.uint64(30)
    hashes *= np.uint64(0xBF58476D1CE4E5B9)
    hashes ^= hashes >> np.uint64(27)
    hashes *= np.uint64(0x94D049BB133111EB)
    hashes ^= hashes >> np.uint64(31)
    return hashes.view(np.int64)


@lru_cache(maxsize=1)
def _stable_copydetect() -> None:
    """copydetect fingerprints with `stable_kgrams` (its `utils.hashed_kgrams`, which its
    `get_document_fingerprints` looks up on each call): tests/unit/test_similarity.py checks
    that two processes with different salts give the same report."""
    import copydetect.utils

    copydetect.utils.hashed_kgrams = stable_kgrams


def _fingerprint(name: str, code: str, boilerplate: np.ndarray | None) -> Any:
    from copydetect import CodeFingerprint

    _stable_copydetect()
    window = GUARANTEE_CHARS - NOISE_CHARS + 1
    return CodeFingerprint(f"{name}.py", NOISE_CHARS, window, boilerplate=boilerplate, filter=True,
                           language="python", fp=io.StringIO(code))


def _boilerplate(code: str) -> np.ndarray | None:
    """The fingerprints of the starter's code, which match nobody (None: no starter)."""
    return np.array(sorted(_fingerprint("starter", code, None).hashes)) if code.strip() else None


@dataclass(frozen=True)
class _Prints:
    """One submission's fingerprints laid out for scoring many pairs: where each kept k-gram
    starts (sorted), its hash, and the distinct hashes (sorted)."""

    positions: np.ndarray
    hashes: np.ndarray
    distinct: np.ndarray
    coverage: int  # copydetect's token_coverage: the denominator of a share
    empty: bool    # no filtered code: every share is 0, as in copydetect
    k: int         # the k-grams' length

    @classmethod
    def of(cls, fingerprint: Any) -> _Prints:
        pairs = sorted((int(i), int(h)) for h, where in fingerprint.hash_idx.items() for i in where)
        positions = np.array([i for i, _ in pairs], dtype=np.int64)
        hashes = np.array([h for _, h in pairs], dtype=np.int64)
        return cls(positions, hashes, np.unique(hashes), int(fingerprint.token_coverage),
                   len(fingerprint.filtered_code) == 0, int(fingerprint.k))

    def share_in(self, other: _Prints) -> float:
        """The share of this code that `other` has too: the length of the union of the k-grams
        whose hash `other` has, over the coverage. copydetect's `compare_files` computes the same
        (tests/unit/test_similarity.py checks it pair by pair), with a set of numpy scalars and
        an array per shared hash: ~7x slower (144 against 21 us a pair, both sides, on the tp1
        variants), and a class costs n(n-1)/2 of them."""
        if self.empty or not len(self.hashes) or not len(other.distinct):
            return 0.0
        at = np.minimum(np.searchsorted(other.distinct, self.hashes), len(other.distinct) - 1)
        found = self.positions[other.distinct[at] == self.hashes]
        if not len(found):
            return 0.0
        overlap = self.k + int(np.minimum(np.diff(found), self.k).sum())  # overlapping k-grams counted once
        return overlap / self.coverage


def compare(submissions: Iterable[tuple[str, str]], *, boilerplate: str = "") -> Report:
    """Every pair of submissions, ranked by score. `submissions` is (student, kept code)."""
    from copydetect import compare_files

    skipped: list[str] = []
    codes: dict[str, str] = {}
    for student, code in submissions:
        student = str(student).encode("utf-8", "replace").decode("utf-8")
        if student in codes:
            skipped.append(f"{student}: a second submission with the same id was not compared.")
            continue
        if len(codes) >= MAX_SUBMISSIONS:
            skipped.append(f"Only the first {MAX_SUBMISSIONS} submissions were compared.")
            break
        text = code.encode("utf-8", "replace").decode("utf-8")
        if len(text) > MAX_CODE_CHARS:
            skipped.append(f"{student}: only the first {MAX_CODE_CHARS} characters of code were compared.")
            text = text[:MAX_CODE_CHARS]
        codes[student] = text
    common = _boilerplate(boilerplate)
    prints = {s: _fingerprint(s, c, common) for s, c in codes.items()}
    laid = {s: _Prints.of(p) for s, p in prints.items()}
    scored = []  # (score, a, b): cheap to keep for every pair, unlike their matching regions
    for a, b in combinations(codes, 2):
        sim_a, sim_b = laid[a].share_in(laid[b]), laid[b].share_in(laid[a])
        if sim_a > 0 or sim_b > 0:
            scored.append((float(min(max(sim_a, sim_b), 1.0)), a, b))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    pairs = []
    newlines = {}
    for _, a, b in scored[:MAX_LISTED]:  # compared again, for the regions of the listed pairs only
        _, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        for who in (a, b):
            if who not in newlines:
                newlines[who] = _newlines(codes[who])
        pairs.append(Pair(a, b, float(min(sim_a, 1.0)), float(min(sim_b, 1.0)),
                          _line_ranges(newlines[a], np.asarray(slices_a)),
                          _line_ranges(newlines[b], np.asarray(slices_b))))
    return Report(tuple(pairs), codes, tuple(skipped), tuple(score for score, _, _ in scored[MAX_LISTED:]))


def _side(code: str, ranges: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    hit = set()
    for first, last in ranges:
        hit.update(range(first, last + 1))
    return [{"number": i, "text": line, "hit": i in hit} for i, line in enumerate(code.splitlines(), 1)]


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("grader.report", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_page(report: Report, *, title: str = "Similar submissions",
                threshold: float = DISPLAY_THRESHOLD, limit: int = MAX_SHOWN) -> str:
    """One self-contained page: the ranked pairs above the threshold, the top ones side by side."""
    shown = [p for p in report.pairs if p.score >= threshold]
    views = [{
        "pair": p, "rank": i,
        "left": _side(report.codes[p.a], p.lines_a), "right": _side(report.codes[p.b], p.lines_b),
    } for i, p in enumerate(shown[:limit], 1)]
    return _environment().get_template(TEMPLATE).render(
        title=title, pairs=shown, views=views, compared=len(report.codes), threshold=threshold,
        skipped=report.skipped, total_pairs=len(report.codes) * (len(report.codes) - 1) // 2,
        unlisted=sum(1 for score in report.unlisted if score >= threshold))


def write_page(report: Report, path: Path, **options: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(report, **options), encoding="utf-8")
    return path
