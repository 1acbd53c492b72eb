"""Code written for Colab's GPU, graded on a machine without one.

Students write `net.cuda()`, `x.to("cuda")`, `torch.zeros(3, device="cuda")`,
`device = torch.device("cuda")` and `torch.cuda.synchronize()` unconditionally: right code, which
crashes where there is no GPU. Inside the worker, on such a machine, `arm()` and `needed()` make it
run on the CPU instead (and change nothing where a GPU is there):

- a TorchFunctionMode rewrites every CUDA device a torch function, a factory or a tensor method
  is given (`device=`, `.to(...)`, `.cuda()`) to the CPU; `Module.to` and `Module.cuda` go through
  the tensors' `.to`/`.cuda`, so they follow. It is entered (for the rest of the worker's life)
  only when a piece of student code that mentions "cuda" is about to run (`needed`): the mode
  sits on every torch call, and made a tp1 grading's training ~1.8x slower for code that never
  asks for a GPU. Code that spells "cuda" without writing it gets no redirection, and fails as it
  would on any machine without a GPU;
- the `torch.cuda` calls that would need a GPU only to wait or to measure (`synchronize`,
  `empty_cache`, memory statistics) become harmless no-ops, from the worker's start.

The worker answers the `devices` request with `report()`, and the trusted side (`cuda_note`) tells
the student, as information, that their CUDA code ran on the CPU. What the worker says here only
ever adds that note: nothing in a grade depends on it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode

_CPU = torch.device("cpu")
_state = {"redirected": False, "active": False, "armed": False}


def _is_cuda(value: Any) -> bool:
    if isinstance(value, torch.device):
        return value.type == "cuda"
    if isinstance(value, str):
        return value.split(":", 1)[0].strip() == "cuda"
    return False


class _CudaOnCpu(TorchFunctionMode):
    """Every CUDA device in a torch call's arguments becomes the CPU; `.cuda()` keeps the tensor.
    It runs on every torch call once entered: the common case (no device anywhere) is kept cheap."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if func is _TENSOR_CUDA:
            _state["redirected"] = True
            kwargs = dict(kwargs or {})
            kwargs.pop("device", None)
            kwargs.pop("non_blocking", None)
            kwargs.pop("memory_format", None)
            return args[0].to(_CPU, **kwargs) if kwargs else args[0]
        if kwargs:
            device = kwargs.get("device")
            if device is not None and _is_cuda(device):
                kwargs = {**kwargs, "device": _CPU}
                _state["redirected"] = True
        else:
            kwargs = {}
        for arg in args:
            if type(arg) in _DEVICE_LIKE and _is_cuda(arg):
                args = tuple(_CPU if _is_cuda(a) else a for a in args)
                _state["redirected"] = True
                break
        return func(*args, **kwargs)


_TENSOR_CUDA = torch.Tensor.cuda
_DEVICE_LIKE = (str, torch.device)


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def arm() -> bool:
    """On a machine without a usable GPU, get ready to run CUDA-written code on the CPU: the
    `torch.cuda` no-ops now, the device rewriting when `needed` sees code that asks for it.
    Returns whether redirection is possible. Called once, in the worker, before any student code."""
    if _state["armed"]:
        return True
    try:
        if torch.cuda.is_available():
            return False
    except Exception:  # a broken driver is no GPU
        pass
    for name, shim in (("synchronize", _noop), ("empty_cache", _noop), ("reset_peak_memory_stats", _noop),
                       ("memory_allocated", _zero), ("max_memory_allocated", _zero),
                       ("memory_reserved", _zero), ("max_memory_reserved", _zero)):
        setattr(torch.cuda, name, shim)
    _state["armed"] = True
    return True


def needed(source: str) -> None:
    """Before student code runs: when it mentions CUDA (any case) and redirection is armed, the
    rewriting mode is entered, for the life of the worker (it serves nothing but this submission)."""
    if _state["armed"] and not _state["active"] and "cuda" in source.lower():
        _CudaOnCpu().__enter__()
        _state["active"] = True


def redirect_cuda() -> bool:
    """Arm, and rewrite CUDA devices from now on in this process, whatever code runs next.
    Returns whether the redirection is on."""
    if arm():
        needed("cuda")
    return bool(_state["active"])


def report() -> dict[str, bool]:
    """What the worker tells the trusted side (the `devices` request)."""
    return {"redirect_active": bool(_state["active"]), "cuda_redirected": bool(_state["redirected"])}


def cuda_note(reply: Any) -> Any:
    """Trusted side: the information Problem for a worker's `devices` reply (None when there is none).
    The reply is hostile data: anything but the expected shape says nothing."""
    from grader.results import Problem

    if not isinstance(reply, dict) or reply.get("cuda_redirected") is not True:
        return None
    return Problem(
        message="Your code asked for CUDA (a GPU); this grading machine has none, so it ran on the CPU.",
        hint="Nothing to fix: the same code runs on a GPU where there is one. "
             "`device = torch.device(\"cuda\" if torch.cuda.is_available() else \"cpu\")` runs anywhere.",
        severity="info",
    )


def collect(runtime: Any) -> list[Any]:
    """Trusted side, at the end of a run: ask the live worker, if any, whether it redirected CUDA."""
    worker = getattr(runtime, "_worker", None)
    if worker is None or not getattr(worker, "alive", False):
        return []
    try:
        note = cuda_note(runtime.request("devices", what="asking which devices ran the code", timeout=5.0))
    except Exception:  # a dead or stuck worker only loses the note
        return []
    return [note] if note is not None else []
