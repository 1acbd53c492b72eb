"""The instructor's pages a batch writes beside the reports: each counted notebook rendered
safely (`<student>/<slug>.notebook.html`, grader/report/notebook_view.py) and one similarity page
per assignment (`similarity-<slug>.html`, grader/similarity.py). Neither is attached to a
student's reply; both are linked from the dashboard (and the notebook from the report's copy
kept in the batch folder).

Both read the stored submission bytes (kept under their SHA-256), never run them. A notebook view
is rewritten only when its submission changed (a `.sha256` file beside it says which it shows),
so rerunning a batch of 500 does not render 500 notebooks again. Any failure becomes a note: an
instructor's page is never worth a failed batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.intake import IntakeError, read_bytes

log = logging.getLogger(__name__)

SUBMISSIONS = "submissions"  # grader.batch.run.SUBMISSIONS: where the bytes are kept


def stored_bytes(out: Path, sha256: str) -> bytes | None:
    path = out / SUBMISSIONS / sha256[:2] / sha256
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_notebook_view(out: Path, folder: Path, slug: str, sha256: str, filename: str, title: str) -> str:
    """The rendered notebook's path relative to `out`, or "" when the submission is no notebook."""
    target = folder / f"{slug}.notebook.html"
    marker = folder / f"{slug}.notebook.sha256"
    try:
        if target.is_file() and marker.is_file() and marker.read_text(encoding="ascii").strip() == sha256:
            return target.relative_to(out).as_posix()
        data = stored_bytes(out, sha256)
        if data is None:
            return ""
        submission = read_bytes(data, filename)
        if submission.kind != "notebook":
            return ""
        from grader.report.notebook_view import render_notebook

        view = render_notebook(submission.text, title=title)
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(view.html, encoding="utf-8")
        marker.write_text(sha256 + "\n", encoding="ascii")
        return target.relative_to(out).as_posix()
    except (IntakeError, OSError, ValueError) as error:
        log.warning("notebook view of %s not written: %s", filename, error)
        return ""


def write_similarity(out: Path, slug: str, spec: Any, submissions: Sequence[tuple[str, str, str]]) -> str:
    """One page ranking the pairs of `(student, sha256, filename)` submissions whose kept code is
    alike, the starter's code ignored. The page's path relative to `out`, or "" when fewer than
    two submissions could be compared."""
    from grader.extract import ExtractError, NotebookError, extract
    from grader.similarity import compare, kept_code, write_page

    codes: list[tuple[str, str]] = []
    notes: list[str] = []
    for student, sha256, filename in submissions:
        data = stored_bytes(out, sha256)
        try:
            if data is None:
                raise OSError("the stored copy is missing")
            extracted = extract(read_bytes(data, filename), spec)
            codes.append((student, "\n\n".join(c.source.rstrip() for c in extracted.code.chunks) + "\n"))
        except (IntakeError, NotebookError, ExtractError, OSError, ValueError) as error:
            notes.append(f"{student}: not compared ({str(error)[:200]}).")
    if len(codes) < 2:
        return ""
    starter = Path(spec.starter_path)
    try:
        boilerplate = kept_code(starter, spec) if starter.is_file() else ""
    except (IntakeError, NotebookError, ExtractError, OSError, ValueError):
        boilerplate = ""
    report = compare(codes, boilerplate=boilerplate)
    from dataclasses import replace

    report = replace(report, skipped=tuple(notes) + report.skipped)
    path = out / f"similarity-{slug}.html"
    write_page(report, path, title=f"Similar submissions: {spec.title}")
    return path.relative_to(out).as_posix()
