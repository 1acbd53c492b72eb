# class: resources
# attack: one 1 MB blob referenced by 64 tensors, each decoded as its own copy in the trusted process
# reason: unreadable reply \(one blob is used by two values\)
# honest: 1
import json
import os
import socket
import struct
import time


def _channel():
    """The worker's own socket to the trusted process: the one socket among its descriptors
    (however the worker was started, cold or forked)."""
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                return socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
    raise RuntimeError("no socket found")


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
