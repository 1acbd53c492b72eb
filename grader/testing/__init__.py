"""What assignment tests import: checks that say what was got and what was expected.

    from grader.testing import check, generator

Tests receive the fixtures `student` (the submission, proxied to the worker), `seed` (a stable
per-test seed), `submission` (facts about the file: notebook or not, cells with figures) and
`mnist` (MNIST loaded in this process), and use the markers `exercise(name)`, `points(n)` and
`time_limit(seconds)`. See docs/writing-assignments.md.

Messages are shown to students, for hidden tests too: say what is wrong in terms of the contract
(a shape, a dtype, "not centered"), never the hidden expected values themselves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from grader.measures import Measure, measure, measuring
from grader.run.proxy import Handle

__all__ = ["sgd_losses", "check", "generator", "Handle", "Measure", "linear_params", "measure", "measuring", "mlp_forward",
           "toy_digits"]


def generator(seed: int) -> torch.Generator:
    """A trusted-side random generator: the test's data never depends on student code."""
    return torch.Generator().manual_seed(int(seed))


def toy_digits(gen: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n MNIST-shaped images (uint8 (n, 28, 28)) and labels (int64 (n,)) a network learns in a few
    steps: each class lights its own 6x6 square over a noisy background. For tests that need
    images but not MNIST itself (types, shapes, exact replays)."""
    labels = torch.randint(0, 10, (n,), generator=gen)
    images = torch.randint(0, 60, (n, 28, 28), generator=gen, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        row, col = 2 + 12 * (label // 5), 1 + 5 * (label % 5)
        images[i, row : row + 6, col : col + 6] = 255
    return images, labels


def linear_params(student: Any, net: Any, n_in: int, n_out: int, gen: torch.Generator, what: str) -> dict[str, torch.Tensor]:
    """The weight and bias of a grader-made nn.Linear(n_in, n_out) as the worker reports them,
    cross-checked here by the network's outputs on fresh random inputs: student code sharing the
    worker may replace the helper that reads them, but not make a network compute what it is not."""
    params = student.helpers.parameters(net)
    layer = {"weight": params.get("weight"), "bias": params.get("bias")} if isinstance(params, dict) else {}
    x = torch.randn(32, int(n_in), generator=gen) * 3
    check.relu_mlp(net(x), [layer], x, [int(n_in), int(n_out)], f"the network {what}")
    return layer


def mlp_forward(layers: list[dict[str, torch.Tensor]], x: torch.Tensor) -> torch.Tensor:
    """Linear -> ReLU -> ... -> Linear of `layers` (as `check.relu_mlp` returns them), computed
    here in float64: what a network checked by relu_mlp outputs, on inputs it was never given."""
    h = x.double()
    for k, layer in enumerate(layers):
        h = h @ layer["weight"].double().T + layer["bias"].double()
        if k < len(layers) - 1:
            h = h.clamp_min(0)
    return h


def _kind(value: Any) -> str:
    if isinstance(value, Handle):
        return f"a {value.type_name.rsplit('.', 1)[-1]} object"
    return f"a {type(value).__name__}"


class check:
    """Assertions for student values, checked in order: None, type, shape, dtype, values."""

    @staticmethod
    def returns_tuple(value: Any, what: str, length: int) -> tuple[Any, ...]:
        if not isinstance(value, (tuple, list)) or len(value) != length:
            got = f"{_kind(value)} of length {len(value)}" if isinstance(value, (tuple, list)) else _kind(value)
            raise AssertionError(f"{what} should return {length} values, got {got}.")
        return tuple(value)

    @staticmethod
    def tensor(value: Any, what: str, *, shape: tuple[int, ...] | None = None,
               dtype: torch.dtype | None = torch.float32) -> torch.Tensor:
        if value is None:
            raise AssertionError(f"{what} is None; expected a tensor (did you forget a return?).")
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{what} should be a torch tensor, got {_kind(value)}.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise AssertionError(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}.")
        if dtype is not None and value.dtype != dtype:
            raise AssertionError(f"{what} has dtype {value.dtype}, expected {dtype}.")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{what} contains NaN or infinite values.")
        return value

    @staticmethod
    def array(value: Any, what: str, *, shape: tuple[int, ...] | None = None,
              dtype: Any = np.float32) -> np.ndarray:
        """The numpy counterpart of `tensor` (a tensor is named as the wrong type, with the fix)."""
        if value is None:
            raise AssertionError(f"{what} is None; expected a numpy array (did you forget a return?).")
        if not isinstance(value, np.ndarray):
            hint = " (convert it with .detach().numpy())" if isinstance(value, torch.Tensor) else ""
            raise AssertionError(f"{what} should be a numpy array, got {_kind(value)}{hint}.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise AssertionError(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}.")
        if dtype is not None and value.dtype != np.dtype(dtype):
            raise AssertionError(f"{what} has dtype {value.dtype}, expected {np.dtype(dtype)}.")
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            raise AssertionError(f"{what} contains NaN or infinite values.")
        return value

    # ------------------------------------------------------------ numbers (the course's rule)
    #
    # A value the contract calls "a float" or "a number" is accepted in every real number type that
    # holds it losslessly: Python int/float, numpy scalars, 0-d or one-element numpy arrays and
    # tensors. Behaviour tests read it with `number`/`float_list`; only a format test (`plain_number`,
    # `plain_float_list`) asks for a Python number, and its message says "use .item()". So a format
    # slip costs at most the format test, never the behaviour tests of the exercise.

    @staticmethod
    def number(value: Any, what: str, *, integral: bool = False) -> float:
        """Any real number type holding one finite value, as a Python float (shape and kind first)."""
        if value is None:
            raise AssertionError(f"{what} is None; expected a number (did you forget a return?).")
        if isinstance(value, bool) or (isinstance(value, np.generic) and value.dtype.kind == "b"):
            raise AssertionError(f"{what} should be a number, got a bool.")
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise AssertionError(f"{what} should be one number, got a tensor of shape {tuple(value.shape)}.")
            if value.is_complex() or value.dtype == torch.bool:
                raise AssertionError(f"{what} should be a real number, got a {value.dtype} tensor.")
            value = value.detach().cpu().reshape(()).double().item()
        elif isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.size != 1:
                raise AssertionError(f"{what} should be one number, got an array of shape {array.shape}.")
            if array.dtype.kind not in "iuf":
                raise AssertionError(f"{what} should be a real number, got an array of dtype {array.dtype}.")
            value = float(array.reshape(()))
        elif isinstance(value, (int, float)):
            value = float(value)
        else:
            raise AssertionError(f"{what} should be a number, got {_kind(value)}.")
        if not math.isfinite(value):
            raise AssertionError(f"{what} is {value}, not a finite number.")
        if integral and value != int(value):
            raise AssertionError(f"{what} is {value:.6g}, expected a whole number.")
        return value

    @staticmethod
    def plain_number(value: Any, what: str, kind: str = "float") -> float:
        """The format test: a Python (or numpy) number, not a tensor or an array. Finite."""
        import numbers

        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            hint = " (use .item())" if isinstance(value, (torch.Tensor, np.ndarray)) else ""
            raise AssertionError(f"{what} should be a Python {kind}, got {_kind(value)}{hint}.")
        return check.number(value, what)

    @staticmethod
    def float_list(value: Any, what: str, length: int) -> list[float]:
        """The behaviour tests' reading of "a list of floats": a list or tuple of numbers of any type
        (see `number`), or a 1-D array or tensor; each value finite. Shape before values."""
        if isinstance(value, torch.Tensor):
            if value.dim() != 1:
                raise AssertionError(f"{what} should return a list of floats, got a tensor of shape {tuple(value.shape)}.")
            items: list[Any] = list(value.detach().cpu().double().unbind()) if value.numel() else []
        elif isinstance(value, np.ndarray):
            if value.ndim != 1:
                raise AssertionError(f"{what} should return a list of floats, got an array of shape {value.shape}.")
            items = list(value)
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise AssertionError(f"{what} should return a list of floats, got {_kind(value)}.")
        if len(items) != length:
            raise AssertionError(f"{what} returned {len(items)} values, expected one per step ({length}).")
        return [check.number(v, f"value {k} returned by {what}") for k, v in enumerate(items)]

    @staticmethod
    def plain_float_list(value: Any, what: str, length: int) -> list[float]:
        """The format test of "a list of floats": a Python list of Python (or numpy) numbers."""
        if not isinstance(value, list):
            hint = " (build a list and append loss.item() at each step)" if isinstance(value, (torch.Tensor, np.ndarray)) else ""
            raise AssertionError(f"{what} should return a list of Python floats, got {_kind(value)}{hint}.")
        if len(value) != length:
            raise AssertionError(f"{what} returned {len(value)} values, expected one per step ({length}).")
        return [check.plain_number(v, f"value {k} returned by {what}") for k, v in enumerate(value)]

    @staticmethod
    def varies(value: torch.Tensor, what: str, *, at_least: float = 1e-6) -> None:
        """Degenerate data fails: a tensor whose values are all (nearly) the same is not a dataset."""
        spread = float(value.double().std()) if value.numel() > 1 else 0.0
        if not spread > at_least:  # NaN fails too
            raise AssertionError(f"{what} is constant (all values equal {float(value.flatten()[0]) if value.numel() else 0:.4g}); "
                                 "it should be drawn as the exercise says.")

    @staticmethod
    def centered(value: torch.Tensor, what: str, atol: float = 1e-3) -> None:
        mean = float(value.double().mean())
        if abs(mean) > atol:
            raise AssertionError(f"{what} is not centered: its mean is {mean:.4g}, expected 0.")

    @staticmethod
    def between(value: float, low: float, high: float, what: str, *, reveal: bool = True) -> None:
        """`reveal=False` (hidden tests) keeps the bounds out of the message."""
        measure(what, value, low, high)
        if not (math.isfinite(value) and low <= value <= high):  # NaN and infinities fail too
            bounds = f"expected between {low:.4g} and {high:.4g}" if reveal else "outside the expected range"
            raise AssertionError(f"{what} is {value:.4g}, {bounds}.")

    @staticmethod
    def at_most(value: float, limit: float, what: str, *, reveal: bool = True) -> None:
        measure(what, value, high=limit)
        if not (math.isfinite(value) and value <= limit):  # NaN and infinities fail too
            bound = f"expected at most {limit:.4g}" if reveal else "above what a correct solution reaches"
            raise AssertionError(f"{what} is {value:.4g}, {bound}.")

    @staticmethod
    def at_least(value: float, limit: float, what: str, *, reveal: bool = True) -> None:
        measure(what, value, low=limit)
        if not (math.isfinite(value) and value >= limit):  # NaN and infinities fail too
            bound = f"expected at least {limit:.4g}" if reveal else "below what a correct solution reaches"
            raise AssertionError(f"{what} is {value:.4g}, {bound}.")

    @staticmethod
    def sgd_on_mse(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor], losses: list[float],
                   x: Any, y: Any, lr: float, what: str) -> None:
        """`after` and `losses` are what len(losses) steps of full-batch gradient descent with `lr` on
        the MSE make of the linear model `before` ({"weight", "bias"}): replayed here in float64.
        Each loss may be measured before or after its step."""
        w, b = before["weight"].double(), before["bias"].double()
        x, y = torch.as_tensor(x).double(), torch.as_tensor(y).double()
        losses = check.float_list(losses, what, len(losses))
        for key, start in (("weight", w), ("bias", b)):  # shapes before any arithmetic on them
            check.tensor(after.get(key) if isinstance(after, dict) else None, f"the network's {key} after {what}",
                         shape=tuple(start.shape), dtype=None)
        mses = []  # the MSE before each step, then after the last
        for _ in range(len(losses)):
            residual = x @ w.T + b - y
            mses.append(float(residual.pow(2).mean()))
            w, b = w - lr * 2 * residual.T @ x / y.numel(), b - lr * 2 * residual.sum(0) / y.numel()
        mses.append(float((x @ w.T + b - y).pow(2).mean()))
        # Distances in units of the tolerance, 1e-3 of the largest replayed parameter (+1e-5): float32
        # training drifts from this float64 replay by about the same absolute amount in every
        # parameter, so one that ends near zero gets no tighter bound. 1 is the limit, NaN too far.
        tolerance = 1e-3 * max(float(w.abs().max()), float(b.abs().max())) + 1e-5
        off = [(after[k].double() - r).abs() / tolerance for k, r in (("weight", w), ("bias", b))]
        distance = float(torch.cat([o.flatten() for o in off]).nan_to_num(math.inf).max())
        measure(f"the parameters after {what}, off the replayed steps (in tolerances)", distance, high=1.0)
        assert distance <= 1.0, (
            f"After {what}, the network's parameters are not those of {len(losses)} steps of full-batch "
            f"gradient descent with lr={lr:g} on the MSE loss."
        )
        for k, loss in enumerate(losses):
            if not any(abs(loss - m) <= 1e-3 * m + 1e-6 for m in mses[k : k + 2]):
                raise AssertionError(f"The loss {what} reports at step {k} is not the MSE of the network at that step.")

    @staticmethod
    def relu_mlp(output: Any, layers: list[dict[str, Any]], x: torch.Tensor, sizes: list[int],
                 what: str) -> list[dict[str, torch.Tensor]]:
        """`output` is net(x) for Linear(sizes[0], sizes[1]) -> ReLU -> ... -> Linear(sizes[-2], sizes[-1]),
        built from the network's own `layers` (`student.helpers.linear_layers(net)`): recomputed here.
        Layers are matched by shape, so the order they were defined in does not matter. Returns the
        layers in the order they compute, checked: `mlp_forward(layers, x)` recomputes the network here."""
        wanted = [(n_out, n_in) for n_in, n_out in zip(sizes, sizes[1:])]
        if not isinstance(layers, list) or not all(
                isinstance(layer, dict) and isinstance(layer.get("weight"), torch.Tensor) for layer in layers):
            raise AssertionError(f"{what}: its layers could not be read.")
        shapes = [tuple(layer["weight"].shape) for layer in layers]
        plan = " -> ReLU -> ".join(f"Linear({i}, {o})" for o, i in wanted)
        biased = all(isinstance(layer.get("bias"), torch.Tensor) and tuple(layer["bias"].shape) == (shape[0],)
                     for layer, shape in zip(layers, shapes))
        if sorted(shapes) != sorted(wanted) or not biased:
            got = ", ".join(f"Linear({i}, {o})" for o, i in shapes) or "no nn.Linear layer"
            raise AssertionError(f"{what} should be made of {plan}, each with its bias; it has {got}.")
        check.tensor(output, f"{what}'s output for a {tuple(x.shape)} batch", shape=(len(x), sizes[-1]))
        for layer in layers:
            check.tensor(layer["weight"], f"a weight of {what}", dtype=None)
            check.tensor(layer["bias"], f"a bias of {what}", dtype=None)
        unused = list(range(len(layers)))
        ordered = []
        for shape in wanted:
            index = next(i for i in unused if shapes[i] == shape)  # same shapes: in the order defined
            unused.remove(index)
            ordered.append({"weight": layers[index]["weight"].detach(), "bias": layers[index]["bias"].detach()})
        h = mlp_forward(ordered, x)
        gap = float((output.double() - h).abs().max())
        if not gap <= 1e-4 * max(1.0, float(h.abs().max())):
            raise AssertionError(
                f"{what} does not compute {plan} with its own layers (off by up to {gap:.3g}): "
                "check the activations between the layers, and that nothing is applied to the output."
            )
        return ordered


def sgd_losses(params: dict[str, Any], x: Any, y: Any, steps: int, lr: float) -> list[float]:
    """The MSE before each step of full-batch SGD on a linear model (`weight`, `bias` as from
    `student.helpers.parameters`), replayed here in float64: the reference loss curve a test can
    draw beside the student's (`feedback.loss(losses, reference=sgd_losses(...))`)."""
    w, b = torch.as_tensor(params["weight"]).double(), torch.as_tensor(params["bias"]).double()
    x, y = torch.as_tensor(x).double(), torch.as_tensor(y).double()
    losses = []
    for _ in range(int(steps)):
        residual = x @ w.T + b - y
        losses.append(float((residual ** 2).mean()))
        w, b = w - lr * 2 * residual.T @ x / len(x), b - lr * 2 * residual.mean(0)
    return losses
