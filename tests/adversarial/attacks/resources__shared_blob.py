# class: resources
# attack: one 1 MB blob referenced by 64 tensors, each decoded as its own copy in the trusted process
# reason: unreadable reply \(one blob is used by two values\)
# honest: 1
import json
import os
import socket
import struct
import sys
import time


def _channel():
    """The worker's own socket to the trusted process (its descriptor is in the worker's argv)."""
    return socket.socket(fileno=os.dup(int(sys.argv[1])))


def _frame(doc, blobs=()):
    body = json.dumps({"doc": doc, "blobs": [len(b) for b in blobs]}).encode()
    _channel().sendall(struct.pack(">II", len(body), sum(map(len, blobs))) + body + b"".join(blobs))


def honest(x):
    return 2 * x


def answer():
    blob = bytes(1 << 20)
    value = [{"$": "tensor", "dtype": "float32", "shape": [1 << 18], "blob": 0} for _ in range(64)]
    _frame({"ok": True, "value": value}, [blob])
    time.sleep(600)
