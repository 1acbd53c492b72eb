"""What grading leaves on the machine (worker processes, cgroups, work folders), undone even when
the grading process is told to stop.

A batch runner stops a grader with SIGTERM (or SIGINT): without a handler the process dies at once
and every `finally` is skipped, leaving cgroups and /tmp/grader-* folders behind. Each thing that
needs undoing registers its cleanup here; a signal runs every registered cleanup (newest first)
and then lets the signal do what it would have done, so the exit status still says "terminated".
Normal exits run them too (atexit). Handlers can only be installed from the main thread: grading
in another thread is cleaned up by that thread's own `finally` blocks and at exit.
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

_jobs: dict[int, Callable[[], None]] = {}
_last: list[Callable[[], None]] = []  # sweeps that run after every job (`register_last`)
_ids = itertools.count(1)
_installed: dict[int, Any] = {}
_at_exit: list[Any] = []
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def register(job: Callable[[], None]) -> int:
    """Run `job` if the process is stopped before `unregister(token)`; returns the token."""
    _install()
    token = next(_ids)
    _jobs[token] = job
    return token


def register_last(job: Callable[[], None]) -> None:
    """Run `job` after every registered cleanup, each time they run: a sweep for what an
    interrupted or failed cleanup left (it must be safe to run when there is nothing to do)."""
    _install()
    if job not in _last:
        _last.append(job)


def unregister(token: int | None) -> None:
    if token is not None:
        _jobs.pop(token, None)


def run_all() -> None:
    """Run every registered cleanup once, newest first; one failing never stops the others."""
    while _jobs:
        try:
            _, job = _jobs.popitem()
        except KeyError:
            return
        try:
            job()
        except BaseException:  # noqa: BLE001 - cleanup goes on whatever one job does
            pass
    for sweep in list(_last):
        try:
            sweep()
        except BaseException:  # noqa: BLE001 - as above
            pass


def _on_signal(signum: int, frame: Any) -> None:
    previous = _installed.get(signum, signal.SIG_DFL)
    run_all()
    if callable(previous):  # an earlier handler (Python's KeyboardInterrupt for SIGINT): chain to it
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install() -> None:
    if not _at_exit:
        _at_exit.append(atexit.register(run_all))
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in _SIGNALS:
        try:
            current = signal.getsignal(signum)
            if current == signal.SIG_IGN or current is None:
                continue  # ignored on purpose (nohup) or set outside Python: leave it so
            _installed[signum] = current
            signal.signal(signum, _on_signal)
        except (ValueError, OSError):
            pass
