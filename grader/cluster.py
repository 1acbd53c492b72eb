"""Grading on a Dask distributed cluster: the batch's jobs, sent to remote workers.

`grade batch --cluster tcp://scheduler:8786` (or $GRADER_CLUSTER) hands `grade_many` a
`DaskExecutor` instead of a local process pool. Nothing else changes: the coordinator reads the
inbox, makes the jobs, and alone writes the SQLite state as outcomes arrive. Each job travels as
plain values (`GradeJob`), and a Dask worker grades it against *its own* copy of the course —
$GRADER_COURSE on that worker, else the path the coordinator uses, which must then exist there
too — so `grade_job` refuses a job whose assignment digest differs from that copy's.

A worker that dies mid-job (a crash, the OOM killer, a machine lost) is Dask's business: the
scheduler runs the task again on another worker, up to `distributed.scheduler.allowed-failures`
times, then the future fails with `KilledWorker`, which `grade_many` turns into a "grader failed"
outcome a rerun grades again. A task's key is its job's key, so a job is one task however often
it is tried, and the coordinator records it once, when its future resolves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

CLUSTER_ENV = "GRADER_CLUSTER"
COURSE_ENV = "GRADER_COURSE"


class ClusterError(Exception):
    """The cluster cannot be reached or used: one sentence and a hint."""


def cluster_address(given: str | None) -> str | None:
    """--cluster if given, else $GRADER_CLUSTER (empty counts as unset)."""
    return given or os.environ.get(CLUSTER_ENV) or None


def on_worker(run: Callable[[Any, Path], Any], job: Any, course: Path, warm: bool | None = None) -> Any:
    """What a Dask worker runs: `run(job, course)` against this machine's course, its sandboxed
    workers forked from a zygote when `warm` (unless that machine's $GRADER_WARM_WORKERS=0 says)."""
    from grader.jobs import choose_launcher

    choose_launcher(warm)
    return run(job, worker_course(course))


def worker_course(coordinator_course: Path) -> Path:
    """The course this process grades against: $GRADER_COURSE if set, else the coordinator's path."""
    here = os.environ.get(COURSE_ENV)
    return Path(here).expanduser().resolve() if here else Path(coordinator_course)


class DaskExecutor(Executor):
    """A `concurrent.futures.Executor` over a Dask client, for `grade_many`.

    `submit(run, job, course)` becomes one Dask task keyed by the job's key, run on a worker by
    `on_worker` (which swaps in that worker's course). `retries` re-runs a task that raised (the
    grading function never raises, so this covers the transport); a worker that died is retried
    by the scheduler itself."""

    def __init__(self, address: str | None = None, *, client: Any = None, retries: int = 1,
                 timeout: float = 30.0, warm: bool | None = None) -> None:
        self._owned = client is None
        if client is None:
            if not address:
                raise ClusterError("No cluster address; pass --cluster tcp://HOST:8786 or set GRADER_CLUSTER.")
            try:
                from distributed import Client

                client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"Could not reach the Dask scheduler at {address} ({exc}); start it with "
                                   "'dask scheduler' and pass its address with --cluster.") from None
        self.client = client
        self.retries = retries
        self.warm = warm

    @property
    def _max_workers(self) -> int:
        """Threads across the cluster's workers now (grade_many keeps twice that in flight)."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        job = args[0] if args else None
        key = f"grade-{job.key}" if hasattr(job, "key") else None
        remote = self.client.submit(on_worker, fn, *args, self.warm, key=key, pure=False, retries=self.retries,
                                    **kwargs)
        local: Future[Any] = Future()
        local.set_running_or_notify_cancel()

        def settle(done: Any) -> None:
            try:
                local.set_result(done.result())
            except BaseException as exc:  # noqa: BLE001 - KilledWorker, a cancelled task, transport
                local.set_exception(exc)

        remote.add_done_callback(settle)
        local._grader_remote = remote  # type: ignore[attr-defined] - keeps the task alive until read
        return local

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._owned:
            self.client.close()
