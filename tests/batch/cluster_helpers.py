"""Functions the Dask tests send to cluster workers (they import them by name)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from grader.jobs import GradeJob, GradeOutcome, grade_job

# A job for a file of this name kills the Dask worker process grading it, once: the marker file
# (named in $GRADER_TEST_KILL_MARKER on the workers) says it already did.
KILL_ONCE = "kill-my-worker.py"


def grade_or_kill_once(job: GradeJob, course: Path) -> GradeOutcome:
    marker = Path(os.environ["GRADER_TEST_KILL_MARKER"])
    if job.filename == KILL_ONCE:
        try:
            with open(marker, "x") as handle:  # only the first try gets here
                handle.write(str(os.getpid()))
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-job, as the OOM killer would
    return grade_job(job, course)


def course_seen(job: GradeJob, course: Path) -> str:
    """Which course path a worker grades against (it must be the worker's own)."""
    return str(course)
