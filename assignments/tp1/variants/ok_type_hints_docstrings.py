# expect: full
# why: Same logic as the reference with full type hints, docstrings and comments.
"""Practical work 1: fitting simple datasets with small PyTorch networks."""

from __future__ import annotations

import torch
from torch import Tensor, nn
import torch.nn.functional as F


def create_linear_dataset(
    n_data: int = 100, a: float = -1.0, b: float = 5.0, scale: float = 15
) -> tuple[Tensor, Tensor]:
    """Return ``n_data`` centered points of the line ``y = a * x + b``.

    ``x`` is drawn uniformly in ``[0, scale)`` before centering.
    """
    x: Tensor = torch.rand(n_data, 1) * scale  # inputs
    y: Tensor = a * x + b  # targets
    # center both columns
    return x - torch.mean(x), y - torch.mean(y)


def create_noisy_dataset(
    n_data: int = 100, a: float = -1.0, b: float = 5.0, scale: float = 15
) -> tuple[Tensor, Tensor]:
    """Same as :func:`create_linear_dataset` plus Gaussian noise of std 2 on ``y``."""
    x: Tensor = torch.rand(n_data, 1) * scale
    y: Tensor = a * x + b
    noise: Tensor = torch.randn(y.shape) * 2  # Gaussian noise, std 2
    y = y + noise
    return x - torch.mean(x), y - torch.mean(y)


def create_pow_dataset(n_data: int = 100, a: float = 2, b: float = 0.2) -> tuple[Tensor, Tensor]:
    """``n_data`` evenly spaced points of ``x ** a`` on ``[-1, 1]`` plus uniform noise in ``[0, b)``."""
    x: Tensor = torch.unsqueeze(torch.linspace(-1, 1, n_data), dim=1)
    y: Tensor = x.pow(a) + b * torch.rand(x.size())
    return x - torch.mean(x), y - torch.mean(y)


class LinearNet(nn.Module):
    """A single linear layer, no activation."""

    def __init__(self, n_feature: int, n_output: int) -> None:
        super().__init__()
        self.hidden: nn.Linear = nn.Linear(n_feature, n_output)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the linear layer."""
        return self.hidden(x)


class MLPNet(nn.Module):
    """One hidden layer with a ReLU, then a linear output layer."""

    def __init__(self, n_feature: int, n_hidden: int, n_output: int) -> None:
        super().__init__()
        self.hidden: nn.Linear = nn.Linear(n_feature, n_hidden)
        self.predict: nn.Linear = nn.Linear(n_hidden, n_output)

    def forward(self, x: Tensor) -> Tensor:
        """Hidden layer, ReLU, output layer."""
        x = F.relu(self.hidden(x))
        return self.predict(x)


def train(net: nn.Module, x: Tensor, y: Tensor, num_steps: int, lr: float) -> list[float]:
    """Full-batch SGD on the MSE loss; returns the loss of every step as a float."""
    optimizer: torch.optim.Optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_func: nn.Module = nn.MSELoss()
    losses: list[float] = []
    for _ in range(num_steps):
        prediction: Tensor = net(x)
        loss: Tensor = loss_func(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
