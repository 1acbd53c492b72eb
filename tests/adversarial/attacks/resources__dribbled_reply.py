# class: resources
# attack: announce a reply, then dribble it one byte at a time so that no single read times out
# reason: answer took longer than \d+ s and was stopped
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
    body = json.dumps({"doc": {"ok": True, "value": 48151623}, "blobs": []}).encode() + b" " * 400
    sock = _channel()
    sock.sendall(struct.pack(">II", len(body), 0))
    for byte in body[:-1]:  # never the last one
        sock.send(bytes([byte]))
        time.sleep(0.25)
    time.sleep(600)
