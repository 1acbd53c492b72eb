"""Memory of a process tree, for the benchmarks that watch a batch."""

from __future__ import annotations

from typing import Any

# Reading PSS makes the kernel walk each process's page tables: sampled every 0.5 s over a batch's
# tree (pool processes, zygotes, workers, all holding torch), it took ~5 % of a 2-core machine's
# CPU from the batch being timed. Sample it this often instead.
TREE_EVERY_S = 5.0


def tree_pss(process: Any) -> int:
    """PSS in bytes of a psutil `process` and all its descendants (pages shared between them,
    such as torch's libraries, counted once); a descendant gone meanwhile counts nothing."""
    import psutil

    total = process.memory_full_info().pss
    for child in process.children(recursive=True):
        try:
            total += child.memory_full_info().pss
        except psutil.Error:
            pass
    return total
