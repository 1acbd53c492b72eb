# class: resources
# attack: a 3 MB reply of a million empty lists (hundreds of MB and seconds to decode)
# reason: unreadable reply \(the reply holds more than \d+ items\)
# honest: 1
import os
import socket
import struct
import time
import json


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
    body = b'{"doc": {"ok": true, "value": [' + b"[]," * 1_000_000 + b'[]]}, "blobs": []}'
    _channel().sendall(struct.pack(">II", len(body), 0) + body)
    time.sleep(600)
