"""Replies: built in the student's thread, written as .eml, sent once through a real SMTP server
listening on loopback (aiosmtpd), with STARTTLS and a login like a campus server."""

from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from grader.batch.mail import MailItem, read_inbox
from grader.batch.replies import ReplyError, SmtpConfig, build_reply, send_replies, write_reply
from grader.results import ExerciseResult, GradeResult, Problem
from tests.conftest import skip_unless_strict

LOOPBACK = "127.0.0.1"  # the only address these tests ever talk to


def item(sender="jane.doe@univ.example", key="<s1@mail.example.net>", subject="Practical Work 1") -> MailItem:
    return MailItem(key=key, message_id=key, sender=sender, sender_name="Jane Doe", subject=subject,
                    sent_at=datetime(2026, 3, 10, tzinfo=timezone.utc), time_source="received", attachments=(),
                    body_code=None, notes=(), skipped="", in_reply_to="<s0@mail.example.net>",
                    references=("<s0@mail.example.net>",))


RESULT = GradeResult(
    student="s1", assignment="tp1", submission="tp1.ipynb", score=7.5, max_score=10.0,
    exercises=(ExerciseResult("LinearNet", 2.0, 2.0, ()), ExerciseResult("MLPNet", 0.0, 2.5, ())),
    problems=(Problem("MLPNet has no ReLU between its layers."),),
)


@pytest.fixture
def report(tmp_path) -> Path:
    path = tmp_path / "report.html"
    path.write_text("<html><body><h1>7.5 / 10</h1></body></html>")
    return path


def test_a_reply_is_in_the_thread_with_the_report_and_a_summary(report):
    reply = build_reply(item(), "Jane Doe", RESULT, report, "grader@univ.example", extra=["Attempt 2 of 2: this one counts."])
    assert reply["To"] == "jane.doe@univ.example" and reply["From"] == "grader@univ.example"
    assert reply["Subject"] == "Re: Practical Work 1"
    assert reply["In-Reply-To"] == "<s1@mail.example.net>"
    assert reply["References"] == "<s0@mail.example.net> <s1@mail.example.net>"
    assert reply["Message-ID"].endswith("@univ.example>") and reply["Message-ID"] != item().message_id
    body = reply.get_body(("plain",)).get_content()
    assert "Hello Jane Doe" in body and "score 7.5 / 10" in body
    assert "[ok] LinearNet: 2 / 2" in body and "[--] MLPNet: 0 / 2.5" in body and "no ReLU" in body
    assert "Attempt 2 of 2: this one counts." in body
    (attached,) = list(reply.iter_attachments())
    assert attached.get_filename() == "tp1-report.html" and b"7.5 / 10" in attached.get_payload(decode=True)


def test_a_subject_already_a_reply_is_not_prefixed_twice_and_a_hostile_subject_stays_one_line(report):
    assert build_reply(item(subject="RE: TP1"), "J", RESULT, report, "g@u.example")["Subject"] == "RE: TP1"
    reply = build_reply(item(subject="TP1\r\nBcc: everyone@univ.example"), "J", RESULT, report, "g@u.example")
    assert reply["Bcc"] is None and "\n" not in reply["Subject"]


def test_an_ungraded_submission_is_not_blamed_on_the_student(report):
    failed = GradeResult(student="s1", assignment="tp1", submission="tp1.ipynb", score=0, max_score=10,
                         exercises=(), grader_error="worker crashed")
    body = build_reply(item(), "Jane", failed, report, "g@u.example").get_body(("plain",)).get_content()
    assert "could not be graded automatically" in body and "0 / 10" not in body


def test_a_reply_needs_an_address_and_a_report(tmp_path, report):
    with pytest.raises(ReplyError, match="no sender address"):
        build_reply(item(sender=""), "J", RESULT, report, "g@u.example")
    with pytest.raises(ReplyError, match="grade again"):
        build_reply(item(), "J", RESULT, tmp_path / "missing.html", "g@u.example")


def test_a_written_reply_is_an_eml_file_that_an_inbox_reader_skips(tmp_path, report):
    path = write_reply(build_reply(item(), "Jane", RESULT, report, "g@u.example"), tmp_path / "replies" / "s1.eml")
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["In-Reply-To"] == "<s1@mail.example.net>" and not list(tmp_path.glob("replies/*.part"))
    (again,) = list(read_inbox(path))
    assert again.skipped == "a reply written by this grader"


def test_smtp_config_from_the_environment_and_from_a_file(tmp_path):
    env = {"GRADER_SMTP_HOST": "smtp.univ.example", "GRADER_SMTP_USER": "grader@univ.example", "GRADER_SMTP_PASSWORD": "pw"}
    config = SmtpConfig.load(env=env)
    assert (config.host, config.port, config.starttls, config.ssl, config.sender) == ("smtp.univ.example", 587, True, False, "grader@univ.example")
    path = tmp_path / "smtp.toml"
    path.write_text('[smtp]\nhost = "mail.univ.example"\nport = 465\nssl = true\nuser = "u"\npassword = "p"\nfrom = "Course <c@univ.example>"\n')
    path.chmod(0o600)
    config = SmtpConfig.load(path, env={})
    assert (config.port, config.ssl, config.starttls, config.sender) == (465, True, False, "Course <c@univ.example>")
    assert SmtpConfig.load(path, env={"GRADER_SMTP_PORT": "2525"}).port == 2525
    path.chmod(0o644)
    with pytest.raises(ReplyError, match="chmod 600"):
        SmtpConfig.load(path, env={})


