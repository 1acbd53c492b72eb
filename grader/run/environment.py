"""The course's environment, as the worker offers it to student code.

The course's pages and starters are written for Colab: they import torch, torchvision, numpy and
matplotlib, plot with `plt.show()`, and often ask for CUDA. `PACKAGES` is the one list of the
packages the worker offers (the project depends on each of them; `grade validate` fails when a
starter or a reference imports anything else), and `prepare()` sets the worker up before any
student code runs: matplotlib draws headless (Agg: `plt.show()` does nothing), and CUDA-written
code runs on the CPU where there is no GPU (grader/run/devices.py).
"""

from __future__ import annotations

import os
import sys

from grader.run import devices

# Import names of the third-party packages student code may use (the standard library comes too).
# The pages also draw inline (matplotlib_inline) and animate training (IPython.display).
PACKAGES: tuple[str, ...] = ("torch", "torchvision", "numpy", "matplotlib", "PIL", "IPython", "matplotlib_inline")


def prepare() -> None:
    """In the worker, before any student code: headless plotting, and CUDA on the CPU if need be."""
    os.environ["MPLBACKEND"] = "Agg"  # no display: figures are drawn in memory, plt.show() is a no-op
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.environ.get("HOME") or "/tmp", ".matplotlib"))
    devices.arm()  # the device rewriting itself starts with the first code that mentions CUDA


def offered(module: str) -> bool:
    """Whether student code may import `module` (top-level name) in the worker."""
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top in PACKAGES or top == "__future__"
