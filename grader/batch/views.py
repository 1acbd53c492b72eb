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
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
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


# From this many submissions to compare (all assignments together), the similarity pages are
# written by a process of their own while this one writes the reports: their cost grows with the
# square of the class (a few seconds at 100), and a process costs ~0.5 s to start.
SIDE_PROCESS_FROM = 40


def start_similarity(out: Path, specs: dict[str, Any],
                     compared: dict[str, list[tuple[str, str, str]]]) -> Callable[[], dict[str, str]]:
    """Start writing one similarity page per assignment of `compared` (slug -> its counted
    `(student, sha256, filename)`); call what it returns for `{slug: page}` once they are written
    (the pages with nothing to show left out). A side process that fails is never worth a lost
    page: what it did not write is written here."""
    wanted = {slug: found for slug, found in sorted(compared.items()) if slug in specs and len(found) >= 2}

    def here(slugs: Sequence[str]) -> dict[str, str]:
        return {slug: page for slug in slugs for page in [write_similarity(out, slug, specs[slug], wanted[slug])] if page}

    if sum(len(found) for found in wanted.values()) < SIDE_PROCESS_FROM:
        return lambda: here(list(wanted))
    try:
        side = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        futures = {slug: side.submit(write_similarity, out, slug, specs[slug], found) for slug, found in wanted.items()}
    except Exception as error:  # noqa: BLE001 - no process to be had: written here, later
        log.warning("similarity pages written after the reports (%s)", error)
        return lambda: here(list(wanted))

    def collect() -> dict[str, str]:
        pages: dict[str, str] = {}
        try:
            for slug, future in futures.items():
                try:
                    page = future.result()
                except Exception as error:  # noqa: BLE001 - the side process died or failed
                    log.warning("similarity page of %s written again here (%s)", slug, error)
                    page = here([slug]).get(slug, "")
                if page:
                    pages[slug] = page
        finally:
            side.shutdown(wait=True, cancel_futures=True)
        return pages

    return collect


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
