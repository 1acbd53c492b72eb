"""The trusted side of the worker: start it (`grader.run.process`), load the student's code into
it, send requests, and turn every way it can go wrong (exception, timeout, death, garbage) into a
typed outcome.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment import Limits
from grader.extract.source import StudentCode
from grader.results import Problem
from grader.run import wire
from grader.run import launcher as launchers
from grader.run.errors import (
    CallTimeout, GraderFault, MissingName, ProtocolViolation, StudentError, UnsendableValue, WorkerDied,
)
from grader.run.process import WorkerProcess
from grader.run.proxy import Handle
from grader.run.sandbox import SandboxLimits, SandboxPolicy

# Starting a worker imports torch (seconds; much more on a cold disk): not the student's time.
STARTUP_SECONDS = 180.0
# Student output the report shows (a worker keeps process.OUTPUT_KEPT_BYTES of it).
OUTPUT_SHOWN_BYTES = 64 * 1024
# Figures noted as drawn between two collections (one per test): more are never asked for.
MAX_DRAWN_NOTED = 64


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
    # The exercise of the test now running, set by the test runner (see `_overtime`).
    exercise: str = ""
    # Per-test sandbox limits (the `sandbox_limits` marker): a worker started with other limits
    # is replaced before the test's first call.
    sandbox_overrides: dict[str, Any] = field(default_factory=dict)
    # Largest reply one call may bring back (wire.MAX_REPLY_BYTES); a test moving more raises it.
    max_reply_bytes: int = wire.MAX_REPLY_BYTES
    # Output the drain threads of finished workers read and dropped (counted, never parsed back).
    dropped_output: int = 0
    # How workers start (cold exec or zygote fork); None: `launcher.default_launcher()`.
    launcher: launchers.WorkerLauncher | None = None
    _worker: WorkerProcess | None = None
    # A worker started ahead (`prestart`), not yet given the student's code.
    _spare: WorkerProcess | None = None
    _skipped: set[int] = field(default_factory=set)
    # Whether the current worker has run any student code: from then on it speaks for the student.
    _student_ran: bool = False
    # Hung code costs its exercise, not the whole class's grading time: once a call of an
    # exercise is stopped at its limit, the exercise's later calls share one more limit (seconds
    # left, by exercise). Correct code never gets here; code that hangs on one input and not
    # another still has a whole limit for the rest of its tests.
    _overtime: dict[str, float] = field(default_factory=dict)
    # Figures the current worker said were drawn since they were last collected: (op, what) of
    # the request that drew each, oldest first (grader/run/drawn.py asks for them after a test).
    _drawn_by: list[tuple[str, str]] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.workdir / "output.log"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    # -------------------------------------------------------------- life cycle

    @property
    def sandbox_limits(self) -> SandboxLimits:
        return SandboxLimits.from_limits(self.limits, **self.sandbox_overrides)

    def prestart(self) -> None:
        """Start the first worker now without waiting for it: it gets ready (a cold one imports
        torch) while this process collects the tests, instead of after. Never raises: a worker
        that cannot start fails where it is needed, with the reason."""
        if self._worker is not None or self._spare is not None:
            return
        try:
            self._spare = self._spawn()
        except Exception:  # noqa: BLE001 - started again, and explained, by the first `ensure`
            self._spare = None

    def _spawn(self) -> WorkerProcess:
        home = self.workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        return WorkerProcess(home, self.log, self.policy, self.sandbox_limits,
                             self.launcher or launchers.default_launcher())

    def _take_spare(self) -> WorkerProcess | None:
        spare, self._spare = self._spare, None
        if spare is not None and spare.alive and spare.limits == self.sandbox_limits:
            return spare
        if spare is not None:
            spare.kill()
            self.dropped_output += spare.output.dropped
        return None

    def ensure(self) -> None:
        if self._worker is not None and self._worker.alive and self._worker.limits == self.sandbox_limits:
            return
        self._start()

    def _start(self) -> None:
        """A fresh worker with every chunk defined, or an exception and no worker at all: a worker
        whose loading was interrupted is never used half-loaded."""
        try:
            self._load()
        except BaseException:
            self.close()
            raise

    def _load(self) -> None:
        first = self.starts == 0
        deaths: dict[int, int] = {}
        while True:
            self._close_worker()
            self.generation += 1
            self.starts += 1
            self._worker = self._take_spare() or self._spawn()
            self._student_ran = False
            try:
                self._raw("sources", min(STARTUP_SECONDS, max(self.remaining(), 1.0)), files=self.code.sources)
            except CallTimeout:
                raise CallTimeout("the worker did not start in time") from None
            except (WorkerDied, ProtocolViolation) as exc:
                raise GraderFault(f"the worker could not start: {exc}") from None
            if self._define_all(report=first, deaths=deaths):
                return

    def _define_all(self, report: bool, deaths: dict[int, int]) -> bool:
        """Define each chunk in turn. False when one ran away: the worker is restarted without it.

        A chunk that runs past `load_seconds` is skipped. A worker that dies while a chunk is
        defined may have been killed by something an earlier chunk started (a thread, a timer): the
        chunk is tried once more in a fresh worker, and skipped only if that one dies on it too.
        """
        for index, chunk in enumerate(self.code.chunks):
            if index in self._skipped:
                continue
            budget = self.remaining()
            if budget <= 0:
                raise CallTimeout("the submission's time budget ran out while loading it")
            limit = min(self.limits.load_seconds, budget)
            self._student_ran = True
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
            except (CallTimeout, WorkerDied, ProtocolViolation, UnsendableValue) as exc:
                if isinstance(exc, CallTimeout) and limit < self.limits.load_seconds:
                    # Cut short by the submission's budget, not by its own length: not the chunk's fault.
                    raise CallTimeout("the submission's time budget ran out while loading it") from None
                if isinstance(exc, WorkerDied):
                    deaths[index] = deaths.get(index, 0) + 1
                    if deaths[index] < 2:
                        return False  # a fresh worker, the same chunks: was it this one?
                self._skipped.add(index)
                names = ", ".join(chunk.defines)
                what = (f"the top-level statement defining {names} ran longer than {limit:g} s"
                        if isinstance(exc, CallTimeout) else f"while defining {names}, {exc.message}")
                self.problems.append(Problem(
                    message=f"{chunk.where}: {what}; it was skipped.",
                    where=chunk.where,
                    hint="Keep long computations inside functions or under `if __name__ == \"__main__\":`.",
                    severity="warning"))
                return False
        return True

    def close(self) -> None:
        self._close_worker()
        self._take_spare()

    def _close_worker(self) -> None:
        self._drawn_by = []  # a worker's figures go with it
        if self._worker is not None:
            self._worker.kill()
            self.dropped_output += self._worker.output.dropped
            self._worker = None

    def output(self) -> str:
        if not self.log.exists():
            return ""
        with open(self.log, "rb") as log:
            data = log.read(OUTPUT_SHOWN_BYTES + 1)
            size = os.fstat(log.fileno()).st_size
        dropped = self.dropped_output + (self._worker.output.dropped if self._worker is not None else 0)
        if size <= OUTPUT_SHOWN_BYTES and not dropped:
            return data.decode("utf-8", "replace")
        note = f"\n[... output cut: the first {OUTPUT_SHOWN_BYTES >> 10} KB of {(size + dropped) >> 10} KB are shown"
        note += f"; {dropped} more bytes of output were dropped while grading ...]" if dropped else " ...]"
        return data[:OUTPUT_SHOWN_BYTES].decode("utf-8", "replace") + note

    # -------------------------------------------------------------- requests

    def _raw(self, op: str, timeout: float, blobs: list[bytes] | None = None, *,
             max_reply_bytes: int | None = None, **fields: Any) -> Any:
        """One exchange: request sent, whole reply read and decoded, all by one deadline."""
        assert self._worker is not None
        deadline = time.monotonic() + timeout
        worker = self._worker
        try:
            reply, reply_blobs = worker.exchange({"op": op, **fields}, blobs or [], deadline,
                                                 max_reply_bytes or self.max_reply_bytes)
        except CallTimeout:
            raise CallTimeout(f"took longer than {timeout:g} s and was stopped") from None
        self._note_drawn(reply.get("drawn"), op, str(fields.get("what", "")))
        try:
            return self._read_reply(op, fields, reply, reply_blobs, deadline)
        except wire.DeadlineExceeded:
            self.close()
            raise CallTimeout(f"took longer than {timeout:g} s and was stopped") from None
        except wire.WireError as exc:
            self.close()
            raise ProtocolViolation(f"the process running your code sent an unreadable reply ({exc}); "
                                    "it was stopped") from None

    def _note_drawn(self, count: Any, op: str, what: str) -> None:
        """Remember which request drew figures (a count the worker claims: a hint, bounded)."""
        if type(count) is int and count > 0:
            room = max(MAX_DRAWN_NOTED - len(self._drawn_by), 0)
            self._drawn_by.extend([(op, what)] * min(count, room))

    @property
    def drawn_by(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._drawn_by)

    def take_drawings(self, timeout: float, max_reply_bytes: int) -> tuple[tuple[tuple[str, str], ...], Any]:
        """Ask the worker for the figures drawn since the last time, as it sends them (hostile data),
        with the (op, what) of each; the time this takes is given back to the submission's budget.
        Raises what `_raw` raises; with nothing drawn, asks nothing."""
        drawn_by, self._drawn_by = tuple(self._drawn_by), []
        if not drawn_by or self._worker is None or not self._worker.alive:
            return (), None
        started = time.monotonic()
        try:
            return drawn_by, self._raw("drawings", timeout, max_reply_bytes=max_reply_bytes)
        finally:
            self.deadline += time.monotonic() - started  # figures are not the submission's time

    def _read_reply(self, op: str, fields: dict[str, Any], reply: dict[str, Any], blobs: list[memoryview],
                    deadline: float) -> Any:
        if reply.get("ok") is True:
            return wire.decode(reply.get("value"), blobs, self._handle, deadline=deadline)
        error = reply.get("error")
        if type(error) is not dict:
            raise wire.WireError("an error reply without an error")
        kind, what = error.get("kind"), str(fields.get("what", "your code"))
        message = _text(error.get("message"))
        if kind == "missing":
            raise MissingName(message, self.code.suggestion(message))
        if kind == "reply":
            raise UnsendableValue(f"{what} returned {message}")
        if kind == "boundary":
            if not self._student_ran:  # nothing of the student's has run in this worker yet
                raise GraderFault(f"request {op!r} broke the protocol: {message}")
            # Student code shares the worker's process and can forge any reply, this one too.
            raise ProtocolViolation(f"the process running your code refused the grader's request {op!r} "
                                    f"({message}); code loaded into it can cause this")
        raise StudentError(what, _text(error.get("type"), 200) or "Exception", message, _text(error.get("traceback")))

    def _handle(self, doc: dict[str, Any]) -> Handle:
        if doc.get("$") != "handle":
            raise wire.WireError("references only travel to the worker")
        ident = doc.get("id")
        if type(ident) is not int:
            raise wire.WireError("a handle without an id")
        return Handle(self, self.generation, ident, _text(doc.get("type"), 200) or "object", doc.get("callable") is True)

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
                args: tuple = (), kwargs: dict | None = None, max_reply_bytes: int | None = None,
                **fields: Any) -> Any:
        """Send one request; `what` names the student code in messages ("MLPNet.forward")."""
        budget = self.remaining()
        if budget <= 0:
            raise CallTimeout(f"{what} was not run: the submission used up its time budget")
        self.ensure()
        limit = timeout if timeout is not None else (self.call_limit or self.limits.call_seconds)
        budget = self.remaining()
        if budget <= 0:
            raise CallTimeout(f"{what} was not run: the submission used up its time budget")
        exercise, overtime = self.exercise, self._overtime.get(self.exercise)
        if overtime is not None:
            if overtime <= 0:
                raise CallTimeout(f"{what} was not run: code of {exercise} was already stopped at its time limit, "
                                  "and the extra time its other tests share is used up")
            limit = min(limit, overtime)
        blobs: list[bytes] = []
        payload = dict(fields)
        if op in ("call", "callmethod", "helper"):
            payload["args"] = wire.encode(list(args), blobs, self._ref)
            payload["kwargs"] = wire.encode(dict(kwargs or {}), blobs, self._ref)
        for key in ("target", "key"):
            if key in payload:
                payload[key] = wire.encode(payload[key], blobs, self._ref)
        started = time.monotonic()
        try:
            return self._raw(op, min(limit, budget), blobs, what=what, max_reply_bytes=max_reply_bytes, **payload)
        except CallTimeout as exc:
            if overtime is None and budget >= limit and exercise:
                self._overtime[exercise] = limit  # stopped at its own limit: one more, to share
            if budget < limit:
                raise CallTimeout(f"{what} {exc}: the submission's time budget ran out") from None
            if overtime is not None:
                raise CallTimeout(f"{what} was stopped: code of {exercise} was already stopped at its time limit, "
                                  "and its later calls share one more limit, now used up") from None
            raise CallTimeout(f"{what} {exc}") from None
        except (WorkerDied, ProtocolViolation) as exc:
            raise type(exc)(f"while running {what}, {exc.message}") from None
        finally:
            if overtime is not None:
                self._overtime[exercise] = overtime - (time.monotonic() - started)


def _text(value: Any, limit: int = 20_000) -> str:
    """A field of a reply as text: whatever its type, at most `limit` characters."""
    return (value if type(value) is str else "" if value is None else repr(value)[:limit])[:limit]
