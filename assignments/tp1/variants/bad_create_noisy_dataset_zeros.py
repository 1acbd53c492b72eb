# expect: create_noisy_dataset
# why: Degenerate data: x = y = 0.
import torch
from torch import nn
import torch.nn.functional as F


def create_linear_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = torch.rand(n_data, 1) * scale
    y = a * x + b
    return x - x.mean(), y - y.mean()


def create_noisy_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    return torch.zeros(n_data, 1), torch.zeros(n_data, 1)

def create_pow_dataset(n_data=100, a=2, b=0.2):
    x = torch.linspace(-1, 1, n_data).unsqueeze(1)
    y = x.pow(a) + b * torch.rand(x.size())
    return x - x.mean(), y - y.mean()


class LinearNet(nn.Module):
    def __init__(self, n_feature, n_output):
        super().__init__()
        self.linear = nn.Linear(n_feature, n_output)

    def forward(self, x):
        return self.linear(x)


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
