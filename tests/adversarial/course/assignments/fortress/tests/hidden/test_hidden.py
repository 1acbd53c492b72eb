import pytest
import torch

SECRET = 48151623  # only theft could tell a submission this number


@pytest.mark.exercise("answer")
@pytest.mark.points(2)
def test_answer_is_the_secret(student):
    value = student.answer()
    assert isinstance(value, int) and value == SECRET, "answer() is not the secret."


@pytest.mark.exercise("answer")
@pytest.mark.points(2)
def test_answer_tensor_is_the_secret(student):
    value = student.answer_tensor()
    assert isinstance(value, torch.Tensor) and value.shape == (1,), "answer_tensor() should be a (1,) tensor."
    assert torch.equal(value, torch.tensor([SECRET])), "answer_tensor() is not the secret."
