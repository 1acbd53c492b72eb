"""`grade release`: what a student gets to self-check, and nothing hidden.

The release is a small course folder: `assignments/<slug>/` with the manifest, the starter
notebook and the public tests only. No hidden test, reference solution or variant is copied;
`grade local` run inside it (or with `--course`) grades against the public tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.assignment import load_assignment

README = """\
# {title}: self-check kit

1. Install the grader: `pip install "torch-grader @ git+<the course repository URL>"`
   (on Linux also install bubblewrap and libseccomp2, e.g. `sudo apt-get install bubblewrap libseccomp2`).
2. Work in `assignments/{slug}/starter.ipynb` (keep the tagged cells and the function names).
3. Check your notebook from this folder: `grade local path/to/your_notebook.ipynb`
   It runs the public tests and writes an HTML report; your instructor also runs hidden tests.
"""


class ReleaseError(Exception):
    pass


def release(course: Path, slug: str, out: Path) -> Path:
    spec = load_assignment(course, slug)
    if not spec.starter_path.is_file():
        raise ReleaseError(f"{slug} has no starter notebook; run grade assign first.")
    target = out / "assignments" / slug
    if target.exists():
        shutil.rmtree(target)
    (target / "tests").mkdir(parents=True)
    shutil.copy2(spec.root / "assignment.toml", target / "assignment.toml")
    shutil.copy2(spec.starter_path, target / spec.starter_path.name)
    if spec.public_tests.is_dir():
        shutil.copytree(spec.public_tests, target / "tests" / "public",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (out / "README.md").write_text(README.format(title=spec.title, slug=slug), encoding="utf-8")
    return out
