"""Property tests of the trusted side's reading of the worker: whatever bytes or trees arrive, the
outcome is a value or a WireError, in bounded time and memory, and the values built never hold
more bytes than the frame brought.

`make test` runs a few hundred examples per target; HYPOTHESIS_PROFILE=long runs 10,000.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import tracemalloc
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from grader.run import wire

EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
SECONDS = 5.0       # per example, far above what any takes: a hang or a quadratic blow-up shows
MEGABYTES = 96      # per example, traced Python allocations (the frame itself is at most a few MB)

DTYPES = [*wire.TORCH_DTYPES, "uint16", "uint32", "complex32", "object", "<U4", "V8", "|O", "<f8", "i2", "bad"]
WORDS = st.sampled_from(["$", "dtype", "shape", "blob", "items", "name", "id", "tensor", "ndarray", "npscalar",
                         "tuple", "dict", "bytes", "handle", "ref", "device", "cpu", "cuda:0", "float32"])
INTS = st.one_of(st.integers(-3, 8), st.integers(-(2**70), 2**70), st.sampled_from([2**31, 2**62, 2**63]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, st.floats(allow_nan=True), st.text(max_size=8), WORDS)


def tagged(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict that looks like one of the wire's tagged values, its fields mostly right, any wrong."""
    def mostly(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(right, right, right, SCALARS)

    return st.fixed_dictionaries(
        {"$": mostly(st.sampled_from(["tensor", "ndarray", "npscalar", "tuple", "dict", "bytes", "handle",
                                      "ref", "device", "dtype", "pickle"]))},
        optional={
            "dtype": mostly(st.sampled_from(DTYPES)),
            "shape": mostly(st.one_of(st.lists(st.integers(0, 4), max_size=3), st.lists(INTS, max_size=40))),
            "blob": mostly(st.integers(0, 4)),
            "items": mostly(st.one_of(st.lists(children, max_size=4),
                                      st.lists(st.lists(children, min_size=2, max_size=2), max_size=3))),
            "name": mostly(st.sampled_from(DTYPES)),
            "id": mostly(st.integers(0, 10)),
        },
    )


@st.composite
def values(draw: st.DrawFn) -> Any:
    """Values the worker may honestly send: tensors and arrays of every dtype, in containers."""
    def tensor(name: str, shape: list[int]) -> torch.Tensor:
        return (torch.arange(int(np.prod(shape))) % 3).reshape(shape).to(wire.TORCH_DTYPES[name])

    shapes = st.lists(st.integers(0, 4), max_size=3)
    leaves = st.one_of(
        SCALARS,
        st.builds(tensor, st.sampled_from(list(wire.TORCH_DTYPES)), shapes),
        st.builds(lambda d, s: np.zeros(s, dtype=d), st.sampled_from(["<f4", "<f8", "<i8", "|u1", "|b1", "<c8"]), shapes),
        st.binary(max_size=16),
    )
    return draw(st.recursive(leaves, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.tuples(kids, kids),
        st.dictionaries(st.one_of(st.integers(), st.text(max_size=4)), kids, max_size=3)), max_leaves=12))


def encoded(value: Any) -> tuple[Any, list[bytes]]:
    blobs: list[bytes] = []
    return wire.encode(value, blobs, lambda obj: {"$": "handle", "id": 1}), blobs


RANDOM_TREES = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=5), tagged(kids), tagged(kids),
                                                            st.dictionaries(WORDS, kids, max_size=4)), max_leaves=40)
# Honest encodings of honest values, and random trees built from the wire's own vocabulary.
TREES_AND_BLOBS = st.one_of(values().map(encoded), st.tuples(RANDOM_TREES, st.lists(st.binary(max_size=64), max_size=5)))


def handle(doc: dict[str, Any]) -> Any:
    """As the trusted side's: a well-formed reference, or WireError."""
    if doc.get("$") != "handle" or type(doc.get("id")) is not int:
        raise wire.WireError("not a handle")
    return ("handle", doc["id"])


