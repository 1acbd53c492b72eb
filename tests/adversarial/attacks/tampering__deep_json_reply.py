# class: tampering
# attack: a reply nested 100,000 deep followed by the real one, to shift every later reply by one
# reason: unreadable reply \(the reply is nested more than \d+ levels deep\)
# honest: 1
import json
import os
import socket
import struct


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
    body = b'{"doc": {"ok": true, "value": ' + b"[" * 100_000 + b"]" * 100_000 + b'}, "blobs": [3]}'
    _channel().sendall(struct.pack(">II", len(body), 3) + body + b"abc")
    return 0  # the worker then sends this real reply too: the next call must not read it
