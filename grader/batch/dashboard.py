"""The batch's first dashboard: one self-contained page (`index.html`, inline CSS and SVG, no
script, nothing fetched): the class table with links to the reports, the score distribution,
the pass rate of every test, and the problem list. Everything in it comes from submissions or
mail headers, so it is rendered by jinja2 with autoescape on, never marked safe."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grader.assignment import Assignment
from grader.report import fmt_percent, fmt_score
from grader.results import GradeResult

BINS = 10  # score distribution: 0-10 %, ..., 90-100 %


@dataclass(frozen=True)
class Entry:
    """One student's line for one assignment."""

    student: str
    name: str
    assignment: str
    score: float | None
    max_score: float
    status: str
    attempts: int
    late: str
    report: str  # relative link
    result: GradeResult | None  # the counted, graded result (None when nothing was graded)
    shown: GradeResult | None = None  # what the student's report shows (also why nothing was graded)
    message_key: str = ""  # the mail of the counted submission (for the reply)
    job_key: str = ""


@dataclass(frozen=True)
class Issue:
    kind: str  # "no attachment", "unknown sender", "unreadable file", "late", "resubmission", ...
    who: str
    detail: str


def histogram(entries: Sequence[Entry]) -> list[int]:
    counts = [0] * BINS
    for e in entries:
        if e.score is not None and e.max_score > 0:
            counts[min(BINS - 1, int(BINS * e.score / e.max_score))] += 1
    return counts


def pass_rates(entries: Sequence[Entry]) -> list[dict[str, object]]:
    """Per assignment and test: how many of the counted gradings passed it."""
    seen: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        if e.result is None:
            continue
        for exercise in e.result.exercises:
            for test in exercise.tests:
                tally = seen[(e.assignment, exercise.name, test.name)]
                tally[0] += test.status == "passed"
                tally[1] += 1
    return [{"assignment": a, "exercise": x, "test": t, "passed": p, "total": n, "rate": round(100 * p / n)}
            for (a, x, t), (p, n) in seen.items()]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("grader.batch", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_dashboard(entries: Sequence[Entry], issues: Sequence[Issue], specs: dict[str, Assignment]) -> str:
    bars = histogram(entries)
    graded = [e for e in entries if e.score is not None]
    rows = [{"entry": e, "score": "" if e.score is None else fmt_score(e.score), "max": fmt_score(e.max_score),
             "percent": "" if e.score is None else fmt_percent(e.score, e.max_score)} for e in entries]
    return _environment().get_template("index.html.j2").render(
        titles={slug: spec.title for slug, spec in specs.items()}, rows=rows, issues=issues, bars=bars,
        top=max(bars + [1]), bins=BINS, rates=pass_rates(entries), students=len({e.student for e in entries}),
        graded=len(graded),
        mean=fmt_percent(sum(e.score or 0 for e in graded), sum(e.max_score for e in graded)) if graded else "")


def write_dashboard(path: Path, entries: Sequence[Entry], issues: Sequence[Issue], specs: dict[str, Assignment]) -> Path:
    path.write_text(render_dashboard(entries, issues, specs), encoding="utf-8")
    return path
