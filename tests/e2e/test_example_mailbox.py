"""The example mailbox's hardest mails, graded end to end from the mbox: each loses exactly the
exercises examples/mailbox/expected.json says (the batch's own tests grade the whole box)."""

from __future__ import annotations

import json

import pytest

from grader.assignment import load_assignment
from grader.batch.mail import read_inbox
from grader.intake import read_bytes
from grader.pipeline import grade_submission
from tests.conftest import ROOT, fast_limits

pytestmark = pytest.mark.slow
EXAMPLE = ROOT / "examples" / "mailbox"
CASES = ["a Colab notebook", "an RFC 2047 file name inside quotes (as Gmail sends it)",
         "a .zip holding the notebook (and macOS junk)", "code pasted in the body, no attachment",
         "forwarded from a personal address to her university address"]


@pytest.fixture(scope="module")
def mails():
    expected = {m["message_id"]: m for m in json.loads((EXAMPLE / "expected.json").read_text())["mails"]}
    return {expected[item.message_id]["case"]: (item, expected[item.message_id]) for item in read_inbox(EXAMPLE / "class.mbox")}


@pytest.mark.parametrize("case", CASES)
def test_a_mail_of_the_example_loses_exactly_what_it_should(mails, case):
    item, want = mails[case]
    files = [(a.filename, a.data) for a in item.attachments] or [("body.py", (item.body_code or "").encode())]
    (name, data), = files
    spec = fast_limits(load_assignment(ROOT, want["assignment"]))
    result = grade_submission(read_bytes(data, name, student=item.sender), spec, hidden=True)
    assert result.graded, result.grader_error
    assert [e.name for e in result.exercises if e.score < e.max_score] == want["lost"]
