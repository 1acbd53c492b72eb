# expect: make_network
# why: A hand-written nn.Module computing the same function, not the nn.Sequential the contract asks for.
import numpy as np
import torch
from torch import nn


class Network(nn.Module):
    def __init__(self, n_hidden):
        super().__init__()
        self.linear1 = nn.Linear(1, n_hidden)
        self.linear2 = nn.Linear(n_hidden, 1)

    def forward(self, x):
        return self.linear2(torch.relu(self.linear1(x)))


def make_network(n_hidden):
    return Network(n_hidden)


def make_data(n_samples=20):
    x_train = np.random.uniform(-3, 3, size=(n_samples, 1)).astype("float32")
    y_train = x_train ** 2
    return x_train, y_train


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    x, y = torch.tensor(x_train), torch.tensor(y_train)
    losses = []
    for _ in range(training_steps):
        outputs = network(x)
        loss = criterion(outputs, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = np.linspace(xmin, xmax, npoints, dtype="float32").reshape(-1, 1)
    outputs = network(torch.tensor(inputs)).detach().numpy()
    return inputs, outputs
