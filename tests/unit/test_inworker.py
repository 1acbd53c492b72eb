"""The grader's own helpers that run in the worker: what they compute is what the course says."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.run.inworker import fit_mse, make_mlp


def course_loop(net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> list[float]:
    """The loop of the course's pages, with torch's own optimizer."""
    optimizer, loss_fn, losses = torch.optim.SGD(net.parameters(), lr=lr), nn.MSELoss(), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


@pytest.mark.parametrize("make, n_in", [
    (lambda: nn.Linear(1, 1), 1),
    (lambda: nn.Sequential(nn.Linear(1, 20), nn.ReLU(), nn.Linear(20, 1)), 1),
    (lambda: make_mlp([2, 8, 8, 1], freeze_first=True), 2),  # parameters without gradients are left alone
], ids=["linear", "mlp", "frozen first layer"])
def test_fit_mse_is_torch_sgd_bit_for_bit(make, n_in: int) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(100, n_in, generator=gen)
    y = x.pow(2).sum(1, keepdim=True) + 0.1 * torch.randn(100, 1, generator=gen)
    torch.manual_seed(3)
    theirs = make()
    torch.manual_seed(3)
    ours = make()
    assert fit_mse(ours, x, y, 150, 0.05) == course_loop(theirs, x, y, 150, 0.05)
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters()))
