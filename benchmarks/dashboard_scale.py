"""The class dashboard at 500 students: how long it takes to write, how heavy it is, and how it
behaves in a browser.

    .venv/bin/python benchmarks/dashboard_scale.py [--students 500] [--artifacts] [--out DIR]

A batch database is filled through the batch's own code (`grader.batch.state.State`): one real
tp1 grade (tests/goldens/inputs/tp1_graded.json) varied per student (tests failed at random,
their messages, resubmissions and late mail), recorded as each student's message, attempts, jobs
and outcomes. Then `grader.batch.outputs.write_outputs` writes what a batch writes (every report
and its JSON, the gradebooks, the dashboard), and the dashboard is rendered again on its own
(`render_dashboard`). Printed: the time of each step, the page's size in bytes and per student,
and, when Debian's chromium and Playwright are installed (as for tests/browser), the time to load
the page, sort the table by "%" (both ways) and filter it, in headless Chromium.

The report figures drawn from the tests' artifacts are left out by default (`--artifacts` keeps
them): they cost the reports, not the dashboard, and drawing thousands of them would make this
a matplotlib benchmark.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import load_assignment  # noqa: E402
from grader.batch.dashboard import render_dashboard  # noqa: E402
from grader.batch.outputs import write_outputs  # noqa: E402
from grader.batch.state import Attempt, MessageRow, State  # noqa: E402
from grader.jobs import GradeJob, GradeOutcome  # noqa: E402
from grader.results import GradeResult  # noqa: E402

SAVED = ROOT / "tests" / "goldens" / "inputs" / "tp1_graded.json"
DEADLINE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)


def varied(base: GradeResult, student: str, rng: random.Random, keep_artifacts: bool) -> GradeResult:
    """The base grade with some tests failed (a weaker student fails more), rescored."""
    weakness = rng.random() ** 2
    exercises = []
    for exercise in base.exercises:
        tests = []
        for test in exercise.tests:
            failed = rng.random() < weakness
            tests.append(dataclasses.replace(
                test, status="failed" if failed else "passed", points=0.0 if failed else test.max_points,
                message=f"{test.name}: got {rng.random():.3f}, expected something else" if failed else "",
                fault="student" if failed else "", artifacts=test.artifacts if keep_artifacts else ()))
        exercises.append(dataclasses.replace(exercise, tests=tuple(tests),
                                             score=sum(t.points for t in tests)))
    return dataclasses.replace(base, student=student, submission=f"{student.split('@')[0]}_tp1.ipynb",
                               exercises=tuple(exercises), score=sum(e.score for e in exercises))


def fill(state: State, students: int, keep_artifacts: bool, seed: int = 1) -> int:
    """Every student's messages, attempts, jobs and outcomes, as the batch records them."""
    rng = random.Random(seed)
    base = GradeResult.from_json(json.loads(SAVED.read_text(encoding="utf-8")))
    attempts = 0
    for i in range(students):
        student = f"student{i:03d}@uni.example"
        tries = 1 + (rng.random() < 0.15) + (rng.random() < 0.05)
        for attempt in range(tries):
            sent = DEADLINE - timedelta(hours=rng.uniform(-30 if rng.random() < 0.08 else 0, 240))
            key = f"<{i}.{attempt}@mail.uni.example>"
            data = f"synthetic submission {i}.{attempt}".encode()
            job = GradeJob(data=data, filename="tp1.ipynb", student=student, assignment="tp1", seed=i)
            row = MessageRow(key=key, sender=student, sender_name=f"Student {i}", subject="tp1", sent_at=sent,
                             time_source="Date header", skipped="", notes=(), student=student, student_known=True,
                             assignment="tp1", problem="", message_id=key)
            att = Attempt(key=f"{key}#0", student=student, assignment="tp1", sent_at=sent, score=None,
                          max_score=None, status="pending", filename="tp1.ipynb", message_key=key, job_key=job.key)
            state.record_message(row, [("tp1.ipynb", job.sha256, "application/x-ipynb+json", len(data))], [(att, job)])
            if rng.random() < 0.02:
                state.record_outcome(GradeOutcome(job.key, "could not grade", None, "tp1.ipynb is not valid JSON."))
            else:
                state.record_outcome(GradeOutcome(job.key, "graded", varied(base, student, rng, keep_artifacts),
                                                  seconds=rng.uniform(5, 40)))
            attempts += 1
    return attempts


