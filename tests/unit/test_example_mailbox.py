"""The bundled example mailbox: up to date with its script, and read as its README says."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch.mail import match_assignment, read_inbox
from grader.batch.roster import load_roster
from grader.intake import IntakeError, read_bytes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mailbox"


def load_script():
    spec = importlib.util.spec_from_file_location("make_example_mailbox", ROOT / "scripts" / "make_example_mailbox.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _content(mbox: Path) -> list[tuple]:
    """What a mailbox holds, independent of how this Python's email package folds headers."""
    return [(i.message_id, i.sender, i.subject, i.sent_at, i.skipped, i.body_code,
             tuple((a.filename, a.sha256) for a in i.attachments)) for i in read_inbox(mbox)]


def test_the_committed_example_is_what_the_script_writes(tmp_path):
    load_script().write(tmp_path)
    for name in ("roster.csv", "expected.json", "README.md"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), f"run scripts/make_example_mailbox.py: {name} is stale"
    assert _content(tmp_path / "class.mbox") == _content(EXAMPLE / "class.mbox"), "run scripts/make_example_mailbox.py: class.mbox is stale"
    assert (EXAMPLE / "class.mbox").stat().st_size < 5 * 1024 * 1024


@pytest.fixture(scope="module")
def inbox():
    return list(read_inbox(EXAMPLE / "class.mbox"))


@pytest.fixture(scope="module")
def expected():
    return {m["message_id"]: m for m in json.loads((EXAMPLE / "expected.json").read_text())["mails"]}


def test_every_mail_is_read_once_under_a_unique_key(inbox, expected):
    assert sorted(i.message_id for i in inbox) == sorted(expected)
    assert len({i.key for i in inbox}) == len(inbox)


def test_senders_subjects_and_skips_are_as_expected(inbox, expected):
    roster = load_roster(EXAMPLE / "roster.csv")
    specs = [load_assignment(ROOT, slug) for slug in ("tp1", "first-network", "mnist-mlp", "regressor")]
    for item in inbox:
        want = expected[item.message_id]
        student = roster.lookup(item.sender)
        assert (student.id if student else "") == want["student"] or want["expect"].startswith("skipped"), want["case"]
        assert item.skipped == want["expect"].removeprefix("skipped: ") if want["expect"].startswith("skipped") else item.skipped == ""
        slug = match_assignment(item.subject, specs)
        assert slug == (None if "no assignment matched" in want["expect"] else want["assignment"]) or item.skipped, want["case"]
        assert item.time_source == ("date" if "from Date:" in want["expect"] else "received"), want["case"]


def test_each_attachment_reaches_the_intake_and_only_the_corrupted_notebook_is_unreadable(inbox, expected):
    from grader.extract import NotebookError, read_notebook

    for item in inbox:
        want = expected[item.message_id]
        if item.skipped:
            continue
        if "no attachment" in want["expect"]:
            assert not item.attachments and item.body_code is None
        if "from the body" in want["expect"]:
            assert item.body_code and "def create_linear_dataset" in item.body_code
        for attachment in item.attachments:
            submission = read_bytes(attachment.data, attachment.filename)
            if submission.kind == "notebook":
                if "corrupted" in want["case"]:
                    with pytest.raises(NotebookError):
                        read_notebook(submission.text, submission.filename)
                else:
                    read_notebook(submission.text, submission.filename)
    with pytest.raises(IntakeError):
        read_bytes(b"not a zip", "x.zip")
