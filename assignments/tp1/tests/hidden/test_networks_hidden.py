"""Hidden checks of the networks and of train.

Each exercise is graded on its own: networks are trained with the grader's loop (never the
student's `train`), and `train` is tested on a network of the grader's own. Convergence is judged
in this process on points the worker never saw.
"""

import pytest
import torch

from grader.testing import check, generator, linear_params, sgd_losses


def noisy_line(gen, n=100):
    x = torch.rand(n, 1, generator=gen) * 15
    y = -x + 5 + torch.randn(n, 1, generator=gen) * 2
    return x - x.mean(), y - y.mean()


def pow_curve(gen, n=100):
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    y = x.pow(2) + 0.2 * torch.rand(x.size(), generator=gen)
    return x - x.mean(), y - y.mean()


def computes(student, net, sizes, what, gen, n=64):
    """The network's output on fresh random inputs equals Linear -> ReLU -> ... -> Linear recomputed
    here on its own weights: the layers the worker reports are cross-checked by what the network does."""
    x = torch.randn(n, sizes[0], generator=gen) * 3
    check.relu_mlp(net(x), student.helpers.linear_layers(net), x, sizes, what)


# ----------------------------------------------------------------- LinearNet

@pytest.mark.exercise("LinearNet")
@pytest.mark.points(1)
def test_linear_net_has_one_linear_layer(student, seed):
    """LinearNet is a single nn.Linear(n_feature, n_output) with its bias, and computes exactly it."""
    computes(student, student.LinearNet(3, 2), [3, 2], "LinearNet(3, 2)", generator(seed))


@pytest.mark.exercise("LinearNet")
@pytest.mark.points(1)
def test_linear_net_is_affine(student, seed):
    """LinearNet computes an affine map: no activation anywhere."""
    gen = generator(seed)
    net = student.LinearNet(2, 3)
    a, b = torch.randn(64, 2, generator=gen) * 10, torch.randn(64, 2, generator=gen) * 10
    t = torch.rand(64, 1, generator=gen)
    outputs = [check.tensor(net(v), "LinearNet(2, 3) on a (64, 2) batch", shape=(64, 3)).double()
               for v in (t * a + (1 - t) * b, a, b)]
    mixed, expected = outputs[0], t * outputs[1] + (1 - t) * outputs[2]
    gap = float((mixed - expected).abs().max())
    assert gap < 1e-3, f"LinearNet is not affine (outputs off by {gap:.3g}); it should have no activation."


@pytest.mark.exercise("LinearNet")
@pytest.mark.points(2)
def test_linear_net_fits_noisy_line(student, seed, feedback):
    """Trained by the grader (SGD, lr 0.005, 300 steps), LinearNet reaches the least-squares line."""
    gen = generator(seed)
    x, y = noisy_line(gen)
    net = student.LinearNet(1, 1)
    student.helpers.fit_mse(net, x, y, 300, 0.005)
    computes(student, net, [1, 1], "the trained LinearNet(1, 1)", gen)  # on the weights training set
    xs = torch.linspace(-7, 7, 29).unsqueeze(1)  # points the worker never saw with a target
    slope = float((x * y).sum() / (x * x).sum())
    best = slope * xs + (y.mean() - slope * x.mean())
    out = check.tensor(net(xs), "the trained LinearNet(1, 1) on a (29, 1) batch", shape=(29, 1))
    feedback.regression((x.flatten(), y.flatten()), (xs.flatten(), out.flatten()),
                        reference=(xs.flatten(), best.flatten()), title="LinearNet(1, 1) trained by the grader")
    gap = float((out - best).abs().max())
    check.at_most(gap, 0.25, "the distance between the trained LinearNet and the best line", reveal=False)


# ----------------------------------------------------------------- MLPNet

@pytest.mark.exercise("MLPNet")
@pytest.mark.points(1)
def test_mlp_net_has_a_hidden_layer(student, seed):
    """MLPNet(n_feature, n_hidden, n_output) computes Linear(n_feature, n_hidden) -> ReLU -> Linear(n_hidden, n_output)."""
    computes(student, student.MLPNet(3, 7, 2), [3, 7, 2], "MLPNet(3, 7, 2)", generator(seed))


