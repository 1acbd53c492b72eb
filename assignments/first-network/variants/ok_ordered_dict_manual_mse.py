# expect: full
# why: nn.Sequential built from an OrderedDict of named layers; torch.from_numpy and a hand-written MSE in train; inputs from torch.linspace turned into numpy.
from collections import OrderedDict

import numpy as np
import torch
from torch import nn


def make_network(n_hidden: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("hidden", nn.Linear(1, n_hidden)),
        ("relu", nn.ReLU()),
        ("output", nn.Linear(n_hidden, 1)),
    ]))


def make_data(n_samples: int = 20) -> tuple[np.ndarray, np.ndarray]:
    x_train = np.float32(np.random.uniform(low=-3.0, high=3.0, size=(n_samples, 1)))
    return x_train, np.square(x_train)


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    losses = []
    for _ in range(training_steps):
        optimizer.zero_grad()
        loss = torch.mean((network(x) - y) ** 2)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = torch.linspace(xmin, xmax, npoints).unsqueeze(1)
    with torch.no_grad():
        outputs = network(inputs)
    return inputs.numpy(), outputs.numpy()
