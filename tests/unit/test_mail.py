"""Reading an inbox: what is found in each message, and every bad input as a note, not a crash."""

from __future__ import annotations

import base64
import io
import mailbox
import tracemalloc
import zipfile
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from grader.batch import message as message_module
from grader.batch.mail import MailError, read_inbox
from grader.intake import MAX_ARCHIVE_TOTAL_BYTES, IntakeError, read_bytes

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
RECEIVED = "from mail.example.net by mx.univ.example with ESMTPS id 4F1; Tue, 10 Mar 2026 09:12:33 +0100 (CET)"


def mail(sender="Jane Doe <Jane.Doe@univ.example>", subject="Practical Work 1", *, msgid="<1@example.net>",
         received: str | None = RECEIVED, date: str | None = "Tue, 10 Mar 2026 09:10:00 +0100",
         body="Hello, here is my work.", files=()) -> EmailMessage:
    message = EmailMessage()
    if received is not None:
        message["Received"] = received
    message["From"] = sender
    message["Subject"] = subject
    if msgid:
        message["Message-ID"] = msgid
    if date is not None:
        message["Date"] = date
    message.set_content(body)
    for name, data, mime in files:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def mbox(path: Path, *messages: EmailMessage | bytes) -> Path:
    box = mailbox.mbox(str(path))
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    return path


def items(path: Path):
    return list(read_inbox(path))


def test_sender_subject_time_and_notebook_are_read(tmp_path):
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=[("tp1.ipynb", NOTEBOOK, "application/x-ipynb+json")])))
    assert (item.key, item.message_id, item.sender, item.sender_name) == ("<1@example.net>", "<1@example.net>", "jane.doe@univ.example", "Jane Doe")
    assert item.subject == "Practical Work 1"
    assert (item.sent_at, item.time_source) == (datetime(2026, 3, 10, 8, 12, 33, tzinfo=timezone.utc), "received")
    assert [(a.filename, a.data) for a in item.attachments] == [("tp1.ipynb", NOTEBOOK)]
    assert item.body_code is None and item.skipped == "" and item.notes == ()


def test_attachment_names_in_rfc2231_and_rfc2047_inside_quotes_are_decoded(tmp_path):
    encoded = base64.b64encode(NOTEBOOK).decode()
    raw = (
        "From: a@univ.example\nSubject: TP1\nMessage-ID: <x@y>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhi\n'
        '--B\nContent-Type: application/octet-stream; name="=?UTF-8?B?w6l0w6kgdHAxLmlweW5i?="\n'
        'Content-Disposition: attachment; filename="=?UTF-8?B?w6l0w6kgdHAxLmlweW5i?="\n'
        f"Content-Transfer-Encoding: base64\n\n{encoded}\n"
        "--B\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=UTF-8''d%C3%A9j%C3%A0%20vu.py\n"
        f"Content-Transfer-Encoding: base64\n\n{base64.b64encode(b'x = 1').decode()}\n--B--\n"
    ).encode()
    (item,) = items(mbox(tmp_path / "a.mbox", raw))
    assert [a.filename for a in item.attachments] == ["été tp1.ipynb", "déjà vu.py"]


def test_attachment_name_cannot_carry_a_path(tmp_path):
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=[("../../etc/x.py", b"x = 1", "text/x-python")])))
    assert [a.filename for a in item.attachments] == ["x.py"]


def test_mail_without_attachment_is_listed_with_nothing_to_grade(tmp_path):
    (item,) = items(mbox(tmp_path / "a.mbox", mail(body="Sorry, I will send it tomorrow. I did define a function!")))
    assert item.attachments == () and item.body_code is None and item.skipped == ""


def test_code_pasted_in_the_body_is_taken_only_as_a_last_resort_and_flagged(tmp_path):
    body = "Hello,\nI could not attach the file, here it is:\n\nimport torch\n\ndef train(net):\n    return [1.0]\n\nBest,\nJane\n"
    (item,) = items(mbox(tmp_path / "a.mbox", mail(body=body)))
    assert item.body_code == "import torch\n\ndef train(net):\n    return [1.0]\n"
    assert any("review it" in note for note in item.notes)
    (with_file,) = items(mbox(tmp_path / "b.mbox", mail(body=body, files=[("tp1.py", b"x = 1", "text/x-python")])))
    assert with_file.body_code is None


def test_corrupt_notebook_is_carried_as_bytes_for_the_batch_to_report(tmp_path):
    corrupt = b'{"cells": [ {"cell_type": "code", "sou'
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=[("tp1.ipynb", corrupt, "application/octet-stream")])))
    assert item.attachments[0].data == corrupt


