# expect: full
# why: Written on Colab with a GPU: the model moved with model.to(device), data drawn with device='cuda', torch.cuda.manual_seed_all; runs on the CPU here.
import numpy as np
import torch
from torch import nn


device = torch.device("cuda:0")
torch.cuda.manual_seed_all(0)


def make_data(n=100):
    x1 = torch.randn(n, 1, device=device) * 0.1
    x2 = torch.randn(n, 1, device=device) * 1.2 + 1
    x = torch.cat([x1, x2], dim=1)
    y = torch.sin(x1) + x2 ** 2
    return x.cpu(), y.cpu()


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
    model = model.to(device)
    x, y = x.to(device), y.to(device)
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_epochs):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    torch.cuda.empty_cache()
    return losses
