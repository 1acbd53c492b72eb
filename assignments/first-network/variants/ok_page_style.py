# expect: full
# why: The page's own code: %pip and %matplotlib magics, seeds and plots at top level, plot_network kept next to network_outputs, the page's loop inside train.
%pip install -U torch

import torch
import torch.nn as nn
import numpy as np
import matplotlib.pyplot as plt
from matplotlib_inline import backend_inline

torch.manual_seed(2)
np.random.seed(2)

%matplotlib inline
backend_inline.set_matplotlib_formats('svg')


def make_network(n_hidden):
    network = nn.Sequential(nn.Linear(1, n_hidden),
                          nn.ReLU(),
                          nn.Linear(n_hidden, 1))
    return network


network = make_network(n_hidden=5)
linear1, relu, linear2 = network.children()
weights1, biases1 = linear1.parameters()
network(torch.tensor([[2.3], [1.7], [3.6]]))


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = np.linspace(xmin, xmax, npoints, dtype="float32").reshape(-1, 1)
    outputs = network(torch.tensor(inputs)).detach().numpy()
    return inputs, outputs


def plot_network(network, xmin=-4, xmax=4, npoints=300):
    inputs, outputs = network_outputs(network, xmin, xmax, npoints)
    plt.plot(inputs, outputs)


plot_network(make_network(1000))


def make_data(n_samples=20):
    x_train = np.random.uniform(-3, 3, size=(n_samples, 1)).astype('float32')
    y_train = x_train ** 2
    return x_train, y_train


x_train, y_train = make_data()
plt.plot(x_train, y_train, "o")


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    history = []
    for i in range(training_steps):
        outputs = network(torch.tensor(x_train))
        # each time we find the output of our network

        loss = criterion(outputs, torch.tensor(y_train))
        # calculate the loss using our criterion

        # Some PyTorch Magic
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # End of Magic
        history.append(loss.item())
    return history


network = make_network(n_hidden=10)
train(network, x_train, y_train)
