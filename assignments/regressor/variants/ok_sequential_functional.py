# expect: full
# why: NaiveRegressor holds an nn.Sequential initialised in a loop over its modules; count_parameters uses numpy; train computes the MSE by hand and zeroes the gradients first.
import numpy as np
import torch
from torch import nn


def make_data(n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, 2) * torch.tensor([0.1, 1.2]) + torch.tensor([0.0, 1.0])
    x1, x2 = x[:, 0:1], x[:, 1:2]
    return x, torch.sin(x1) + x2.pow(2)


class NaiveRegressor(nn.Module):
    """Two hidden layers of 20 ReLU units."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, 20), nn.ReLU(),
            nn.Linear(20, 20), nn.ReLU(),
            nn.Linear(20, 1),
        )
        for module in self.net.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def count_parameters(model: nn.Module) -> int:
    return sum(np.prod(p.shape) for p in model.parameters() if p.requires_grad)


def train(model, x, y, n_epochs=500, lr=0.001):
    optimizer = torch.optim.SGD(model.parameters(), lr)
    history = []
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        history.append(float(loss))
    return history
