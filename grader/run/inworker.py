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

__all__ = [
    "apply_transform", "cross_entropy", "fit_classifier", "fit_mse", "image_loader", "linear_layers",
    "make_linear", "make_mlp", "module_summary", "parameters", "planted_classifier", "predict",
    "predict_classes", "sgd",
]


def fit_mse(net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> list[float]:
    """The course's loop: full-batch SGD on the MSE; returns the loss before each step.
    The step is `torch.optim.SGD`'s own without momentum (`p -= lr * p.grad` for each parameter
    that has a gradient), written out: the optimizer's bookkeeping around it took a third of a
    tp1 grading's training, for the same bits."""
    params = list(net.parameters())
    losses = []
    for _ in range(int(steps)):
        for p in params:
            p.grad = None
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-lr)
        losses.append(float(loss.detach()))
    return losses


def predict(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net(x)


def make_linear(n_in: int, n_out: int) -> nn.Linear:
    """A network of the grader's own, to test a student's training function on."""
    return nn.Linear(int(n_in), int(n_out))


def make_mlp(sizes: list[int], freeze_first: bool = False) -> nn.Sequential:
    """The grader's own MLP: Linear(sizes[0], sizes[1]), ReLU, ..., Linear(sizes[-2], sizes[-1]).
    `freeze_first` turns off the gradients of the first layer (its parameters are not trainable)."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(int(n_in), int(n_out)), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    if freeze_first:
        net[0].requires_grad_(False)
    return net


def parameters(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in net.named_parameters()}


def linear_layers(net: nn.Module) -> list[dict[str, torch.Tensor | None]]:
    """Every nn.Linear in the network, in registration order: its weight and bias (None without one).
    With these the trusted side recomputes what the network should output for a given input."""
    return [{"weight": m.weight.detach().clone(), "bias": None if m.bias is None else m.bias.detach().clone()}
            for m in net.modules() if isinstance(m, nn.Linear)]


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
    return {"is_module": True, "type": type(net).__qualname__, "sequential": isinstance(net, nn.Sequential),
            "modules": modules, "parameters": params}


# ---------------------------------------------------------------- images (MNIST)
#
# Images arrive by value as uint8 tensors (N, 28, 28): the worker never reads data files. They
# reach the network as torchvision's MNIST gives them, as PIL images through a transform; the
# grader's transform is the page's, ToTensor then Normalize((0.5,), (0.5,)), i.e. u8 / 255 * 2 - 1.


def _normalized(images: torch.Tensor) -> torch.Tensor:
    """What the grader's transform makes of uint8 images, bit for bit, as (N, 784) rows."""
    return images.reshape(len(images), -1).float().div(255).sub(0.5).div(0.5)


def _pil(image: torch.Tensor) -> Any:
    from PIL import Image

    return Image.fromarray(image.numpy())  # a 2-D uint8 array is a grayscale ("L") image, as in MNIST


class _Images(torch.utils.data.Dataset):
    """(image, label) pairs as torchvision's MNIST yields them with the grader's transform. The
    transform is applied once, to every image at once (`_normalized`: the same operations in the
    same order, so the same floats), not to each image as a PIL image at each epoch, which was
    three quarters of an epoch's time."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images = _normalized(images).reshape(len(images), 1, *images.shape[1:])
        self.labels = [int(label) for label in labels]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], self.labels[index]


def image_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 64, shuffle: bool = False,
                 seed: int = 0) -> torch.utils.data.DataLoader:
    """A DataLoader of (images (B, 1, 28, 28) float32, labels (B,) int64), shuffled by a seeded generator."""
    return torch.utils.data.DataLoader(
        _Images(images, labels), batch_size=int(batch_size), shuffle=bool(shuffle),
        generator=torch.Generator().manual_seed(int(seed)),
    )


def apply_transform(transform: Any, images: torch.Tensor) -> list[Any]:
    """What a transform makes of each uint8 image seen as a PIL image (whatever it returns)."""
    return [transform(_pil(image)) for image in images]


def sgd(net: nn.Module, lr: float, momentum: float = 0.0) -> torch.optim.SGD:
    return torch.optim.SGD(net.parameters(), lr=float(lr), momentum=float(momentum))


def cross_entropy() -> nn.CrossEntropyLoss:
    return nn.CrossEntropyLoss()


def fit_classifier(net: nn.Module, loader: Any, epochs: int, lr: float, momentum: float = 0.9) -> list[float]:
    """The page's loop: SGD with momentum on the cross-entropy, images flattened to (B, 784);
    returns the mean batch loss of each epoch."""
    optimizer, criterion = sgd(net, lr, momentum), cross_entropy()
    means = []
    for _ in range(int(epochs)):
        total, batches = 0.0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(net(images.view(-1, 784)), labels)
            loss.backward()
            optimizer.step()
            total, batches = total + float(loss.detach()), batches + 1
        means.append(total / max(batches, 1))
    return means


def predict_classes(net: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The class the network gives each uint8 image (argmax of its logits), with the grader's transform.
    The labels stay on the trusted side, which computes the accuracy."""
    rows, step = _normalized(images), int(batch_size)
    with torch.no_grad():
        return torch.cat([net(rows[i : i + step]).argmax(1) for i in range(0, len(rows), step)])


class _Planted(nn.Module):
    """A classifier whose answers the test chose: images[i] (after the grader's transform) -> classes[i].
    It counts the calls made with gradients on, and takes what any correct student network takes:
    flattened (B, 784) images, or (B, 1, 28, 28) / (B, 28, 28) ones."""

    def __init__(self, images: torch.Tensor, classes: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("table", _normalized(images))
        self.register_buffer("classes", classes.long())
        self.scale = nn.Parameter(torch.ones(()))  # outputs carry gradients, like a real network's
        self.calls = 0
        self.calls_with_grad = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() not in (2, 3, 4) or x[0].numel() != 784:
            raise ValueError(f"this network takes images of shape (B, 784) or (B, 1, 28, 28), got {tuple(x.shape)}")
        x = x.reshape(len(x), 784)
        self.calls += 1
        self.calls_with_grad += int(torch.is_grad_enabled())
        nearest = torch.cdist(x.detach().float(), self.table).argmin(1)
        return nn.functional.one_hot(self.classes[nearest], 10).float() * self.scale


def planted_classifier(images: torch.Tensor, classes: torch.Tensor) -> nn.Module:
    return _Planted(images, classes)
