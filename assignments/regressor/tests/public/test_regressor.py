"""Public checks of the regressor: what each function returns, not how well it works."""

import pytest
import torch

from grader.testing import check, generator


@pytest.mark.exercise("make_data")
@pytest.mark.points(1)
def test_make_data_returns_float32_tensors(student):
    """make_data(n) returns (x, y): float32 tensors of shapes (n, 2) and (n, 1), by default n = 100."""
    for call, kwargs, n in (("make_data()", {}, 100), ("make_data(n=37)", {"n": 37}, 37)):
        x, y = check.returns_tuple(student.make_data(**kwargs), call, 2)
        check.tensor(x, f"x from {call}", shape=(n, 2))
        check.tensor(y, f"y from {call}", shape=(n, 1))
        check.varies(x, f"x from {call}")  # degenerate data fails every dataset test
        check.varies(y, f"y from {call}")


@pytest.mark.exercise("NaiveRegressor")
@pytest.mark.points(1)
def test_naive_regressor_maps_two_features_to_one(student, seed):
    """NaiveRegressor() maps a (batch, 2) tensor to a (batch, 1) tensor."""
    x = torch.randn(5, 2, generator=generator(seed))
    check.tensor(student.NaiveRegressor()(x), "NaiveRegressor() on a (5, 2) batch", shape=(5, 1))


@pytest.mark.exercise("count_parameters")
@pytest.mark.points(1)
def test_count_parameters_of_a_linear_layer(student):
    """count_parameters(nn.Linear(3, 2)) is 8: a 2x3 weight and 2 biases."""
    # The format test: the hidden tests accept any number type holding the count; this one asks for an int.
    count = check.plain_number(student.count_parameters(student.helpers.make_linear(3, 2)), "count_parameters", "int")
    assert count == 8, f"count_parameters(nn.Linear(3, 2)) is {count}, expected 8 (6 weights and 2 biases)."


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_returns_one_float_per_epoch(student, seed):
    """train(model, x, y, n_epochs, lr) returns a list of n_epochs Python floats."""
    gen = generator(seed)
    x = torch.randn(20, 2, generator=gen)
    y = x.sum(1, keepdim=True)
    losses = student.train(student.helpers.make_linear(2, 1), x, y, n_epochs=25, lr=0.01)
    # The format test: behaviour tests accept any number type (a tensor, an array); this one asks for floats.
    check.plain_float_list(losses, "train(model, x, y, n_epochs=25, lr=0.01)", 25)
