# class: resources
# attack: a 3 MB reply of a million empty lists (hundreds of MB and seconds to decode)
# reason: unreadable reply \(the reply holds more than \d+ items\)
# honest: 1
import os
import socket
import struct
import sys
import time
import json


def _channel():
    """The worker's own socket to the trusted process (its descriptor is in the worker's argv)."""
    return socket.socket(fileno=os.dup(int(sys.argv[1])))


def _frame(doc, blobs=()):
    body = json.dumps({"doc": doc, "blobs": [len(b) for b in blobs]}).encode()
    _channel().sendall(struct.pack(">II", len(body), sum(map(len, blobs))) + body + b"".join(blobs))


def honest(x):
    return 2 * x


def answer():
    body = b'{"doc": {"ok": true, "value": [' + b"[]," * 1_000_000 + b'[]]}, "blobs": []}'
    _channel().sendall(struct.pack(">II", len(body), 0) + body)
    time.sleep(600)
