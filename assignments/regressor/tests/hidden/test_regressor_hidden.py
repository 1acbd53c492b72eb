"""Hidden checks of the regressor, one exercise at a time.

NaiveRegressor is judged on what it computes with its own layers and on how they were
initialised, never through the student's train; count_parameters and train are run on the
grader's own models. Statistics use thousands of draws: the reference passes under every seed
with a wide margin, and the classic mistakes fall far outside.
"""

import math

import pytest
import torch

from grader.testing import check, generator, linear_params, sgd_losses

# The page's network: (weight shape, fan_in, fan_out) of its three layers.
LAYERS = [((20, 2), 2, 20), ((20, 20), 20, 20), ((1, 20), 20, 1)]


def page_like_data(gen, n):
    """Inputs as make_data draws them, and the page's target."""
    x = torch.randn(n, 2, generator=gen) * torch.tensor([0.1, 1.2]) + torch.tensor([0.0, 1.0])
    return x, torch.sin(x[:, :1]) + x[:, 1:] ** 2


def make_data(student, n):
    call = f"make_data(n={n})"
    x, y = check.returns_tuple(student.make_data(n=n), call, 2)
    check.tensor(x, f"x from {call}", shape=(n, 2))
    check.tensor(y, f"y from {call}", shape=(n, 1))
    check.varies(x, f"x from {call}")  # degenerate data fails every dataset test
    check.varies(y, f"y from {call}")
    return call, x.double(), y.double()


# ----------------------------------------------------------------- make_data

@pytest.mark.exercise("make_data")
@pytest.mark.points(2)
def test_make_data_y_is_sin_x1_plus_x2_squared(student, feedback):
    """y = sin(x1) + x2 ** 2, row by row (x1, x2: the two columns of x)."""
    call, x, y = make_data(student, 500)
    expected = torch.sin(x[:, :1]) + x[:, 1:] ** 2
    ends = torch.stack([expected.min(), expected.max()])
    feedback.scatter(expected.flatten(), y.flatten(), relation=(ends, ends), relation_label="y = sin(x1) + x2²",
                     title=call, x_label="sin(x1) + x2²", y_label="your y")
    gap = float(((y - expected).abs() / expected.abs().clamp_min(1.0)).max())
    assert gap < 1e-4, f"y from {call} is not sin(x1) + x2 ** 2 of the columns of x."


@pytest.mark.exercise("make_data")
@pytest.mark.points(2)
def test_make_data_columns_are_normal_with_the_page_parameters(student):
    """Column 1 is drawn from N(0, 0.1) and column 2 from N(1, 1.2) (mean, std)."""
    call, x, _ = make_data(student, 4000)
    # Standard errors at n = 4000: mean 0.0016 and std 0.0011 (column 1), 0.019 and 0.013 (column 2);
    # each band is at least 5 of them wide on each side.
    check.between(float(x[:, 0].mean()), -0.012, 0.012, f"the mean of column 1 of x from {call}", reveal=False)
    check.between(float(x[:, 0].std()), 0.09, 0.11, f"the std of column 1 of x from {call}", reveal=False)
    check.between(float(x[:, 1].mean()), 0.9, 1.1, f"the mean of column 2 of x from {call}", reveal=False)
    check.between(float(x[:, 1].std()), 1.1, 1.3, f"the std of column 2 of x from {call}", reveal=False)
    # Normal, not uniform: 4.6% of a normal sample lies beyond 2 std (se 0.23% over both columns).
    z = (x - x.mean(0)) / x.std(0)
    tail = float((z.abs() > 2).double().mean())
    check.between(tail, 0.03, 0.065, f"the share of x from {call} beyond two std", reveal=False)
    # Not "fresh at each call": the contract does not say so, and seeding inside make_data is allowed.


# ----------------------------------------------------------------- NaiveRegressor

@pytest.mark.exercise("NaiveRegressor")
@pytest.mark.points(2)
def test_naive_regressor_computes_two_relu_layers(student, seed):
    """NaiveRegressor computes Linear(2, 20) -> ReLU -> Linear(20, 20) -> ReLU -> Linear(20, 1) of its own layers."""
    x, _ = page_like_data(generator(seed), 64)
    net = student.NaiveRegressor()
    check.relu_mlp(net(x), student.helpers.linear_layers(net), x, [2, 20, 20, 1], "NaiveRegressor()")


def pooled_layers(student, copies=32):
    """The weights and biases of many NaiveRegressor() copies, pooled per layer (matched by shape).
    The layers the worker reports are cross-checked by what each copy computes with them."""
    pooled = {shape: {"weight": [], "bias": []} for shape, _, _ in LAYERS}
    x, _ = page_like_data(generator(copies), 16)
    for _ in range(copies):
        net = student.NaiveRegressor()
        layers = student.helpers.linear_layers(net)
        check.relu_mlp(net(x), layers, x, [2, 20, 20, 1], "NaiveRegressor()")  # shapes, biases, function
        for layer in layers:
            shape = tuple(layer["weight"].shape)
            pooled[shape]["weight"].append(layer["weight"].double().flatten())
            pooled[shape]["bias"].append(layer["bias"].double().flatten())
    return {shape: {k: torch.cat(v) if v else torch.zeros(0) for k, v in d.items()} for shape, d in pooled.items()}


