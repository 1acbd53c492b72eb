"""Hidden checks of the first network, one exercise at a time.

make_network is judged on what it is made of and what it computes with its own layers; train
and network_outputs run on the grader's own networks. Statistics use thousands of draws: the
reference passes under every seed with a wide margin, and the classic mistakes fall far outside.
"""

import math

import numpy as np
import pytest
import torch

from grader.testing import check, generator, linear_params, sgd_losses


def network_from(layers, x):
    """The grader's Linear -> ReLU -> Linear network, recomputed here from its layers."""
    (first, second), x = layers, torch.as_tensor(x).double()
    hidden = (x @ first["weight"].double().T + first["bias"].double()).clamp_min(0)
    return hidden @ second["weight"].double().T + second["bias"].double()


# ----------------------------------------------------------------- make_network

@pytest.mark.exercise("make_network")
@pytest.mark.points(1)
def test_make_network_is_a_sequential_of_linear_relu_linear(student, seed):
    """make_network returns an nn.Sequential of exactly three modules: nn.Linear, nn.ReLU, nn.Linear."""
    net = student.make_network(7)
    summary = student.helpers.module_summary(net)
    assert isinstance(summary, dict) and summary.get("sequential"), (
        f"make_network(7) returns a {summary.get('type') if isinstance(summary, dict) else 'value'}; build it with nn.Sequential.")
    children = [m["type"] for m in summary["modules"] if "." not in m["name"] and m["torch"]]
    assert children == ["Linear", "ReLU", "Linear"], (
        f"make_network(7) is a Sequential of {', '.join(children) or 'nothing'}; expected Linear, ReLU, Linear."
    )
    # What the worker reported, cross-checked by function: three modules, each computing its part.
    length = check.number(len(net), "len(make_network(7))", integral=True)
    assert length == 3, f"make_network(7) holds {length:g} modules, expected Linear, ReLU, Linear."
    gen = generator(seed)
    x = torch.randn(16, 1, generator=gen) * 3
    h = net[0](x)
    check.relu_mlp(h, student.helpers.linear_layers(net[0]), x, [1, 7], "the first module of make_network(7)")
    r = check.tensor(net[1](h), "the second module of make_network(7) on a (16, 7) batch", shape=(16, 7))
    assert torch.equal(r, check.tensor(h, "the first module's output", shape=(16, 7)).clamp_min(0)), (
        "the second module of make_network(7) is not a ReLU.")
    check.relu_mlp(net[2](r), student.helpers.linear_layers(net[2]), r, [7, 1], "the third module of make_network(7)")


@pytest.mark.exercise("make_network")
@pytest.mark.points(2)
@pytest.mark.parametrize("n_hidden", [7, 64])
def test_make_network_computes_linear_relu_linear(student, n_hidden):
    """make_network(n_hidden) computes Linear(1, n_hidden) -> ReLU -> Linear(n_hidden, 1) of its own layers."""
    x = torch.linspace(-3, 3, 61).unsqueeze(1)
    net = student.make_network(n_hidden)
    check.relu_mlp(net(x), student.helpers.linear_layers(net), x, [1, n_hidden, 1], f"make_network({n_hidden})")


# ----------------------------------------------------------------- make_data

def make_data(student, n):
    call = f"make_data(n_samples={n})"
    x, y = check.returns_tuple(student.make_data(n_samples=n), call, 2)
    check.array(x, f"x_train from {call}", shape=(n, 1))
    check.array(y, f"y_train from {call}", shape=(n, 1))
    check.varies(torch.from_numpy(x), f"x_train from {call}")  # degenerate data fails every test
    return call, x.astype(np.float64), y.astype(np.float64)


@pytest.mark.exercise("make_data")
@pytest.mark.points(1)
def test_make_data_y_is_x_squared(student, feedback):
    """y_train = x_train ** 2, row by row."""
    call, x, y = make_data(student, 500)
    grid = np.linspace(float(x.min()), float(x.max()), 50)
    feedback.scatter(x.flatten(), y.flatten(), relation=(grid, grid ** 2), relation_label="y = x²", title=call)
    gap = float((np.abs(y - x ** 2) / np.maximum(1.0, x ** 2)).max())
    assert gap < 1e-5, f"y_train from {call} is not x_train ** 2."


