"""Code written for Colab's GPU, graded on a machine without one.

Students write `net.cuda()`, `x.to("cuda")`, `torch.zeros(3, device="cuda")`,
`device = torch.device("cuda")` and `torch.cuda.synchronize()` unconditionally: right code, which
crashes where there is no GPU. Inside the worker, on such a machine, `redirect_cuda()` makes it run
on the CPU instead (and changes nothing where a GPU is there):

- a TorchFunctionMode, active for the life of the worker, rewrites every CUDA device a torch
  function, a factory or a tensor method is given (`device=`, `.to(...)`, `.cuda()`) to the CPU;
  `Module.to` and `Module.cuda` go through the tensors' `.to`/`.cuda`, so they follow;
- the `torch.cuda` calls that would need a GPU only to wait or to measure (`synchronize`,
  `empty_cache`, memory statistics) become harmless no-ops.

The worker answers the `devices` request with `report()`, and the trusted side (`cuda_note`) tells
the student, as information, that their CUDA code ran on the CPU. What the worker says here only
ever adds that note: nothing in a grade depends on it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode

_CPU = torch.device("cpu")
_state = {"redirected": False, "active": False}


def _is_cuda(value: Any) -> bool:
    if isinstance(value, torch.device):
        return value.type == "cuda"
    if isinstance(value, str):
        return value.split(":", 1)[0].strip() == "cuda"
    return False


class _CudaOnCpu(TorchFunctionMode):
    """Every CUDA device in a torch call's arguments becomes the CPU; `.cuda()` keeps the tensor."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = dict(kwargs or {})
        if func is torch.Tensor.cuda:
            _state["redirected"] = True
            kwargs.pop("device", None)
            kwargs.pop("non_blocking", None)
            kwargs.pop("memory_format", None)
            return args[0].to(_CPU, **kwargs) if kwargs else args[0]
        if _is_cuda(kwargs.get("device")):
            kwargs["device"] = _CPU
            _state["redirected"] = True
        if any(_is_cuda(a) for a in args):
            args = tuple(_CPU if _is_cuda(a) else a for a in args)
            _state["redirected"] = True
        return func(*args, **kwargs)


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def redirect_cuda() -> bool:
    """On a machine without a usable GPU, run CUDA-written code on the CPU from now on, in this process.
    Returns whether the redirection is on. Called once, in the worker, before any student code."""
    if _state["active"]:
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
    _CudaOnCpu().__enter__()  # for the life of the worker: it serves nothing but this submission
    _state["active"] = True
    return True


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
