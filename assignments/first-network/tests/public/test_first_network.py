"""Public checks of the first network: what each function returns, not how well it works."""

import pytest
import torch

from grader.testing import check, generator


@pytest.mark.exercise("make_network")
@pytest.mark.points(1)
def test_make_network_maps_a_column_to_a_column(student, seed):
    """make_network(n_hidden) maps a (batch, 1) tensor to a (batch, 1) tensor."""
    x = torch.rand(7, 1, generator=generator(seed)) * 6 - 3
    check.tensor(student.make_network(5)(x), "make_network(5) on a (7, 1) batch", shape=(7, 1))


@pytest.mark.exercise("make_data")
@pytest.mark.points(1)
def test_make_data_returns_float32_columns(student):
    """make_data(n_samples) returns (x_train, y_train): numpy float32 arrays of shape (n_samples, 1), by default 20."""
    for call, kwargs, n in (("make_data()", {}, 20), ("make_data(n_samples=37)", {"n_samples": 37}, 37)):
        x, y = check.returns_tuple(student.make_data(**kwargs), call, 2)
        check.array(x, f"x_train from {call}", shape=(n, 1))
        check.array(y, f"y_train from {call}", shape=(n, 1))
        check.varies(torch.from_numpy(x), f"x_train from {call}")  # degenerate data fails every dataset test
        check.varies(torch.from_numpy(y), f"y_train from {call}")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_returns_one_float_per_step(student, seed):
    """train(network, x_train, y_train, training_steps, lr) takes numpy arrays and returns training_steps floats."""
    x = (torch.rand(20, 1, generator=generator(seed)) * 6 - 3).numpy()
    losses = student.train(student.helpers.make_linear(1, 1), x, x ** 2, training_steps=25, lr=0.01)
    # The format test: behaviour tests accept any number type (a tensor, an array); this one asks for floats.
    check.plain_float_list(losses, "train(network, x_train, y_train, training_steps=25, lr=0.01)", 25)


@pytest.mark.exercise("network_outputs")
@pytest.mark.points(1)
def test_network_outputs_returns_two_columns(student):
    """network_outputs(network) returns (inputs, outputs): numpy float32 arrays of shape (300, 1)."""
    result = student.network_outputs(student.helpers.make_mlp([1, 8, 1]))
    inputs, outputs = check.returns_tuple(result, "network_outputs(network)", 2)
    check.array(inputs, "inputs from network_outputs(network)", shape=(300, 1))
    check.array(outputs, "outputs from network_outputs(network)", shape=(300, 1))
