# expect: full
# why: Every function prints a lot, emits warnings.warn(...) and writes to sys.stderr, which must never cost points.
import sys
import warnings

import torch
from torch import nn
import torch.nn.functional as F

print("loading my TP1 submission...")


def create_linear_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    print(f"create_linear_dataset(n_data={n_data}, a={a}, b={b}, scale={scale})")
    warnings.warn("create_linear_dataset: data is centered, remember it when plotting")
    x = torch.rand(n_data, 1) * scale
    y = a * x + b
    print("x =", x.flatten().tolist())
    print("y =", y.flatten().tolist())
    sys.stderr.write("debug: linear dataset ready\n")
    return x - x.mean(), y - y.mean()


def create_noisy_dataset(n_data=100, a=-1.0, b=5.0, scale=15):
    print(f"create_noisy_dataset(n_data={n_data})")
    warnings.warn("create_noisy_dataset: noise is random, results change every run", UserWarning)
    x = torch.rand(n_data, 1) * scale
    y = a * x + b + torch.randn(n_data, 1) * 2
    print("x =", x.flatten().tolist())
    print("y =", y.flatten().tolist())
    sys.stderr.write("debug: noisy dataset ready\n")
    return x - x.mean(), y - y.mean()


def create_pow_dataset(n_data=100, a=2, b=0.2):
    print(f"create_pow_dataset(n_data={n_data}, a={a}, b={b})")
    warnings.warn("create_pow_dataset is experimental", DeprecationWarning)
    x = torch.linspace(-1, 1, n_data).unsqueeze(1)
    y = x.pow(a) + b * torch.rand(x.size())
    print("y =", y.flatten().tolist())
    sys.stderr.write("debug: pow dataset ready\n")
    return x - x.mean(), y - y.mean()


class LinearNet(nn.Module):
    def __init__(self, n_feature, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_output)
        print("LinearNet:", self)
        sys.stderr.write(f"debug: LinearNet({n_feature}, {n_output}) built\n")

    def forward(self, x):
        print("LinearNet.forward on", tuple(x.shape))
        return self.hidden(x)


class MLPNet(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)
        print("MLPNet:", self)
        warnings.warn("MLPNet: try other values of n_hidden", RuntimeWarning)

    def forward(self, x):
        print("MLPNet.forward on", tuple(x.shape))
        return self.predict(F.relu(self.hidden(x)))


def train(net, x, y, num_steps, lr):
    warnings.warn(f"train: lr={lr} may be too large", UserWarning)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_func = nn.MSELoss()
    losses = []
    for step in range(num_steps):
        prediction = net(x)
        loss = loss_func(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        print(f"step {step:5d}  loss {losses[-1]:.6f}")
        sys.stderr.write(f"step {step} done\n")
    print("final loss:", losses[-1] if losses else None, file=sys.stderr)
    return losses
