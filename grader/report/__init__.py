"""Report: a GradeResult -> a self-contained HTML page, a JSON file, or a terminal table.

The HTML is one file with inline CSS and nothing fetched from the network, so it can be mailed,
archived or opened offline. Everything from the submission (messages, answers, printed output) is
untrusted text: the template is rendered with autoescape on, never marked safe.

Hidden tests never show their description; their names only when the assignment allows it
(`[report] show_hidden_test_names`), else "hidden test N"; their message, traceback and figures
as the assignment's visibility level allows (`[report] hidden_visibility`, see view.py).
Each exercise shows the student's own code (highlighted by Pygments, the only markup inserted),
the figures drawn from the artifacts its tests attached, and the figures the student's own code
drew while it was graded (PNGs the grader decoded and re-encoded itself, grader/run/drawn.py).
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grader.report import view as views
from grader.report.sanitize import sanitize
from grader.results import ExerciseResult, GradeResult, TestResult
from grader.text import for_terminal

__all__ = ["render_html", "sanitize", "write_html", "write_json", "summary_table"]

TEMPLATE = "report.html.j2"
GRADER_ERROR_NOTE = "grader error: not counted against you until your instructor checks it"
PUBLIC_ONLY_NOTE = "public tests only: your instructor also runs hidden tests"
# Colour codes a student traceback may carry: noise in a file.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
TABLE_WIDTH = 78
NAME_WIDTH = 32


def fmt_score(value: float) -> str:
    """A score without useless decimals: 2.0 -> "2", 1.5 -> "1.5", 1/3 -> "0.33"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_percent(score: float, max_score: float) -> str:
    if max_score <= 0:
        return ""
    return fmt_score(round(100 * score / max_score, 1)) + "%"


def exercise_status(exercise: ExerciseResult) -> str:
    """One word for an exercise: ok, partial, 0, missing (every test missing), or no tests."""
    if not exercise.tests:
        return "no tests"
    if all(t.status == "missing" for t in exercise.tests):
        return "missing"
    if exercise.max_score > 0 and exercise.score >= exercise.max_score:
        return "ok"
    if exercise.score > 0:
        return "partial"
    return "0"


def _clean(text: str) -> str:
    return _ANSI.sub("", text or "").rstrip()


def _test_labels(exercise: ExerciseResult, show_hidden_test_names: bool) -> list[str]:
    labels, hidden_count = [], 0
    for test in exercise.tests:
        if test.hidden:
            hidden_count += 1
            labels.append(test.name if show_hidden_test_names else f"hidden test {hidden_count}")
        else:
            labels.append(test.name)
    return labels


def _test_view(test: TestResult, label: str, hidden_visibility: str) -> dict[str, Any]:
    level = views.level_for(test, hidden_visibility)
    message, traceback = views.test_texts(test, level, _clean)
    return {
        "label": label,
        "hidden": test.hidden,
        "status": test.status,
        "icon": views.ICONS.get(test.status, "?"),
        "points": fmt_score(test.points),
        "max_points": fmt_score(test.max_points),
        # A hidden test's description would tell what it checks: never shown.
        "description": "" if test.hidden else test.description,
        "message": message,
        "traceback": traceback,
        "figures": views.figures(views.shown_artifacts(test, level)),
        "grader_fault": test.fault == "grader",
    }


OUTPUT_LINES = 200


def _trimmed_output(text: str) -> str:
    """The last lines of what the submission printed: the end says the most."""
    lines = text.splitlines()
    if len(lines) <= OUTPUT_LINES:
        return text
    return f"[... {len(lines) - OUTPUT_LINES} earlier lines cut ...]\n" + "\n".join(lines[-OUTPUT_LINES:])


def _bar(exercise: ExerciseResult) -> int:
    if exercise.max_score <= 0:
        return 0
    return max(0, min(100, round(100 * exercise.score / exercise.max_score)))