@pytest.mark.exercise("MLPNet")
@pytest.mark.points(1)
def test_mlp_net_is_not_affine(student):
    """MLPNet has a nonlinearity between its layers (a ReLU)."""
    net = student.MLPNet(1, 32, 1)
    xs = torch.linspace(-3, 3, 121).unsqueeze(1).double()
    out = check.tensor(net(xs.float()), "MLPNet(1, 32, 1) on a (121, 1) batch", shape=(121, 1)).double()
    design = torch.cat([xs, torch.ones_like(xs)], dim=1)
    coef = torch.linalg.lstsq(design, out).solution
    residual = float((design @ coef - out).abs().max())
    assert residual > 1e-4 * max(1.0, float(out.abs().max())), "MLPNet is affine: add a ReLU after the hidden layer."


@pytest.mark.exercise("MLPNet")
@pytest.mark.points(2)
@pytest.mark.time_limit(60)
def test_mlp_net_fits_pow_curve(student, seed, feedback):
    """Trained by the grader (SGD, lr 0.1, 1000 steps), MLPNet(1, 20, 1) follows y = x**2 where no line can."""
    gen = generator(seed)
    x, y = pow_curve(gen)
    net = student.MLPNet(1, 20, 1)
    student.helpers.fit_mse(net, x, y, 1000, 0.1)
    computes(student, net, [1, 20, 1], "the trained MLPNet(1, 20, 1)", gen)  # on the weights training set
    xs = torch.linspace(-0.99, 0.99, 57).unsqueeze(1)  # between the training points
    out = check.tensor(net(xs), "the trained MLPNet(1, 20, 1) on a (57, 1) batch", shape=(57, 1))
    curve = xs.double().pow(2) - x.double().pow(2).mean() + float(y.double().mean())
    feedback.regression((x.flatten(), y.flatten()), (xs.flatten(), out.flatten()),
                        reference=(xs.flatten(), curve.flatten()), title="MLPNet(1, 20, 1) trained by the grader")
    error = out.double() - xs.double().pow(2)
    error = error - error.mean()  # the curve is known up to the centering shift
    # Reference worst case over 40 seeds: 0.0015; the best affine map: 0.0915.
    check.at_most(float(error.pow(2).mean()), 0.01, "the trained MLPNet's error on the curve", reveal=False)


# ----------------------------------------------------------------- train

def trained_params(student, net, what, gen):
    """The grader's network's parameters, cross-checked by its outputs (see linear_params)."""
    return linear_params(student, net, 1, 1, gen, f"after {what}")


@pytest.mark.exercise("train")
@pytest.mark.points(2)
def test_train_does_sgd_steps_on_the_mse(student, seed):
    """train runs num_steps of full-batch SGD with the given lr on the MSE loss."""
    gen = generator(seed)
    x, y = noisy_line(gen, n=50)
    net = student.helpers.make_linear(1, 1)
    before = trained_params(student, net, "creating it", gen)
    what = "train(net, x, y, num_steps=3, lr=0.003)"
    losses = check.float_list(student.train(net, x, y, 3, 0.003), what, 3)
    check.sgd_on_mse(before, trained_params(student, net, what, gen), losses, x, y, 0.003, what)


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_decreases_the_loss(student, seed, feedback):
    """Over 200 steps with lr 0.005 on a noisy line, train's losses fall and the network fits it."""
    gen = generator(seed)
    x, y = noisy_line(gen)
    net = student.helpers.make_linear(1, 1)
    before = linear_params(student, net, 1, 1, generator(seed + 1), "before train")  # for the reference curve
    losses = check.float_list(student.train(net, x, y, 200, 0.005), "train(net, x, y, 200, 0.005)", 200)
    feedback.loss(losses, reference=sgd_losses(before, x, y, 200, 0.005),
                  title="train(net, x, y, 200, 0.005) from the same start")
    slope = float((x * y).sum() / (x * x).sum())
    best = float(((slope * x - y) ** 2).mean())
    # Judge the loss above the best line (the noise floor, ~4): the grader's network may start
    # close to that line, and then the loss itself cannot halve, while its excess always does.
    assert losses[-1] - best <= 0.5 * (losses[0] - best) + 1e-3 * best, "train's loss does not decrease over 200 steps."
    params = trained_params(student, net, "train(net, x, y, 200, 0.005)", gen)
    w, b = params["weight"].double(), params["bias"].double()
    fitted = float(((x.double() @ w.T + b - y.double()) ** 2).mean())
    check.at_most(fitted, 1.05 * best, "the MSE of the network after train", reveal=False)
