"""Functions the tests hand to process pools (spawned children import them by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from grader.jobs import GRADED, GradeJob, GradeOutcome


def fake_run(job: GradeJob, course: Path) -> GradeOutcome:
    """Stands in for grade_job where only the scheduling is tested: a job named die.py kills
    its process, as a trusted-side crash would; the others take a moment and succeed."""
    if job.filename == "die.py":
        os._exit(9)
    time.sleep(0.05)
    return GradeOutcome(job.key, GRADED, None, f"ran in {os.getpid()}")
