"""The worker: the only process where student code runs.

It serves requests from the trusted process over one socket: define a chunk of student code,
seed the RNGs, get an attribute, call something, run a grader helper on a student object. Every
outcome is sent back as a value (result or error), never raised across the boundary. Objects that
are not plain data stay here in a handle table; the trusted side holds only their ids.

`serve()` is separate from process start-up: `python -m grader.run.worker FD` starts a cold
worker from scratch, and the zygote (`grader.run.zygote`), a warm parent that has already
imported torch, forks, confines the fork and calls `Worker(sock).serve()` in it.
"""

from __future__ import annotations

import ast
import itertools
import json
import linecache
import os
import random
import socket
import sys
import traceback
from typing import Any

import numpy as np
import torch

from grader.run import devices, drawings, environment, inworker, wire

# Iterating a student object (parameters(), a generator) brings back at most this many items.
MAX_ITER_ITEMS = 100_000


class _Missing(Exception):
    pass


class Worker:
    def __init__(self, sock: socket.socket) -> None:
        wire._torch()  # the real torch, kept before any student code can touch sys.modules
        self.sock = sock
        self.namespace: dict[str, Any] = {"__name__": "student", "__builtins__": __builtins__}
        self.handles: dict[int, Any] = {}
        self.ids = itertools.count(1)
        self.student_files: set[str] = set()
        self.phase = "request"
        # The figures student code draws, kept for the report (grader/run/drawings.py).
        self.drawings = drawings.Drawings()
        self.drawings.install()

    # -------------------------------------------------------------- plumbing

    def serve(self) -> None:
        while True:
            try:
                doc, blobs = wire.recv(self.sock, max_bytes=wire.MAX_REQUEST_BYTES,
                                       max_doc_bytes=wire.MAX_REQUEST_BYTES, max_items=1 << 40)
            except wire.ChannelClosed:
                return
            # Whose fault a failure is depends on when it happened, never on what was raised:
            # student code may raise any class, the grader's own included.
            self.phase = "request"
            try:
                value = self.dispatch(doc, blobs)
                self.phase = "reply"
                out: list[bytes] = []
                reply = {"ok": True, "value": wire.encode(value, out, self._register)}
            except BaseException as exc:  # student code may raise anything, SystemExit included
                out = []
                reply = {"ok": False, "error": self._describe(exc, self.phase)}
            # Figures this request drew (a function that drew and then raised included): the
            # trusted side counts them and asks for the images once the test is over.
            drawn = self.drawings.newly_noted() if doc.get("op") != "drawings" else 0
            if drawn:
                reply["drawn"] = drawn
            wire.send(self.sock, reply, out)

    def _register(self, obj: Any) -> dict[str, Any]:
        ident = next(self.ids)
        self.handles[ident] = obj
        kind = type(obj)
        return {"$": "handle", "id": ident, "type": f"{kind.__module__}.{kind.__qualname__}",
                "callable": callable(obj)}

    def _lookup(self, doc: dict[str, Any]) -> Any:
        try:
            return self.handles[int(doc["id"])]
        except (KeyError, ValueError, TypeError):
            raise wire.WireError(f"no object with id {doc.get('id')!r} in this worker") from None

    def _args(self, doc: dict[str, Any], blobs: list[bytes]) -> tuple[list[Any], dict[str, Any]]:
        args = wire.decode(doc.get("args", []), blobs, self._lookup)
        kwargs = wire.decode(doc.get("kwargs", {"$": "dict", "items": []}), blobs, self._lookup)
        return list(args), dict(kwargs)

    def _target(self, doc: dict[str, Any]) -> Any:
        return self._lookup(doc["target"])

    def _describe(self, exc: BaseException, phase: str) -> dict[str, Any]:
        if phase == "request":
            kind = "missing" if isinstance(exc, _Missing) else "boundary"
            return {"kind": kind, "type": type(exc).__name__, "message": _safe_str(exc), "traceback": ""}
        if phase == "reply":  # the student's value could not be sent back
            message = _safe_str(exc)
            if type(exc) is not wire.WireError:  # the wording only: the label is the phase's
                message = f"a value the grader cannot receive ({_safe_name(exc)}: {message})"
            return {"kind": "reply", "type": _safe_name(exc), "message": message, "traceback": ""}
        return {
            "kind": "student",
            "type": _safe_name(exc),
            "message": _safe_str(exc),
            "traceback": self._student_traceback(exc),
        }

    def _student_traceback(self, exc: BaseException) -> str:
        """The traceback cut down to the student's own frames, then the exception line."""
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in self.student_files]
            lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
            lines += traceback.format_exception_only(type(exc), exc)
            text = "".join(lines)
            # What a report can show: the start and the end (where the exception line is). The
            # trusted side caps it again; this keeps an honest but huge message under the reply's
            # limit, so the student reads their exception rather than a protocol violation.
            if len(text) > TRACEBACK_CHARS:
                half = TRACEBACK_CHARS // 2
                text = f"{text[:half]}\n[... {len(text) - TRACEBACK_CHARS} characters cut ...]\n{text[-half:]}"
            return text
        except BaseException:
            return f"{type(exc).__name__}"

    # -------------------------------------------------------------- requests

    def dispatch(self, doc: dict[str, Any], blobs: list[Any]) -> Any:
        """Read the request (phase "request"), then run what it asks (phase "student")."""
        op = doc.get("op")
        if op == "sources":
            for filename, text in doc["files"].items():
                self.student_files.add(filename)
                linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            return None
        if op == "define":
            source, filename, first_line = str(doc["source"]), str(doc["filename"]), int(doc["first_line"])
            devices.needed(source)  # CUDA-written code runs on the CPU where there is no GPU
            self.phase = "student"
            tree = ast.parse(source, filename)
            ast.increment_lineno(tree, first_line - 1)
            exec(compile(tree, filename, "exec"), self.namespace)
            return None
        if op == "seed":
            seed = int(doc["seed"])
            self.phase = "student"  # torch or random may have been patched by student code
            torch.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed % 2**32)
            return None
        if op == "names":
            self.phase = "student"
            return sorted(k for k in self.namespace if not k.startswith("__"))
        if op == "global":
            name = str(doc["name"])
            if name not in self.namespace:
                raise _Missing(name)
            self.phase = "student"
            return self.namespace[name]
        if op in ("getattr", "callmethod"):
            target, name = self._target(doc), str(doc["name"])
            args, kwargs = self._args(doc, blobs) if op == "callmethod" else ([], {})
            self.phase = "student"
            attribute = getattr(target, name)
            return attribute(*args, **kwargs) if op == "callmethod" else attribute
        if op == "call":
            target = self._target(doc)
            args, kwargs = self._args(doc, blobs)
            self.phase = "student"
            return target(*args, **kwargs)
        if op == "helper":
            name = doc["name"]
            if name not in inworker.__all__:
                raise wire.WireError(f"no grader helper named {name!r}")
            args, kwargs = self._args(doc, blobs)
            self.phase = "student"  # helpers run student objects
            return getattr(inworker, name)(*args, **kwargs)
        if op == "iter":
            target = self._target(doc)
            self.phase = "student"
            items = list(itertools.islice(iter(target), MAX_ITER_ITEMS + 1))
            if len(items) > MAX_ITER_ITEMS:
                raise ValueError(f"iterating gave more than {MAX_ITER_ITEMS} items")
            return items
        if op == "len":
            target = self._target(doc)
            self.phase = "student"
            return len(target)
        if op == "getitem":
            target, key = self._target(doc), wire.decode(doc["key"], blobs, self._lookup)
            self.phase = "student"
            return target[key]
        if op == "devices":
            return devices.report()
        if op == "drawings":
            self.phase = "student"  # drawing runs student objects (artists, a patched savefig)
            return self.drawings.collect()
        if op == "release":
            for ident in doc["ids"]:
                self.handles.pop(int(ident), None)
            return None
        raise wire.WireError(f"unknown request {op!r}")


