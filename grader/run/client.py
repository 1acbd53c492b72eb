"""The trusted side of the worker: start it, load the student's code into it, send requests,
and turn every way it can go wrong (exception, timeout, death, garbage) into a typed outcome.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader
from grader.assignment import Limits
from grader.extract.source import StudentCode
from grader.results import Problem
from grader.run import wire
from grader.run.errors import CallTimeout, GraderFault, MissingName, StudentError, WorkerDied
from grader.run.proxy import Handle
from grader.run.sandbox import Sandbox, SandboxLimits, SandboxPolicy, linux, worker_rlimits

# Starting a worker imports torch (seconds; much more on a cold disk): not the student's time.
STARTUP_SECONDS = 180.0
# Student output kept per worker (the rest is read and dropped), and what the report shows.
OUTPUT_KEPT_BYTES = 1024 * 1024
OUTPUT_SHOWN_BYTES = 64 * 1024


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

    def __init__(self, workdir: Path, log: Path, policy: SandboxPolicy, limits: SandboxLimits) -> None:
        parent, child = socket.socketpair()
        self.sock = parent
        self.sandbox: Sandbox | None = None
        self.limits = limits
        sandboxed = policy.enabled and linux()
        rlimits = worker_rlimits(limits, sandboxed)
        argv = [sys.executable, "-m", "grader.run.worker", str(child.fileno()), json.dumps(rlimits)]
        env = worker_env(workdir)
        fds = [child.fileno()]
        if sandboxed:
            self.sandbox = Sandbox(limits)
            argv, fds = self.sandbox.command(argv, env, child.fileno())
        out_read, out_write = os.pipe()
        try:
            self.proc = subprocess.Popen(
                argv,
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=out_write,
                stderr=out_write,
                cwd=workdir,
                env=env,
                # Its own session and process group: one kill reaches what it spawns.
                start_new_session=True,
            )
        finally:
            os.close(out_write)
            for fd in fds[1:]:
                os.close(fd)
            child.close()
        self._drain = threading.Thread(target=_drain, args=(out_read, log), daemon=True)
        self._drain.start()

    def exchange(self, doc: dict[str, Any], blobs: list[bytes], timeout: float) -> tuple[dict[str, Any], list[bytes]]:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            wire.send(self.sock, doc, blobs)
            return wire.recv(self.sock)
        except (TimeoutError, socket.timeout):
            self.kill()
            raise CallTimeout(f"took longer than {timeout:g} s and was stopped") from None
        except (wire.ChannelClosed, ConnectionError, OSError):
            code = self._reap()
            raise WorkerDied(f"the process running your code {self._describe_exit(code)}") from None
        except wire.WireError as exc:
            self.kill()
            raise WorkerDied(f"the process running your code sent an unreadable reply ({exc})") from None

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
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.sandbox is not None:
            self.sandbox.kill_all()
        self.proc.wait()
        self._drain.join(timeout=5)
        if self.sandbox is not None:
            self.sandbox.close()
        self.sock.close()


def _drain(fd: int, log: Path) -> None:
    """Copy the worker's output to the log, keeping the first OUTPUT_KEPT_BYTES: reading it all
    means a flood never blocks the worker, and never fills the disk."""
    kept = dropped = 0
    with os.fdopen(fd, "rb", buffering=0) as pipe, open(log, "ab") as out:
        while chunk := pipe.read(65536):
            room = max(OUTPUT_KEPT_BYTES - kept, 0)
            out.write(chunk[:room])
            kept += min(len(chunk), room)
            dropped += max(len(chunk) - room, 0)
        if dropped:
            out.write(f"\n[... {dropped} more bytes of output were dropped ...]\n".encode())


@dataclass
class StudentRuntime:
    """The student's code loaded in a worker; restarted, fresh, after a timeout or a crash."""

    code: StudentCode
    limits: Limits
    workdir: Path
    deadline: float
    policy: SandboxPolicy = field(default_factory=SandboxPolicy)
    problems: list[Problem] = field(default_factory=list)
    generation: int = 0
    starts: int = 0
    # Per-test limit for one call, set by the test runner from the test's `time_limit` marker.
    call_limit: float | None = None
    # Per-test sandbox limits (the `sandbox_limits` marker): a worker started with other limits
    # is replaced before the test's first call.
    sandbox_overrides: dict[str, Any] = field(default_factory=dict)
    _worker: WorkerProcess | None = None
    _skipped: set[int] = field(default_factory=set)

    @property
    def log(self) -> Path:
        return self.workdir / "output.log"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    # -------------------------------------------------------------- life cycle

    @property
    def sandbox_limits(self) -> SandboxLimits:
        return SandboxLimits.from_limits(self.limits, **self.sandbox_overrides)

    def ensure(self) -> None:
        if self._worker is not None and self._worker.alive and self._worker.limits == self.sandbox_limits:
            return
        self._start()

    def _start(self) -> None:
        first = self.starts == 0
        while True:
            self.close()
            self.generation += 1
            self.starts += 1
            home = self.workdir / "home"
            home.mkdir(parents=True, exist_ok=True)
            self._worker = WorkerProcess(home, self.log, self.policy, self.sandbox_limits)
            try:
                self._raw("sources", min(STARTUP_SECONDS, max(self.remaining(), 1.0)), files=self.code.sources)
            except CallTimeout:
                raise CallTimeout("the worker did not start in time") from None
            except WorkerDied as exc:
                raise GraderFault(f"the worker could not start: {exc}") from None
            if self._define_all(report=first):
                return

    def _define_all(self, report: bool) -> bool:
        """Define each chunk in turn. False when one ran away: the worker is restarted without it."""
        for index, chunk in enumerate(self.code.chunks):
            if index in self._skipped:
                continue
            limit = min(self.limits.load_seconds, max(self.remaining(), 0.001))
            try:
                self._raw("define", limit, filename=chunk.filename, first_line=chunk.first_line, source=chunk.source)
            except StudentError as exc:
                if report and chunk.kind == "import" and exc.exc_type in ("ModuleNotFoundError", "ImportError"):
                    # Never the student's fault: the grading environment lacks what they import.
                    self.problems.append(Problem(
                        message=f"{chunk.where}: the grading machine cannot import what this line needs "
                        f"({exc.message[:200]}); that is a gap in the grader's environment, not a fault of your code.",
                        where=chunk.where, hint="Tell your instructor which package is missing.", severity="error"))
                elif report:
                    self.problems.append(Problem(
                        message=f"{chunk.where}: defining {', '.join(chunk.defines)} raised {exc.exc_type}; "
                        "code that needs it will fail.",
                        where=chunk.where, hint=exc.student_traceback.strip()[-500:], severity="warning"))
            except (CallTimeout, WorkerDied) as exc:
                self._skipped.add(index)
                names = ", ".join(chunk.defines)
                what = (f"the top-level statement defining {names} ran longer than {limit:g} s"
                        if isinstance(exc, CallTimeout) else f"while defining {names}, {exc}")
                self.problems.append(Problem(
                    message=f"{chunk.where}: {what}; it was skipped.",
                    where=chunk.where,
                    hint="Keep long computations inside functions or under `if __name__ == \"__main__\":`.",
                    severity="warning"))
                if self.remaining() <= 0:
                    raise CallTimeout("the submission's time budget ran out while loading it") from None
                return False
        return True

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None

    def output(self) -> str:
        if not self.log.exists():
            return ""
        data = self.log.read_bytes()
        if len(data) <= OUTPUT_SHOWN_BYTES:
            return data.decode("utf-8", "replace")
        dropped = sum(int(n) for n in re.findall(rb"\[\.\.\. (\d+) more bytes of output were dropped", data))
        note = f"\n[... output cut: the first {OUTPUT_SHOWN_BYTES >> 10} KB of {(len(data) + dropped) >> 10} KB are shown"
        note += f"; {dropped} more bytes of output were dropped while grading ...]" if dropped else " ...]"
        return data[:OUTPUT_SHOWN_BYTES].decode("utf-8", "replace") + note

    # -------------------------------------------------------------- requests

    def _raw(self, op: str, timeout: float, blobs: list[bytes] | None = None, **fields: Any) -> Any:
        assert self._worker is not None
        reply, reply_blobs = self._worker.exchange({"op": op, **fields}, blobs or [], timeout)
        if reply.get("ok") is True:
            try:
                return wire.decode(reply.get("value"), reply_blobs, self._handle)
            except wire.WireError as exc:
                self.close()
                raise WorkerDied(f"the process running your code sent an unreadable value ({exc})") from None
        error = reply.get("error") or {}
        kind = error.get("kind")
        if kind == "missing":
            name = str(error.get("message", "?"))
            raise MissingName(name, self.code.suggestion(name))
        if kind == "boundary":
            raise GraderFault(f"request {op!r} broke the protocol: {error.get('message')}")
        raise StudentError(
            str(fields.get("what", "your code")),
            str(error.get("type", "Exception")),
            str(error.get("message", "")),
            str(error.get("traceback", "")),
        )

    def _handle(self, doc: dict[str, Any]) -> Handle:
        if doc.get("$") != "handle":
            raise wire.WireError("references only travel to the worker")
        return Handle(self, self.generation, int(doc["id"]), str(doc.get("type", "object")), bool(doc.get("callable")))

    def _ref(self, value: Any) -> dict[str, Any]:
        if isinstance(value, Handle):
            runtime, generation, ident = value._h_origin()
            if runtime is not self or generation != self.generation:
                raise GraderFault("a handle from a worker that was restarted was used again")
            return {"$": "ref", "id": ident}
        raise GraderFault(
            f"a {type(value).__name__} cannot be sent to student code; send tensors, numbers, "
            "strings, containers of them, or handles"
        )

    def request(self, op: str, *, what: str, timeout: float | None = None,
                args: tuple = (), kwargs: dict | None = None, **fields: Any) -> Any:
        """Send one request; `what` names the student code in messages ("MLPNet.forward")."""
        self.ensure()
        limit = timeout if timeout is not None else (self.call_limit or self.limits.call_seconds)
        budget = self.remaining()
        if budget <= 0:
            raise CallTimeout("not run: the submission used up its time budget")
        blobs: list[bytes] = []
        payload = dict(fields)
        if op in ("call", "callmethod", "helper"):
            payload["args"] = wire.encode(list(args), blobs, self._ref)
            payload["kwargs"] = wire.encode(dict(kwargs or {}), blobs, self._ref)
        for key in ("target", "key"):
            if key in payload:
                payload[key] = wire.encode(payload[key], blobs, self._ref)
        try:
            return self._raw(op, min(limit, budget), blobs, what=what, **payload)
        except CallTimeout as exc:
            raise CallTimeout(f"{what} {exc}") from None
        except WorkerDied as exc:
            raise WorkerDied(f"while running {what}, {exc}") from None
