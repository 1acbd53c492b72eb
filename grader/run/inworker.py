"""Grader helpers that run inside the worker, on student objects that cannot leave it.

A test grades one exercise at a time: to check a student's network it trains it with the loop
below, not with the student's `train`, so a broken `train` costs only the `train` exercise.
What these return is plain data, checked in the trusted process; student code sharing this
process could tamper with them, which is why tests judge results on data the worker never saw
the answers for (held-out points, trusted-side recomputation), not on what a helper claims.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["fit_mse", "make_linear", "module_summary", "parameters", "predict"]


def fit_mse(net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> list[float]:
    """The course's loop: full-batch SGD on the MSE; returns the loss before each step."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(int(steps)):
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def predict(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net(x)


def make_linear(n_in: int, n_out: int) -> nn.Linear:
    """A network of the grader's own, to test a student's training function on."""
    return nn.Linear(int(n_in), int(n_out))


def parameters(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in net.named_parameters()}


def module_summary(net: Any) -> dict[str, Any]:
    """What a network is made of: its submodules' kinds and its parameters' shapes."""
    if not isinstance(net, nn.Module):
        return {"is_module": False, "type": type(net).__qualname__, "modules": [], "parameters": []}
    modules = []
    for name, module in net.named_modules():
        if name:
            modules.append({"name": name, "type": type(module).__qualname__,
                            "torch": type(module).__module__.startswith("torch.nn"),
                            "children": len(list(module.children()))})
    params = [{"name": n, "shape": list(p.shape), "trainable": bool(p.requires_grad)}
              for n, p in net.named_parameters()]
    return {"is_module": True, "type": type(net).__qualname__, "modules": modules, "parameters": params}
