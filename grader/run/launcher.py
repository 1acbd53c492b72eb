"""How a worker process comes to be: started cold (exec, imports torch) or forked warm (zygote).

A launcher starts one worker and hands `WorkerProcess` what it needs: a process handle (to kill
and reap it), the trusted end of its channel, and its `Sandbox` (cgroups: OOM checks, cleanup).
Both launchers give the worker the same confinement (SECURITY.md, "Warm workers").

- `ColdLauncher`: sh (joins the cgroups) -> bwrap -> setpriv -> python -m grader.run.worker.
- `ZygoteLauncher`: one zygote per launcher (`grader.run.zygote`, exec'd inside bubblewrap, torch
  imported once); each worker is a fork of it that confines itself (`grader.run.confine`). Used
  only where the full sandbox is (root, cgroups, Linux); elsewhere it starts workers cold. If the
  zygote cannot start or a child cannot confine itself, it logs why and starts that worker and
  every later one cold: a cold worker keeps every guarantee, so falling back costs time, never
  safety (pass strict=True to raise instead, as tests do).

`GRADER_WARM_WORKERS=1` makes the zygote the default launcher (`default_launcher`).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from grader.run import zygote
from grader.run.sandbox import (Sandbox, SandboxLimits, SandboxPolicy, _syscall_filter, bwrap_argv,
                                cgroups_writable, is_root, linux, worker_rlimits)

log = logging.getLogger(__name__)
# The zygote imports torch once; a worker's own start-up is a few forks and mounts.
ZYGOTE_START_SECONDS = 180.0
FORK_SECONDS = 30.0
_CRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class WorkerHandle(Protocol):
    """The part of a process `WorkerProcess` uses (Popen-like)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def kill(self) -> None: ...


@dataclass(frozen=True)
class Launched:
    process: WorkerHandle
    sock: socket.socket
    sandbox: Sandbox | None


class WorkerLauncher(Protocol):
    name: str

    def start(self, workdir: Path, output_fd: int, policy: SandboxPolicy, limits: SandboxLimits) -> Launched:
        """Start one worker whose stdout and stderr go to `output_fd` (the caller closes it)."""
        ...


