# expect: network_outputs
# why: Plots a new network made by make_network instead of the one it is given.
import numpy as np
import torch
from torch import nn


def make_network(n_hidden):
    return nn.Sequential(nn.Linear(1, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 1))


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
    outputs = make_network(10)(torch.tensor(inputs)).detach().numpy()
    return inputs, outputs