def browse(page_path: Path) -> dict[str, float] | str:
    """Load, sort and filter times in headless Chromium, or why they were not measured."""
    sys.path.insert(0, str(ROOT))
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser.conftest import find_chromium
    except ImportError as error:
        return f"not measured: {error}"
    executable = find_chromium()
    if executable is None:
        return "not measured: no Chromium binary (scripts/install_browser.sh)"
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    times: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            start = time.perf_counter()
            page.goto(page_path.as_uri(), wait_until="load")
            times["load (to the load event)"] = time.perf_counter() - start
            rows = page.locator("#students tbody tr")
            times["rows"] = rows.count()
            header = page.locator("#students thead th", has_text="%")
            # Timed inside the page: the click's handler, then the next frame once the rows moved.
            measure = """(selector) => new Promise(resolve => {
                const t0 = performance.now();
                document.querySelector(selector).click();
                requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
            })"""
            header.first.evaluate("th => th.id = th.id || 'bench-percent'")
            times["sort by % (ascending)"] = page.evaluate(measure, "#bench-percent") / 1000
            times["sort by % (descending)"] = page.evaluate(measure, "#bench-percent") / 1000
            # Typing: the input event's handler, then the next frame once rows are hidden or shown.
            typed = """(value) => new Promise(resolve => {
                const box = document.getElementById('filter');
                const t0 = performance.now();
                box.value = value;
                box.dispatchEvent(new Event('input', {bubbles: true}));
                requestAnimationFrame(() => setTimeout(() => resolve([performance.now() - t0,
                    document.querySelectorAll('#students tbody tr:not([hidden])').length]), 0));
            })"""
            took, left = page.evaluate(typed, "student04")
            times[f"filter (type 'student04', {left} rows left)"] = took / 1000
            took, left = page.evaluate(typed, "")
            times[f"filter cleared ({left} rows back)"] = took / 1000
            # What a person does: click the header and type, through Playwright (includes its round trips).
            start = time.perf_counter()
            header.first.click()
            page.locator("#filter").fill("student1")
            times["click + type through Playwright"] = time.perf_counter() - start
        finally:
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--artifacts", action="store_true", help="keep the tests' figures in the reports")
    parser.add_argument("--out", type=Path, help="keep the batch folder here (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="dashboard-scale-"))
    spec = load_assignment(ROOT, "tp1")
    try:
        start = time.perf_counter()
        state = State(out)
        attempts = fill(state, args.students, args.artifacts)
        filled = time.perf_counter() - start
        database = sum(p.stat().st_size for p in out.glob("batch.sqlite*"))  # with its write-ahead log
        options = SimpleNamespace(deadline=DEADLINE, late="10%/day", count="latest")
        start = time.perf_counter()
        written = write_outputs(state, out, {"tp1": spec}, None, options)
        outputs = time.perf_counter() - start
        start = time.perf_counter()
        html = render_dashboard(written.entries, [], {"tp1": spec})
        rendered = time.perf_counter() - start
        state.close()
        page = out / "index.html"
        size = page.stat().st_size
        reports = sum(p.stat().st_size for p in out.glob("*/*.report.html"))
        print(f"students: {args.students} ({attempts} attempts), report figures {'kept' if args.artifacts else 'left out'}")
        print(f"  fill the batch database (State):       {filled:6.2f} s  ({database / 1e6:.1f} MB)")
        print(f"  write_outputs (reports, JSON, CSV, dashboard): {outputs:6.2f} s")
        print(f"  render_dashboard alone:                {rendered:6.3f} s")
        print(f"  index.html: {size:,} bytes, {size / args.students:,.0f} bytes per student "
              f"(rendered alone, without the issue list: {len(html.encode()):,} bytes)")
        print(f"  the students' reports: {reports / 1e6:.1f} MB in all, {reports / args.students / 1e3:.0f} KB each")
        times = browse(page)
        if isinstance(times, str):
            print(f"  headless Chromium: {times}")
        else:
            print(f"  headless Chromium ({int(times.pop('rows'))} rows in the table):")
            for what, seconds in times.items():
                print(f"    {what:42s} {seconds * 1000:8.1f} ms")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
