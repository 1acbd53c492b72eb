"""The job layer: a job is a value, grade_job never raises, grade_many survives a dead process."""

from __future__ import annotations

import dataclasses
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from grader import pipeline
from grader.assignment import load_assignment
from grader.jobs import (COULD_NOT_GRADE, GRADED, GRADER_FAILED, GradeJob, ProcessPool, assignment_digest,
                         grade_job, grade_many)
from tests.batch.course import GOOD, HALF, make_course
from tests.batch.helpers import fake_run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


def job_for(course, source: str, filename: str = "work.py", **values) -> GradeJob:
    spec = load_assignment(course, "tiny")
    return GradeJob(data=source.encode(), filename=filename, student="ada", assignment="tiny",
                    assignment_digest=assignment_digest(spec), **values)


def test_a_job_is_plain_values_that_cross_a_pickle_and_grade_the_same(tiny):
    job = pickle.loads(pickle.dumps(job_for(tiny, HALF)))
    outcome = grade_job(job, tiny)
    assert outcome.status == GRADED and outcome.key == job.key
    assert (outcome.result.score, outcome.result.max_score) == (1, 3)
    assert outcome.result.hidden_included and outcome.result.student == "ada"
    assert outcome.assignment_digest == job.assignment_digest and outcome.grader_version and outcome.seconds > 0


def test_the_key_changes_with_what_changes_the_grade(tiny):
    job = job_for(tiny, GOOD)
    changed = [dataclasses.replace(job, data=b"x"), dataclasses.replace(job, hidden=False),
               dataclasses.replace(job, seed=99), dataclasses.replace(job, assignment_digest="other"),
               dataclasses.replace(job, filename="work.ipynb")]
    assert len({job.key, *(j.key for j in changed)}) == 6
    assert dataclasses.replace(job, label="anything").key == job.key


def test_a_corrupt_notebook_could_not_be_graded_and_says_why(tiny):
    outcome = grade_job(job_for(tiny, '{"cells": [ not json', filename="tp.ipynb"), tiny)
    assert outcome.status == COULD_NOT_GRADE and outcome.result is None
    assert "not a readable Jupyter notebook" in outcome.message


def test_a_job_made_for_other_tests_is_refused(tiny):
    outcome = grade_job(dataclasses.replace(job_for(tiny, GOOD), assignment_digest="0" * 64), tiny)
    assert outcome.status == GRADER_FAILED and outcome.result is None
    assert "differ from those the job was made for" in outcome.message


def test_the_digest_follows_the_hidden_tests(tmp_path):
    course = make_course(tmp_path)
    spec = load_assignment(course, "tiny")
    before = assignment_digest(spec)
    hidden = spec.hidden_tests / "test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# a changed comment is a changed test file\n")
    assert assignment_digest(spec) != before


def test_a_grader_bug_becomes_a_grader_failed_outcome_never_an_exception(tiny, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(pipeline, "grade_submission", broken)
    outcome = grade_job(job_for(tiny, GOOD), tiny)
    assert outcome.status == GRADER_FAILED and "KeyError" in outcome.message and "not at fault" in outcome.message


def test_grade_many_runs_over_threads_and_calls_back_for_each(tiny):
    jobs = [job_for(tiny, GOOD), job_for(tiny, HALF), job_for(tiny, "def (", filename="bad.py")]
    seen = []
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(grade_many(jobs, pool, tiny, on_done=seen.append))
    assert sorted(o.key for o in outcomes) == sorted(j.key for j in jobs) == sorted(o.key for o in seen)
    by_key = {o.key: o for o in outcomes}
    assert by_key[jobs[0].key].result.score == 3 and by_key[jobs[1].key].result.score == 1


def test_a_process_that_dies_costs_only_its_own_job(tmp_path):
    jobs = [GradeJob(data=str(n).encode(), filename=f"ok{n}.py", student=str(n), assignment="tiny") for n in range(6)]
    jobs.insert(2, GradeJob(data=b"boom", filename="die.py", student="x", assignment="tiny"))
    with ProcessPool(2) as pool:
        outcomes = {o.key: o for o in grade_many(jobs, pool, tmp_path, run=fake_run)}
    assert len(outcomes) == len(jobs)
    assert outcomes[jobs[2].key].status == GRADER_FAILED and "not at fault" in outcomes[jobs[2].key].message
    assert all(outcomes[j.key].status == GRADED for j in jobs if j.filename != "die.py")


def test_a_pool_that_cannot_be_rebuilt_fails_what_it_held_and_stops(tmp_path):
    jobs = [GradeJob(data=b"boom", filename="die.py", student="x", assignment="tiny")]
    jobs += [GradeJob(data=str(n).encode(), filename=f"ok{n}.py", student=str(n), assignment="tiny") for n in range(3)]
    with ProcessPoolExecutor(1) as pool:
        outcomes = list(grade_many(jobs, pool, tmp_path, run=fake_run))
    assert len(outcomes) == len(jobs) and all(o.status == GRADER_FAILED for o in outcomes)


@pytest.mark.parametrize("env, warm, expected", [
    (None, True, "1"), ("0", True, "0"),   # a batch forks warm workers unless the variable opts out
    ("1", False, "0"), (None, False, "0"),  # --cold-workers wins over the variable
    (None, None, None), ("1", None, "1"),   # other pools leave it to the variable
])
def test_a_grading_process_starts_workers_as_its_pool_and_the_environment_say(monkeypatch, env, warm, expected):
    import os

    from grader.jobs import choose_launcher
    from grader.run.launcher import ColdLauncher, ZygoteLauncher, default_launcher

    # Set first, then removed: monkeypatch then restores what was there before, even when the
    # variable was unset (a bare delenv of an unset variable records nothing, and what
    # choose_launcher writes would leak into every later test).
    monkeypatch.setenv("GRADER_WARM_WORKERS", env or "")
    if env is None:
        monkeypatch.delenv("GRADER_WARM_WORKERS")
    choose_launcher(warm)
    assert os.environ.get("GRADER_WARM_WORKERS") == expected
    assert isinstance(default_launcher(), ZygoteLauncher if expected == "1" else ColdLauncher)
