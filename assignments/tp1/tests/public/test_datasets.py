"""Public checks of the three dataset functions: what they return, not how well."""

import pytest
import torch

from grader.testing import check

DATASETS = [
    pytest.param(name, marks=[pytest.mark.exercise(name), pytest.mark.points(1)], id=name)
    for name in ("create_linear_dataset", "create_noisy_dataset", "create_pow_dataset")
]


def call_dataset(student, name, **kwargs):
    call = f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
    x, y = check.returns_tuple(getattr(student, name)(**kwargs), call, 2)
    n = kwargs.get("n_data", 100)
    check.tensor(x, f"x from {call}", shape=(n, 1))
    check.tensor(y, f"y from {call}", shape=(n, 1))
    check.varies(x, f"x from {call}")  # degenerate data (constants) fails every dataset test
    check.varies(y, f"y from {call}")
    return call, x, y


def show_points(feedback, name, call, x, y):
    """The student's points against what the contract asks (centered, default a and b)."""
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)) or x.numel() != y.numel() or x.numel() == 0:
        return  # not two tensors of points: the checks below say what is wrong
    xs, ys = x.detach().double().flatten(), y.detach().double().flatten()
    grid = torch.linspace(float(xs.min()), float(xs.max()), 50, dtype=torch.float64)
    if name == "create_pow_dataset":
        line, label = grid.pow(2) - xs.pow(2).mean(), "y = x² (centered, without the noise)"
    else:
        line, label = -grid, "y = a·x with a = -1 (centered)"
    feedback.scatter(xs, ys, relation=(grid, line), relation_label=label, title=call,
                     alt=f"Scatter of the points from {call} against the line the contract asks for")


@pytest.mark.parametrize("name", DATASETS)
def test_returns_float32_columns(student, name):
    """Returns (x, y): float32 tensors of shape (n_data, 1), by default and for another n_data."""
    for kwargs, n in (({}, 100), ({"n_data": 37}, 37)):
        call, x, y = call_dataset(student, name, **kwargs)
        check.tensor(x, f"x from {call}", shape=(n, 1))
        check.tensor(y, f"y from {call}", shape=(n, 1))


@pytest.mark.parametrize("name", DATASETS)
def test_is_centered(student, name, feedback):
    """Both x and y have mean 0."""
    call, x, y = call_dataset(student, name, n_data=200)
    show_points(feedback, name, call, x, y)
    check.centered(x, f"x from {call}")
    check.centered(y, f"y from {call}")
