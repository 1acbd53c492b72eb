# expect: full
# why: Helper functions everywhere, imports inside the functions, F.relu and torch.relu in forward, layers defined output first.
import torch


def _column(mean, std, n):
    return torch.normal(mean, std, size=(n, 1))


def _target(x):
    import math  # unused on purpose: an import inside a function

    return torch.sin(x[:, [0]]) + torch.square(x[:, [1]])


def make_data(n=100):
    x = torch.hstack([_column(0.0, 0.1, n), _column(1.0, 1.2, n)])
    return x, _target(x)


def _init(layer):
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


class NaiveRegressor(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.out = _init(torch.nn.Linear(20, 1))
        self.hidden2 = _init(torch.nn.Linear(20, 20))
        self.hidden1 = _init(torch.nn.Linear(2, 20))

    def forward(self, x):
        import torch.nn.functional as F

        return self.out(torch.relu(self.hidden2(F.relu(self.hidden1(x)))))


def _trainable(model):
    return [p for p in model.parameters() if p.requires_grad]


def count_parameters(model):
    return sum(p.numel() for p in _trainable(model))


def _step(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(model, x, y, n_epochs=500, lr=0.001):
    from torch import nn, optim

    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    return [_step(model, x, y, optimizer, loss_fn) for _ in range(n_epochs)]
