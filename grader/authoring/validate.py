"""`grade validate`: prove that an assignment still grades right.

For each assignment, under several seeds:
- the reference solution earns full marks, with no grader error;
- the starter earns zero and grades without error, and is what `grade assign` makes of the
  reference today (not stale);
- every kept variant (`assignments/<slug>/variants/`, first line `# expect: full` or
  `# expect: <exercise>`) loses exactly the points of the exercise it breaks, and no other;
  `# expect: <exercise>/<test>` says more: it fails that one test and no other (a format slip
  that must cost the format test only);
- every test is failed by at least one broken variant (a test nothing fails proves nothing).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.authoring import assign as assigning
from grader.jobs import COULD_NOT_GRADE, GradeJob, GradeOutcome, ProcessPool, assignment_digest, grade_many

EXPECT = re.compile(r"#\s*expect:\s*(\S+)")


@dataclass(frozen=True)
class Check:
    assignment: str
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class _Verdict:
    """What one grading says, reduced to what validation compares (picklable)."""

    lost: frozenset[str]
    failed_tests: frozenset[str]
    all_tests: frozenset[str]
    score: float
    max_score: float
    grader_errors: tuple[str, ...]
    is_notebook: bool
    seconds: float
    messages: dict[str, str] = field(default_factory=dict)
    figure_tests: frozenset[str] = frozenset()


def reference_path(course: Path, spec: Assignment) -> Path:
    return course / "reference" / spec.slug / f"{spec.slug}_solution.ipynb"


def variants(spec: Assignment) -> list[Path]:
    folder = spec.root / "variants"
    return sorted(p for p in folder.glob("*") if p.suffix in (".py", ".ipynb")) if folder.is_dir() else []


def expectation(path: Path) -> str:
    """`full` or the one exercise this variant must lose."""
    if path.suffix == ".ipynb":
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("grader", {})
        value = meta.get("expect")
    else:
        match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else "")
        value = match.group(1) if match else None
    if not value:
        raise ValueError(f"{path.name} does not say what it expects: start it with '# expect: full' or '# expect: <exercise>'.")
    return str(value)


def _verdict(spec: Assignment, outcome: GradeOutcome, is_notebook: bool) -> _Verdict:
    result = outcome.result
    if result is None:  # the grader failed before any test ran
        return _Verdict(lost=frozenset(), failed_tests=frozenset(), all_tests=frozenset(), score=0.0, max_score=0.0,
                        grader_errors=(outcome.message,), is_notebook=is_notebook, seconds=outcome.seconds)
    tests = [t for e in result.exercises for t in e.tests]
    errors = ([result.grader_error] if result.grader_error else []) + [
        f"{t.name}: {t.message}" for t in tests if t.fault == "grader"
    ]
    return _Verdict(
        lost=frozenset(e.name for e in result.exercises if e.score < e.max_score),
        failed_tests=frozenset(t.name for t in tests if t.status != "passed"),
        all_tests=frozenset(t.name for t in tests),
        score=result.score, max_score=result.max_score, grader_errors=tuple(errors),
        is_notebook=is_notebook, seconds=outcome.seconds,
        messages={t.name: t.message.splitlines()[0][:160] for t in tests if t.status != "passed" and t.message},
        figure_tests=frozenset(t.name for e in result.exercises if spec.exercise(e.name) is not None
                               and spec.exercise(e.name).kind == "figure" for t in e.tests),
    )


def _judge_variant(spec: Assignment, name: str, expected: str, verdicts: list[_Verdict]) -> Check:
    figure = {e.name for e in spec.exercises if e.kind == "figure"}
    exercise, _, test = expected.partition("/")
    want = set() if expected == "full" else {exercise}
    for seed_index, verdict in enumerate(verdicts):
        lost = set(verdict.lost) - (set() if verdict.is_notebook else figure)
        if verdict.grader_errors:
            return Check(spec.slug, name, False, f"grader error: {verdict.grader_errors[0]}")
        failed = set(verdict.failed_tests) - (set() if verdict.is_notebook else set(verdict.figure_tests))
        if test and lost == want and failed != {test}:
            return Check(spec.slug, name, False, f"expected to fail only {test}, failed {sorted(verdict.failed_tests)} "
                         f"(seed #{seed_index}); " + "; ".join(f"{k}: {v}" for k, v in list(verdict.messages.items())[:3]))
        if lost != want:
            detail = f"expected to lose {sorted(want) or 'nothing'}, lost {sorted(lost) or 'nothing'} (seed #{seed_index})"
            if verdict.messages:
                detail += "; " + "; ".join(f"{k}: {v}" for k, v in list(verdict.messages.items())[:3])
            return Check(spec.slug, name, False, detail)
    return Check(spec.slug, name, True, f"loses {expected}" if want else "full marks")


def validate(course: Path, slugs: Iterable[str], *, seeds: int = 3, jobs: int = 2, sandbox: bool = True,
             progress: Callable[[Check], None] = lambda check: None) -> list[Check]:
    checks: list[Check] = []

    def record(check: Check) -> None:
        checks.append(check)
        progress(check)

    # Workers forked from a warm zygote (where the full sandbox allows it): the proof grades
    # hundreds of submissions, and forked workers pass the same attack suite as cold ones.
    with ProcessPool(max(1, jobs), warm=True) as pool:
        for slug in slugs:
            spec = load_assignment(course, slug)
            started = time.monotonic()
            seed_list = [spec.seed + k for k in range(seeds)]
            record(_starter_freshness(course, spec))
            record(_environment_check(course, spec))
            subjects: dict[str, Path] = {"reference": reference_path(course, spec), "starter": spec.starter_path}
            expected: dict[str, str] = {}
            for path in variants(spec):
                try:
                    expected[f"variant {path.name}"] = expectation(path)
                    subjects[f"variant {path.name}"] = path
                except ValueError as exc:
                    record(Check(slug, f"variant {path.name}", False, str(exc)))
            missing = [name for name, path in subjects.items() if not path.is_file()]
            for name in missing:
                record(Check(slug, name, False, f"{subjects.pop(name)} does not exist"))
            digest = assignment_digest(spec)
            work = {
                (name, seed): GradeJob(data=path.read_bytes(), filename=path.name, student=path.stem, assignment=slug,
                                       assignment_digest=digest, hidden=True, seed=seed, sandbox=sandbox,
                                       label=f"{name}\0{seed}")
                for name, path in subjects.items() for seed in seed_list
            }
            outcomes = {outcome.label: outcome for outcome in grade_many(work.values(), pool, course)}
            verdicts: dict[str, list[_Verdict]] = {}
            for (name, seed), job in work.items():
                outcome = outcomes[job.label]
                if name not in subjects:
                    continue
                if outcome.status == COULD_NOT_GRADE:
                    record(Check(slug, name, False, f"could not be graded: {outcome.message}"))
                    verdicts.pop(name, None)
                    subjects.pop(name, None)
                    continue
                verdicts.setdefault(name, []).append(_verdict(spec, outcome, subjects[name].suffix == ".ipynb"))
            if "reference" in verdicts:
                bad = [v for v in verdicts["reference"] if v.score != v.max_score or v.grader_errors or v.max_score == 0]
                detail = (f"{bad[0].score:g}/{bad[0].max_score:g}; " + "; ".join(
                    list(bad[0].grader_errors) + [f"{k}: {m}" for k, m in bad[0].messages.items()][:3])) if bad else "full marks"
                record(Check(slug, "reference earns full marks", not bad, detail, sum(v.seconds for v in verdicts["reference"])))
            if "starter" in verdicts:
                bad = [v for v in verdicts["starter"] if v.score != 0 or v.grader_errors]
                detail = (f"{bad[0].score:g} points; " + "; ".join(bad[0].grader_errors[:2])) if bad else "zero, no grader error"
                record(Check(slug, "starter earns zero", not bad, detail))
            for name in expected:
                if name in verdicts:
                    record(_judge_variant(spec, name, expected[name], verdicts[name]))
            if "reference" in verdicts:
                every = set(verdicts["reference"][0].all_tests)
                caught = set().union(*(v[0].failed_tests for n, v in verdicts.items()
                                       if n in expected and expected[n] != "full")) if expected else set()
                uncaught = sorted(every - caught)
                record(Check(slug, "every test fails on some broken variant", not uncaught,
                             f"no broken variant fails: {', '.join(uncaught)}" if uncaught else f"{len(every)} tests covered",
                             time.monotonic() - started))
    return checks


def _starter_freshness(course: Path, spec: Assignment) -> Check:
    solution = reference_path(course, spec)
    if not solution.is_file():
        return Check(spec.slug, "starter is up to date", False, f"no solution notebook at {solution.relative_to(course)}")
    if not spec.starter_path.is_file():
        return Check(spec.slug, "starter is up to date", False, f"no starter at {spec.starter_path.relative_to(course)}")
    try:
        fresh = assigning.starter_from_solution(assigning.read(solution), spec.code_names, spec.slug, solution.name)
    except assigning.AssignError as exc:
        return Check(spec.slug, "starter is up to date", False, str(exc))
    if assigning.canonical(fresh) != assigning.canonical(assigning.read(spec.starter_path)):
        return Check(spec.slug, "starter is up to date", False,
                     f"{spec.starter_path.relative_to(course)} differs from what {solution.relative_to(course)} gives; "
                     f"run: grade assign {solution.relative_to(course)} --out {spec.starter_path.relative_to(course)}")
    return Check(spec.slug, "starter is up to date", True, f"generated from {solution.name}")


def imported_modules(source: str) -> set[str]:
    """The top-level modules a notebook's or a file's code imports (magics and shell lines skipped)."""
    import ast

    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".", 1)[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".", 1)[0])
    return names


def _code_of(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")


def _environment_check(course: Path, spec: Assignment) -> Check:
    """Every module the starter and the reference import is one the worker offers, and importable:
    a package the course uses and the grader lacks would cost students points for nothing."""
    import importlib.util

    from grader.run import environment

    missing: list[str] = []
    for path in (spec.starter_path, reference_path(course, spec)):
        if not path.is_file():
            continue
        for name in sorted(imported_modules(_code_of(path))):
            if not environment.offered(name) or importlib.util.find_spec(name) is None:
                missing.append(f"{name} (imported by {path.name})")
    detail = ("the worker cannot import " + ", ".join(missing) + "; add the package to the project's dependencies "
              "and to PACKAGES in grader/run/environment.py") if missing else "the worker offers every import"
    return Check(spec.slug, "the worker offers what the course imports", not missing, detail)


def summary(checks: list[Check]) -> str:
    width = max((len(c.name) for c in checks), default=10)
    lines = [f"{'assignment':14} {'check':{width}}  result"]
    for c in checks:
        lines.append(f"{c.assignment:14} {c.name:{width}}  {'ok  ' if c.ok else 'FAIL'} {c.detail}")
    failed = sum(not c.ok for c in checks)
    lines.append(f"\n{len(checks) - failed} passed, {failed} failed")
    return "\n".join(lines)
