# expect: train/test_train_returns_one_float_per_epoch
# why: Appends the loss tensors instead of loss.item().
import torch
from torch import nn


def make_data(n=100):
    x = torch.cat([torch.normal(0.0, 0.1, (n, 1)), torch.normal(1.0, 1.2, (n, 1))], dim=1)
    y = torch.sin(x[:, :1]) + x[:, 1:] ** 2
    return x, y


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
    mse_loss = nn.MSELoss()
    optim = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_epochs):
        loss = mse_loss(model(x), y)
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss)
    return losses
