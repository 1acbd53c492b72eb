"""What intake, extraction and reporting spend on hostile and honest submissions: seconds and the
trusted process's peak memory (RSS) for each, each case in a fresh process.

    .venv/bin/python benchmarks/intake_extract_budget.py [--large]

Cases: the reference notebooks (honest), a 2.8 MB chain of 200,000 assignments, 200,000 decorator
lines, a 3,000-term expression, a zip claiming 500,000 members, a real zip of 20,000 members, a
30 MB notebook of figures (`--large`: also 190 MB), a report of 10 MB messages. "base" is the RSS
of the process before the case (Python, torch and the grader imported): the case's cost is
peak - base. Quote figures from one run on one machine.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _figures_notebook(path: Path, megabytes: int) -> None:
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 390).decode()
    output = {"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": "<Figure>"}}
    solution = json.loads((ROOT / "reference" / "tp1" / "tp1_solution.ipynb").read_text(encoding="utf-8"))
    count = megabytes * 1024 * 1024 // len(png)
    solution["cells"] += [{"cell_type": "code", "metadata": {}, "execution_count": None, "source": "plt.show()",
                           "outputs": [output]} for _ in range(count)]
    path.write_text(json.dumps(solution), encoding="utf-8")


def prepare(folder: Path, large: bool) -> dict[str, Path]:
    files = {}
    for notebook in sorted((ROOT / "reference").glob("*/*_solution.ipynb")):
        files[f"honest {notebook.parent.name}"] = notebook
    chain = "x1 = 1\n" + "".join(f"x{i} = x{i - 1}\n" for i in range(2, 200_001)) + "LinearNet = x200000\n"
    (folder / "chain.py").write_text(chain)
    files["chain of 200,000 assignments"] = folder / "chain.py"
    (folder / "decorators.py").write_text("@d\n" * 200_000 + "def f(:\n    pass\nclass LinearNet:\n    pass\n")
    files["200,000 decorator lines"] = folder / "decorators.py"
    (folder / "deep.py").write_text("x = " + "+".join(["1"] * 3000) + "\nclass LinearNet:\n    pass\n")
    files["3,000-term expression"] = folder / "deep.py"
    from tests.adversarial.test_hostile_files import zip64_claiming

    (folder / "claims.zip").write_bytes(zip64_claiming(500_000, 500_000 * 46))
    files["zip claiming 500,000 members"] = folder / "claims.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(20_000):
            archive.writestr(f"m{i}.txt", b"")
    (folder / "many.zip").write_bytes(buf.getvalue())
    files["real zip of 20,000 members"] = folder / "many.zip"
    for megabytes in (30, 190) if large else (30,):
        _figures_notebook(folder / f"figures{megabytes}.ipynb", megabytes)
        files[f"{megabytes} MB notebook of figures"] = folder / f"figures{megabytes}.ipynb"
    files["report of 10 MB messages"] = Path("report")
    return files


def run_case(path: str) -> dict[str, object]:
    import grader.pipeline  # noqa: F401  (everything the grading process imports)
    from grader.assignment import load_assignment
    from grader.extract import ExtractError, NotebookError, extract
    from grader.intake import IntakeError, read_submission
    from grader.report import render_html, sanitize
    from grader.results import ExerciseResult, GradeResult, TestResult

    base = _rss_mb()
    started = time.monotonic()
    outcome = "ok"
    if path == "report":
        tests = tuple(TestResult(f"t{i}", "x", "failed", 0, 1, message="\ud800" * 10_000_000) for i in range(5))
        render_html(sanitize(GradeResult("s", "a", "f", 0, 5, (ExerciseResult("x", 0, 5, tests),))))
    else:
        owner = Path(path).parent.name if Path(path).parent.parent.name == "reference" else "tp1"
        spec = load_assignment(ROOT, owner)
        try:
            extracted = extract(read_submission(Path(path)), spec)
            outcome = f"ok, {len(extracted.code.chunks)} chunks, {len(extracted.problems)} problems"
        except (IntakeError, NotebookError, ExtractError) as exc:
            outcome = f"refused: {str(exc)[:70]}"
    return {"seconds": round(time.monotonic() - started, 2), "base_mb": round(base), "peak_mb": round(_rss_mb()),
            "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also a 190 MB notebook")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = prepare(Path(tmp), args.large)
        print(f"{'case':<32} {'seconds':>8} {'peak-base MB':>12}  outcome")
        for name, path in files.items():
            done = subprocess.run([sys.executable, __file__, "--case", str(path)], capture_output=True, text=True)
            if done.returncode:
                print(f"{name:<32} FAILED: {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout)
            print(f"{name:<32} {r['seconds']:>8} {r['peak_mb'] - r['base_mb']:>12}  {r['outcome']}", flush=True)


if __name__ == "__main__":
    main()
