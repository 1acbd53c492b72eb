# class: tampering
# attack: answer with a forged "the grader broke the protocol" reply, to be marked a grader error
# reason: refused the grader's request 'call' \(forged
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
    _frame({"ok": False, "error": {"kind": "boundary", "type": "WireError", "message": "forged by the student"}})
    return 0