def _view(result: GradeResult, title: str, show_hidden_test_names: bool,
          hidden_visibility: str = views.DEFAULT_VISIBILITY, notebook_link: str = "") -> dict[str, Any]:
    exercises = []
    for exercise in result.exercises:
        labels = _test_labels(exercise, show_hidden_test_names)
        exercises.append({
            "name": exercise.name,
            "score": fmt_score(exercise.score),
            "max_score": fmt_score(exercise.max_score),
            "status": exercise_status(exercise),
            "bar": _bar(exercise),
            "source": exercise.source,
            "tests": [_test_view(t, label, hidden_visibility) for t, label in zip(exercise.tests, labels)],
            "code": [{"where": c.where, "graded": c.graded, "html": views.highlight(c)} for c in exercise.code],
            "drawn": views.drawn_figures(exercise.tests, hidden_visibility),
        })
    return {
        "highlight_css": views.highlight_css(),
        "notebook_link": notebook_link,
        "title": title or result.assignment,
        "result": result,
        "score": fmt_score(result.score),
        "max_score": fmt_score(result.max_score),
        "percent": fmt_percent(result.score, result.max_score),
        "exercises": exercises,
        "public_only_note": PUBLIC_ONLY_NOTE,
        "grader_error_note": GRADER_ERROR_NOTE,
        "student_output": _trimmed_output(_clean(result.student_output)),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(result: GradeResult, *, title: str = "", show_hidden_test_names: bool = True,
                hidden_visibility: str = views.DEFAULT_VISIBILITY, notebook_link: str = "") -> str:
    """The report as one self-contained HTML page (inline CSS and PNG, no scripts, no network).
    `notebook_link`: a relative link to the rendered notebook, for the instructor's copy only."""
    template = _environment().get_template(TEMPLATE)
    return template.render(**_view(result, title, show_hidden_test_names, hidden_visibility, notebook_link))


def write_html(result: GradeResult, path: Path, *, title: str = "", show_hidden_test_names: bool = True,
               hidden_visibility: str = views.DEFAULT_VISIBILITY, notebook_link: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result, title=title, show_hidden_test_names=show_hidden_test_names,
                                hidden_visibility=hidden_visibility, notebook_link=notebook_link), encoding="utf-8")
    return path


def write_json(result: GradeResult, path: Path) -> Path:
    """The result as strict JSON (a student's NaN or infinity becomes null, which every parser
    reads), one line: an indented dump goes through json's pure-Python encoder, several times
    slower on a result's figure data."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = result.to_json()
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(data), ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _finite(value: Any) -> Any:
    """`value` with every float that is not finite replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _fit(text: str, width: int) -> str:
    text = for_terminal(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrapped(text: str, prefix: str) -> list[str]:
    """Wrapped lines for the terminal; nothing from the submission can move the cursor, clear
    the screen or redraw a line (escapes and control characters are dropped)."""
    return textwrap.wrap(" ".join(for_terminal(text).split()), width=TABLE_WIDTH,
                         initial_indent=for_terminal(prefix), subsequent_indent="  ") or [for_terminal(prefix).rstrip()]


def summary_table(result: GradeResult) -> str:
    """A plain-text table for the terminal: exercises, total, then grader errors and
    error-level problems, one line (wrapped under 80 columns) each."""
    names = [for_terminal(e.name) for e in result.exercises] + ["exercise", "total"]
    name_w = min(max(len(n) for n in names), NAME_WIDTH)
    scores = [f"{fmt_score(e.score)}/{fmt_score(e.max_score)}" for e in result.exercises]
    total = f"{fmt_score(result.score)}/{fmt_score(result.max_score)}"
    score_w = max(len(s) for s in scores + [total, "score"])

    def row(name: str, score: str, status: str) -> str:
        return f"{_fit(name, name_w):<{name_w}}  {score:>{score_w}}  {status}".rstrip()

    rule = f"{'-' * name_w}  {'-' * score_w}  {'-' * 8}"
    lines = [row("exercise", "score", "status"), rule]
    lines += [row(e.name, s, exercise_status(e)) for e, s in zip(result.exercises, scores)]
    lines += [rule, row("total", total, fmt_percent(result.score, result.max_score))]
    if not result.hidden_included:
        lines.append(f"({PUBLIC_ONLY_NOTE})")
    if result.grader_error:
        lines += _wrapped(result.grader_error, "grader error (this grade is not final): ")
    for exercise in result.exercises:
        labels = _test_labels(exercise, show_hidden_test_names=False)
        for test, label in zip(exercise.tests, labels):
            if test.fault == "grader":
                lines += _wrapped(f"{exercise.name} / {label}: not counted against you until "
                                  "your instructor checks it", "grader error: ")
    for problem in result.problems:
        if problem.severity == "error":
            where = f" ({problem.where})" if problem.where else ""
            hint = f" Hint: {problem.hint}" if problem.hint else ""
            lines += _wrapped(f"{problem.message}{hint}", f"error{where}: ")
    return "\n".join(lines)
