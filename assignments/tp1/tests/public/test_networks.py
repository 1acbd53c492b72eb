"""Public checks of the two networks and the training function: shapes and types."""

import pytest
import torch

from grader.testing import check, generator, linear_params, sgd_losses


@pytest.mark.exercise("LinearNet")
@pytest.mark.points(1)
def test_linear_net_output_shape(student, seed):
    """LinearNet(n_feature, n_output) maps (batch, n_feature) to (batch, n_output)."""
    x = torch.rand(5, 3, generator=generator(seed))
    net = student.LinearNet(3, 2)
    check.tensor(net(x), "LinearNet(3, 2) on a (5, 3) batch", shape=(5, 2))


@pytest.mark.exercise("MLPNet")
@pytest.mark.points(1)
def test_mlp_net_output_shape(student, seed):
    """MLPNet(n_feature, n_hidden, n_output) maps (batch, n_feature) to (batch, n_output)."""
    gen = generator(seed)
    check.tensor(student.MLPNet(1, 10, 1)(torch.rand(7, 1, generator=gen)), "MLPNet(1, 10, 1) on a (7, 1) batch", shape=(7, 1))
    check.tensor(student.MLPNet(3, 5, 2)(torch.rand(4, 3, generator=gen)), "MLPNet(3, 5, 2) on a (4, 3) batch", shape=(4, 2))


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_returns_one_float_per_step(student, seed, feedback):
    """train(net, x, y, num_steps, lr) returns a list of num_steps Python floats."""
    gen = generator(seed)
    x = torch.rand(20, 1, generator=gen)
    y = 2 * x + 1
    net = student.helpers.make_linear(1, 1)
    before = linear_params(student, net, 1, 1, generator(seed + 1), "before train")  # for the reference curve
    losses = student.train(net, x, y, 25, 0.01)
    feedback.loss(losses, reference=sgd_losses(before, x, y, 25, 0.01),
                  title="train(net, x, y, num_steps=25, lr=0.01) against plain SGD from the same start")
    # The format test: behaviour tests accept any number type (a tensor, an array); this one asks for floats.
    check.plain_float_list(losses, "train(net, x, y, num_steps=25, lr=0.01)", 25)


@pytest.mark.exercise("plot_dataset")
@pytest.mark.points(1)
def test_notebook_shows_a_figure(submission):
    """The notebook holds at least one figure output (run the plotting cell before sending)."""
    assert submission.is_notebook, (
        f"{submission.filename} is not a notebook, so it carries no figure; send the .ipynb with its outputs."
    )
    assert submission.figure_cells, (
        "No cell of the notebook shows a figure: run your plotting cell and save the notebook before sending it."
    )
