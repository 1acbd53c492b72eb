"""The zygote: a warm, confined parent that forks one fresh worker per request.

Started by exec inside bubblewrap (`grader.run.launcher.ZygoteLauncher`): a read-only minimal
root, no network, a scrubbed environment; it never sees tests, solutions or submissions, and it
never talks to a worker. It imports torch and torch._dynamo (and torchvision, numpy, matplotlib
where installed), sets one thread and never runs a tensor op (GNU OpenMP does not survive a fork
once a parallel region ran: pytorch#17199), checks that it is single-threaded, then waits on its
control socket.

Each request carries the worker's uid, rlimits and tmpfs size, and three descriptors (SCM_RIGHTS):
the worker's end of its channel, its output pipe and a status pipe. For each, three processes:
  first child   reports to the trusted side on the channel (which learns its pid from the
                kernel's SCM_CREDENTIALS and moves it into the worker's cgroups), waits for "go",
                unshares its namespaces, forks, and reports the exit status of what it forked on
                the status pipe
  PID 1         of the new PID namespace: mounts, descriptors, uid, no capabilities, seccomp; then
                forks the worker and reaps orphans until the worker exits (like bubblewrap's init)
  the worker    says "R" (ready) on the channel and serves: `Worker(sock).serve()`
A step that fails sends "F" and the reason instead, and exits before any student code arrives.

    python -m grader.run.zygote CONTROL_FD FILTER_FD [--warm-up]
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import struct
import sys
from typing import Any

# Replies on a worker's channel before the wire protocol starts (see the launcher).
HELLO, GO, READY, FAILED = b"H", b"G", b"R", b"F"
# Exit status of a child that could not confine itself (never a worker's own code path).
CONFINE_FAILED = 121
MAX_REQUEST = 65536


def _warm_imports() -> list[str]:
    """Import what workers use, without running any of it."""
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    loaded = ["numpy", "torch"]
    # torch._dynamo (with sympy): a worker's first optimizer step imports it, ~1 s of CPU that
    # every worker would pay; it is most of torchvision's import too, so the MNIST assignments'
    # torchvision comes almost free and is not worth leaving out for the others.
    for name in ("torch._dynamo", "torchvision", "matplotlib.pyplot"):
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - optional: a worker imports it itself if it can
            pass
    import grader.run.worker  # noqa: F401
    return loaded


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _exit_code(status: int) -> int:
    """A child's wait status as bubblewrap reports it: the code, or 128 + the signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255


def _say(sock_fd: int, data: bytes) -> None:
    os.write(sock_fd, data)  # a few bytes on a fresh socket: never a partial write


def _read_exact(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _worker(sock_fd: int) -> None:
    """The worker proper, already confined."""
    from grader.run import confine, environment
    from grader.run.worker import Worker

    import numpy as np

    try:
        confine.set_dumpable()
        confine.set_parent_death_signal(signal.SIGKILL)
        np.random.seed()  # the zygote's legacy numpy state is shared by every fork: not a worker's
        environment.prepare()  # as a cold worker: matplotlib headless, CUDA-written code on the CPU
        _say(sock_fd, READY)
    except BaseException:  # noqa: BLE001 - fail closed, whatever went wrong
        os._exit(CONFINE_FAILED)
    try:
        Worker(socket.socket(fileno=sock_fd)).serve()
    finally:
        os._exit(0)  # never run student atexit hooks or finalizers after the channel closes


def _namespace_init(request: dict[str, Any], sock_fd: int, output_fd: int, bpf: bytes) -> None:
    """PID 1 of the worker's namespace: confine, fork the worker, reap until it exits."""
    from grader.run import confine
    from grader.run.worker import apply_rlimits

    try:
        confine.fresh_filesystems(int(request["tmpfs_bytes"]))
        sock_fd = confine.only_descriptors(sock_fd, output_fd)
        os.setsid()  # no controlling terminal (bubblewrap's --new-session)
        apply_rlimits(request["rlimits"])
        confine.drop_privileges(int(request["uid"]))
        confine.load_syscall_filter(bpf)
        confine.set_parent_death_signal(signal.SIGKILL)  # after the uid change, which clears it
    except BaseException as exc:  # noqa: BLE001 - fail closed, whatever went wrong
        try:
            _say(sock_fd, FAILED + str(exc)[:500].encode("utf-8", "replace"))
        finally:
            os._exit(CONFINE_FAILED)
    # As PID 1 it gets only the signals it handles: none, so the worker's code cannot stop it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    worker = os.fork()
    if worker == 0:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any Python process
        _worker(sock_fd)
    os.close(sock_fd)
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    while True:  # orphans of the namespace are reparented here: reap them all
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(255)
        if pid == worker:
            os._exit(_exit_code(status))  # the namespace dies with its PID 1, and all in it


def _first_child(request: dict[str, Any], fds: list[int], control_fd: int, bpf: bytes) -> None:
    from grader.run import confine

    sock_fd, output_fd, status_fd = fds
    code = CONFINE_FAILED
    try:
        os.close(control_fd)  # a worker must never reach the zygote
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        confine.set_parent_death_signal(signal.SIGKILL)
        _say(sock_fd, HELLO)  # the trusted side reads our pid from the kernel's credentials
        if _read_exact(sock_fd, 1) != GO:  # ... and has moved us into the worker's cgroups
            raise confine.ConfinementFailed("the trusted side did not say go")
        confine.new_namespaces()
        init = os.fork()
        if init == 0:
            os.close(status_fd)
            _namespace_init(request, sock_fd, output_fd, bpf)
        os.close(sock_fd)
        os.close(output_fd)
        _, status = os.waitpid(init, 0)
        code = _exit_code(status)
    except BaseException as exc:  # noqa: BLE001 - fail closed, whatever went wrong
        try:
            _say(sock_fd, FAILED + str(exc)[:500].encode("utf-8", "replace"))
        except OSError:
            pass
    try:
        os.write(status_fd, struct.pack("i", code))
    finally:
        os._exit(0)


def serve(control: socket.socket, bpf: bytes) -> None:
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 3)
        except (ConnectionError, OSError):
            return
        if not data:
            return  # the trusted side went away: so does the zygote
        try:
            request = json.loads(data)
            if len(fds) != 3:
                raise ValueError(f"expected 3 descriptors, got {len(fds)}")
            sys.stdout.flush()
            sys.stderr.flush()
            child = os.fork()
            if child == 0:
                _first_child(request, fds, control.fileno(), bpf)
            reply = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - the trusted side decides what to do
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        control.sendall(json.dumps(reply).encode())


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    control = socket.socket(fileno=int(argv[0]))
    with os.fdopen(int(argv[1]), "rb") as source:
        bpf = source.read()
    loaded = _warm_imports()
    if "--warm-up" in argv:  # tests only: prove a fork after a tensor op still works
        import torch

        (torch.ones(256, 256) @ torch.ones(256, 256)).sum().item()
    # What the imports made is never garbage: out of the collector's sight, a worker's collections
    # never walk it (a full one would walk ~400,000 objects, 0.2 s, and copy every page it
    # touches, since a collection writes into the objects it visits).
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # first children are reaped by the kernel
    threads = _threads()
    ready = {"ready": threads == 1, "threads": threads, "modules": loaded}
    control.sendall(json.dumps(ready).encode())
    if threads == 1:  # forking a multi-threaded process is not safe: refuse, the launcher goes cold
        serve(control, bpf)
    os._exit(0)


if __name__ == "__main__":
    main()
