"""Every grading rule of every assignment meets a submission that passes it and one that fails it.

Each variant (see tests/e2e/variants.py) is graded with the hidden tests: a broken one must cost
exactly the exercise it breaks (exercises are graded in isolation), a correct one written
differently must earn full marks. And every test must be failed by some broken variant: a test
that nothing fails proves nothing. MNIST tests read GRADER_DATA_DIR when set, else the bundled sample.
"""

from __future__ import annotations

import pytest

from grader.assignment import load_assignment
from tests.conftest import ROOT
from tests.e2e.variants import SLUGS, expectation, expected_failure, expected_losses, lost, reference, variants

CASES = [pytest.param(slug, path, id=f"{slug}/{path.stem}") for slug in SLUGS for path in variants(slug)]


def failures(result):
    return {t.name: t.message[:300] for e in result.exercises for t in e.tests if t.status != "passed"}


@pytest.mark.slow
@pytest.mark.parametrize("slug, path", CASES)
def test_a_variant_costs_exactly_the_exercise_it_breaks(slug, path, grade):
    result = grade(slug, path)
    assert not result.grader_error, result.grader_error
    assert [t.name for e in result.exercises for t in e.tests if t.fault == "grader"] == [], failures(result)
    spec = load_assignment(ROOT, slug)
    assert lost(spec, result.exercises, path) == expected_losses(path), failures(result)
    if expected_failure(path):
        figures = {e.name for e in spec.exercises if e.kind == "figure"} if path.suffix != ".ipynb" else set()
        failed = {t.name for e in result.exercises if e.name not in figures for t in e.tests if t.status != "passed"}
        assert failed == {expected_failure(path)}, failures(result)


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_every_test_is_passed_by_the_reference_and_failed_by_some_broken_variant(slug, grade):
    result = grade(slug, reference(slug))
    assert not result.grader_error, result.grader_error
    assert result.score == result.max_score > 0, failures(result)
    failed_somewhere: set[str] = set()
    for path in variants(slug):
        if expectation(path) != "full":
            failed_somewhere |= set(failures(grade(slug, path)))
    every_test = {t.name for e in result.exercises for t in e.tests}
    assert every_test - failed_somewhere == set(), "tests that no broken variant fails: add one"