@pytest.mark.exercise("NaiveRegressor")
@pytest.mark.points(2)
def test_naive_regressor_weights_are_xavier_uniform(student):
    """Every layer's weights are drawn with nn.init.xavier_uniform_ (the output layer's too)."""
    pooled = pooled_layers(student)
    for (shape, fan_in, fan_out), name in zip(LAYERS, ("first", "second", "output")):
        w = pooled[shape]["weight"]
        assert len(w) > 0, f"NaiveRegressor() has no Linear({fan_in}, {fan_out}) layer."
        bound = math.sqrt(6 / (fan_in + fan_out))
        # Pooled over 32 copies (640 to 12,800 weights), the std of a xavier_uniform_ draw is within
        # 2% of bound / sqrt(3) (one standard error); PyTorch's default init is 40% to 60% off.
        assert float(w.abs().max()) <= bound * (1 + 1e-5), (
            f"The {name} layer's weights go beyond what xavier_uniform_ draws; initialise them with "
            "nn.init.xavier_uniform_."
        )
        check.between(float(w.std()) / (bound / math.sqrt(3)), 0.9, 1.1,
                      f"the spread of the {name} layer's weights relative to xavier_uniform_'s", reveal=False)


@pytest.mark.exercise("NaiveRegressor")
@pytest.mark.points(1)
def test_naive_regressor_biases_start_at_zero(student):
    """Every layer has a bias, and all biases start at zero (nn.init.zeros_)."""
    pooled = pooled_layers(student, copies=4)
    for (shape, fan_in, fan_out), name in zip(LAYERS, ("first", "second", "output")):
        b = pooled[shape]["bias"]
        assert len(b) == 4 * shape[0], f"The {name} layer, Linear({fan_in}, {fan_out}), should have a bias."
        assert float(b.abs().max()) == 0.0, f"The {name} layer's biases do not start at zero; use nn.init.zeros_."


# ----------------------------------------------------------------- count_parameters

def counted(student, model, what):
    """Any number type holding a whole number (an int, a numpy integer, a 0-d tensor): the public
    test alone asks for a Python int."""
    return int(check.number(student.count_parameters(model), f"count_parameters({what})", integral=True))


@pytest.mark.exercise("count_parameters")
@pytest.mark.points(2)
def test_count_parameters_of_the_page_network(student):
    """count_parameters counts every weight and bias of the page's network: 501, not the page's 320,000."""
    count = counted(student, student.helpers.make_mlp([2, 20, 20, 1]), "a network shaped like NaiveRegressor")
    assert count == 501, (
        f"count_parameters of a 2-20-20-1 network is {count}: count every weight and every bias of each layer."
    )


@pytest.mark.exercise("count_parameters")
@pytest.mark.points(1)
@pytest.mark.parametrize("sizes", [[5, 7, 3, 2], [10, 1]], ids=["5-7-3-2", "10-1"])
def test_count_parameters_of_other_networks(student, sizes):
    """count_parameters works for any model, not only NaiveRegressor."""
    expected = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    shape = "-".join(map(str, sizes))
    count = counted(student, student.helpers.make_mlp(sizes), f"a {shape} network")
    assert count == expected, f"count_parameters of a {shape} network is {count}, expected {expected}."


@pytest.mark.exercise("count_parameters")
@pytest.mark.points(1)
def test_count_parameters_skips_frozen_parameters(student):
    """Only trainable parameters count: those with requires_grad=False do not."""
    model = student.helpers.make_mlp([3, 8, 4], freeze_first=True)  # 32 frozen, 36 trainable
    count = counted(student, model, "a 3-8-4 network with its first layer frozen")
    assert count == 36, (
        f"count_parameters of a 3-8-4 network whose first layer is frozen is {count}; count only the "
        "parameters with requires_grad=True."
    )


# ----------------------------------------------------------------- train

@pytest.mark.exercise("train")
@pytest.mark.points(2)
def test_train_does_sgd_steps_on_the_mse(student, seed):
    """train runs n_epochs steps of full-batch SGD with the given lr on the MSE loss."""
    x, y = page_like_data(generator(seed), 50)
    gen = generator(seed + 1)
    model = student.helpers.make_linear(2, 1)
    before = linear_params(student, model, 2, 1, gen, "before training")
    what = "train(model, x, y, 3, 0.01)"
    losses = check.float_list(student.train(model, x, y, 3, 0.01), what, 3)
    check.sgd_on_mse(before, linear_params(student, model, 2, 1, gen, f"after {what}"), losses, x, y, 0.01, what)


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_defaults_to_500_epochs_at_lr_0_001(student, seed, feedback):
    """Called as train(model, x, y), train runs 500 epochs with lr = 0.001."""
    x, y = page_like_data(generator(seed), 100)
    gen = generator(seed + 1)
    model = student.helpers.make_linear(2, 1)
    before = linear_params(student, model, 2, 1, gen, "before training")
    what = "train(model, x, y)"
    losses = check.float_list(student.train(model, x, y), what, 500)
    feedback.loss(losses, reference=sgd_losses(before, x, y, 500, 0.001), title=f"{what} from the same start")
    check.sgd_on_mse(before, linear_params(student, model, 2, 1, gen, f"after {what}"), losses, x, y, 0.001, what)
