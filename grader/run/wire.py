"""The wire between the trusted process and the worker: plain data by value, the rest by handle.

A message is one frame: an 8-byte header (JSON length, blob length), a JSON document, then the
raw bytes of every tensor or array it carries. Nothing is ever unpickled: a tensor is rebuilt
from its dtype (from a fixed list), its shape and exactly numel * itemsize bytes, so whatever the
worker sends, the trusted side gets a plain `torch.Tensor`, never a subclass or a lying object.
"""

from __future__ import annotations

import json
import math
import socket
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

# Largest frame accepted: a full MNIST test split as float32 is ~31 MB; 1 GiB is a runaway.
MAX_FRAME_BYTES = 1 << 30
# Nesting deeper than this is a cycle or an attack, not a result.
MAX_DEPTH = 64
_HEADER = struct.Struct(">II")

TORCH_DTYPES: dict[str, torch.dtype] = {
    name: getattr(torch, name)
    for name in (
        "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
        "uint8", "bool", "complex64", "complex128",
    )
}
_NUMPY_KINDS = set("biufc")  # bool, ints, floats, complex: never objects, strings or voids


class WireError(Exception):
    """A frame or value that breaks the protocol."""


class ChannelClosed(WireError):
    """The other end went away."""


# ---------------------------------------------------------------- frames


def send(sock: socket.socket, doc: dict[str, Any], blobs: list[bytes]) -> None:
    body = json.dumps({"doc": doc, "blobs": [len(b) for b in blobs]}).encode()
    sock.sendall(_HEADER.pack(len(body), sum(len(b) for b in blobs)) + body)
    for blob in blobs:
        sock.sendall(blob)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise ChannelClosed("the other end closed the channel")
        got += k
    return bytes(buf)


def recv(sock: socket.socket) -> tuple[dict[str, Any], list[bytes]]:
    doc_len, blob_len = _HEADER.unpack(_read_exact(sock, _HEADER.size))
    if doc_len + blob_len > MAX_FRAME_BYTES:
        raise WireError(f"frame of {doc_len + blob_len} bytes is over the limit")
    try:
        body = json.loads(_read_exact(sock, doc_len))
        sizes = [int(s) for s in body["blobs"]]
        doc = body["doc"]
    except (ValueError, KeyError, TypeError) as exc:
        raise WireError(f"unreadable frame: {exc}") from None
    if sum(sizes) != blob_len or any(s < 0 for s in sizes) or not isinstance(doc, dict):
        raise WireError("frame sizes do not add up")
    data = _read_exact(sock, blob_len)
    blobs, pos = [], 0
    for size in sizes:
        blobs.append(data[pos : pos + size])
        pos += size
    return doc, blobs


# ---------------------------------------------------------------- values


def encode(value: Any, blobs: list[bytes], other: Callable[[Any], Any], depth: int = 0) -> Any:
    """A JSON tree for `value`; `other(obj)` encodes whatever is not plain data."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
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
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value, blobs)
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMPY_KINDS:
        arr = np.ascontiguousarray(value)
        blobs.append(arr.tobytes())
        return {"$": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape), "blob": len(blobs) - 1}
    if isinstance(value, torch.dtype):
        return {"$": "dtype", "name": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"$": "device", "name": str(value)}
    if isinstance(value, bytes):
        blobs.append(bytes(value))
        return {"$": "bytes", "blob": len(blobs) - 1}
    if type(value) in (tuple, torch.Size) or (isinstance(value, tuple) and hasattr(value, "_fields")):
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
    # Call the base class directly: a subclass's overrides do not pick what crosses.
    with torch._C.DisableTorchFunctionSubclass():
        plain = torch.Tensor.contiguous(torch.Tensor.cpu(torch.Tensor.detach(value)))
        dtype = str(plain.dtype).removeprefix("torch.")
        if dtype not in TORCH_DTYPES:
            raise WireError(f"tensors of dtype {dtype} cannot be sent")
        shape = list(plain.shape)
        flat = plain.reshape(-1)
        raw = b"" if flat.numel() == 0 else flat.view(torch.uint8).numpy().tobytes()
    blobs.append(raw)
    return {"$": "tensor", "dtype": dtype, "shape": shape, "blob": len(blobs) - 1}


def decode(tree: Any, blobs: list[bytes], handle: Callable[[dict[str, Any]], Any], depth: int = 0) -> Any:
    """Rebuild a value from a JSON tree; `handle(doc)` builds what the tree refers to by id."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [decode(v, blobs, handle, depth + 1) for v in tree]
    if not isinstance(tree, dict):
        raise WireError(f"unexpected {type(tree).__name__} on the wire")
    tag = tree.get("$")
    if tag == "tensor":
        return _decode_tensor(tree, blobs)
    if tag == "ndarray" or tag == "npscalar":
        dtype = np.dtype(str(tree["dtype"]))
        if dtype.kind not in _NUMPY_KINDS:
            raise WireError(f"arrays of dtype {dtype} cannot be received")
        data = _blob(tree, blobs)
        if tag == "npscalar":
            if len(data) != dtype.itemsize:
                raise WireError("scalar size does not match its dtype")
            return np.frombuffer(data, dtype=dtype)[0]
        shape = _shape(tree)
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise WireError("array size does not match its shape")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if tag == "tuple":
        return tuple(decode(v, blobs, handle, depth + 1) for v in tree["items"])
    if tag == "dict":
        out = {}
        for key, val in tree["items"]:
            k = decode(key, blobs, handle, depth + 1)
            try:
                out[k] = decode(val, blobs, handle, depth + 1)
            except TypeError:
                raise WireError("unhashable dict key") from None
        return out
    if tag == "dtype":
        name = str(tree["name"])
        if name not in TORCH_DTYPES:
            raise WireError(f"unknown dtype {name}")
        return TORCH_DTYPES[name]
    if tag == "device":
        return torch.device(str(tree["name"]))
    if tag == "bytes":
        return _blob(tree, blobs)
    if tag in ("handle", "ref"):
        return handle(tree)
    raise WireError(f"unknown tag {tag!r}")


def _blob(tree: dict[str, Any], blobs: list[bytes]) -> bytes:
    index = tree.get("blob")
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise WireError("missing blob")
    return blobs[index]


def _shape(tree: dict[str, Any]) -> tuple[int, ...]:
    shape = tree.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise WireError("bad shape")
    return tuple(shape)


def _decode_tensor(tree: dict[str, Any], blobs: list[bytes]) -> torch.Tensor:
    name = str(tree.get("dtype"))
    if name not in TORCH_DTYPES:
        raise WireError(f"unknown dtype {name}")
    dtype = TORCH_DTYPES[name]
    shape = _shape(tree)
    data = _blob(tree, blobs)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(data) != math.prod(shape) * itemsize:
        raise WireError("tensor size does not match its shape")
    if not data:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).reshape(shape)