@pytest.mark.exercise("make_data")
@pytest.mark.points(2)
def test_make_data_x_is_uniform_between_minus_3_and_3(student):
    """x_train is drawn uniformly from [-3, 3] (np.random.uniform)."""
    call, x, _ = make_data(student, 4000)
    assert x.min() >= -3 and x.max() <= 3, f"x_train from {call} has values outside [-3, 3]."
    # At n = 4000: the range misses less than 0.1 of [-3, 3] with probability 1 - 1e-14; standard
    # errors of the mean and std are 0.027 and 0.012, each band more than 5 of them wide.
    check.at_least(float(x.max() - x.min()), 5.9, f"the range of x_train from {call}", reveal=False)
    check.between(float(x.mean()), -0.15, 0.15, f"the mean of x_train from {call}", reveal=False)
    check.between(float(x.std()), 0.95 * math.sqrt(3), 1.05 * math.sqrt(3), f"the std of x_train from {call}", reveal=False)
    # Not "fresh at each call": the contract does not say so, and seeding inside make_data is allowed.


# ----------------------------------------------------------------- train

def numpy_data(seed, n=20):
    x = (torch.rand(n, 1, generator=generator(seed)) * 6 - 3).numpy()
    return x, x ** 2


@pytest.mark.exercise("train")
@pytest.mark.points(2)
def test_train_does_sgd_steps_on_the_mse_from_numpy(student, seed):
    """From numpy arrays, train runs training_steps steps of full-batch SGD with the given lr on the MSE."""
    x, y = numpy_data(seed)
    gen = generator(seed + 1)
    net = student.helpers.make_linear(1, 1)
    before = linear_params(student, net, 1, 1, gen, "before training")
    what = "train(network, x_train, y_train, 3, 0.01)"
    losses = check.float_list(student.train(net, x, y, 3, 0.01), what, 3)
    check.sgd_on_mse(before, linear_params(student, net, 1, 1, gen, f"after {what}"), losses, x, y, 0.01, what)


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_defaults_to_10000_steps_at_lr_0_001(student, seed, feedback):
    """Called as train(network, x_train, y_train), train runs 10,000 steps with lr = 0.001."""
    x, y = numpy_data(seed)
    gen = generator(seed + 1)
    net = student.helpers.make_linear(1, 1)
    before = linear_params(student, net, 1, 1, gen, "before training")
    what = "train(network, x_train, y_train)"
    losses = check.float_list(student.train(net, x, y), what, 10000)
    feedback.loss(losses, reference=sgd_losses(before, x, y, 10000, 0.001), title=f"{what} from the same start")
    check.sgd_on_mse(before, linear_params(student, net, 1, 1, gen, f"after {what}"), losses, x, y, 0.001, what)


# ----------------------------------------------------------------- network_outputs

def outputs_of(student, net, **kwargs):
    call = f"network_outputs(network{''.join(f', {k}={v}' for k, v in kwargs.items())})"
    n = kwargs.get("npoints", 300)
    inputs, outputs = check.returns_tuple(student.network_outputs(net, **kwargs), call, 2)
    check.array(inputs, f"inputs from {call}", shape=(n, 1))
    check.array(outputs, f"outputs from {call}", shape=(n, 1))
    return call, inputs, outputs


@pytest.mark.exercise("network_outputs")
@pytest.mark.points(1)
@pytest.mark.parametrize("kwargs", [{}, {"xmin": -1, "xmax": 2, "npoints": 7}], ids=["defaults", "custom"])
def test_network_outputs_inputs_are_evenly_spaced(student, kwargs):
    """inputs are npoints evenly spaced values from xmin to xmax, both included (np.linspace)."""
    call, inputs, _ = outputs_of(student, student.helpers.make_mlp([1, 8, 1]), **kwargs)
    args = {"xmin": -4, "xmax": 4, "npoints": 300, **kwargs}
    expected = np.linspace(args["xmin"], args["xmax"], args["npoints"]).reshape(-1, 1)
    assert np.allclose(inputs, expected, atol=1e-5), (
        f"inputs from {call} are not {args['npoints']} evenly spaced values from {args['xmin']} to {args['xmax']}."
    )


@pytest.mark.exercise("network_outputs")
@pytest.mark.points(2)
def test_network_outputs_are_the_networks_outputs(student):
    """outputs are what the given network computes on the inputs (not another network's)."""
    net = student.helpers.make_mlp([1, 16, 1])
    call, inputs, outputs = outputs_of(student, net, xmin=-2, xmax=3, npoints=50)
    x = torch.randn(32, 1, generator=generator(7)) * 3  # the grader's layers, cross-checked by function
    check.relu_mlp(net(x), student.helpers.linear_layers(net), x, [1, 16, 1], "the grader's network")
    expected = network_from(student.helpers.linear_layers(net), inputs)
    gap = float(np.abs(outputs - expected.numpy()).max())
    assert gap <= 1e-4 * max(1.0, float(expected.abs().max())), (
        f"outputs from {call} are not the given network's outputs on the inputs."
    )
