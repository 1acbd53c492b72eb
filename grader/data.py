"""Data sets the tests need, loaded in the trusted process (the worker never reads data files).

Where the data live is configuration: `grade local --data-dir DIR`, else the environment
variable GRADER_DATA_DIR. With `--download`, torchvision fetches what is missing (into the
configured folder, or ~/.cache/torch-grader when none is). When none of these is given, MNIST is
the small sample shipped with the grader (grader/datasets/mnist_sample: 6,000 training and 2,000
test images of the official MNIST test set, gzip IDX files read here), and the grade says so.
Tests send the worker only what it needs by value: training images with their labels, and test
images without theirs.
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where tensors are made (load_mnist), not by importing this module
    import torch

ENV_VAR = "GRADER_DATA_DIR"
# Where --download puts the data when no folder is configured.
DEFAULT_DOWNLOAD_DIR = Path("~/.cache/torch-grader").expanduser()
# The MNIST sample shipped with the grader, used when no data folder is configured.
SAMPLE_DIR = Path(__file__).parent / "datasets" / "mnist_sample"
SAMPLE_NOTE = ("MNIST here is the small sample shipped with the grader (6,000 training and 2,000 test images), "
               f"as no data folder was configured (--data-dir or {ENV_VAR}).")


class DataUnavailable(Exception):
    """A data set the tests need cannot be loaded: one sentence, and what to do."""


@dataclass(frozen=True)
class DataConfig:
    """Where data sets are read from, and whether torchvision may download them."""

    root: Path | None = None
    download: bool = False

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None, download: bool = False) -> DataConfig:
        """`data_dir` if given, else $GRADER_DATA_DIR (an empty value counts as unset)."""
        chosen = data_dir or os.environ.get(ENV_VAR) or None
        return cls(Path(chosen).expanduser().resolve() if chosen else None, bool(download))


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # uint8 (N, 28, 28)
    labels: torch.Tensor  # int64 (N,)


@dataclass(frozen=True)
class Mnist:
    train: Split
    test: Split
    # Not empty when the data are not the configured MNIST (the bundled sample): said in the grade.
    note: str = ""


def mnist_splits(config: DataConfig) -> Mnist:
    """Both splits of MNIST as configured; raises DataUnavailable with what to do."""
    root = config.root
    if root is None:
        if not config.download:
            return Mnist(train=Split(*load_idx_gz(SAMPLE_DIR, train=True)),
                         test=Split(*load_idx_gz(SAMPLE_DIR, train=False)), note=SAMPLE_NOTE)
        root = DEFAULT_DOWNLOAD_DIR
    return Mnist(
        train=Split(*load_mnist(root, train=True, download=config.download)),
        test=Split(*load_mnist(root, train=False, download=config.download)),
    )


@functools.lru_cache(maxsize=4)
def load_mnist(root: str | Path, train: bool, download: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of MNIST read with torchvision: (images uint8 (N, 28, 28), labels int64 (N,)).

    Cached: a batch grades many submissions in one process. Callers must not modify the tensors.
    """
    import torch
    from torchvision.datasets import MNIST  # importing torchvision takes a while: only when needed

    split = "training" if train else "test"
    try:
        dataset = MNIST(str(root), train=train, download=download)
    except RuntimeError as exc:
        if download:
            raise DataUnavailable(
                f"Could not download the MNIST {split} split into {root} ({exc}); fetch it on a machine "
                f"with network access and pass that folder with --data-dir (or {ENV_VAR})."
            ) from None
        raise DataUnavailable(
            f"The MNIST {split} split is not in {root} (expected {Path(root) / 'MNIST' / 'raw'}); "
            f"pass --data-dir DIR (or set {ENV_VAR}) to a folder holding MNIST/raw, or add --download to fetch it."
        ) from None
    images = dataset.data.to(torch.uint8).contiguous()
    labels = dataset.targets.to(torch.int64).contiguous()
    return images, labels


def _idx(path: Path, magic: int, dims: int) -> torch.Tensor:
    """An IDX file (gzip): big-endian magic, `dims` sizes, then unsigned bytes."""
    import torch

    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise DataUnavailable(f"The bundled MNIST sample {path.name} cannot be read ({exc}); reinstall the grader.") from None
    head = 4 + 4 * dims
    found, *sizes = struct.unpack(f">{1 + dims}I", data[:head]) if len(data) >= head else (0,)
    count = 1
    for size in sizes:
        count *= size
    if found != magic or len(data) != head + count:
        raise DataUnavailable(f"The bundled MNIST sample {path.name} is damaged; reinstall the grader.")
    return torch.frombuffer(bytearray(data[head:]), dtype=torch.uint8).reshape(sizes)


@functools.lru_cache(maxsize=2)
def load_idx_gz(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of an MNIST root in torchvision's raw layout with gzip files (as published):
    (images uint8 (N, 28, 28), labels int64 (N,)). torchvision itself reads only unpacked files."""
    import torch

    prefix = "train" if train else "t10k"
    raw = Path(root) / "MNIST" / "raw"
    images = _idx(raw / f"{prefix}-images-idx3-ubyte.gz", 2051, 3)
    labels = _idx(raw / f"{prefix}-labels-idx1-ubyte.gz", 2049, 1).to(torch.int64)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DataUnavailable(f"The bundled MNIST sample in {raw} does not hold 28x28 images with one label each.")
    return images.contiguous(), labels.contiguous()