def test_zip_bomb_is_carried_at_its_small_size_and_refused_by_the_intake(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tp1.ipynb", b"\0" * (MAX_ARCHIVE_TOTAL_BYTES + (1 << 20)))
    bomb = buffer.getvalue()
    assert len(bomb) < 1024 * 1024
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=[("tp1.zip", bomb, "application/zip")])))
    assert item.attachments[0].data == bomb
    with pytest.raises(IntakeError, match="unpacks to more than"):
        read_bytes(item.attachments[0].data, item.attachments[0].filename)


def _write_big_mail(path: Path, raw_size: int, small_after: bool = True) -> None:
    """An mbox with one huge base64 attachment, streamed to disk (never built in memory)."""
    line = base64.b64encode(b"\x89" * 57) + b"\n"
    with path.open("wb") as out:
        out.write(b"From a@univ.example Tue Mar 10 09:00:00 2026\n")
        out.write(f"Received: {RECEIVED}\nFrom: a@univ.example\nSubject: TP1\nMessage-ID: <big@x>\n".encode())
        out.write(b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhi\n')
        out.write(b'--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="huge.ipynb"\n')
        out.write(b"Content-Transfer-Encoding: base64\n\n")
        for _ in range(raw_size // 57):
            out.write(line)
        if small_after:
            out.write(b'--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="tp1.py"\n')
            out.write(b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"x = 1") + b"\n")
        out.write(b"--B--\n")


def test_an_attachment_too_large_is_refused_while_read_never_held_whole(tmp_path, monkeypatch):
    limit = 512 * 1024
    monkeypatch.setattr(message_module, "MAX_ATTACHMENT_BYTES", limit)
    monkeypatch.setattr(message_module, "_RUN_LIMIT", limit * 78 // 57 + 2 * message_module.LINE_CHUNK)
    _write_big_mail(tmp_path / "a.mbox", raw_size=12 * limit)  # 8 MB of base64
    tracemalloc.start()
    try:
        (item,) = items(tmp_path / "a.mbox")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [a.filename for a in item.attachments] == ["tp1.py"]
    assert any("Refused huge.ipynb: larger than" in note for note in item.notes)
    assert peak < 6 * limit, f"peak {peak >> 10} KB while reading a mail of {12 * limit >> 10} KB"


@pytest.mark.slow
def test_an_attachment_of_hundreds_of_mb_is_refused_with_bounded_memory(tmp_path):
    import subprocess
    import sys

    _write_big_mail(tmp_path / "big.mbox", raw_size=300 * 1024 * 1024)
    probe = (
        "import sys; from grader.batch.mail import read_inbox\n"
        "(item,) = list(read_inbox(sys.argv[1]))\n"
        # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss starts at the parent's size (a long
        # test session's), VmHWM at this process's own.
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]\n"
        "print([a.filename for a in item.attachments], any('Refused huge' in n for n in item.notes),\n"
        "      int(hwm) // 1024)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "big.mbox")], capture_output=True, text=True,
                         check=True, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}).stdout
    names, refused, peak_mb = out.rsplit(" ", 2)[0], out.split()[-2], int(out.split()[-1])
    assert "['tp1.py']" in names and refused == "True"
    # Parsing is bounded to the first 64 MB of a message (a few times that in Python objects);
    # reading this mail whole would hold its 300 MB and the decoded attachment, well over 500 MB.
    assert peak_mb < 400, f"reading a 300 MB mail peaked at {peak_mb} MB"


def test_a_body_that_is_not_utf8_is_read_with_a_note(tmp_path):
    raw = ("From: a@univ.example\nSubject: TP1\nMessage-ID: <l@x>\nContent-Type: text/plain; charset=utf-8\n"
           "Content-Transfer-Encoding: 8bit\n\n").encode() + "Voilà mon travail, désolé du retard\n".encode("latin-1")
    unknown = b"From: b@univ.example\nSubject: TP1\nMessage-ID: <m@x>\nContent-Type: text/plain; charset=x-klingon\n\nqapla\n"
    first, second = items(mbox(tmp_path / "a.mbox", raw, unknown))
    assert any("not valid utf-8" in note for note in first.notes)
    assert any("not valid x-klingon" in note for note in second.notes)


