"""Hidden checks of the datasets: the relation, the noise and the sampling of each one.

Data sizes are chosen so that the reference passes under every seed with a wide margin
(statistics over thousands of points), while the classic mistakes are far outside.
"""

import math

import pytest
import torch

from grader.testing import check


def dataset(student, name, **kwargs):
    call = f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
    x, y = check.returns_tuple(getattr(student, name)(**kwargs), call, 2)
    n = kwargs.get("n_data", 100)
    check.tensor(x, f"x from {call}", shape=(n, 1))
    check.tensor(y, f"y from {call}", shape=(n, 1))
    check.varies(x, f"x from {call}")  # degenerate data (constants) fails every dataset test
    check.varies(y, f"y from {call}")
    return call, x.double(), y.double()


# ----------------------------------------------------------------- create_linear_dataset

@pytest.mark.exercise("create_linear_dataset")
@pytest.mark.points(2)
@pytest.mark.parametrize("a, b, scale", [(-1.0, 5.0, 15), (2.5, -3.0, 4)])
def test_linear_relation_is_exact(student, a, b, scale, feedback):
    """Centered y equals a times centered x, for the given a (b vanishes when centering)."""
    call, x, y = dataset(student, "create_linear_dataset", n_data=200, a=a, b=b, scale=scale)
    ends = torch.stack([x.min(), x.max()])
    feedback.scatter(x.flatten(), y.flatten(), relation=(ends, a * ends), relation_label="y = a·x (centered)", title=call)
    error = float((y - a * x).abs().max())
    assert error <= 1e-3 * max(1.0, abs(a) * scale), f"y from {call} is not a·x + b (off by up to {error:.3g})."


@pytest.mark.exercise("create_linear_dataset")
@pytest.mark.points(2)
def test_linear_x_is_uniform_over_scale(student):
    """x is drawn uniformly from [0, scale) (torch.rand * scale), fresh at each call."""
    call, x, _ = dataset(student, "create_linear_dataset", n_data=4000, scale=15)
    spread = float(x.max() - x.min())
    check.between(spread, 14.0, 15.0 + 1e-4, f"the range of x from {call}", reveal=False)
    check.between(float(x.std()), 0.9 * 15 / math.sqrt(12), 1.1 * 15 / math.sqrt(12), f"the spread (std) of x from {call}", reveal=False)
    _, x2, _ = dataset(student, "create_linear_dataset", n_data=4000, scale=15)
    assert not torch.equal(x, x2), f"{call} returns the same x at every call; draw it at random with torch.rand."


# ----------------------------------------------------------------- create_noisy_dataset

@pytest.mark.exercise("create_noisy_dataset")
@pytest.mark.points(2)
def test_noisy_noise_has_std_2(student):
    """The noise added to y is Gaussian with standard deviation 2."""
    call, x, y = dataset(student, "create_noisy_dataset", n_data=4000)
    residual = y - (-1.0) * x
    # Std of the estimate is ~2/sqrt(8000) = 0.022: the band is 9 of those wide on each side.
    check.between(float(residual.std()), 1.8, 2.2, f"the noise std of y from {call}", reveal=False)
    # Gaussian, not uniform: about 4.6% of a normal sample lies beyond 2 sigma, none of a uniform one.
    tail = float((residual.abs() > 2 * float(residual.std())).double().mean())
    check.between(tail, 0.03, 0.065, f"the share of points beyond two noise std from {call}", reveal=False)


@pytest.mark.exercise("create_noisy_dataset")
@pytest.mark.points(2)
@pytest.mark.parametrize("a", [-1.0, 2.0])
def test_noisy_keeps_the_trend(student, a):
    """Under the noise, y still follows a·x: the least-squares slope is close to a."""
    call, x, y = dataset(student, "create_noisy_dataset", n_data=4000, a=a)
    slope = float((x * y).sum() / (x * x).sum())
    assert abs(slope - a) < 0.1, f"the trend of y from {call} has slope {slope:.3g}, not a."


# ----------------------------------------------------------------- create_pow_dataset

@pytest.mark.exercise("create_pow_dataset")
@pytest.mark.points(2)
def test_pow_x_is_evenly_spaced(student):
    """x is linspace(-1, 1, n_data) as a column (then centered)."""
    call, x, _ = dataset(student, "create_pow_dataset", n_data=50)
    expected = torch.linspace(-1, 1, 50, dtype=torch.float64).unsqueeze(1)
    expected = expected - expected.mean()
    assert torch.allclose(x, expected, atol=1e-5), f"x from {call} is not evenly spaced from -1 to 1."


@pytest.mark.exercise("create_pow_dataset")
@pytest.mark.points(2)
@pytest.mark.parametrize("a, b", [(2, 0.2), (3, 0.5)])
def test_pow_values(student, a, b):
    """y is x to the power a plus b times uniform noise in [0, 1), then centered."""
    call, x, y = dataset(student, "create_pow_dataset", n_data=2000, a=a, b=b)
    residual = y - x.pow(a)
    residual = residual - residual.mean()
    spread = float(residual.max() - residual.min())
    check.between(spread, 0.9 * b, b + 1e-3, f"the range of y - x**a from {call}", reveal=False)
    check.between(float(residual.std()), 0.85 * b / math.sqrt(12), 1.15 * b / math.sqrt(12),
                  f"the spread of the noise of y from {call}", reveal=False)
