"""A tiny course for batch tests: one assignment, `tiny`, whose tests import nothing heavy."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

MANIFEST = '''slug = "tiny"
title = "Tiny Work 1"
seed = 3

[limits]
call_seconds = 5
load_seconds = 5
submission_seconds = 60

[[exercises]]
name = "double"

[[exercises]]
name = "square"
'''

PUBLIC = '''import pytest


@pytest.mark.exercise("double")
def test_double(student):
    assert student.double(21) == 42, "double(21) should be 42."
'''

HIDDEN = '''import pytest


@pytest.mark.exercise("square")
@pytest.mark.points(2)
def test_square(student):
    assert student.square(7) == 49, "square(7) should be 49."
'''

GOOD = "def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x * x\n"
HALF = "def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x + x\n"


def make_course(root: Path) -> Path:
    folder = root / "assignments" / "tiny"
    (folder / "tests" / "public").mkdir(parents=True)
    (folder / "tests" / "hidden").mkdir(parents=True)
    (folder / "assignment.toml").write_text(MANIFEST)
    (folder / "tests" / "public" / "test_public.py").write_text(PUBLIC)
    (folder / "tests" / "hidden" / "test_hidden.py").write_text(HIDDEN)
    (folder / "starter.ipynb").write_text(json.dumps(notebook("def double(x):\n    raise NotImplementedError\n")))
    return root


def notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {"tags": ["exercise:double"]}, "source": source,
                       "outputs": [], "execution_count": None}],
            "metadata": {"grader": {"assignment": "tiny"}}, "nbformat": 4, "nbformat_minor": 5}


BASE = datetime(2026, 9, 21, 8, 0, tzinfo=timezone.utc)  # the first mail's arrival
MX = "mx.uni.example"


def mail(sender: str, arrived: datetime, files: list[tuple[str, bytes]] = (), *, subject: str = "Tiny Work 1",
         body: str = "Hello, here is my work.\n", number: int = 0) -> EmailMessage:
    """A student's mail as the course's server stored it: arrival in the top Received: header,
    a Date: a few seconds earlier, a Message-ID, the files attached."""
    message = EmailMessage(policy=policy.default)
    message["Received"] = f"from client.example ([192.0.2.7]) by {MX} with ESMTPS id M{number:04d}; {format_datetime(arrived)}"
    message["From"] = sender
    message["To"] = "Course <course@uni.example>"
    message["Subject"] = subject
    message["Date"] = format_datetime(arrived - timedelta(seconds=5))
    message["Message-ID"] = f"<m{number:04d}@client.example>"
    message.set_content(body)
    for name, data in files:
        maintype, subtype = ("application", "x-ipynb+json") if name.endswith(".ipynb") else ("text", "x-python")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def write_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    """An mbox file written by the standard library, as a mail client exports one (anew: the
    library appends to an existing file)."""
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path), create=True)
    try:
        box.lock()
        for message in messages:
            box.add(message)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return path


def inbox_mails(*, students: int = 4, extras: bool = True) -> list[EmailMessage]:
    """Good and half-right modules one minute apart (student0@ first); with extras, a corrupt
    notebook, a mail without attachment, and a student who sent twice (half, then good)."""
    messages = [mail(f"Ada{n} <student{n}@uni.example>", BASE + timedelta(minutes=n),
                     [("tiny.py", (GOOD if n % 2 == 0 else HALF).encode())], number=n) for n in range(students)]
    if extras:
        messages += [
            mail("Bob Broken <broken@uni.example>", BASE, [("tp.ipynb", b'{"cells": [ this is not json')], number=100),
            mail("Emma Empty <empty@uni.example>", BASE, [], body="I forgot the attachment\n", number=101),
            mail("Tim Twice <twice@uni.example>", BASE, [("a_first.py", HALF.encode())], number=102),
            mail("Tim Twice <twice@uni.example>", BASE + timedelta(seconds=30), [("b_second.py", GOOD.encode())],
                 subject="Re: Tiny Work 1", number=103),
        ]
    return messages


def make_inbox(root: Path, *, students: int = 4, extras: bool = True) -> Path:
    """The class's mailbox (inbox_mails) as an mbox file."""
    return write_mbox(root / "inbox.mbox", inbox_mails(students=students, extras=extras))
