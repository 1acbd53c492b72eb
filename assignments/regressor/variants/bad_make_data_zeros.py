# expect: make_data
# why: Degenerate data: x and y are all zeros.
import torch
from torch import nn


def make_data(n=100):
    return torch.zeros(n, 2), torch.zeros(n, 1)


class NaiveRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(2, 20)
        self.act1 = nn.ReLU()
        self.layer2 = nn.Linear(20, 20)
        self.act2 = nn.ReLU()
        self.out = nn.Linear(20, 1)
        for layer in (self.layer1, self.layer2, self.out):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = self.act1(self.layer1(x))
        x = self.act2(self.layer2(x))
        return self.out(x)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train(model, x, y, n_epochs=500, lr=0.001):
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_epochs):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