@pytest.mark.parametrize("env, message", [
    ({}, "No SMTP server configured"),
    ({"GRADER_SMTP_HOST": "h"}, "No sender address"),
    ({"GRADER_SMTP_HOST": "h", "GRADER_SMTP_FROM": "a@b.example", "GRADER_SMTP_PORT": "smtp"}, "not a number"),
    ({"GRADER_SMTP_HOST": "h", "GRADER_SMTP_FROM": "a@b.example", "GRADER_SMTP_STARTTLS": "maybe"}, "yes/no"),
])
def test_an_smtp_config_that_cannot_be_used_is_one_sentence(env, message):
    with pytest.raises(ReplyError, match=message):
        SmtpConfig.load(env=env)


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses one recipient."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Inbox()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def replies(report, *senders):
    return [(f"<{s}>", build_reply(item(sender=s, key=f"<{s}>"), "X", RESULT, report, "grader@univ.example")) for s in senders]


def test_replies_are_sent_once_and_never_twice(smtp_server, report):
    handler, port = smtp_server
    config = SmtpConfig(LOOPBACK, port, starttls=False, user="", password="", sender="grader@univ.example")
    sent: set[str] = set()
    batch = replies(report, "a@univ.example", "b@univ.example")
    assert send_replies(batch, config, sent.__contains__, sent.add) == 2
    assert send_replies(batch, config, sent.__contains__, sent.add) == 0
    assert sent == {"<a@univ.example>", "<b@univ.example>"}
    assert [(frm, to) for frm, to, _ in handler.received] == [("grader@univ.example", ["a@univ.example"]), ("grader@univ.example", ["b@univ.example"])]
    delivered = message_from_bytes(handler.received[0][2], policy=policy.default)
    assert delivered["In-Reply-To"] == "<a@univ.example>" and delivered["Subject"] == "Re: Practical Work 1"


def test_a_refused_recipient_is_reported_and_the_others_still_go(smtp_server, report):
    handler, port = smtp_server
    config = SmtpConfig(LOOPBACK, port, starttls=False, user="", password="", sender="grader@univ.example")
    sent: set[str] = set()
    errors: list[tuple[str, str]] = []
    batch = replies(report, "a@univ.example", "refused@univ.example", "c@univ.example")
    assert send_replies(batch, config, sent.__contains__, sent.add, on_error=lambda k, s: errors.append((k, s))) == 2
    assert sent == {"<a@univ.example>", "<c@univ.example>"} and errors[0][0] == "<refused@univ.example>"
    with pytest.raises(ReplyError, match="0 replies sent, 1 refused"):
        send_replies(batch, config, sent.__contains__, sent.add)


def test_nothing_to_send_opens_no_connection(report):
    config = SmtpConfig(LOOPBACK, free_port(), starttls=False, user="", password="", sender="g@u.example")
    assert send_replies(replies(report, "a@univ.example"), config, lambda key: True, lambda key: None) == 0
    with pytest.raises(ReplyError, match="Cannot talk to the SMTP server"):
        send_replies(replies(report, "a@univ.example"), config, lambda key: False, lambda key: None)


@pytest.fixture
def tls_server(tmp_path):
    if shutil.which("openssl") is None:
        skip_unless_strict("openssl is needed to make the test server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={LOOPBACK}",
                    "-addext", f"subjectAltName=IP:{LOOPBACK}"], check=True, capture_output=True)
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"grader", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    handler = Inbox()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        yield handler, controller.port, str(cert)
    finally:
        controller.stop()


def test_starttls_and_login_like_a_campus_server(tls_server, report):
    handler, port, cafile = tls_server
    config = SmtpConfig(LOOPBACK, port, starttls=True, user="grader", password="s3cret", sender="grader@univ.example", cafile=cafile)
    sent: set[str] = set()
    assert send_replies(replies(report, "a@univ.example"), config, sent.__contains__, sent.add) == 1
    assert len(handler.received) == 1
    wrong = SmtpConfig(LOOPBACK, port, starttls=True, user="grader", password="nope", sender="g@univ.example", cafile=cafile)
    with pytest.raises(ReplyError, match="refused the user 'grader'"):
        send_replies(replies(report, "b@univ.example"), wrong, lambda key: False, lambda key: None)
    untrusted = SmtpConfig(LOOPBACK, port, starttls=True, user="grader", password="s3cret", sender="g@univ.example")
    with pytest.raises(ReplyError, match="Cannot talk to the SMTP server"):  # an unknown certificate is refused
        send_replies(replies(report, "c@univ.example"), untrusted, lambda key: False, lambda key: None)
    assert len(handler.received) == 1


def test_a_reply_sent_from_its_written_file_is_the_reply_that_was_built(smtp_server, report, tmp_path):
    """A batch keeps each reply as the .eml it wrote and reads it back just before sending (a
    class's replies, each with its report, are never all held at once): the server gets the same
    bytes as when the built message itself is sent."""
    handler, port = smtp_server
    config = SmtpConfig(LOOPBACK, port, starttls=False, user="", password="", sender="grader@univ.example")
    (key, built), = replies(report, "a@univ.example")
    path = write_reply(built, tmp_path / "a.eml")
    sent: set[str] = set()
    assert send_replies([("built", built), ("from its file", path)], config, sent.__contains__, sent.add) == 2
    (_, to_built, from_memory), (_, to_file, from_file) = handler.received
    assert to_built == to_file == ["a@univ.example"]
    assert from_file == from_memory
    delivered = message_from_bytes(from_file, policy=policy.default)
    assert delivered["In-Reply-To"] == "<a@univ.example>"
    assert [p.get_filename() for p in delivered.iter_attachments()] == [p.get_filename() for p in built.iter_attachments()]