def test_received_gives_the_time_and_date_is_the_flagged_fallback(tmp_path):
    no_received = mail(received=None, msgid="<1@x>")
    malformed_date = mail(received=None, date=None, msgid="<2@x>").as_bytes().replace(b"Subject:", b"Date: yesterday at noon\nSubject:")
    no_date = mail(received=None, date=None, msgid="<3@x>")
    bad_received = mail(received="from x by y with SMTP id 1", msgid="<4@x>")
    utc_unknown = mail(received="by mx; 10 Mar 2026 08:00:00 -0000", msgid="<5@x>")
    got = items(mbox(tmp_path / "a.mbox", no_received, malformed_date, no_date, bad_received, utc_unknown))
    assert [i.time_source for i in got] == ["date", "none", "none", "date", "received"]
    assert got[0].sent_at == datetime(2026, 3, 10, 8, 10, tzinfo=timezone.utc)
    assert any("Date: header, which the sender's computer sets" in n for n in got[0].notes)
    assert any("Date: header is malformed" in n for n in got[1].notes)
    assert any("Date: header is missing" in n for n in got[2].notes)
    assert got[4].sent_at == datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)


def test_two_different_messages_with_one_message_id_are_both_kept_under_distinct_keys(tmp_path):
    one = mail(msgid="<same@x>", files=[("a.py", b"x = 1", "text/x-python")])
    two = mail(msgid="<same@x>", files=[("a.py", b"x = 2", "text/x-python")])
    first, second = items(mbox(tmp_path / "a.mbox", one, two))
    assert first.key == "<same@x>" and second.key.startswith("sha256:") and first.key != second.key
    assert second.attachments[0].data == b"x = 2" and second.skipped == ""
    assert [i.key for i in items(tmp_path / "a.mbox")] == [first.key, second.key]  # stable on a rerun


def test_an_exact_copy_is_listed_as_skipped_under_its_own_key(tmp_path):
    one = mail(files=[("a.py", b"x = 1", "text/x-python")])
    first, copy = items(mbox(tmp_path / "a.mbox", one, one))
    assert copy.key != first.key and copy.skipped == "an exact copy of an earlier message"


def test_an_mbox_that_ends_mid_message_keeps_the_messages_before_it(tmp_path):
    path = mbox(tmp_path / "a.mbox", mail(msgid="<1@x>", files=[("a.py", b"x = 1", "text/x-python")]),
                mail(msgid="<2@x>", files=[("b.ipynb", NOTEBOOK * 50, "application/x-ipynb+json")]))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 300])
    first, cut = items(path)
    assert first.attachments[0].data == b"x = 1" and first.notes == ()
    assert cut.key == "<2@x>" and any("ends before its last part is complete" in n for n in cut.notes)


def test_attachments_that_are_not_submissions_are_noted_not_graded(tmp_path):
    files = [("report.pdf", b"%PDF-1.4", "application/pdf"), ("screenshot.png", b"\x89PNG", "image/png"),
             ("tp1.ipynb", NOTEBOOK, "application/x-ipynb+json")]
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=files)))
    assert [a.filename for a in item.attachments] == ["tp1.ipynb"]
    assert [n.split(" (")[0] for n in item.notes] == ["Ignored report.pdf", "Ignored screenshot.png"]


def test_a_suffix_added_by_a_browser_is_dropped_with_a_note(tmp_path):
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=[("tp1.ipynb.json", NOTEBOOK, "application/json")])))
    assert [a.filename for a in item.attachments] == ["tp1.ipynb"] and "read as tp1.ipynb" in item.notes[0]


def _forward(inner: EmailMessage, sender: str) -> EmailMessage:
    outer = mail(sender=sender, subject="Fwd: Practical Work 1", msgid=f"<fwd{id(inner)}@x>")
    outer.add_attachment(inner)
    return outer


def test_forwarded_mail_is_read_recursively_up_to_a_bound(tmp_path):
    original = mail(sender="Student <s@univ.example>", files=[("tp1.ipynb", NOTEBOOK, "application/x-ipynb+json")])
    once = _forward(original, "TA <ta@univ.example>")
    (item,) = items(mbox(tmp_path / "a.mbox", once))
    assert item.sender == "ta@univ.example" and item.forwarded_from == ("s@univ.example",)
    assert [a.data for a in item.attachments] == [NOTEBOOK]
    deep = original
    for _ in range(message_module.MAX_FORWARD_DEPTH + 1):
        deep = _forward(deep, "TA <ta@univ.example>")
    (too_deep,) = items(mbox(tmp_path / "b.mbox", deep))
    assert too_deep.attachments == () and any("nested more than" in n for n in too_deep.notes)


def test_replies_in_a_thread_carry_their_parents(tmp_path):
    reply = mail(subject="Re: Practical Work 1", msgid="<r@x>")
    reply["In-Reply-To"] = "<1@example.net>"
    reply["References"] = "<0@example.net> <1@example.net>"
    (item,) = items(mbox(tmp_path / "a.mbox", reply))
    assert (item.in_reply_to, item.references) == ("<1@example.net>", ("<0@example.net>", "<1@example.net>"))


@pytest.mark.parametrize("labels, reason", [("Spam", "Gmail label Spam"), ("Opened,Trash", "Gmail label Trash"),
                                            ("Inbox,Opened,Category Personal", "")])
