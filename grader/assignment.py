"""Assignments: where they live and what their manifest (`assignment.toml`) says.

A course directory holds `assignments/<slug>/` with:
  assignment.toml     the manifest read here
  starter.ipynb       what students get (cells tagged `exercise:<name>`)
  tests/public/       pytest files students may see and run
  tests/hidden/       pytest files only the instructor runs
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "assignment.toml"


class AssignmentError(Exception):
    """The course or an assignment cannot be used: one sentence and a hint."""


@dataclass(frozen=True)
class Limits:
    # One call into student code (a function, a forward pass, a training run).
    call_seconds: float = 60.0
    # One top-level definition or statement while loading the submission: only definitions run,
    # so anything slower is a runaway top level, skipped with a problem rather than a failure.
    load_seconds: float = 20.0
    # The whole submission: a batch must go on even if every call is slow.
    submission_seconds: float = 900.0
    # The sandbox's limits (SECURITY.md); tests may override them: @pytest.mark.sandbox_limits(...).
    # Real memory of the whole sandbox: torch itself takes ~0.4 GB, MNIST training ~0.6 GB.
    memory_mb: int = 2048
    # Processes and threads of the whole sandbox: DataLoader workers and torch threads fit, a
    # fork bomb does not.
    processes: int = 64
    # Largest file the worker may write: checkpoints of course networks are KBs.
    file_mb: int = 64
    # Open descriptors: a DataLoader needs tens, a leak thousands.
    open_files: int = 256
    # Home, /tmp and /dev/shm are tmpfs of this size each: unsized, writes there would escape
    # the file-size limit (and, without a memory cgroup, the memory limit).
    tmpfs_mb: int = 256
    # CPU seconds per process: the wall-clock limits are the real bound; this one stops a
    # process spinning in the background of a killed call's tree.
    cpu_seconds: int = 1800


@dataclass(frozen=True)
class Exercise:
    name: str
    # "code": names the student defines; "figure": the notebook must show a plot.
    kind: str = "code"
    description: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class Assignment:
    slug: str
    title: str
    root: Path
    exercises: tuple[Exercise, ...]
    questions: tuple[Question, ...] = ()
    limits: Limits = field(default_factory=Limits)
    seed: int = 0
    starter: str = "starter.ipynb"
    show_hidden_test_names: bool = True
    # What a hidden test shows in the student's report: "full", "no-expected" or "points-only"
    # (grader/report/view.py says what each hides).
    hidden_visibility: str = "no-expected"
    # Mail subjects that name this assignment ("Practical Work 1", "TP1"): `[mail] subjects`.
    subjects: tuple[str, ...] = ()

    @property
    def starter_path(self) -> Path:
        return self.root / self.starter

    @property
    def public_tests(self) -> Path:
        return self.root / "tests" / "public"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "tests" / "hidden"

    def exercise(self, name: str) -> Exercise | None:
        return next((e for e in self.exercises if e.name == name), None)

    @property
    def code_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.exercises if e.kind == "code")


def find_course_root(start: Path | None = None) -> Path:
    """The course directory: $GRADER_COURSE, else the nearest ancestor with `assignments/`,
    else the checkout this package was installed from."""
    env = os.environ.get("GRADER_COURSE")
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "assignments").is_dir():
            raise AssignmentError(
                f"GRADER_COURSE={env} has no assignments/ folder; point it at the course directory."
            )
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "assignments").is_dir():
            return candidate
    package_checkout = Path(__file__).resolve().parent.parent
    if (package_checkout / "assignments").is_dir():
        return package_checkout
    raise AssignmentError(
        "No assignments/ folder found here or above; run from the course directory "
        "or set GRADER_COURSE."
    )


def list_assignments(course: Path) -> list[str]:
    base = course / "assignments"
    return sorted(p.name for p in base.iterdir() if (p / MANIFEST).is_file())


def load_assignment(course: Path, slug: str) -> Assignment:
    root = course / "assignments" / slug
    path = root / MANIFEST
    if not path.is_file():
        known = ", ".join(list_assignments(course)) or "none"
        raise AssignmentError(f"Unknown assignment '{slug}' (known: {known}).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path} is not valid TOML: {exc}.") from None
    return parse_manifest(data, root)


def parse_manifest(data: dict, root: Path) -> Assignment:
    where = root / MANIFEST
    try:
        exercises = tuple(
            Exercise(name=e["name"], kind=e.get("kind", "code"), description=e.get("description", ""))
            for e in data["exercises"]
        )
        questions = tuple(Question(id=q["id"], text=q["text"]) for q in data.get("questions", []))
        limits = Limits(**data.get("limits", {}))
        report = data.get("report", {})
        subjects = data.get("mail", {}).get("subjects", [])
        if not isinstance(subjects, list) or not all(isinstance(x, str) and x.strip() for x in subjects):
            raise TypeError("[mail] subjects must be a list of non-empty strings")
        assignment = Assignment(
            slug=data.get("slug", root.name),
            title=data.get("title", root.name),
            root=root,
            exercises=exercises,
            questions=questions,
            limits=limits,
            seed=int(data.get("seed", 0)),
            starter=data.get("starter", "starter.ipynb"),
            show_hidden_test_names=bool(report.get("show_hidden_test_names", True)),
            hidden_visibility=str(report.get("hidden_visibility", "no-expected")),
            subjects=tuple(x.strip() for x in subjects),
        )
    except (KeyError, TypeError) as exc:
        raise AssignmentError(f"{where} is missing or misuses a key ({exc}); see docs/writing-assignments.md.") from None
    if assignment.hidden_visibility not in ("full", "no-expected", "points-only"):
        raise AssignmentError(f"{where}: [report] hidden_visibility is {assignment.hidden_visibility!r}; "
                              "use 'full', 'no-expected' or 'points-only'.")
    kinds = {e.kind for e in exercises} - {"code", "figure"}
    if kinds:
        raise AssignmentError(f"{where}: unknown exercise kind {sorted(kinds)}; use 'code' or 'figure'.")
    return assignment
