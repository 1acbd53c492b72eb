"""One worker process seen from the trusted side: started by a launcher (cold or forked), inside
its sandbox, with its output drained to a log (bounded) and one exchange at a time on its
channel, each by one deadline; every way it can end is described for the student.
`grader.run.client.StudentRuntime` drives it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grader
from grader.run import cleanup, wire
from grader.run import launcher as launchers
from grader.run.errors import CallTimeout, ProtocolViolation, WorkerDied
from grader.run.sandbox import SandboxLimits, SandboxPolicy

# Student output kept per worker (the rest is read and dropped).
OUTPUT_KEPT_BYTES = 1024 * 1024


def worker_env(home: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's own (tokens, passwords) reaches students."""
    package_parent = str(Path(grader.__file__).resolve().parent.parent)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": package_parent,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",  # what was printed before a kill still reaches the report
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
    }


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        why = {signal.SIGKILL: " (often: out of memory)", signal.SIGSEGV: " (a crash in native code)"}.get(sig, "")
        return f"was killed by {name}{why}"
    return f"exited with code {code}"


class WorkerProcess:
    """One worker process (inside its sandbox when the policy asks for one) and its channel."""

    def __init__(self, workdir: Path, log: Path, policy: SandboxPolicy, limits: SandboxLimits,
                 launcher: launchers.WorkerLauncher | None = None) -> None:
        self.limits = limits
        out_read, out_write = os.pipe()
        self._cleanup = cleanup.register(self.kill)
        try:
            launched = (launcher or launchers.ColdLauncher()).start(workdir, out_write, policy, limits)
        except BaseException:
            os.close(out_read)
            cleanup.unregister(self._cleanup)
            raise
        finally:
            os.close(out_write)
        self.proc, self.sock, self.sandbox = launched.process, launched.sock, launched.sandbox
        self.output = _Output()
        self._drain = threading.Thread(target=_drain, args=(out_read, log, self.output), daemon=True)
        self._drain.start()

    def exchange(self, doc: dict[str, Any], blobs: list[bytes], deadline: float,
                 max_bytes: int = wire.MAX_REPLY_BYTES) -> tuple[dict[str, Any], list[memoryview]]:
        """Send a request and read the whole reply by `deadline` (time.monotonic()), whatever the
        worker does: a late, dribbled, oversized or unreadable reply stops the worker."""
        try:
            wire.send(self.sock, doc, blobs, deadline)
            return wire.recv(self.sock, deadline=deadline, max_bytes=max_bytes)
        except wire.DeadlineExceeded:
            self.kill()
            raise CallTimeout("was stopped at its time limit") from None
        except (wire.ChannelClosed, ConnectionError):
            code = self._reap()
            raise WorkerDied(f"the process running your code {self._describe_exit(code)}") from None
        except wire.WireError as exc:
            self.kill()
            raise ProtocolViolation(f"the process running your code sent an unreadable reply ({exc}); "
                                    "it was stopped") from None
        except OSError:
            code = self._reap()
            raise WorkerDied(f"the process running your code {self._describe_exit(code)}") from None

    def _describe_exit(self, code: int | None) -> str:
        if self.sandbox is not None and self.sandbox.oom_killed():
            return f"was killed for using more than {self.sandbox.limits.memory_mb} MB of memory"
        if self.sandbox is not None and code is not None and code > 128:
            code = 128 - code  # bwrap reports its child's death by signal N as exit status 128 + N
        return _describe_exit(code)

    def _reap(self, grace: float = 2.0) -> int | None:
        try:
            return self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and everything it started, however detached, then clean up."""
        self.proc.kill()  # its process group, or its pidfd (launcher.py)
        if self.sandbox is not None:
            self.sandbox.kill_all()
        try:
            # With a timeout: a signal's cleanup may run while this thread already waits on it.
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self._drain.join(timeout=5)
        if self.sandbox is not None:
            self.sandbox.close()
        self.sock.close()
        cleanup.unregister(self._cleanup)


@dataclass
class _Output:
    """What the drain thread counted: kept as numbers here, never read back from the output."""

    kept: int = 0
    dropped: int = 0


def _drain(fd: int, log: Path, state: _Output) -> None:
    """Copy the worker's output to the log, keeping the first OUTPUT_KEPT_BYTES: reading it all
    means a flood never blocks the worker, and never fills the disk."""
    with os.fdopen(fd, "rb", buffering=0) as pipe, open(log, "ab") as out:
        while chunk := pipe.read(65536):
            room = max(OUTPUT_KEPT_BYTES - state.kept, 0)
            out.write(chunk[:room])
            state.kept += min(len(chunk), room)
            state.dropped += max(len(chunk) - room, 0)