def test_gmail_takeout_spam_and_trash_are_skipped_with_the_reason(tmp_path, labels, reason):
    message = mail(files=[("tp1.ipynb", NOTEBOOK, "application/x-ipynb+json")])
    message["X-Gmail-Labels"] = labels
    (item,) = items(mbox(tmp_path / "a.mbox", message))
    assert item.skipped == reason


def test_maildir_and_a_folder_of_eml_files_are_inboxes(tmp_path):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(mail(msgid="<m1@x>"))
    box.add(mail(msgid="<m2@x>"))
    assert sorted(i.key for i in items(tmp_path / "Maildir")) == ["<m1@x>", "<m2@x>"]
    (tmp_path / "eml").mkdir()
    (tmp_path / "eml" / "one.eml").write_bytes(mail(msgid="<e1@x>").as_bytes())
    assert [i.key for i in items(tmp_path / "eml")] == ["<e1@x>"]
    assert [i.key for i in items(tmp_path / "eml" / "one.eml")] == ["<e1@x>"]


def test_a_folder_of_saved_submissions_gives_one_item_per_student(tmp_path):
    moodle = tmp_path / "Jane Doe_123456_assignsubmission_file_"
    moodle.mkdir()
    (moodle / "tp1.ipynb").write_bytes(NOTEBOOK)
    (moodle / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "doejohn_LATE_42_77_tp1.py").write_bytes(b"x = 1")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "link.py").symlink_to("/etc/hostname")
    jane, canvas = items(tmp_path)
    assert (jane.sender_name, [a.filename for a in jane.attachments]) == ("Jane Doe", ["tp1.ipynb"])
    assert any("Ignored notes.pdf" in n for n in jane.notes) and jane.time_source == "none"
    assert (canvas.sender_name, [a.filename for a in canvas.attachments]) == ("doejohn", ["tp1.py"])
    assert any("Canvas marked this submission late" in n for n in canvas.notes)
    (moodle / "tp1.ipynb").write_bytes(NOTEBOOK + b" ")
    assert [i.key for i in items(tmp_path)][0] != jane.key  # a changed file is a new attempt


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.mbox", "does not exist"),
    (lambda p: (p / "x.zip").write_bytes(b"PK\x03\x04") and p / "x.zip", "unzip the LMS download"),
    (lambda p: (p / "x.bin").write_bytes(b"\x00\x01binary") and p / "x.bin", "is not an mbox file"),
])
def test_an_inbox_that_cannot_be_read_is_one_sentence(tmp_path, make, message):
    with pytest.raises(MailError, match=message):
        items(make(tmp_path))


def test_parts_nested_thousands_deep_are_an_unreadable_mail_not_a_crash(tmp_path):
    depth = 1500  # past the interpreter's recursion limit
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    raw = f"From: a@univ.example\nSubject: TP1\nMessage-ID: <deep@x>\n{head}Content-Type: text/plain\n\nhi\n".encode()
    path = tmp_path / "deep.mbox"
    path.write_bytes(b"From a Tue Mar 10 09:00:00 2026\n" + raw + b"From b Tue Mar 10 09:00:00 2026\n" + mail(msgid="<after@x>").as_bytes())
    deep, after = items(path)
    assert deep.attachments == () and deep.skipped == "Unreadable mail: the message nests parts too deeply to be read."
    assert after.key == "<after@x>"


def test_only_the_first_part_of_a_giant_message_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(message_module, "MAX_MESSAGE_BYTES", 64 * 1024)
    files = [(f"junk{i}.py", b"#" * 40_000, "text/x-python") for i in range(4)]
    (item,) = items(mbox(tmp_path / "a.mbox", mail(files=files)))
    assert any("Only the first" in n for n in item.notes) and len(item.attachments) < 4


def test_a_saved_entry_named_after_an_address_is_read_as_from_that_address(tmp_path):
    (tmp_path / "Ada.Lovelace@Uni.example").mkdir()
    (tmp_path / "Ada.Lovelace@Uni.example" / "tp1.py").write_bytes(b"x = 1")
    (tmp_path / "bob@uni.example.ipynb").write_bytes(NOTEBOOK)
    (tmp_path / "not@an address").mkdir()
    (tmp_path / "not@an address" / "tp1.py").write_bytes(b"x = 2")
    ada, bob, other = items(tmp_path)
    assert (ada.sender, ada.sender_name) == ("ada.lovelace@uni.example", "")
    assert (bob.sender, [a.filename for a in bob.attachments]) == ("bob@uni.example", ["bob@uni.example.ipynb"])
    assert (other.sender, other.sender_name) == ("", "not@an address")
