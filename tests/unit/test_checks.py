"""grader.testing.check: the course's number rule, non-finite values, degenerate data, and checks
that look at shapes before any arithmetic on a student value."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.testing import check


@pytest.mark.parametrize("value", [
    0.25, 1, np.float64(0.25), np.float32(0.25), np.int64(3), np.array(0.25), np.array([0.25]),
    torch.tensor(0.25), torch.tensor([0.25]), torch.tensor(0.25, requires_grad=True) * 1, torch.tensor(3),
], ids=lambda v: type(v).__name__)
def test_every_real_number_type_holding_one_value_is_a_number(value):
    expected = 3.0 if "3" in repr(value) and "0.25" not in repr(value) else (1.0 if value == 1 else 0.25)
    result = check.number(value, "the loss")
    assert type(result) is float and result == pytest.approx(expected)


@pytest.mark.parametrize("value, words", [
    (None, "None"), (True, "bool"), ("0.5", "str"), (torch.zeros(2), "shape"), (np.zeros((2, 1)), "shape"),
    (math.inf, "finite"), (np.float64("nan"), "finite"), (torch.tensor(-math.inf), "finite"), ([0.5], "list"),
])
def test_what_is_not_one_finite_number_fails_with_why(value, words):
    with pytest.raises(AssertionError, match=words):
        check.number(value, "the loss")


def test_a_count_must_be_whole():
    assert check.number(torch.tensor(501), "count", integral=True) == 501
    with pytest.raises(AssertionError, match="whole"):
        check.number(500.5, "count", integral=True)


def test_the_format_test_alone_asks_for_a_python_number_and_says_item():
    assert check.plain_number(np.float64(0.5), "loss") == 0.5  # numpy's float64 is a float
    with pytest.raises(AssertionError, match=r"\.item\(\)"):
        check.plain_number(torch.tensor(0.5), "loss")
    with pytest.raises(AssertionError, match="list"):
        check.plain_float_list(np.array([0.5, 0.4]), "train", 2)


@pytest.mark.parametrize("losses", [
    [0.5, 0.4], (0.5, 0.4), np.array([0.5, 0.4]), torch.tensor([0.5, 0.4]), [torch.tensor(0.5), np.float32(0.4)],
], ids=["list", "tuple", "array", "tensor", "mixed"])
def test_behaviour_tests_read_losses_in_any_number_type(losses):
    assert check.float_list(losses, "train", 2) == pytest.approx([0.5, 0.4])


def test_an_infinite_or_nan_loss_fails_every_numeric_check():
    with pytest.raises(AssertionError, match="finite"):
        check.float_list([math.inf, 0.0], "train", 2)
    for bound in (lambda v: check.at_least(v, 0.8, "acc"), lambda v: check.at_most(v, 0.8, "err"),
                  lambda v: check.between(v, 0, 1, "x")):
        for bad in (math.inf, -math.inf, math.nan):
            with pytest.raises(AssertionError):
                bound(bad)


def test_degenerate_data_does_not_vary():
    check.varies(torch.rand(10, 1), "x")
    with pytest.raises(AssertionError, match="constant"):
        check.varies(torch.zeros(10, 1), "x")


def test_a_reported_layer_of_the_wrong_shape_fails_before_any_arithmetic():
    x = torch.randn(1000, 1)
    huge_bias = {"weight": torch.zeros(1, 1), "bias": torch.zeros(1000, 1, 1)}  # broadcasting would be 1 GB
    with pytest.raises(AssertionError, match="made of"):
        check.relu_mlp(torch.zeros(1000, 1), [huge_bias], x, [1, 1], "net")


def test_a_network_that_ignores_its_layers_fails_relu_mlp():
    net = torch.nn.Sequential(torch.nn.Linear(3, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    layers = [{"weight": m.weight.detach(), "bias": m.bias.detach()} for m in (net[0], net[2])]
    x = torch.randn(64, 3)
    check.relu_mlp(net(x).detach(), layers, x, [3, 7, 2], "MLPNet")
    tanh = net[2](torch.tanh(net[0](x))).detach()
    for wrong in (x[:, :2] ** 2, tanh):
        with pytest.raises(AssertionError, match="does not compute"):
            check.relu_mlp(wrong, layers, x, [3, 7, 2], "MLPNet")
