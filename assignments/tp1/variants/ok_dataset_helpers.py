# expect: full
# why: The three dataset functions share small private helpers for sampling x and for centering.
import torch
from torch import nn
import torch.nn.functional as F


def _uniform_column(n, scale):
    return torch.rand(n, 1) * scale


def _center(*tensors):
    return tuple(t - t.mean() for t in tensors)


def _line(x, a, b):
    return a * x + b


def create_linear_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = _uniform_column(n_data, scale)
    return _center(x, _line(x, a, b))


def create_noisy_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = _uniform_column(n_data, scale)
    y = _line(x, a, b) + 2 * torch.randn_like(x)
    return _center(x, y)


def create_pow_dataset(n_data=100, a=2, b=0.2):
    x = torch.linspace(-1, 1, n_data)[:, None]
    y = x.pow(a) + _uniform_column(n_data, b)
    return _center(x, y)


class LinearNet(nn.Module):
    def __init__(self, n_feature, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_output)

    def forward(self, x):
        return self.hidden(x)


class MLPNet(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)

    def forward(self, x):
        return self.predict(F.relu(self.hidden(x)))


def train(net, x, y, num_steps, lr):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_func = nn.MSELoss()
    losses = []
    for _ in range(num_steps):
        prediction = net(x)
        loss = loss_func(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
