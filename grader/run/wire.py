"""The wire between the trusted process and the worker: plain data by value, the rest by handle.

A message is one frame: an 8-byte header (JSON length, blob length), a JSON document, then the
raw bytes of every tensor or array it carries. Nothing is ever unpickled: a tensor is rebuilt
from its dtype (from a fixed list), its shape and exactly numel * itemsize bytes, so whatever the
worker sends, the trusted side gets a plain `torch.Tensor`, never a subclass or a lying object.
"""

from __future__ import annotations

import functools
import json
import math
import re
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

# What one reply may carry (the worker's replies are hostile data; the caps keep the trusted
# process small whatever arrives). Whole frame: a full MNIST test split as float32 is ~31 MB, and
# the largest reply any assignment's tests read today (an MLP's parameters) is under 1 MB; a
# test that needs more passes its own `max_bytes`.
MAX_REPLY_BYTES = 64 << 20
# The JSON part of a frame: values travel as blobs, so the document only holds their structure.
MAX_DOC_BYTES = 8 << 20
# JSON items (values, keys, containers) in one document: each costs the trusted process ~100 bytes.
MAX_ITEMS = 500_000
# Requests come from the trusted side (MNIST images to the worker): only a runaway is refused.
MAX_REQUEST_BYTES = 1 << 30
# Nesting deeper than this is a cycle or an attack, not a result.
MAX_DEPTH = 64
# JSON nesting for MAX_DEPTH values: each tuple or dict level is an object and a list, plus the
# frame's own envelope. Checked on the raw bytes before parsing: json.loads recurses.
MAX_JSON_DEPTH = 2 * MAX_DEPTH + 8
_HEADER = struct.Struct(">II")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')

# The tensor dtypes that cross, by name. torch is imported on first use, not with this module: the
# trusted process starts its first worker before it pays for importing torch itself.
DTYPE_NAMES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
               "uint8", "bool", "complex64", "complex128")


_torch_module: Any = None


def _torch() -> Any:
    """torch, imported on first use and kept: the worker calls this before any student code runs,
    so what a submission later puts in sys.modules never decides what a tensor is."""
    global _torch_module
    if _torch_module is None:
        import torch

        _torch_module = torch
    return _torch_module


def _torch_if_loaded() -> Any:
    return _torch_module if _torch_module is not None else _torch() if "torch" in sys.modules else None


@functools.cache
def _torch_dtypes() -> dict[str, torch.dtype]:
    torch = _torch()
    return {name: getattr(torch, name) for name in DTYPE_NAMES}


@functools.cache
def _itemsizes() -> dict[str, int]:
    torch = _torch()
    return {name: torch.empty((), dtype=dtype).element_size() for name, dtype in _torch_dtypes().items()}


def __getattr__(name: str) -> Any:
    if name == "TORCH_DTYPES":  # {name: torch.dtype}, built on first use
        return _torch_dtypes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
_NUMPY_KINDS = set("biufc")  # bool, ints, floats, complex: never objects, strings or voids


class WireError(Exception):
    """A frame or value that breaks the protocol."""


class ChannelClosed(WireError):
    """The other end went away."""


class DeadlineExceeded(WireError):
    """The whole exchange (every byte of the frame, and decoding it) did not finish in time."""


# ---------------------------------------------------------------- frames


def send(sock: socket.socket, doc: dict[str, Any], blobs: list[bytes], deadline: float | None = None) -> None:
    body = json.dumps({"doc": doc, "blobs": [len(b) for b in blobs]}).encode()
    _send_all(sock, _HEADER.pack(len(body), sum(len(b) for b in blobs)) + body, deadline)
    for blob in blobs:
        _send_all(sock, blob, deadline)


