"""Minimal stand-ins for the mail side of the batch (grader.batch.mail, roster, policy, replies), used
by these tests only while those modules are absent from the tree; once they exist, `install`
does nothing and the tests run against them.

The stand-in inbox is a folder of saved submissions: one file, or one folder of files, per
sender, named after the sender's address; its arrival time is the file's modification time.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SUFFIXES = (".ipynb", ".py", ".zip")


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    sha256: str
    content_type: str


@dataclass(frozen=True)
class MailItem:
    key: str
    message_id: str
    sender: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    time_source: str
    attachments: tuple[Attachment, ...]
    body_code: str | None
    notes: tuple[str, ...]
    skipped: str
    in_reply_to: str
    references: tuple[str, ...]


def read_inbox(path: Path):
    for entry in sorted(Path(path).iterdir()):
        files = sorted(p for p in entry.iterdir() if p.is_file()) if entry.is_dir() else [entry]
        attachments = tuple(Attachment(p.name, p.read_bytes(), hashlib.sha256(p.read_bytes()).hexdigest(),
                                       "application/octet-stream") for p in files if p.suffix.lower() in SUFFIXES)
        sender = entry.stem if entry.is_file() else entry.name
        sent = datetime.fromtimestamp(max([p.stat().st_mtime for p in files] or [entry.stat().st_mtime]), timezone.utc)
        yield MailItem(key=hashlib.sha256(entry.name.encode()).hexdigest(), message_id="", sender=sender.lower(),
                       sender_name="", subject="", sent_at=sent, time_source="none", attachments=attachments,
                       body_code=None, notes=(), skipped="", in_reply_to="", references=())


def match_assignment(subject, assignments):
    for spec in assignments:
        if re.search(re.escape(spec.slug), subject, re.I):
            return spec.slug
    return None


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    emails: tuple[str, ...]
    section: str = ""


class Roster:
    def __init__(self, students):
        self.students = tuple(students)

    def lookup(self, address):
        return next((s for s in self.students if address.lower() in s.emails), None)


def load_roster(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return Roster(Student(r["id"], r["first_name"], r["last_name"], tuple(e.strip().lower() for e in r["emails"].split(";")))
                      for r in csv.DictReader(handle))


@dataclass(frozen=True)
class LatePolicy:
    per_day: float = 0.0
    refuse: bool = False

    @classmethod
    def parse(cls, text):
        if text == "refuse":
            return cls(refuse=True)
        return cls(per_day=float(text.rstrip("%/day").rstrip("%")) / 100)

    def penalty(self, sent_at, deadline):
        if self.refuse:
            return 0.0, "refused: late"
        days = -(-(sent_at - deadline) // timedelta(days=1))
        kept = max(0.0, 1.0 - self.per_day * days)
        return kept, f"{days} day(s) late: {round(100 * (1 - kept))}% off"


def pick_counted(attempts, deadline, rule="latest"):
    if not attempts:
        return None
    on_time = [a for a in attempts if deadline is None or a.sent_at is None or a.sent_at <= deadline] or list(attempts)
    if rule == "best":
        return max(on_time, key=lambda a: (a.score if a.score is not None else -1, a.sent_at or datetime.min.replace(tzinfo=timezone.utc)))
    return max(on_time, key=lambda a: a.sent_at or datetime.min.replace(tzinfo=timezone.utc))


def build_reply(item, student_name, result, report_html, sender):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender or "grader@localhost", item.sender, f"Re: {item.subject}"
    message.set_content(f"Dear {student_name}, your grade: {result.score:g}/{result.max_score:g}.")
    message.add_attachment(Path(report_html).read_bytes(), maintype="text", subtype="html",
                           filename=Path(report_html).name)
    return message


def send_replies(messages, config, already_sent, mark_sent):
    raise AssertionError("the stand-in sends nothing")


def smtp_config():
    raise AssertionError("the stand-in has no SMTP settings")


def install() -> None:
    """Register the stand-ins for whichever of the mail-side modules the tree lacks."""
    import grader.batch

    here = sys.modules[__name__]
    provided = {"mail": ("Attachment", "MailItem", "read_inbox", "match_assignment"),
                "roster": ("Student", "Roster", "load_roster"),
                "policy": ("LatePolicy", "pick_counted"),
                "replies": ("build_reply", "send_replies", "smtp_config")}
    for name, attributes in provided.items():
        full = f"grader.batch.{name}"
        if full in sys.modules or importlib.util.find_spec(full) is not None:
            continue
        module = types.ModuleType(full, f"test stand-in for {full}")
        for attribute in attributes:
            setattr(module, attribute, getattr(here, attribute))
        sys.modules[full] = module
        setattr(grader.batch, name, module)
