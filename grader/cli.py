"""`grade`: the command line. It parses arguments and calls one plain function per verb.

Exit codes: 0 graded (whatever the score); 2 could not grade (unreadable file, unknown
assignment, bad arguments); 3 the grader itself failed (the result says so).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import AssignmentError, find_course_root, load_assignment
from grader.data import ENV_VAR, DataConfig
from grader.pipeline import GradingError, grade_file
from grader.report import summary_table, write_html, write_json
from grader.run.sandbox import SandboxPolicy

EXIT_GRADED, EXIT_CANNOT_GRADE, EXIT_GRADER_FAILED = 0, 2, 3


def local(path: Path, *, assignment: str | None = None, hidden: bool = False, out: Path | None = None,
          json_path: Path | None = None, seed: int | None = None, course: Path | None = None,
          sandbox: bool = True, data_dir: Path | None = None, download: bool = False) -> int:
    """Grade one submission, print a summary, write the HTML report (and JSON if asked)."""
    try:
        course = course or find_course_root()
        result = grade_file(path, assignment=assignment, course=course, hidden=hidden, seed=seed,
                            policy=SandboxPolicy(enabled=sandbox), data=DataConfig.resolve(data_dir, download))
        spec = load_assignment(course, result.assignment)
    except (GradingError, AssignmentError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    out = out or Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    html = write_html(result, out / f"{Path(path).stem}.{result.assignment}.report.html",
                      title=spec.title, show_hidden_test_names=spec.show_hidden_test_names)
    print(summary_table(result))
    print(f"\nReport: {html}")
    if json_path is not None:
        print(f"JSON:   {write_json(result, json_path)}")
    return EXIT_GRADER_FAILED if result.grader_error else EXIT_GRADED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grade", description="Grade PyTorch practical works.")
    parser.add_argument("--course", type=Path, help="course directory holding assignments/ (default: found from here)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("local", help="grade one submission (.ipynb, .py or .zip) and write a report")
    p.add_argument("path", type=Path, help="the submission file")
    p.add_argument("--assignment", "-a", help="assignment slug, e.g. tp1 (default: read from the notebook)")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb == "local":
        return local(args.path, assignment=args.assignment, hidden=args.hidden, out=args.out,
                     json_path=args.json_path, seed=args.seed, course=args.course, sandbox=args.sandbox,
                     data_dir=args.data_dir, download=args.download)
    raise AssertionError(f"unhandled verb {args.verb}")  # argparse only lets known verbs through


if __name__ == "__main__":
    sys.exit(main())
