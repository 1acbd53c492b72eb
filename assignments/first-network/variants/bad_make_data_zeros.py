# expect: make_data
# why: Degenerate data: x_train and y_train are all zeros.
import numpy as np
import torch
from torch import nn


def make_network(n_hidden):
    return nn.Sequential(nn.Linear(1, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 1))


def make_data(n_samples=20):
    x_train = np.zeros((n_samples, 1), dtype="float32")
    return x_train, x_train ** 2


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    history = []
    for _ in range(training_steps):
        loss = criterion(network(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = np.linspace(xmin, xmax, npoints, dtype="float32").reshape(-1, 1)
    outputs = network(torch.tensor(inputs)).detach().numpy()
    return inputs, outputs
