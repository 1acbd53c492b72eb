"""The trusted process's peak memory grading each attack file: what a submission can make the
grader itself (not its sandbox) hold.

    .venv/bin/python benchmarks/trusted_memory.py [--bound-mb 256] [FILE ...]

Each file is graded (fortress course, hidden tests, full sandbox) in a fresh Python process, which
then reports its own peak resident set (getrusage: the trusted process only, never the worker).
A plain honest submission is graded first as the baseline; the bound is on the growth over it.
Exit status 1 when a file goes over the bound.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ROOT / "tests" / "adversarial" / "attacks"
COURSE = ROOT / "tests" / "adversarial" / "course"
HONEST = "def honest(x):\n    return 2 * x\n\n\ndef answer():\n    return 0\n"
# Over the honest baseline: one full reply (64 MB) decoded once, plus the frame it came in, with
# room for pytest's and the report's own bookkeeping.
BOUND_MB = 256

GRADE_ONE = """
import json, resource, sys
from pathlib import Path
from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import grade_submission
spec = load_assignment(Path(sys.argv[1]), "fortress")
result = grade_submission(read_submission(Path(sys.argv[2])), spec, hidden=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"peak_mb": peak / 1024, "grader_error": bool(result.grader_error)}))
"""


def measure(path: Path) -> dict:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", GRADE_ONE, str(COURSE), str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=900)
    seconds = time.monotonic() - start
    if done.returncode != 0 or not done.stdout.strip():
        return {"peak_mb": float("nan"), "grader_error": True, "seconds": seconds,
                "crash": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="attack files (default: all of tests/adversarial/attacks)")
    parser.add_argument("--bound-mb", type=float, default=BOUND_MB, help="largest growth over the honest baseline")
    args = parser.parse_args()
    files = args.files or sorted(ATTACKS.glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        honest = Path(tmp) / "honest.py"
        honest.write_text(HONEST)
        base = measure(honest)
    print(f"baseline (honest submission): {base['peak_mb']:.0f} MB peak RSS, {base['seconds']:.0f} s")
    print(f"bound: baseline + {args.bound_mb:.0f} MB = {base['peak_mb'] + args.bound_mb:.0f} MB\n")
    print(f"{'attack':45} {'peak MB':>8} {'over':>6} {'s':>5}  note")
    worst, failed = 0.0, []
    for path in files:
        got = measure(path)
        over = got["peak_mb"] - base["peak_mb"]
        worst = max(worst, over) if over == over else worst
        note = got.get("crash", "") or ("grader error" if got["grader_error"] else "")
        if not over <= args.bound_mb:  # NaN (a crash) counts as over
            failed.append(path.stem)
            note = f"OVER THE BOUND {note}".strip()
        print(f"{path.stem:45} {got['peak_mb']:8.0f} {over:+6.0f} {got['seconds']:5.0f}  {note}", flush=True)
    print(f"\nlargest growth over the baseline: {worst:.0f} MB (bound {args.bound_mb:.0f} MB); "
          f"{len(failed)} over: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
