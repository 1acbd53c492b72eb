"""The course's environment, end to end: CUDA-written code graded on a CPU says so, and MNIST from
the bundled sample says so. The gradings are shared with test_variants (one per session)."""

from __future__ import annotations

import os

import pytest
import torch

from tests.e2e.variants import reference, variants


def variant(slug, name):
    return next(p for p in variants(slug) if p.name == name)


def notes(result):
    return [p.message for p in result.problems if p.severity == "info"]


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU, CUDA code runs on it: no note")
@pytest.mark.parametrize("slug", ["tp1", "first-network", "regressor", "mnist-mlp"])
def test_colab_gpu_code_gets_full_marks_and_a_note_that_it_ran_on_the_cpu(slug, grade):
    result = grade(slug, variant(slug, "ok_colab_gpu.py"))
    assert any("CUDA" in n and "CPU" in n for n in notes(result)), result.problems
    assert not any("CUDA" in n for n in notes(grade(slug, reference(slug))))


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("GRADER_DATA_DIR")), reason="a data folder is configured")
def test_without_a_data_folder_mnist_is_the_bundled_sample_and_the_grade_says_so(grade):
    result = grade("mnist-mlp", reference("mnist-mlp"))
    assert result.score == result.max_score > 0
    assert any("sample" in n for n in notes(result)), result.problems
