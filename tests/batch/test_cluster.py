"""grade batch on a Dask cluster: a real LocalCluster (2 worker processes, 1 thread each, loopback).

The same jobs grade the same on the cluster as in local processes; each worker grades against
its own copy of the course ($GRADER_COURSE) and refuses a job made for other tests; a worker
killed mid-job leaves the job to be run again, and the coordinator records it once.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch.run import Options, batch
from grader.batch.state import DATABASE
from grader.cluster import DaskExecutor, worker_course
from grader.jobs import GRADED, GRADER_FAILED, GradeJob, assignment_digest, grade_many
from tests.batch.cluster_helpers import KILL_ONCE, course_seen, grade_or_kill_once
from tests.batch.course import BASE, GOOD, HALF, inbox_mails, mail, make_course, write_mbox

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # a cluster of two processes starts in seconds on a loaded machine


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """The coordinator's course and a copy of it that the workers read."""
    here = make_course(tmp_path_factory.mktemp("coordinator"))
    there = tmp_path_factory.mktemp("worker") / "course"
    shutil.copytree(here, there)
    return here, there


@pytest.fixture(scope="module")
def client(courses, tmp_path_factory):
    marker = tmp_path_factory.mktemp("marker") / "killed-once"
    env = {"GRADER_COURSE": str(courses[1]), "GRADER_TEST_KILL_MARKER": str(marker)}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, env=env, silence_logs=50) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


def jobs_for(course, sources):
    digest = assignment_digest(load_assignment(course, "tiny"))
    return [GradeJob(data=source.encode(), filename=name, student=f"s{n}", assignment="tiny",
                     assignment_digest=digest) for n, (name, source) in enumerate(sources)]


def test_each_worker_grades_against_its_own_copy_of_the_course(client, courses):
    here, there = courses
    job = jobs_for(here, [("a.py", GOOD)])[0]
    seen = DaskExecutor(client=client).submit(course_seen, job, here).result(timeout=60)
    assert seen == str(there.resolve()) and seen != str(here)
    assert worker_course(here) == here  # the coordinator itself has no GRADER_COURSE


def test_the_cluster_grades_the_same_as_the_local_executor(client, courses):
    here, _ = courses
    sources = [("good.py", GOOD), ("half.py", HALF), ("broken.py", "def (\n"), ("nb.ipynb", '{"cells": [ x')]
    jobs = jobs_for(here, sources)
    with ThreadPoolExecutor(1) as local:
        expected = {o.key: o for o in grade_many(jobs, local, here)}
    on_cluster = {o.key: o for o in grade_many(jobs, DaskExecutor(client=client), here)}
    assert on_cluster.keys() == expected.keys() == {j.key for j in jobs}
    for key, outcome in on_cluster.items():
        local_outcome = expected[key]
        assert (outcome.status, outcome.message) == (local_outcome.status, local_outcome.message)
        if outcome.result is not None:
            assert outcome.result.to_json()["exercises"] == local_outcome.result.to_json()["exercises"]
            assert (outcome.result.score, outcome.result.max_score) == (local_outcome.result.score,
                                                                     local_outcome.result.max_score)
    assert [on_cluster[j.key].status for j in jobs[:2]] == [GRADED, GRADED]


def test_a_worker_refuses_a_job_made_for_other_tests(client, courses):
    here, _ = courses
    job = dataclasses.replace(jobs_for(here, [("a.py", GOOD)])[0], assignment_digest="0" * 64)
    [outcome] = grade_many([job], DaskExecutor(client=client), here)
    assert outcome.status == GRADER_FAILED and "differ from those the job was made for" in outcome.message


def _marker_path() -> str:
    return os.environ["GRADER_TEST_KILL_MARKER"]


class _KillingExecutor(DaskExecutor):
    """The cluster executor, grading with a function that kills its worker on one job, once."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(grade_or_kill_once, *args, **kwargs)


def test_a_worker_killed_mid_job_leaves_the_job_retried_and_recorded_once(client, courses, tmp_path):
    here, _ = courses
    victim = mail("Vic Tim <victim@uni.example>", BASE + timedelta(minutes=9), [(KILL_ONCE, GOOD.encode())], number=9)
    inbox = write_mbox(tmp_path / "inbox.mbox", [*inbox_mails(students=3, extras=False), victim])
    out = tmp_path / "out"
    summary = batch(inbox, out, course=here, options=Options(assignment="tiny", progress=False),
                    executor=_KillingExecutor(client=client))
    assert summary.graded_now == 4 and summary.grader_failed == 0 and summary.could_not_grade == 0
    assert Path(client.run(_marker_path).popitem()[1]).exists()  # a worker was killed mid-job
    with sqlite3.connect(out / DATABASE) as db:
        rows = db.execute("SELECT status, tries FROM outcomes").fetchall()
    assert len(rows) == 4 and all(row == ("graded", 1) for row in rows)
