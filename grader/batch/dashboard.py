"""The batch's dashboard: one self-contained page (`index.html`, inline CSS and SVG, nothing
fetched): the score distribution, pass rates per exercise and per test (the tests failed most
first, with who failed them), late and resubmission counts, a sortable, filterable table of
students linking to their reports (and rendered notebooks), the similarity pages, and the problem
list. Everything in it comes from submissions or mail headers, so it is rendered by jinja2 with
autoescape on, never marked safe. Its one small inline script (sort and filter) is the page's
own; the Content-Security-Policy allows inline script and nothing else to run or load. It holds
one row per student and no report inline, so 500 students stay a light page."""

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
    notebook: str = ""  # relative link to the rendered notebook (instructor's page), if any


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
    failing: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for e in entries:
        if e.result is None:
            continue
        for exercise in e.result.exercises:
            for test in exercise.tests:
                if test.status != "passed":
                    failing[(e.assignment, exercise.name, test.name)].append(e.student)
    rates = [{"assignment": a, "exercise": x, "test": t, "passed": p, "total": n, "rate": round(100 * p / n),
              "failed_by": failing.get((a, x, t), [])}
             for (a, x, t), (p, n) in seen.items()]
    # The tests failed most first: where the class needs help.
    return sorted(rates, key=lambda r: (r["rate"], r["assignment"], r["exercise"], r["test"]))


def exercise_rates(entries: Sequence[Entry]) -> list[dict[str, object]]:
    """Per assignment and exercise: how many counted gradings earned full marks, and the mean."""
    seen: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for e in entries:
        if e.result is None:
            continue
        for exercise in e.result.exercises:
            tally = seen[(e.assignment, exercise.name)]
            tally[0] += exercise.max_score > 0 and exercise.score >= exercise.max_score
            tally[1] += 1
            tally[2] += exercise.score
            tally[3] += exercise.max_score
    return [{"assignment": a, "exercise": x, "full": int(f), "total": int(n), "rate": round(100 * f / n),
             "mean": fmt_percent(got, out_of) or "—"}
            for (a, x), (f, n, got, out_of) in seen.items()]


def submission_stats(entries: Sequence[Entry]) -> dict[str, object]:
    """Late and resubmission counts over the students' lines."""
    lines = len(entries)
    resubmitted = [e for e in entries if e.attempts > 1]
    return {
        "lines": lines,
        "late": sum(1 for e in entries if e.late),
        "resubmitted": len(resubmitted),
        "most_attempts": max((e.attempts for e in entries), default=0),
        "mean_attempts": f"{sum(e.attempts for e in entries) / lines:.2f}" if lines else "0",
        "nothing_graded": sum(1 for e in entries if e.score is None),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("grader.batch", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_dashboard(entries: Sequence[Entry], issues: Sequence[Issue], specs: dict[str, Assignment],
                     similarity: dict[str, str] | None = None) -> str:
    """`similarity`: assignment slug -> relative link to its similarity page."""
    bars = histogram(entries)
    graded = [e for e in entries if e.score is not None]
    rows = [{"entry": e, "score": "" if e.score is None else fmt_score(e.score), "max": fmt_score(e.max_score),
             "value": -1 if e.score is None or e.max_score <= 0 else round(100 * e.score / e.max_score, 2),
             "percent": "" if e.score is None else fmt_percent(e.score, e.max_score)} for e in entries]
    return _environment().get_template("index.html.j2").render(
        titles={slug: spec.title for slug, spec in specs.items()}, rows=rows, issues=issues, bars=bars,
        top=max(bars + [1]), bins=BINS, rates=pass_rates(entries), students=len({e.student for e in entries}),
        exercise_rates=exercise_rates(entries), stats=submission_stats(entries), similarity=similarity or {},
        graded=len(graded),
        mean=fmt_percent(sum(e.score or 0 for e in graded), sum(e.max_score for e in graded)) if graded else "")


def write_dashboard(path: Path, entries: Sequence[Entry], issues: Sequence[Issue], specs: dict[str, Assignment],
                    similarity: dict[str, str] | None = None) -> Path:
    path.write_text(render_dashboard(entries, issues, specs, similarity), encoding="utf-8")
    return path
