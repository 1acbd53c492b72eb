"""Every grading rule of tp1 meets a submission that passes it and one that fails it.

Each file under tests/submissions/tp1/variants/ is a whole submission that differs from the
reference in one way, and says in its first line what that must cost: `# expect: full` (a
correct solution written differently) or `# expect: <exercise>` (a bug that must cost that
exercise, and no other: exercises are graded in isolation).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, SUBMISSIONS

VARIANTS = sorted((SUBMISSIONS / "tp1" / "variants").glob("*.py"))
REFERENCE = ROOT / "reference" / "tp1" / "tp1_solution.ipynb"
# A .py module carries no figure outputs: the plot exercise is judged on notebooks only.
NOTEBOOK_ONLY = {"plot_dataset"}


def expectation(path):
    match = re.match(r"# expect: (\S+)", path.read_text().splitlines()[0])
    assert match, f"{path.name} must start with '# expect: full' or '# expect: <exercise>'"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.stem)
def test_a_variant_costs_exactly_the_exercise_it_breaks(path, grade_tp1):
    result = grade_tp1(path)
    expected = expectation(path)
    assert not result.grader_error
    assert [t.name for e in result.exercises for t in e.tests if t.fault == "grader"] == []
    lost = {e.name for e in result.exercises if e.score < e.max_score} - NOTEBOOK_ONLY
    assert lost == (set() if expected == "full" else {expected}), {
        t.name: t.message[:200] for e in result.exercises for t in e.tests if t.status != "passed"
    }


@pytest.mark.slow
def test_every_test_is_passed_by_the_reference_and_failed_by_some_broken_variant(grade_tp1):
    reference = grade_tp1(REFERENCE)
    assert reference.score == reference.max_score > 0
    failed_somewhere: set[str] = set()
    for path in VARIANTS:
        if expectation(path) != "full":
            failed_somewhere |= {t.name for e in grade_tp1(path).exercises for t in e.tests if t.status != "passed"}
    every_test = {t.name for e in reference.exercises for t in e.tests}
    assert every_test - failed_somewhere == set(), "tests that no broken variant fails: add one"