class ColdProcess(subprocess.Popen):
    def kill(self) -> None:
        """The worker and everything it started (its own session and process group)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class ColdLauncher:
    """A fresh process per worker: exec, then import torch."""

    name = "cold"

    def start(self, workdir: Path, output_fd: int, policy: SandboxPolicy, limits: SandboxLimits) -> Launched:
        from grader.run.process import worker_env

        parent, child = socket.socketpair()
        sandbox: Sandbox | None = None
        sandboxed = policy.enabled and linux()
        rlimits = worker_rlimits(limits, sandboxed)
        argv = [sys.executable, "-m", "grader.run.worker", str(child.fileno()), json.dumps(rlimits)]
        env = worker_env(workdir)
        fds = [child.fileno()]
        if sandboxed:
            sandbox = Sandbox(limits)
            argv, fds = sandbox.command(argv, env, child.fileno())
        try:
            proc = ColdProcess(
                argv,
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=output_fd,
                stderr=output_fd,
                cwd=workdir,
                env=env,
                # Its own session and process group: one kill reaches what it spawns.
                start_new_session=True,
            )
        except BaseException:
            parent.close()
            if sandbox is not None:
                sandbox.close()
            raise
        finally:
            for fd in fds[1:]:
                os.close(fd)
            child.close()
        return Launched(proc, parent, sandbox)


def zygote_possible(policy: SandboxPolicy) -> bool:
    """Forked workers confine themselves as root, with cgroups: only where a cold one is as strong."""
    return (policy.enabled and linux() and is_root() and cgroups_writable()
            and hasattr(os, "pidfd_open") and shutil.which("bwrap") is not None)


class ZygoteUnavailable(Exception):
    """The zygote could not start, or a forked worker could not confine itself."""


class ZygoteProcess:
    """A forked worker, seen through its first child: a pidfd to kill it (never a bare pid,
    which could be reused), and a status pipe on which that child reports the exit status."""

    def __init__(self, pid: int, pidfd: int, status_fd: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = pidfd
        self._status = status_fd

    def _collect(self, timeout: float | None) -> bool:
        if self.returncode is not None:
            return True
        ready, _, _ = select.select([self._status], [], [], timeout)
        if not ready:
            return False
        data = zygote._read_exact(self._status, 8)  # the code (4 bytes), then end of file
        code = struct.unpack("i", data[:4])[0] if len(data) >= 4 else 128 + signal.SIGKILL
        self.returncode = code
        os.close(self._status)
        os.close(self._pidfd)
        return True

    def poll(self) -> int | None:
        self._collect(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._collect(timeout):
            raise subprocess.TimeoutExpired("zygote worker", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _recv_with_creds(sock: socket.socket, size: int, deadline: float) -> tuple[bytes, tuple[int, int, int] | None]:
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    data, ancillary, _, _ = sock.recvmsg(size, socket.CMSG_SPACE(_CRED.size))
    creds = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= _CRED.size:
            creds = _CRED.unpack(payload[:_CRED.size])
    return data, creds


class ZygoteLauncher:
    """Workers forked from one warm, confined zygote (started on first use, or by `warm()`)."""

    name = "zygote"

    def __init__(self, *, strict: bool = False, warm_up: bool = False) -> None:
        self.strict = strict
        self.warm_up = warm_up      # tests only: the zygote runs a tensor op before forking
        self.forks = 0              # workers forked (tests check that they were)
        self.broken: str | None = None
        self.modules: list[str] = []
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._filter: bytes = b""
        self._dir: Path | None = None

    # -------------------------------------------------------------- the zygote

    def warm(self, policy: SandboxPolicy, wait: bool = False) -> None:
        """Start the zygote now: it imports torch while the caller does something else (or,
        with `wait`, until it is ready to fork)."""
        if not zygote_possible(policy):
            return
        with self._lock:
            if self.broken is not None:
                return
            try:
                if self._control is None:
                    self._spawn_nowait()
                if wait:
                    self._ensure()
            except ZygoteUnavailable as exc:
                if self.strict:
                    raise
                log.warning("%s; workers start cold (same confinement, slower start).", exc)
                self.broken = str(exc)

    def _spawn_nowait(self) -> None:
        from grader.run.process import worker_env

        self._dir = Path(tempfile.mkdtemp(prefix="grader-zygote-"))
        bpf_path = _syscall_filter(self._dir / "filter.bpf")
        self._filter = bpf_path.read_bytes()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        filter_fd = os.open(bpf_path, os.O_RDONLY)
        argv = [sys.executable, "-m", "grader.run.zygote", str(theirs.fileno()), str(filter_fd)]
        if self.warm_up:
            argv.append("--warm-up")
        env = worker_env(Path("/home/student"))
        command = [
            *bwrap_argv(SandboxLimits(), env),
            # The zygote's children build namespaces and mounts, then drop to their own uid:
            # it keeps only those rights; none of its children keeps any (`confine`).
            "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
            "--cap-add", "CAP_SETPCAP", "--", *argv,
        ]
        errors = open(self._dir / "zygote.log", "wb")
        started: dict[str, object] = {}
        ready = threading.Event()

        def keeper() -> None:
            # bwrap's --die-with-parent follows the *thread* that started it: this one lives as
            # long as the zygote, whichever thread of the grader asked for the first worker.
            try:
                started["proc"] = subprocess.Popen(
                    command, pass_fds=[theirs.fileno(), filter_fd], stdin=subprocess.DEVNULL,
                    stdout=errors, stderr=errors, env=env, cwd="/", start_new_session=True)
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                started["error"] = exc
            finally:
                ready.set()
            if "proc" in started:
                started["proc"].wait()  # type: ignore[attr-defined]

        threading.Thread(target=keeper, name="grader-zygote", daemon=True).start()
        ready.wait()
        errors.close()
        theirs.close()
        os.close(filter_fd)
        if "error" in started:
            ours.close()
            raise ZygoteUnavailable(f"the zygote could not be started ({started['error']})")
        self._proc = started["proc"]  # type: ignore[assignment]
        self._control = ours

    def _ensure(self) -> socket.socket:
        if self.broken is not None:
            raise ZygoteUnavailable(self.broken)
        if self._control is None:
            self._spawn_nowait()
        assert self._control is not None
        if not self.modules:
            self._control.settimeout(ZYGOTE_START_SECONDS)
            try:
                ready = json.loads(self._control.recv(65536) or b"{}")
            except (OSError, ValueError):
                ready = {}
            if not ready.get("ready"):
                why = (f"it is not single-threaded after its imports ({ready['threads']} threads)"
                       if "threads" in ready else f"it did not start ({self._zygote_log()})")
                raise ZygoteUnavailable(f"the zygote cannot fork workers: {why}")
            self.modules = list(ready.get("modules", []))
        return self._control

    def _zygote_log(self) -> str:
        try:
            text = (self._dir / "zygote.log").read_bytes()[-2000:].decode("utf-8", "replace") if self._dir else ""
        except OSError:
            text = ""
        return text.strip().splitlines()[-1] if text.strip() else "no output"

    def close(self) -> None:
        with self._lock:
            if self._control is not None:
                self._control.close()
                self._control = None
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None

    # -------------------------------------------------------------- workers

    def start(self, workdir: Path, output_fd: int, policy: SandboxPolicy, limits: SandboxLimits) -> Launched:
        if not zygote_possible(policy):
            if self.strict:
                raise ZygoteUnavailable("forked workers need the full sandbox: root, cgroups and bubblewrap on Linux")
            return ColdLauncher().start(workdir, output_fd, policy, limits)
        with self._lock:
            try:
                return self._fork(limits, output_fd)
            except ZygoteUnavailable as exc:
                if self.strict:
                    raise
                if self.broken is None:
                    log.warning("%s; workers start cold from now on (same confinement, slower start).", exc)
                self.broken = str(exc)
        return ColdLauncher().start(workdir, output_fd, policy, limits)

    def _fork(self, limits: SandboxLimits, output_fd: int) -> Launched:
        control = self._ensure()
        sandbox = Sandbox(limits)
        parent, child = socket.socketpair()
        status_r, status_w = os.pipe()
        pidfd = -1
        try:
            sandbox.allocate()
            if sandbox.cgroup is None or sandbox.uid is None:
                raise ZygoteUnavailable("forked workers need cgroups of their own")
            # The kernel attaches the sender's pid and uid to each message: the first child's
            # pid (as this process sees it) and, at the end, the worker's uid.
            parent.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            request = self._request(sandbox, limits)
            control.settimeout(FORK_SECONDS)
            try:
                socket.send_fds(control, [json.dumps(request).encode()], [child.fileno(), output_fd, status_w])
                reply = json.loads(control.recv(65536) or b"{}")
            except (OSError, ValueError) as exc:
                raise ZygoteUnavailable(f"the zygote stopped answering ({exc}; {self._zygote_log()})") from None
            finally:
                child.close()
                os.close(status_w)
            if not reply.get("ok"):
                raise ZygoteUnavailable(f"the zygote could not fork: {reply.get('error', 'no reply')}")
            deadline = time.monotonic() + FORK_SECONDS
            hello, creds = self._step(parent, deadline, zygote.HELLO)
            if creds is None or creds[0] <= 0:
                raise ZygoteUnavailable("the forked worker's pid did not come with its first message")
            pidfd = os.pidfd_open(creds[0])
            # Into its cgroups before it forks anything: every later process is counted and killed.
            for path in sandbox.cgroup.paths:
                (path / "cgroup.procs").write_text(str(creds[0]))
            parent.sendall(zygote.GO)
            _, ready = self._step(parent, deadline, zygote.READY)
            if ready is None or ready[1] != sandbox.uid:
                raise ZygoteUnavailable(f"the forked worker runs as uid {ready and ready[1]}, not {sandbox.uid}")
            parent.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 0)
            parent.settimeout(None)
        except BaseException:
            if pidfd >= 0:
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.close(pidfd)
            sandbox.close()  # kills whatever joined its cgroups
            parent.close()
            os.close(status_r)
            raise
        self.forks += 1
        return Launched(ZygoteProcess(creds[0], pidfd, status_r), parent, sandbox)

    @staticmethod
    def _request(sandbox: Sandbox, limits: SandboxLimits) -> dict[str, object]:
        """What a fork needs to confine itself (no secret: it reaches the zygote)."""
        return {"uid": sandbox.uid, "rlimits": worker_rlimits(limits, True), "tmpfs_bytes": limits.tmpfs_mb << 20}

    def _step(self, sock: socket.socket, deadline: float, expected: bytes) -> tuple[bytes, tuple[int, int, int] | None]:
        try:
            data, creds = _recv_with_creds(sock, 1024, deadline)
        except OSError as exc:
            raise ZygoteUnavailable(f"the forked worker did not report ({exc})") from None
        if data[:1] != expected:
            why = data[1:].decode("utf-8", "replace") if data[:1] == zygote.FAILED else "it stopped"
            raise ZygoteUnavailable(f"a forked worker could not confine itself: {why or 'no reason given'}")
        return data, creds


_shared: ZygoteLauncher | None = None
_shared_lock = threading.Lock()


def shared_zygote() -> ZygoteLauncher:
    """One zygote for this process, closed when it exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ZygoteLauncher()
            atexit.register(_shared.close)
        return _shared


def default_launcher() -> WorkerLauncher:
    """Cold, unless GRADER_WARM_WORKERS=1 asks for the zygote (which itself goes cold where it
    cannot be used)."""
    if os.environ.get("GRADER_WARM_WORKERS") == "1":
        return shared_zygote()
    return ColdLauncher()
