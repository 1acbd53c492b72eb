"""Every assignment's reference earns full marks and its starter zero, and a submission finds its
assignment by itself when it can, or says which to pick."""

from __future__ import annotations

import json

import pytest

from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import GradingError, guess_assignment
from tests.conftest import ROOT
from tests.e2e.variants import SLUGS, reference


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_the_reference_earns_full_marks_and_answers_every_question(slug, grade):
    result = grade(slug, reference(slug))
    assert not result.grader_error, result.grader_error
    assert result.score == result.max_score > 0
    assert len(result.answers) == len(load_assignment(ROOT, slug).questions) and all(a.found for a in result.answers)


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_the_starter_earns_zero_and_only_the_student_is_at_fault(slug, grade):
    result = grade(slug, load_assignment(ROOT, slug).starter_path)
    assert result.score == 0 and not result.grader_error, result.grader_error
    assert {t.fault for e in result.exercises for t in e.tests} == {"student"}


def notebook_tagged(tmp_path, *names):
    cells = [{"cell_type": "code", "metadata": {"tags": [f"exercise:{n}"]}, "execution_count": None,
              "outputs": [], "source": f"def {n}():\n    pass\n"} for n in names]
    path = tmp_path / "work.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    return read_submission(path)


def test_a_notebook_is_matched_to_the_assignment_its_tagged_cells_belong_to(tmp_path):
    assert guess_assignment(notebook_tagged(tmp_path, "make_data", "NaiveRegressor", "train"), ROOT) == "regressor"
    assert guess_assignment(notebook_tagged(tmp_path, "make_network", "make_data"), ROOT) == "first-network"


def test_tags_shared_by_several_assignments_are_not_guessed_from(tmp_path):
    with pytest.raises(GradingError) as info:
        guess_assignment(notebook_tagged(tmp_path, "train"), ROOT)
    message = str(info.value)
    assert "--assignment" in message and all(slug in message for slug in ("tp1", "regressor", "first-network"))
    assert "mnist-mlp" not in message  # only the assignments that have an exercise named train

