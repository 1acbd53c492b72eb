"""Practical Work 1 - work in progress (datasets and the linear network done)."""
import torch
from torch import nn
import torch.nn.functional as F


def create_linear_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = torch.rand(n_data, 1) * scale
    y = a * x + b
    return x - torch.mean(x), y - torch.mean(y)


def create_noisy_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = torch.rand(n_data, 1) * scale
    y = a * x + b
    noise = torch.randn(y.shape) * 2
    y = y + noise
    return x - torch.mean(x), y - torch.mean(y)


def create_pow_dataset(n_data=100, a=2, b=0.2):
    x = torch.unsqueeze(torch.linspace(-1, 1, n_data), dim=1)
    y = x.pow(a) + b * torch.rand(x.size())
    return x - torch.mean(x), y - torch.mean(y)


class LinearNet(nn.Module):
    def __init__(self, n_feature, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_output)

    def forward(self, x):
        return self.hidden(x)


class MLPNet(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        raise NotImplementedError("MLPNet: write your code here")

    def forward(self, x):
        raise NotImplementedError("MLPNet: write your code here")


def train(net, x, y, num_steps, lr):
    # TODO: SGD + MSELoss loop
    raise NotImplementedError("train: write your code here")


if __name__ == "__main__":
    x, y = create_noisy_dataset()
    print(LinearNet(1, 1)(x)[:5])