def _left(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the exchange did not finish in time")
    return left


def _send_all(sock: socket.socket, data: bytes | memoryview, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        sock.settimeout(_left(deadline))
        try:
            sent = sock.send(view)
        except (TimeoutError, socket.timeout):
            raise DeadlineExceeded("the exchange did not finish in time") from None
        view = view[sent:]


def _read_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    """n bytes, or DeadlineExceeded: the deadline is for all of them, not for each recv. The buffer
    grows with what arrives: a header that only announces a large body costs nothing."""
    buf = bytearray()
    while len(buf) < n:
        sock.settimeout(_left(deadline))
        try:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
        except (TimeoutError, socket.timeout):
            raise DeadlineExceeded("the exchange did not finish in time") from None
        if not chunk:
            raise ChannelClosed("the other end closed the channel")
        buf += chunk
    return buf


def check_json_shape(raw: bytes | bytearray, max_items: int = MAX_ITEMS, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON document nested or itemized beyond the limits, before parsing it: the parser
    recurses (a deep document is a RecursionError) and builds every item (a long one is GBs)."""
    if len(raw) <= max_items and raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # every item takes a byte, every level a bracket: nothing to count (most replies)
    skeleton = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    depth = items = 0
    for start in range(0, len(skeleton), 1 << 20):
        chunk = skeleton[start : start + (1 << 20)]
        opens = (chunk == 0x5B) | (chunk == 0x7B)
        step = opens.astype(np.int32) - ((chunk == 0x5D) | (chunk == 0x7D))
        levels = np.cumsum(step, dtype=np.int64) + depth
        if len(levels) and int(levels.max()) > max_depth:
            raise WireError(f"the reply is nested more than {max_depth} levels deep")
        depth = int(levels[-1]) if len(levels) else depth
        items += int(np.count_nonzero(opens)) + int(np.count_nonzero(chunk == 0x2C))
        if items > max_items:
            raise WireError(f"the reply holds more than {max_items} items")


def recv(sock: socket.socket, *, deadline: float | None = None, max_bytes: int = MAX_REPLY_BYTES,
         max_doc_bytes: int = MAX_DOC_BYTES, max_items: int = MAX_ITEMS) -> tuple[dict[str, Any], list[memoryview]]:
    """One whole frame, within `deadline` (time.monotonic()) and the size limits, or WireError.
    Blobs are views of one buffer: nothing is copied until a value is decoded from them."""
    doc_len, blob_len = _HEADER.unpack(_read_exact(sock, _HEADER.size, deadline))
    if doc_len + blob_len > max_bytes:
        raise WireError(f"a frame of {doc_len + blob_len} bytes is over the limit of {max_bytes}")
    if doc_len > max_doc_bytes:
        raise WireError(f"a frame's document of {doc_len} bytes is over the limit of {max_doc_bytes}")
    raw = _read_exact(sock, doc_len, deadline)
    check_json_shape(raw, max_items)
    try:
        body = json.loads(raw)
        doc, sizes = body["doc"], body["blobs"]
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - any parse failure is the sender's
        raise WireError(f"unreadable frame ({type(exc).__name__})") from None
    if (not isinstance(doc, dict) or not isinstance(sizes, list)
            or not all(type(s) is int and s >= 0 for s in sizes) or sum(sizes) != blob_len):
        raise WireError("frame sizes do not add up")
    data = memoryview(_read_exact(sock, blob_len, deadline))
    blobs, pos = [], 0
    for size in sizes:
        blobs.append(data[pos : pos + size])
        pos += size
    return doc, blobs


# ---------------------------------------------------------------- values


def encode(value: Any, blobs: list[bytes], other: Callable[[Any], Any], depth: int = 0) -> Any:
    """A JSON tree for `value`; `other(obj)` encodes whatever is not plain data."""
    if depth > MAX_DEPTH:
        raise WireError(f"a value nested more than {MAX_DEPTH} levels deep (lists, tuples or dicts inside each other)")
    if isinstance(value, np.generic) and value.dtype.kind in _NUMPY_KINDS:
        # Before int/float: numpy.float64 subclasses float and must keep its type.
        blobs.append(np.asarray(value).tobytes())
        return {"$": "npscalar", "dtype": value.dtype.str, "blob": len(blobs) - 1}
    if value is None or isinstance(value, bool):
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    # No torch in this process: no value can be a tensor, a dtype, a device or a Size.
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        return _encode_tensor(value, blobs)
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMPY_KINDS:
        # Not np.ascontiguousarray: it turns a 0-d array into shape (1,).
        arr = np.array(value, order="C", copy=not value.flags.c_contiguous)
        blobs.append(arr.tobytes())
        return {"$": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape), "blob": len(blobs) - 1}
    if torch is not None and isinstance(value, torch.dtype):
        return {"$": "dtype", "name": str(value).removeprefix("torch.")}
    if torch is not None and isinstance(value, torch.device):
        return {"$": "device", "name": str(value)}
    if isinstance(value, bytes):
        blobs.append(bytes(value))
        return {"$": "bytes", "blob": len(blobs) - 1}
    if (type(value) is tuple or (torch is not None and type(value) is torch.Size)
            or (isinstance(value, tuple) and hasattr(value, "_fields"))):
        return {"$": "tuple", "items": [encode(v, blobs, other, depth + 1) for v in tuple.__iter__(value)]}
    if type(value) is list:
        return [encode(v, blobs, other, depth + 1) for v in list.__iter__(value)]
    if type(value) is dict:
        return {
            "$": "dict",
            "items": [
                [encode(k, blobs, other, depth + 1), encode(v, blobs, other, depth + 1)]
                for k, v in dict.items(value)
            ],
        }
    return other(value)


def _encode_tensor(value: torch.Tensor, blobs: list[bytes]) -> dict[str, Any]:
    torch = _torch()
    # Call the base class directly: a subclass's overrides do not pick what crosses.
    with torch._C.DisableTorchFunctionSubclass():
        plain = torch.Tensor.contiguous(torch.Tensor.cpu(torch.Tensor.detach(value)))
        dtype = str(plain.dtype).removeprefix("torch.")
        if dtype not in DTYPE_NAMES:
            raise WireError(f"a {dtype} tensor, which the grader cannot receive; return one of "
                            f"{', '.join(DTYPE_NAMES)} (float32 for real values, int64 for integers)")
        shape = list(plain.shape)
        flat = plain.reshape(-1)
        raw = b"" if flat.numel() == 0 else flat.view(torch.uint8).numpy().tobytes()
    blobs.append(raw)
    return {"$": "tensor", "dtype": dtype, "shape": shape, "blob": len(blobs) - 1}


def decode(tree: Any, blobs: list[bytes] | list[memoryview], handle: Callable[[dict[str, Any]], Any], *,
           deadline: float | None = None, max_items: int = MAX_ITEMS) -> Any:
    """Rebuild a value from a JSON tree; `handle(doc)` builds what the tree refers to by id.

    Total: whatever the tree and blobs hold, the outcome is a value or WireError (DeadlineExceeded
    when `deadline` passes). Bounded: at most MAX_DEPTH levels, `max_items` items, and each blob
    used once, so the values built hold no more bytes than the frame brought.
    """
    decoder = _Decoder(blobs, handle, deadline, max_items)
    try:
        return decoder.value(tree, 0)
    except WireError:
        raise
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - numpy, torch, json: all the sender's
        raise WireError(f"unreadable value ({type(exc).__name__})") from None


class _Decoder:
    def __init__(self, blobs: list[bytes] | list[memoryview], handle: Callable[[dict[str, Any]], Any],
                 deadline: float | None, max_items: int) -> None:
        self.blobs = blobs
        self.handle = handle
        self.deadline = deadline
        self.items_left = max_items
        self.used: set[int] = set()

    def value(self, tree: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        self.items_left -= 1
        if self.items_left < 0:
            raise WireError("the value holds too many items")
        if self.deadline is not None and self.items_left % 4096 == 0:
            _left(self.deadline)
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            return [self.value(v, depth + 1) for v in tree]
        if type(tree) is not dict:
            raise WireError(f"unexpected {type(tree).__name__} on the wire")
        tag = tree.get("$")
        if tag == "tensor":
            return self.tensor(tree)
        if tag == "ndarray" or tag == "npscalar":
            return self.array(tree, tag)
        if tag == "tuple":
            return tuple(self.value(v, depth + 1) for v in _list(tree, "items"))
        if tag == "dict":
            out = {}
            for pair in _list(tree, "items"):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a dict item is not a key and a value")
                out[self.value(pair[0], depth + 1)] = self.value(pair[1], depth + 1)
            return out
        if tag == "dtype":
            name = tree.get("name")
            if name not in DTYPE_NAMES:
                raise WireError(f"unknown dtype {str(name)[:40]!r}")
            return _torch_dtypes()[name]
        if tag == "device":
            return _torch().device(str(tree.get("name"))[:40])
        if tag == "bytes":
            return bytes(self.blob(tree))
        if tag in ("handle", "ref"):
            return self.handle(tree)
        raise WireError(f"unknown tag {str(tag)[:40]!r}")

    def blob(self, tree: dict[str, Any]) -> memoryview:
        index = tree.get("blob")
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise WireError("missing blob")
        if index in self.used:
            raise WireError("one blob is used by two values")
        self.used.add(index)
        return memoryview(self.blobs[index])

    def array(self, tree: dict[str, Any], tag: str) -> Any:
        dtype = np.dtype(str(tree.get("dtype"))[:40])
        if dtype.kind not in _NUMPY_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
            raise WireError(f"arrays of dtype {dtype} cannot be received")
        data = self.blob(tree)
        if tag == "npscalar":
            if len(data) != dtype.itemsize:
                raise WireError("scalar size does not match its dtype")
            return np.frombuffer(data, dtype=dtype)[0].copy()
        shape = _shape(tree)
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise WireError("array size does not match its shape")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()

    def tensor(self, tree: dict[str, Any]) -> torch.Tensor:
        name = tree.get("dtype")
        if name not in DTYPE_NAMES:
            raise WireError(f"unknown dtype {str(name)[:40]!r}")
        torch = _torch()
        dtype = _torch_dtypes()[name]
        shape = _shape(tree)
        data = self.blob(tree)
        if len(data) != math.prod(shape) * _itemsizes()[name]:
            raise WireError("tensor size does not match its shape")
        out = torch.empty(shape, dtype=dtype)
        if len(data):
            # One copy into memory torch allocated (aligned); the frame's buffer is then let go.
            out.view(-1).view(torch.uint8).copy_(torch.frombuffer(bytearray(data) if data.readonly else data,
                                                                    dtype=torch.uint8))
        return out


MAX_DIMS = 32


def _list(tree: dict[str, Any], key: str) -> list[Any]:
    items = tree.get(key)
    if type(items) is not list:
        raise WireError(f"{key} is not a list")
    return items


def _shape(tree: dict[str, Any]) -> tuple[int, ...]:
    shape = tree.get("shape")
    if type(shape) is not list or len(shape) > MAX_DIMS or not all(type(d) is int and 0 <= d < 1 << 48 for d in shape):
        raise WireError("bad shape")
    return tuple(shape)
