"""Several definitions of one contract name: grade each, keep the best.

Students write a first attempt in the starter's tagged cell and fix it in a new cell below, or
write a correct cell and then experiment further down. Neither "the tagged cell wins" nor "the last
one wins" grades both right, so every candidate is graded: the default (the definition the
student's kernel ran last, by execution count when the notebook kept them, else the last in the
file) is graded with everything else; when it does not earn full marks, that exercise's tests are
run again with each other candidate (at most a few, see extract.source.MAX_CANDIDATES), and the
best-scoring one is kept. Ties keep the earlier-preferred candidate. The report names the graded
definition and lists the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from grader.assignment import Assignment
from grader.data import DataConfig
from grader.extract import Extracted
from grader.extract.source import StudentCode
from grader.results import CodeView, Problem, TestResult
from grader.run.launcher import WorkerLauncher
from grader.run.sandbox import SandboxPolicy
from grader.run.session import run_tests


def _points(tests: Sequence[TestResult]) -> float:
    return sum(t.points for t in tests if t.status == "passed")


def best_candidates(spec: Assignment, extracted: Extracted, tests: Sequence[TestResult], filename: str, *,
                    hidden: bool, seed: int, policy: SandboxPolicy,
                    data: DataConfig, launcher: WorkerLauncher | None = None,
                    ) -> tuple[tuple[TestResult, ...], dict[str, str], tuple[Problem, ...]]:
    """(every test result, name -> where its graded definition is, problems naming the choice)."""
    origins = dict(extracted.code.origins)
    results = list(tests)
    problems: list[Problem] = []
    for name, alternatives in extracted.code.alternatives.items():
        best = [t for t in results if t.exercise == name]
        best_where = origins.get(name, "")
        ceiling = sum(t.max_points for t in best)
        for alternative in alternatives:
            if not best or _points(best) >= ceiling:
                break  # full marks (or nothing to grade it on): no candidate can do better
            outcome = run_tests(spec, dataclasses.replace(extracted, code=alternative.code), filename,
                                hidden=hidden, seed=seed, policy=policy, data=data, exercises={name},
                                launcher=launcher)
            tried = [t for t in outcome.tests if t.exercise == name]
            if not outcome.grader_error and len(tried) == len(best) and _points(tried) > _points(best):
                best, best_where = tried, alternative.where
        results = [t for t in results if t.exercise != name] + best
        count = 1 + len(alternatives)
        others = [w for w in [origins.get(name, ""), *(a.where for a in alternatives)] if w != best_where]
        origins[name] = f"{best_where}, the best of {count} definitions"
        problems.append(Problem(
            message=f"{name} is defined {count} times; graded the definition in {best_where}, the best-scoring one "
                    f"(ties go to the one run last). Also graded: {', '.join(others)}.",
            where=best_where,
            hint="Keep one definition per name so that what is graded is what you meant.",
            severity="info",
        ))
    order = {t.name: i for i, t in enumerate(tests)}
    results.sort(key=lambda t: order.get(t.name, len(order)))
    return tuple(results), origins, tuple(problems)


def _definition(code: StudentCode, name: str) -> tuple[str, int] | None:
    for chunk in code.chunks:
        if chunk.kind == "definition" and name in chunk.defines:
            return chunk.source, chunk.first_line
    return None


def code_views(extracted: Extracted, name: str, graded_origin: str) -> tuple[CodeView, ...]:
    """The student's definitions of `name` for the report: the graded one first, then the other
    candidates, each with where it came from. `graded_origin` is the origin best_candidates kept."""
    candidates = [(extracted.code.origins.get(name, ""), extracted.code)]
    candidates += [(alt.where, alt.code) for alt in extracted.code.alternatives.get(name, ())]
    views = []
    for where, code in candidates:
        found = _definition(code, name)
        if found is None:
            continue
        graded = bool(where) and (graded_origin == where or graded_origin.startswith(where + ", the best of"))
        views.append(CodeView(where=where, source=found[0], first_line=found[1], graded=graded))
    views.sort(key=lambda v: not v.graded)
    return tuple(views)
