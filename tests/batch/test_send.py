"""`grade batch --send` against a real SMTP server on loopback (aiosmtpd): each student gets one
reply, in the thread of the mail that counted, with their report; a rerun sends nothing twice;
a recipient the server refuses is recorded, listed, and sent on a later run, once."""

from __future__ import annotations

import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from grader.batch.roster import load_roster
from grader.batch.run import Options, batch
from grader.batch.state import DATABASE
from grader.cli import EXIT_GRADED, EXIT_NOT_ALL_SENT, main
from tests.batch.course import BASE, GOOD, HALF, mail, make_course, write_mbox

COURSE_ADDRESS = "course@uni.example"


class Mailroom:
    """An SMTP handler that keeps what it accepts and refuses the recipients in `refuse`."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refused: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address.lower() in self.refuse:
            self.refused.append(address)
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message_from_bytes(content, policy=policy.default)
                for _, recipients, content in self.received if address in recipients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    room = Mailroom()
    controller = Controller(room, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield room, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(tmp_path, smtp_server, monkeypatch):
    for name in ("HOST", "PORT", "STARTTLS", "SSL", "USER", "PASSWORD", "FROM", "CAFILE"):
        monkeypatch.delenv(f"GRADER_SMTP_{name}", raising=False)
    config = tmp_path / "smtp.toml"
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server[1]}\nstarttls = false\n'
                      f'from = "Tiny course <{COURSE_ADDRESS}>"\n', encoding="utf-8")
    return config


def test_send_gives_each_student_one_reply_in_their_thread_and_retries_a_refused_one_once(
        tmp_path, smtp_server, smtp_settings):
    room, _ = smtp_server
    course = make_course(tmp_path / "course")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,emails\ns0,Ada,Lovelace,ada@uni.example\n"
                      "s1,Bob,Refused,bob@uni.example\ns2,Cy,Twice,cy@uni.example\n", encoding="utf-8")
    mails = [mail("Ada <ada@uni.example>", BASE, [("tiny.py", GOOD.encode())], number=1),
             mail("Bob <bob@uni.example>", BASE, [("tiny.py", HALF.encode())], number=2),
             mail("Cy <cy@uni.example>", BASE, [("tiny.py", HALF.encode())], number=3),
             mail("Cy <cy@uni.example>", BASE + timedelta(hours=1), [("tiny.py", GOOD.encode())],
                  subject="Re: Tiny Work 1", number=4)]
    inbox, out = write_mbox(tmp_path / "inbox.mbox", mails), tmp_path / "out"
    room.refuse = {"bob@uni.example"}

    with ThreadPoolExecutor(1) as pool:
        first = batch(inbox, out, course=course, executor=pool, roster=load_roster(roster),
                      options=Options(assignment="tiny", progress=False, send=True, smtp_config=smtp_settings))
    assert (first.replies_written, first.replies_sent, first.replies_refused) == (3, 2, 1)
    assert "1 replies refused by the server (sent on the next run)" in first.line()
    for address, score, thread in (("ada@uni.example", "3 / 3", "<m0001@client.example>"),
                                   ("cy@uni.example", "3 / 3", "<m0004@client.example>")):
        [reply] = room.to(address)  # exactly one
        assert reply["To"] == address and reply["From"].addresses[0].addr_spec == COURSE_ADDRESS
        assert reply["In-Reply-To"] == thread and thread in reply["References"]
        assert f"score {score}." in reply.get_body(("plain",)).get_content()
        [report] = list(reply.iter_attachments())
        assert report.get_filename() == "tiny-report.html" and "<html" in report.get_content().lower()
    assert [r[0] for r in room.received] == [COURSE_ADDRESS] * 2  # the envelope sender is the course
    assert room.to("bob@uni.example") == [] and room.refused == ["bob@uni.example"]
    with sqlite3.connect(out / DATABASE) as db:
        assert db.execute("SELECT student, sent_at IS NULL, refused LIKE '%550%' FROM replies ORDER BY student"
                          ).fetchall() == [("s0", 0, None), ("s1", 1, 1), ("s2", 0, None)]
    assert "<td>reply refused</td><td>s1</td>" in (out / "index.html").read_text(encoding="utf-8")

    def grade_batch() -> int:  # the command itself; nothing is left to grade, so no pool starts
        return main(["--course", str(course), "batch", str(inbox), "--assignment", "tiny", "--roster", str(roster),
                     "--out", str(out), "--send", "--smtp-config", str(smtp_settings)])

    assert grade_batch() == EXIT_NOT_ALL_SENT  # still refused: nothing sent twice, Bob tried again
    assert len(room.received) == 2 and room.refused == ["bob@uni.example"] * 2
    room.refuse = set()
    assert grade_batch() == EXIT_GRADED
    [reply] = room.to("bob@uni.example")
    assert reply["In-Reply-To"] == "<m0002@client.example>" and "score 1 / 3." in reply.get_body(("plain",)).get_content()
    assert "<td>reply refused</td>" not in (out / "index.html").read_text(encoding="utf-8")
    assert grade_batch() == EXIT_GRADED
    assert sorted(recipients[0] for _, recipients, _ in room.received) == ["ada@uni.example", "bob@uni.example",
                                                                         "cy@uni.example"]


def test_send_without_a_reachable_server_records_nothing_as_sent_and_says_so(tmp_path, smtp_settings, monkeypatch):
    course = make_course(tmp_path / "course")
    inbox = write_mbox(tmp_path / "inbox.mbox", [mail("Ada <ada@uni.example>", BASE, [("tiny.py", GOOD.encode())])])
    monkeypatch.setenv("GRADER_SMTP_PORT", str(free_port()))  # nobody listens there
    with ThreadPoolExecutor(1) as pool:
        summary = batch(inbox, tmp_path / "out", course=course, executor=pool,
                        options=Options(assignment="tiny", progress=False, send=True, smtp_config=smtp_settings))
    assert summary.replies_sent == 0 and "Cannot talk to the SMTP server 127.0.0.1" in summary.send_error
    assert "Not every reply was sent" in summary.line()
    with sqlite3.connect(tmp_path / "out" / DATABASE) as db:
        assert db.execute("SELECT COUNT(*), COUNT(sent_at) FROM replies").fetchone() == (1, 0)
