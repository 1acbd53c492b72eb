"""When a submission counts: the late policy, and which of a student's attempts is graded.

The late policy is modelled on Canvas's: a deduction of some percent for each hour or each day
late (a started hour or day counts whole, as in Canvas), never below a floor, or refusing late
work outright. One difference: the deduction is a percent of the student's score (a fraction
of it kept), not of the points possible, so a late penalty never makes a score negative.

    none                     late work is accepted as it is (the default)
    refuse                   late work scores 0, and is still listed
    10%/day                  10 % less per started day late
    2%/hour,floor=50%        2 % less per started hour late, never less than half the score
    10%/day,grace=15min      on time up to 15 minutes after the deadline
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol, TypeVar

_UNITS = {"h": timedelta(hours=1), "hour": timedelta(hours=1), "d": timedelta(days=1), "day": timedelta(days=1)}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|hour|hours|d|day|days)$")
_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "hours": 3600,
            "d": 86400, "day": 86400, "days": 86400}


class PolicyError(ValueError):
    """A late policy that cannot be read: one sentence and the forms that can."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def describe(delta: timedelta) -> str:
    """A lateness for a person: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{secs} s"


@dataclass(frozen=True)
class LatePolicy:
    mode: str = "none"  # "none" | "refuse" | "deduct"
    percent: float = 0.0  # deducted per started interval (mode "deduct")
    interval: timedelta = timedelta(days=1)
    floor: float = 0.0  # the smallest fraction of the score kept (mode "deduct")
    grace: timedelta = timedelta(0)

    def penalty(self, sent_at: datetime, deadline: datetime) -> tuple[float, str]:
        """(fraction of the score kept, note): (1.0, "") on time."""
        late = _utc(sent_at) - _utc(deadline)
        if late <= self.grace or late <= timedelta(0):
            return 1.0, ""
        when = describe(late)
        if self.mode == "refuse":
            return 0.0, f"refused: late by {when}"
        if self.mode == "none":
            return 1.0, f"late by {when} (no late penalty)"
        intervals = math.ceil(late / self.interval)
        unit = "hour" if self.interval == timedelta(hours=1) else "day"
        kept = max(self.floor, 1.0 - self.percent / 100.0 * intervals, 0.0)
        note = f"late by {when}: -{self.percent:g}% per {unit} x {intervals}"
        if kept == self.floor and self.floor > 0:
            note += f", floor {self.floor * 100:g}%"
        return kept, f"{note}; {kept * 100:g}% of the score kept"

    @classmethod
    def parse(cls, text: str) -> LatePolicy:
        """"none", "refuse", "10%/day", "10%/day,floor=50%", "2%/hour,grace=15min"."""
        spec = "".join((text or "none").lower().split())
        head, *options = spec.split(",")
        if head in ("none", "accept"):
            policy = cls()
        elif head in ("refuse", "reject"):
            policy = cls(mode="refuse")
        else:
            match = re.fullmatch(r"(\d+(?:\.\d+)?)%(?:/|per)(h|hour|d|day)", head)
            if not match or not 0 < float(match[1]) <= 100:
                raise _error(text)
            policy = cls(mode="deduct", percent=float(match[1]), interval=_UNITS[match[2]])
        for option in options:
            name, _, value = option.partition("=")
            if name == "floor" and policy.mode == "deduct" and re.fullmatch(r"\d+(\.\d+)?%", value):
                floor = float(value[:-1]) / 100
                if floor > 1:
                    raise _error(text)
                policy = LatePolicy(policy.mode, policy.percent, policy.interval, floor, policy.grace)
            elif name == "grace" and (found := _DURATION.fullmatch(value)):
                grace = timedelta(seconds=float(found[1]) * _SECONDS[found[2]])
                policy = LatePolicy(policy.mode, policy.percent, policy.interval, policy.floor, grace)
            else:
                raise _error(text)
        return policy


def parse_deadline(text: str, zone: tzinfo | None = None) -> datetime:
    """A deadline as instructors write it: "2026-03-20T23:59+01:00", "2026-03-20 23:59" or
    "2026-03-20" (the end of that day). Without a zone, the time is in `zone` (default: this
    machine's local zone), since that is the clock the course announced."""
    raw = (text or "").strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise PolicyError(f"Deadline {text!r} cannot be read; write it as 2026-03-20T23:59+01:00 (a zone is best) or 2026-03-20.") from None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        value = value.replace(hour=23, minute=59, second=59)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone) if zone is not None else value.astimezone()
    return value.astimezone(timezone.utc)


def _error(text: str) -> PolicyError:
    return PolicyError(
        f"Late policy {text!r} cannot be read; write 'none', 'refuse', '10%/day', "
        "'2%/hour,floor=50%' or '10%/day,grace=15min'."
    )


class Attempt(Protocol):
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def score(self) -> float | None: ...
    @property
    def graded(self) -> bool: ...


A = TypeVar("A", bound=Attempt)
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def pick_counted(attempts: Sequence[A], deadline: datetime | None, rule: str = "latest") -> A | None:
    """The attempt that counts among one student's attempts at one assignment.

    Only graded attempts compete (a later unreadable file does not erase an earlier good one);
    when none was graded, the latest attempt is returned so its problem is shown.
    "latest": the latest sent before the deadline, else the latest late one.
    "best": the best score (pass scores after the late penalty), ties to the latest.
    An attempt without a known time counts as on time, in the order given.
    """
    if rule not in ("latest", "best"):
        raise PolicyError(f"Unknown rule {rule!r}; use 'latest' or 'best'.")
    indexed = list(enumerate(attempts))
    if not indexed:
        return None

    def when(item: tuple[int, A]) -> tuple[datetime, int]:
        sent = item[1].sent_at
        return (_utc(sent) if sent is not None else _EARLIEST, item[0])

    graded = [item for item in indexed if item[1].graded]
    if not graded:
        return max(indexed, key=when)[1]
    if rule == "best":
        return max(graded, key=lambda item: (item[1].score if item[1].score is not None else -math.inf, when(item)))[1]
    if deadline is not None:
        limit = _utc(deadline)
        on_time = [item for item in graded if item[1].sent_at is None or _utc(item[1].sent_at) <= limit]
        if on_time:
            return max(on_time, key=when)[1]
    return max(graded, key=when)[1]
