# expect: full
# why: the page's imports (matplotlib_inline, IPython.display) and its animated training loop: clear_output, plt and display inside train are the course's environment, not the student's fault.
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from IPython.display import clear_output, display
from matplotlib_inline import backend_inline


def make_network(n_hidden):
    return nn.Sequential(nn.Linear(1, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 1))


def make_data(n_samples=20):
    x_train = np.random.uniform(-3, 3, size=(n_samples, 1)).astype("float32")
    return x_train, x_train ** 2


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    inputs = np.linspace(xmin, xmax, npoints, dtype="float32").reshape(-1, 1)
    with torch.no_grad():
        outputs = network(torch.tensor(inputs)).numpy()
    return inputs, outputs


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    backend_inline.set_matplotlib_formats("png")
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    fig, ax = plt.subplots()
    losses = []
    for i in range(training_steps):
        outputs = network(torch.tensor(x_train))
        loss = criterion(outputs, torch.tensor(y_train))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if i % 2000 == 0:
            clear_output(wait=True)
            plt.gca().clear()
            plt.plot(x_train, y_train, ".")
            plt.plot(*network_outputs(network, npoints=50))
            plt.title(f"loss = {loss}")
            display(fig)
    plt.close(fig)
    return losses
