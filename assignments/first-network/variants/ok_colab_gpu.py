# expect: full
# why: Written on Colab with a GPU: make_network(...).cuda(), tensors moved with .to('cuda'), outputs brought back with .cpu(); runs on the CPU here.
import numpy as np
import torch
from torch import nn


def make_network(n_hidden):
    return nn.Sequential(nn.Linear(1, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 1)).cuda()


def make_data(n_samples=20):
    x_train = np.random.uniform(-3, 3, size=(n_samples, 1)).astype("float32")
    return x_train, x_train ** 2


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    network.to("cuda")
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    x, y = torch.from_numpy(x_train).to("cuda"), torch.from_numpy(y_train).to("cuda")
    history = []
    for _ in range(training_steps):
        loss = criterion(network(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = torch.linspace(xmin, xmax, npoints, device="cuda").reshape(-1, 1)
    with torch.no_grad():
        outputs = network.cuda()(inputs)
    return inputs.cpu().numpy(), outputs.cpu().numpy()