def _safe_name(exc: BaseException) -> str:
    try:
        return str(type(exc).__name__)[:200]
    except BaseException:
        return "Exception"


# The longest traceback a reply carries (the report shows at most 8,000 characters of a message).
TRACEBACK_CHARS = 16_000


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except BaseException:
        return "<exception message could not be shown>"


def apply_rlimits(limits: dict[str, int | None]) -> None:
    """Per-process limits, set before any student code runs (soft = hard: they cannot be raised)."""
    import resource

    names = {"fsize": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE,
             "cpu": resource.RLIMIT_CPU, "data": resource.RLIMIT_DATA, "nproc": resource.RLIMIT_NPROC}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    for key, value in limits.items():
        if value is not None and key in names:
            resource.setrlimit(names[key], (int(value), int(value)))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    fd = int(argv[0])
    if len(argv) > 1:
        apply_rlimits(json.loads(argv[1]))
    # One thread: the same float results on every machine, and a fair share of a small host.
    torch.set_num_threads(1)
    environment.prepare()  # the course's packages as on Colab (matplotlib headless, CUDA code on the CPU)
    sock = socket.socket(fileno=fd)
    try:
        Worker(sock).serve()
    finally:
        os._exit(0)  # never run student atexit hooks or finalizers after the channel closes


if __name__ == "__main__":
    main()
