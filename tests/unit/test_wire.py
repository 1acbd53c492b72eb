"""The wire: plain values cross by value and come back identical; nothing else crosses."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest
import torch

from grader.run import wire


def round_trip(value, other=None):
    blobs: list[bytes] = []

    def refuse(obj):
        raise TypeError(type(obj).__name__)

    tree = wire.encode(value, blobs, other or refuse)
    left, right = socket.socketpair()
    with left, right:
        wire.send(left, {"v": tree}, blobs)
        doc, got_blobs = wire.recv(right)
    return wire.decode(doc["v"], got_blobs, lambda d: ("handle", d["id"]))


@pytest.mark.parametrize("dtype", list(wire.TORCH_DTYPES.values()))
def test_tensors_of_every_dtype_round_trip(dtype):
    value = (torch.arange(12) % 3).reshape(3, 4).to(dtype)
    got = round_trip(value)
    assert type(got) is torch.Tensor and got.dtype == dtype and torch.equal(got, value)


def test_containers_and_scalars_keep_their_types():
    value = {
        "list": [1, 2.5, "s", None, True],
        "tuple": (1, (2, 3)),
        7: torch.Size([2, 3]),
        "np": np.arange(6, dtype=np.float32).reshape(2, 3),
        "np_scalar": np.float64(1.5),
        "dtype": torch.float16,
        "empty": torch.empty(0, 3),
        "bytes": b"\x00\x01",
    }
    got = round_trip(value)
    assert got["list"] == [1, 2.5, "s", None, True]
    assert got["tuple"] == (1, (2, 3)) and got[7] == (2, 3)
    assert got["np"].dtype == np.float32 and got["np"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(got["np_scalar"]) is np.float64  # not a plain float: train must return floats
    assert got["dtype"] is torch.float16
    assert got["empty"].shape == (0, 3) and got["bytes"] == b"\x00\x01"


def test_a_tensor_subclass_or_parameter_arrives_as_a_plain_tensor():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

        @property
        def shape(self):
            return (100, 1)

    liar = torch.zeros(3).as_subclass(Liar)
    got = round_trip([liar, torch.nn.Parameter(torch.ones(2))])
    assert [type(t) for t in got] == [torch.Tensor, torch.Tensor]
    assert got[0].shape == (3,) and got[1].tolist() == [1.0, 1.0]


def test_objects_that_are_not_data_become_handles():
    module = torch.nn.Linear(1, 1)
    got = round_trip([module, np.array([object()])], other=lambda obj: {"$": "handle", "id": 1 if obj is module else 2})
    assert got == [("handle", 1), ("handle", 2)]


@pytest.mark.parametrize(
    "tree, blobs, message",
    [
        ({"$": "tensor", "dtype": "float32", "shape": [3], "blob": 0}, [b"\x00" * 8], "size does not match"),
        ({"$": "tensor", "dtype": "object", "shape": [1], "blob": 0}, [b"\x00"], "unknown dtype"),
        ({"$": "ndarray", "dtype": "|O", "shape": [1], "blob": 0}, [b"\x00" * 8], "cannot be received"),
        ({"$": "pickle", "data": "..."}, [], "unknown tag"),
        ({"$": "tensor", "dtype": "float32", "shape": [-1], "blob": 0}, [b""], "bad shape"),
    ],
)
def test_malformed_values_are_refused(tree, blobs, message):
    with pytest.raises(wire.WireError, match=message):
        wire.decode(tree, blobs, lambda d: None)


def test_deep_nesting_is_refused():
    tree: object = 1
    for _ in range(wire.MAX_DEPTH + 5):
        tree = [tree]
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.decode(tree, [], lambda d: None)


def test_frames_that_lie_about_their_sizes_are_refused():
    left, right = socket.socketpair()
    with left, right:
        body = b'{"doc": {}, "blobs": [5]}'
        left.sendall(wire._HEADER.pack(len(body), 2) + body + b"ab")
        with pytest.raises(wire.WireError, match="do not add up"):
            wire.recv(right)


# ---------------------------------------------------------------- hostile frames and trees


def test_a_dribbling_sender_is_stopped_at_the_deadline_not_at_each_read():
    left, right = socket.socketpair()
    stop = threading.Event()

    def dribble():
        body = b'{"doc": {}, "blobs": []}' + b" " * 200
        left.sendall(wire._HEADER.pack(len(body), 0))
        for byte in body:
            if stop.wait(0.05):
                return
            left.send(bytes([byte]))

    thread = threading.Thread(target=dribble)
    thread.start()
    start = time.monotonic()
    try:
        with pytest.raises(wire.DeadlineExceeded):
            wire.recv(right, deadline=start + 0.5)
        assert time.monotonic() - start < 1.5
    finally:
        stop.set()
        thread.join()
        left.close()
        right.close()


def test_a_frame_over_the_reply_limit_is_refused_from_its_header():
    left, right = socket.socketpair()
    with left, right:
        right.settimeout(5)
        left.sendall(wire._HEADER.pack(10, (100 << 20)))  # announces 100 MB, sends nothing
        with pytest.raises(wire.WireError, match="over the limit"):
            wire.recv(right)


def test_a_document_nested_100000_deep_is_refused_before_it_is_parsed():
    body = b'{"doc": {"v": ' + b"[" * 100_000 + b"]" * 100_000 + b'}, "blobs": []}'
    left, right = socket.socketpair()
    with left, right:
        left.sendall(wire._HEADER.pack(len(body), 0) + body)
        with pytest.raises(wire.WireError, match="nested more than"):
            wire.recv(right)


def test_brackets_inside_strings_are_not_nesting():
    wire.check_json_shape(b'{"doc": "' + b"[" * 10_000 + b'\\"]", "blobs": []}')


@pytest.mark.parametrize(
    "tree, blobs",
    [
        ({"$": "ndarray", "dtype": "not a dtype", "shape": [1], "blob": 0}, [b"\x00"]),
        ({"$": "ndarray", "dtype": [["a", "<i4"]], "shape": [1], "blob": 0}, [b"\x00" * 4]),
        ({"$": "npscalar", "dtype": "V8", "blob": 0}, [b"\x00" * 8]),
        ({"$": "device", "name": "no such device"}, []),
        ({"$": "tuple"}, []),
        ({"$": "dict", "items": [1]}, []),
        ({"$": "tensor", "dtype": "float32", "shape": [1] * 100, "blob": 0}, [b"\x00" * 4]),
        ({"$": "tensor", "dtype": "float32", "shape": [1 << 62, 0], "blob": 0}, [b""]),
        ({"$": "tensor", "dtype": ["float32"], "shape": [1], "blob": 0}, [b"\x00" * 4]),
        ({"$": "bytes", "blob": True}, [b"x", b"y"]),
        ({"$": "ref", "id": "x"}, []),
    ],
)
def test_known_tags_with_bad_content_are_wire_errors(tree, blobs):
    def handle(doc):
        return ("handle", int(doc["id"]))

    with pytest.raises(wire.WireError):
        wire.decode(tree, blobs, handle)


def test_one_blob_is_never_decoded_twice():
    tensor = {"$": "tensor", "dtype": "uint8", "shape": [4], "blob": 0}
    with pytest.raises(wire.WireError, match="one blob is used by two values"):
        wire.decode([tensor, dict(tensor)], [b"abcd"], lambda d: None)


def test_a_reply_of_a_million_items_is_refused_before_it_is_built():
    body = b'{"doc": {"v": [' + b"[]," * 1_000_000 + b'[]]}, "blobs": []}'
    left, right = socket.socketpair()
    with left, right:
        sender = threading.Thread(target=left.sendall, args=(wire._HEADER.pack(len(body), 0) + body,))
        sender.start()
        with pytest.raises(wire.WireError, match="more than .* items"):
            wire.recv(right)
        sender.join()
