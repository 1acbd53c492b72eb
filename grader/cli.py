"""`grade`: the command line. It parses arguments and calls one plain function per verb.

Exit codes: 0 graded (whatever the score); 2 could not grade (unreadable file, unknown
assignment, bad arguments); 3 the grader itself failed (the result says so).

Start-up matters (`grade local` of one notebook should take seconds): this module imports only
what parsing needs, each verb imports its own stages, and `local` starts the worker side (the
zygote, which imports torch) before the trusted side imports torch, pytest and the tests, so
the two start-ups overlap.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import AssignmentError, find_course_root, list_assignments, load_assignment
from grader.data import ENV_VAR, DataConfig
from grader.text import for_terminal

EXIT_GRADED, EXIT_CANNOT_GRADE, EXIT_GRADER_FAILED = 0, 2, 3
EXIT_NOT_ALL_SENT = 4  # grade batch --send: a reply was refused or sending stopped; the next run sends the rest


def local(path: Path, *, assignment: str | None = None, hidden: bool = False, out: Path | None = None,
          json_path: Path | None = None, seed: int | None = None, course: Path | None = None,
          sandbox: bool = True, data_dir: Path | None = None, download: bool = False) -> int:
    """Grade one submission, print a summary, write the HTML report (and JSON if asked)."""
    from grader.intake import IntakeError, read_submission
    from grader.pipeline import GradingError, choose_assignment

    try:
        course = course or find_course_root()
        submission = read_submission(Path(path))
        slug, source = choose_assignment(submission, course, assignment, instructor=hidden)
        spec = load_assignment(course, slug)
    except (IntakeError, GradingError, AssignmentError) as exc:
        print(f"grade: {for_terminal(str(exc))}", file=sys.stderr)  # it may quote a file's name
        return EXIT_CANNOT_GRADE
    _start_workers_early(sandbox)
    _import_report_meanwhile()
    from grader.jobs import COULD_NOT_GRADE, GradeJob, assignment_digest, grade_job

    config = DataConfig.resolve(data_dir, download)
    job = GradeJob(data=Path(path).read_bytes(), filename=Path(path).name, student="", assignment=spec.slug,
                   assignment_digest=assignment_digest(spec), hidden=hidden, seed=seed,
                   data_root=str(config.root) if config.root else None, download=config.download, sandbox=sandbox,
                   assignment_source=source, figures=True)
    outcome = grade_job(job, course)
    result = outcome.result
    if result is None:
        print(f"grade: {for_terminal(outcome.message)}", file=sys.stderr)
        return EXIT_CANNOT_GRADE if outcome.status == COULD_NOT_GRADE else EXIT_GRADER_FAILED
    from grader.report import summary_table, write_html, write_json

    out = out or Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    html = write_html(result, out / f"{Path(path).stem}.{result.assignment}.report.html",
                      title=spec.title, show_hidden_test_names=spec.show_hidden_test_names,
                      hidden_visibility=spec.hidden_visibility)
    print(summary_table(result))
    print(f"\nReport: {html}")
    if json_path is not None:
        print(f"JSON:   {write_json(result, json_path)}")
    return EXIT_GRADER_FAILED if result.grader_error else EXIT_GRADED


def _import_report_meanwhile() -> None:
    """Import the report's libraries (jinja2, Pygments) in a thread while the submission is
    graded: this process mostly waits on its worker then, and the report follows. matplotlib is
    left to the figures that need it (matrices, digit grids): the x/y plots are SVG."""
    import threading

    def load() -> None:
        try:
            import grader.report  # noqa: F401
            import grader.report.artifacts  # noqa: F401
        except Exception:  # noqa: BLE001 - imported (and explained) again where needed
            pass

    threading.Thread(target=load, name="import-report", daemon=True).start()


def _start_workers_early(sandbox: bool) -> None:
    """Start the zygote (when it is the launcher) now: it imports torch in its sandbox while this
    process imports the grading stages and reads the tests."""
    from grader.run.launcher import ZygoteLauncher, default_launcher
    from grader.run.sandbox import SandboxPolicy

    launcher = default_launcher()
    if isinstance(launcher, ZygoteLauncher):
        launcher.warm(SandboxPolicy(enabled=sandbox))


def validate(slugs: Sequence[str], *, course: Path | None = None, seeds: int = 3, jobs: int = 0,
             sandbox: bool = True, data_dir: Path | None = None) -> int:
    """Prove each assignment still grades right; exit 1 on any failed check."""
    from grader.authoring.validate import summary, validate as run_validation

    try:
        course = course or find_course_root()
        slugs = list(slugs) or list_assignments(course)
        for slug in slugs:
            load_assignment(course, slug)
    except AssignmentError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    if data_dir is not None:
        os.environ[ENV_VAR] = str(data_dir.resolve())  # read by the grading processes it starts
    checks = run_validation(course, slugs, seeds=seeds, jobs=jobs or (os.cpu_count() or 1), sandbox=sandbox,
                            progress=lambda c: print(f"  {'ok  ' if c.ok else 'FAIL'} {c.assignment}: {c.name}", flush=True))
    print()
    print(summary(checks))
    return 0 if all(c.ok for c in checks) else 1


def batch(inbox: Path, *, out: Path | None = None, assignment: str | None = None, roster: Path | None = None,
          workers: int = 0, deadline: str | None = None, late: str | None = None, count: str = "latest",
          regrade: bool = False, send: bool = False, smtp_config: Path | None = None, course: Path | None = None,
          sandbox: bool = True, data_dir: Path | None = None, cluster: str | None = None,
          warm: bool | None = True, canvas_export: Path | None = None, canvas_column: str | None = None) -> int:
    """Grade a mailbox (or a folder of saved submissions) into a folder of reports and gradebooks."""
    from grader.batch.run import BatchError, Options, batch as run_batch, parse_deadline
    from grader.cluster import cluster_address

    try:
        options = Options(assignment=assignment, roster=roster, workers=workers, deadline=parse_deadline(deadline),
                          late=late, count=count, regrade=regrade, send=send, smtp_config=smtp_config, sandbox=sandbox,
                          data=DataConfig.resolve(data_dir), cluster=cluster_address(cluster), warm=warm,
                          canvas_export=canvas_export, canvas_column=canvas_column)
        summary = run_batch(inbox, out or Path("graded"), course=course, options=options)
    except (BatchError, AssignmentError) as exc:
        print(f"grade: {for_terminal(str(exc))}", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    print(summary.line())
    if summary.grader_failed:
        return EXIT_GRADER_FAILED
    return EXIT_NOT_ALL_SENT if summary.replies_refused or summary.send_error else EXIT_GRADED


def assign_starter(solution: Path, *, out: Path | None = None, assignment: str | None = None,
                   course: Path | None = None) -> int:
    """Write the starter notebook for a solution notebook."""
    from grader.authoring.assign import AssignError, assign, read

    try:
        slug = assignment or read(solution).metadata.get("grader", {}).get("assignment")
        exercises: tuple[str, ...] = ()
        if slug:
            course = course or find_course_root()
            spec = load_assignment(course, slug)
            exercises, out = spec.code_names, out or spec.starter_path
        if out is None:
            raise AssignError(f"{solution} names no assignment; pass --assignment or --out.")
        print(f"Starter: {assign(solution, out, exercises, slug)}")
        return 0
    except (AssignError, AssignmentError, OSError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GRADE


def release_kit(slug: str, *, out: Path | None = None, course: Path | None = None) -> int:
    """Write what students get for self-checking: starter and public tests, nothing hidden."""
    from grader.authoring.release import ReleaseError, release

    try:
        kit = release(course or find_course_root(), slug, out or Path("release") / slug)
    except (ReleaseError, AssignmentError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    print(f"Release: {kit} (give students this folder; see its README.md)")
    return 0


def new_assignment(slug: str, *, course: Path | None = None) -> int:
    """Scaffold an assignment that validates out of the box."""
    from grader.authoring.scaffold import new

    try:
        written = new(course or Path.cwd(), slug)
    except FileExistsError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    for path in written:
        print(f"  wrote {path}")
    print(f"Next: edit reference/{slug}/{slug}_solution.ipynb and the tests, then: grade assign, grade validate {slug}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grade", description="Grade PyTorch practical works.")
    parser.add_argument("--course", type=Path, help="course directory holding assignments/ (default: found from here)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("local", help="grade one submission (.ipynb, .py or .zip) and write a report")
    p.add_argument("path", type=Path, help="the submission file")
    p.add_argument("--assignment", "-a", help="assignment slug, e.g. tp1 (needed with --hidden unless the course has one; "
                   "a self-check without it reads the notebook's metadata)")
    p.add_argument("--hidden", action="store_true", help="also run the hidden tests (instructors)")
    p.add_argument("--out", type=Path, help="folder for the HTML report (default: current folder)")
    p.add_argument("--json", dest="json_path", type=Path, metavar="FILE", help="also write the result as JSON")
    p.add_argument("--seed", type=int, help="override the assignment's seed")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                   help="knowingly run student code without the OS sandbox (trusted code only)")
    p.add_argument("--data-dir", type=Path, metavar="DIR",
                   help=f"folder of the data sets some tests need, e.g. DIR/MNIST/raw (default: ${ENV_VAR})")
    p.add_argument("--download", action="store_true",
                   help="let torchvision download missing data sets (into --data-dir, else ~/.cache/torch-grader)")

    p = verbs.add_parser("validate", help="prove assignments grade right: reference, starter, variants, seeds")
    p.add_argument("slugs", nargs="*", metavar="SLUG", help="assignments to check (default: all)")
    p.add_argument("--seeds", type=int, default=3, help="seeds to grade each submission under (default 3)")
    p.add_argument("--jobs", type=int, default=0, help="gradings in parallel (default: one per CPU)")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="run without the OS sandbox")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=f"data sets folder (default: ${ENV_VAR})")

    p = verbs.add_parser("batch", help="grade a mailbox of submissions: reports, gradebooks, dashboard, replies")
    p.add_argument("inbox", type=Path, help="an mbox file, a Maildir, a folder of .eml files or of saved submissions")
    p.add_argument("--assignment", "-a", help="assignment slug for every submission (default: matched by subject)")
    p.add_argument("--roster", type=Path, help="CSV of students: id, names, one or more emails")
    p.add_argument("--out", type=Path, help="output folder, also holding the batch's state (default: ./graded)")
    p.add_argument("--workers", type=int, default=0, help="submissions graded at a time (default: one per CPU)")
    p.add_argument("--deadline", metavar="ISO", help="e.g. 2026-12-01T23:59+01:00, or 2026-12-01 (the end of that day; no zone: this machine's)")
    p.add_argument("--late", metavar="POLICY", help="how late work loses points: a deduction per hour or day, a floor, or refuse (default: flagged only)")
    p.add_argument("--count", choices=("latest", "best"), default="latest",
                   help="which submission before the deadline counts (default: latest)")
    p.add_argument("--regrade", action="store_true", help="grade again what was already graded")
    p.add_argument("--send", action="store_true", help="send the replies by SMTP (settings from --smtp-config or GRADER_SMTP_*)")
    p.add_argument("--smtp-config", type=Path, metavar="FILE",
                   help="TOML file with an [smtp] table: host, port, starttls, user, password (file chmod 600), from")
    p.add_argument("--canvas-export", type=Path, metavar="CSV",
                   help="your Canvas gradebook export: a copy with the assignment's column filled is written to --out")
    p.add_argument("--canvas-column", metavar="NAME",
                   help="the export's column to fill, e.g. 'Practical Work 1 (12345)' (default: found by the subject patterns)")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="run without the OS sandbox")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=f"data sets folder (default: ${ENV_VAR})")
    p.add_argument("--cluster", metavar="tcp://HOST:8786",
                   help="grade on this Dask scheduler's workers (default: $GRADER_CLUSTER, else local processes)")
    p.add_argument("--warm-workers", dest="warm", action="store_true", default=True,
                   help="fork each sandboxed worker from a warm zygote where the full sandbox allows it, "
                        "~4x faster per submission (the default; GRADER_WARM_WORKERS=0 opts out)")
    p.add_argument("--cold-workers", dest="warm", action="store_false",
                   help="start each sandboxed worker cold (exec, then import torch)")

    p = verbs.add_parser("assign", help="make the starter notebook from a solution notebook")
    p.add_argument("solution", type=Path, help="notebook with ### BEGIN SOLUTION / ### END SOLUTION regions")
    p.add_argument("--out", type=Path, help="starter to write (default: the assignment's starter)")
    p.add_argument("--assignment", "-a", help="assignment slug (default: from the notebook's metadata)")

    p = verbs.add_parser("release", help="write the self-check kit students get (no hidden tests)")
    p.add_argument("slug", help="assignment slug")
    p.add_argument("--out", type=Path, help="folder to write (default: release/SLUG)")

    p = verbs.add_parser("new", help="scaffold a new assignment that validates out of the box")
    p.add_argument("slug", help="assignment slug, e.g. tp2")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb == "local":
        return local(args.path, assignment=args.assignment, hidden=args.hidden, out=args.out,
                     json_path=args.json_path, seed=args.seed, course=args.course, sandbox=args.sandbox,
                     data_dir=args.data_dir, download=args.download)
    if args.verb == "validate":
        return validate(args.slugs, course=args.course, seeds=args.seeds, jobs=args.jobs,
                        sandbox=args.sandbox, data_dir=args.data_dir)
    if args.verb == "batch":
        return batch(args.inbox, out=args.out, assignment=args.assignment, roster=args.roster, workers=args.workers,
                     deadline=args.deadline, late=args.late, count=args.count, regrade=args.regrade, send=args.send,
                     smtp_config=args.smtp_config, course=args.course, sandbox=args.sandbox,
                     data_dir=args.data_dir, cluster=args.cluster, warm=args.warm,
                     canvas_export=args.canvas_export, canvas_column=args.canvas_column)
    if args.verb == "assign":
        return assign_starter(args.solution, out=args.out, assignment=args.assignment, course=args.course)
    if args.verb == "release":
        return release_kit(args.slug, out=args.out, course=args.course)
    if args.verb == "new":
        return new_assignment(args.slug, course=args.course)
    raise AssertionError(f"unhandled verb {args.verb}")  # argparse only lets known verbs through


if __name__ == "__main__":
    sys.exit(main())