def payload_bytes(value: Any) -> int:
    """Bytes of tensors, arrays and bytes in a decoded value."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.nbytes
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(payload_bytes(v) for v in value)
    if isinstance(value, dict):
        return sum(payload_bytes(k) + payload_bytes(v) for k, v in value.items())
    return 0


class Bounded:
    """Time and traced memory of one example, checked on the way out."""

    def __enter__(self) -> Bounded:
        tracemalloc.start()
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self.start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < SECONDS, f"took {elapsed:.1f} s"
        assert peak < MEGABYTES << 20, f"peaked at {peak >> 20} MB"


def decode_or_refuse(tree: Any, blobs: list[bytes]) -> Any:
    try:
        value = wire.decode(tree, blobs, handle, deadline=time.monotonic() + SECONDS)
    except wire.WireError as exc:
        event(f"value refused: {str(exc)[:24]}")
        return None
    event(f"value decoded: {type(value).__name__}")
    assert payload_bytes(value) <= sum(map(len, blobs)), "a value holds more bytes than its frame"
    return value


@FUZZ
@given(case=TREES_AND_BLOBS)
def test_decoding_any_tree_gives_a_value_or_a_wire_error(case):
    with Bounded():
        decode_or_refuse(*case)


@FUZZ
@given(value=values())
def test_every_honest_value_crosses_unchanged(value):
    tree, blobs = encoded(value)
    got = wire.decode(json.loads(json.dumps(tree)), blobs, handle)
    assert repr(got) == repr(value) or _same(got, value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return type(a) is torch.Tensor and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b or (a != a and b != b)


def frame_of(tree: Any, blobs: list[bytes]) -> bytes:
    body = json.dumps({"doc": {"ok": True, "value": tree}, "blobs": [len(b) for b in blobs]}).encode()
    return wire._HEADER.pack(len(body), sum(map(len, blobs))) + body + b"".join(blobs)


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """Well-formed frames of hostile trees, then (often) damaged: bytes flipped, cut or added,
    headers that lie; or bytes with no frame in them at all."""
    kind = draw(st.sampled_from(["frame", "damaged", "header", "noise", "deep"]))
    if kind == "noise":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.integers(1, 3000))
        body = b'{"doc": {"v": ' + b"[" * depth + b"]" * draw(st.integers(0, depth)) + b'}, "blobs": []}'
        return wire._HEADER.pack(len(body), 0) + body
    data = bytearray(frame_of(*draw(TREES_AND_BLOBS)))
    if kind == "header":
        data[: wire._HEADER.size] = wire._HEADER.pack(draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 2**32 - 1)))
    if kind == "damaged":
        for _ in range(draw(st.integers(1, 4))):
            where = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(["flip", "cut", "insert"]))
            if action == "flip":
                data[where] = draw(st.integers(0, 255))
            elif action == "cut":
                del data[where : where + draw(st.integers(1, 8))]
            else:
                data[where:where] = draw(st.sampled_from([b"[", b"]", b"{", b'"', b"\\", b"\x00", b"\xff", b"1e999"]))
            if not data:
                break
    return bytes(data)


@FUZZ
@given(data=frames())
def test_reading_any_bytes_gives_a_frame_or_a_wire_error(data):
    left, right = socket.socketpair()
    sender = threading.Thread(target=_send_and_close, args=(left, data))
    with Bounded():
        sender.start()
        try:
            try:
                doc, blobs = wire.recv(right, deadline=time.monotonic() + SECONDS)
            except wire.WireError as exc:
                event(f"frame refused: {type(exc).__name__}")
                return
            decode_or_refuse(doc.get("value"), blobs)
        finally:
            right.close()
            sender.join()


def _send_and_close(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # the reader gave up first: what it refused is not sent
    finally:
        sock.close()
