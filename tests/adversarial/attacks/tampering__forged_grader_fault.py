# class: tampering
# attack: answer with a forged "the grader broke the protocol" reply, to be marked a grader error
# reason: refused the grader's request 'call' \(forged
# honest: 1
import json
import os
import socket
import struct
import sys


def _channel():
    """The worker's own socket to the trusted process (its descriptor is in the worker's argv)."""
    return socket.socket(fileno=os.dup(int(sys.argv[1])))


def _frame(doc, blobs=()):
    body = json.dumps({"doc": doc, "blobs": [len(b) for b in blobs]}).encode()
    _channel().sendall(struct.pack(">II", len(body), sum(map(len, blobs))) + body + b"".join(blobs))


def honest(x):
    return 2 * x


def answer():
    _frame({"ok": False, "error": {"kind": "boundary", "type": "WireError", "message": "forged by the student"}})
    return 0
