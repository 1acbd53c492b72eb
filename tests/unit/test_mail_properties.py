"""Property: whatever is done to a mail's bytes, reading the inbox gives MailItems whose text is
valid UTF-8 (the batch stores it), or one MailError sentence; never an exception, never slow."""

from __future__ import annotations

import time
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.batch.mail import MailError, MailItem, read_inbox


def _seed_message() -> bytes:
    inner = EmailMessage()
    inner["From"] = "Student <s@univ.example>"
    inner["Subject"] = "Practical Work 1"
    inner.set_content("def f():\n    return 1\n")
    inner.add_attachment(b'{"cells": []}', maintype="application", subtype="x-ipynb+json", filename="tp1.ipynb")
    outer = EmailMessage()
    outer["Received"] = "from a by mx.univ.example; Tue, 10 Mar 2026 09:12:33 +0100"
    outer["From"] = "TA <ta@univ.example>"
    outer["Subject"] = "Fwd: TP1"
    outer["Message-ID"] = "<p@x>"
    outer["Date"] = "Tue, 10 Mar 2026 09:10:00 +0100"
    outer.set_content("see attached")
    outer.add_attachment(b"x = 1\n", maintype="text", subtype="x-python", filename="été.py")
    outer.add_attachment(inner)
    return outer.as_bytes()


SEED = _seed_message()
LINES = st.sampled_from([b"--", b"From x Tue Mar 10 09:00:00 2026", b"Content-Type: multipart/mixed; boundary=\"\"",
                         b"Content-Type: message/rfc822", b"Content-Type: text/plain; charset=unicode-escape",
                         b"Content-Disposition: attachment; filename*=x''%FF%FE.py", b"Date: 99 Foo 99999 99:99:99 +9999",
                         b"Received: ; ;;; (", b"From: <<@>>, \"\" <", b"=?utf-8?q?=FF?=", b"\\udc80", b"\r", b"\x00" * 8])


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(SEED)
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "line"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        else:
            data[at:at] = b"\n" + draw(LINES) + b"\n"
    return bytes(data)


def _valid_utf8(value: object) -> bool:
    texts = [value] if isinstance(value, str) else list(value) if isinstance(value, tuple) else []
    return all(not isinstance(t, str) or t.encode("utf-8", "strict") is not None for t in texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mutated(), as_mbox=st.booleans())
def test_a_mutated_mail_gives_items_or_one_sentence(tmp_path, body, as_mbox):
    path = tmp_path / ("box.mbox" if as_mbox else "one.eml")
    path.write_bytes((b"From x Tue Mar 10 09:00:00 2026\n" if as_mbox else b"") + body)
    start = time.monotonic()
    try:
        found = list(read_inbox(path))
    except MailError as exc:
        assert str(exc).count(". ") <= 1 and str(exc).endswith(".")
        return
    assert time.monotonic() - start < 5
    assert len({item.key for item in found}) == len(found)
    for item in found:
        assert isinstance(item, MailItem)
        for name in ("key", "message_id", "sender", "sender_name", "subject", "skipped", "in_reply_to", "body_code"):
            assert _valid_utf8(getattr(item, name) or ""), name
        assert _valid_utf8(item.notes) and _valid_utf8(item.references)
        assert all(_valid_utf8(a.filename) and "/" not in a.filename for a in item.attachments)
        assert item.sent_at is None or item.sent_at.utcoffset() is not None
