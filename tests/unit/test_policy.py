"""Late policies and the attempt that counts: each rule with a case on each side of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from grader.batch.policy import LatePolicy, PolicyError, parse_deadline, pick_counted

DEADLINE = datetime(2026, 3, 20, 22, 59, tzinfo=timezone.utc)


def late(**delta) -> datetime:
    return DEADLINE + timedelta(**delta)


def test_on_time_is_never_penalised():
    for spec in ("none", "refuse", "10%/day", "2%/hour,floor=50%"):
        assert LatePolicy.parse(spec).penalty(DEADLINE, DEADLINE) == (1.0, "")
        assert LatePolicy.parse(spec).penalty(late(hours=-5), DEADLINE) == (1.0, "")


def test_a_started_day_counts_whole_as_in_canvas():
    policy = LatePolicy.parse("10%/day")
    assert policy.penalty(late(minutes=1), DEADLINE)[0] == pytest.approx(0.9)
    assert policy.penalty(late(days=1), DEADLINE)[0] == pytest.approx(0.9)
    assert policy.penalty(late(days=1, seconds=1), DEADLINE)[0] == pytest.approx(0.8)
    assert policy.penalty(late(days=30), DEADLINE)[0] == 0.0


def test_per_hour_with_a_floor():
    policy = LatePolicy.parse("2%/hour, floor=50%")
    kept, note = policy.penalty(late(hours=3), DEADLINE)
    assert kept == pytest.approx(0.94) and note.startswith("late by 3 h")
    kept, note = policy.penalty(late(days=5), DEADLINE)
    assert kept == 0.5 and "floor 50%" in note


def test_refuse_and_none():
    assert LatePolicy.parse("refuse").penalty(late(hours=3), DEADLINE) == (0.0, "refused: late by 3 h")
    assert LatePolicy.parse("none").penalty(late(minutes=12), DEADLINE) == (1.0, "late by 12 min (no late penalty)")


def test_grace_period_and_time_zones():
    policy = LatePolicy.parse("10%/day,grace=15min")
    assert policy.penalty(late(minutes=15), DEADLINE)[0] == 1.0
    assert policy.penalty(late(minutes=16), DEADLINE)[0] == pytest.approx(0.9)
    paris = timezone(timedelta(hours=1))
    assert policy.penalty(datetime(2026, 3, 20, 23, 59, tzinfo=paris), DEADLINE)[0] == 1.0
    assert policy.penalty(datetime(2026, 3, 21, 0, 30, tzinfo=paris), DEADLINE)[0] == pytest.approx(0.9)


@pytest.mark.parametrize("spec", ["", "10", "10%", "10%/week", "150%/day", "10%/day,floor=2", "refuse,floor=50%", "10%/day,cap=3"])
def test_a_policy_that_cannot_be_read_is_one_sentence_with_the_forms(spec):
    if spec == "":
        assert LatePolicy.parse(spec) == LatePolicy()
        return
    with pytest.raises(PolicyError, match="write 'none', 'refuse', '10%/day'"):
        LatePolicy.parse(spec)


@dataclass(frozen=True)
class Try:
    name: str
    sent_at: datetime | None
    score: float | None = 5.0
    graded: bool = True


def test_latest_before_the_deadline_counts_else_the_latest_late_one():
    early, last_on_time, after = Try("a", late(days=-2)), Try("b", late(hours=-1)), Try("c", late(hours=2))
    assert pick_counted([after, early, last_on_time], DEADLINE).name == "b"
    assert pick_counted([after, Try("d", late(hours=5))], DEADLINE).name == "d"
    assert pick_counted([early, after], None).name == "c"
    assert pick_counted([], DEADLINE) is None


def test_an_ungradable_resubmission_does_not_erase_a_graded_one():
    good, broken = Try("good", late(days=-2)), Try("broken", late(days=-1), score=None, graded=False)
    assert pick_counted([good, broken], DEADLINE).name == "good"
    assert pick_counted([broken], DEADLINE).name == "broken"


def test_best_takes_the_best_score_and_ties_go_to_the_latest():
    a, b, c = Try("a", late(days=-3), 7.0), Try("b", late(days=-2), 9.0), Try("c", late(days=-1), 9.0)
    assert pick_counted([a, b, c], DEADLINE, rule="best").name == "c"
    assert pick_counted([a, Try("d", late(days=-1), 2.0)], DEADLINE, rule="best").name == "a"
    with pytest.raises(PolicyError, match="latest' or 'best"):
        pick_counted([a], DEADLINE, rule="first")


def test_deadlines_as_instructors_write_them():
    paris = timezone(timedelta(hours=1))
    assert parse_deadline("2026-03-20T23:59+01:00") == DEADLINE
    assert parse_deadline("2026-03-20 23:59", zone=paris) == DEADLINE
    assert parse_deadline("2026-03-20", zone=paris) == DEADLINE + timedelta(seconds=59)
    assert parse_deadline("2026-03-20T22:59Z") == DEADLINE
    with pytest.raises(PolicyError, match="2026-03-20T23:59"):
        parse_deadline("next friday")
