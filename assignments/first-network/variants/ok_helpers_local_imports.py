# expect: full
# why: Sequential assembled with add_module in a helper, imports inside the functions, a step helper, reshape(-1, 1) spelled differently.
import torch


def _layers(n_hidden):
    from torch import nn

    return [("linear1", nn.Linear(1, n_hidden)), ("relu", nn.ReLU()), ("linear2", nn.Linear(n_hidden, 1))]


def make_network(n_hidden):
    from torch import nn

    network = nn.Sequential()
    for name, layer in _layers(n_hidden):
        network.add_module(name, layer)
    return network


def make_data(n_samples=20):
    import numpy as np

    x_train = np.random.uniform(-3, 3, n_samples).astype(np.float32)[:, None]
    return x_train, x_train * x_train


def _step(network, x, y, optimizer, criterion):
    loss = criterion(network(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train(network, x_train, y_train, training_steps=10000, lr=0.001):
    x, y = torch.as_tensor(x_train), torch.as_tensor(y_train)
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    criterion = torch.nn.MSELoss()
    return [_step(network, x, y, optimizer, criterion) for _ in range(training_steps)]


def network_outputs(network, xmin=-4, xmax=4, npoints=300):
    import numpy as np

    inputs = np.expand_dims(np.linspace(xmin, xmax, num=npoints).astype("float32"), axis=1)
    return inputs, network(torch.tensor(inputs)).detach().numpy()
