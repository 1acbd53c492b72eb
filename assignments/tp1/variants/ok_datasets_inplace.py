# expect: full
# why: The datasets use torch.empty(...).uniform_, torch.normal and in-place centering (x -= x.mean()).
import torch
from torch import nn
import torch.nn.functional as F


def create_linear_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = torch.empty(n_data, 1).uniform_(0, scale)
    y = a * x + b
    x -= x.mean()
    y -= y.mean()
    return x, y


def create_noisy_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    x = torch.empty(n_data, 1).uniform_(0, scale)
    y = a * x + b
    y += torch.normal(0.0, 2.0, size=(n_data, 1))
    x -= x.mean()
    y -= y.mean()
    return x, y


def create_pow_dataset(n_data=100, a=2, b=0.2):
    x = torch.linspace(-1, 1, n_data).view(-1, 1)
    y = x ** a + b * torch.empty_like(x).uniform_()
    x -= x.mean()
    y -= y.mean()
    return x, y


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
