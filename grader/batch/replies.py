"""Replies to students: an .eml per graded mail, in its thread, and sending them by SMTP.

The SMTP server and its password come from a config file (TOML, `[smtp]` table) or from the
environment (GRADER_SMTP_HOST, _PORT, _STARTTLS, _SSL, _USER, _PASSWORD, _FROM, _CAFILE),
never from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import stat
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.batch.message import GRADER_HEADER

if TYPE_CHECKING:
    from grader.batch.mail import MailItem
    from grader.batch.state import State
    from grader.results import GradeResult

# A report page is tens of KB; a larger file would be refused by many servers.
MAX_REPORT_BYTES = 10 * 1024 * 1024
SMTP_TIMEOUT_SECONDS = 30
_MSGID = re.compile(r"^<[^<>\s]{1,900}>$")


class ReplyError(Exception):
    """Replies cannot be built or sent: one sentence and a hint."""


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ReplyError(f"{name}={value!r} is not a yes/no value; write true or false.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str
    # Implicit TLS from the first byte (port 465) instead of STARTTLS.
    ssl: bool = False
    # A CA bundle to trust (a campus server with its own certificate authority).
    cafile: str = ""

    @classmethod
    def load(cls, path: Path | None = None, env: Mapping[str, str] = os.environ) -> SmtpConfig:
        """From a TOML file's `[smtp]` table (host, port, starttls, ssl, user, password, from,
        cafile), then the GRADER_SMTP_* environment variables, which win."""
        values: dict[str, object] = {}
        if path is not None:
            path = Path(path)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ReplyError(f"The SMTP config {path} cannot be read ({exc.strerror}).") from None
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ReplyError(f"The SMTP config {path} is not valid TOML ({exc}).") from None
            table = data.get("smtp", data)
            if not isinstance(table, dict):
                raise ReplyError(f"The SMTP config {path} needs an [smtp] table.")
            values.update({k: v for k, v in table.items() if not isinstance(v, dict)})
            if values.get("password") and os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ReplyError(f"{path} holds a password and other users can read it; run chmod 600 {path}.")
        for key in ("host", "port", "starttls", "ssl", "user", "password", "from", "cafile"):
            if env.get(f"GRADER_SMTP_{key.upper()}"):
                values[key] = env[f"GRADER_SMTP_{key.upper()}"]
        host = str(values.get("host", "")).strip()
        if not host:
            raise ReplyError("No SMTP server configured; set GRADER_SMTP_HOST (and _PORT, _USER, _PASSWORD, _FROM) or give a config file with an [smtp] table.")
        use_ssl = _flag(values.get("ssl", False), "ssl")
        try:
            port = int(values.get("port", 465 if use_ssl else 587))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ReplyError(f"SMTP port {values.get('port')!r} is not a number.") from None
        user = str(values.get("user", ""))
        sender = str(values.get("from", "") or user)
        if "@" not in sender:
            raise ReplyError("No sender address for replies; set GRADER_SMTP_FROM or 'from' in the [smtp] table.")
        return cls(
            host=host,
            port=port,
            starttls=_flag(values.get("starttls", not use_ssl), "starttls") and not use_ssl,
            user=user,
            password=str(values.get("password", "")),
            sender=sender,
            ssl=use_ssl,
            cafile=str(values.get("cafile", "")),
        )


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def reply_subject(subject: str) -> str:
    subject = _one_line(subject) or "your submission"
    return subject if re.match(r"^re\s*:", subject, re.I) else f"Re: {subject}"


def summary(student_name: str, result: GradeResult, extra: Sequence[str] = ()) -> str:
    """The plain-text body: the score, one line per exercise, what to look at."""
    lines = [f"Hello {_one_line(student_name, 100)}," if student_name else "Hello,", ""]
    if not result.graded:
        lines += [
            f"Your submission {_one_line(result.submission, 200)} could not be graded automatically;",
            "your instructor will look at it. Nothing is wrong on your side until they say so.",
        ]
    else:
        lines += [f"Your submission {_one_line(result.submission, 200)} for {result.assignment}:",
                  f"score {result.score:g} / {result.max_score:g}.", ""]
        for exercise in result.exercises:
            mark = "ok" if exercise.score >= exercise.max_score else "--"
            lines.append(f"  [{mark}] {exercise.name}: {exercise.score:g} / {exercise.max_score:g}")
        problems = [p for p in result.problems if p.severity != "info"]
        if problems:
            lines += ["", "To look at:"] + [f"  - {_one_line(p.message, 300)}" for p in problems[:10]]
    if extra:
        lines += [""] + [_one_line(line, 300) for line in extra[:10]]
    lines += ["", "The full report is attached (open it in a browser).", "", "-- ", "torch-grader"]
    return "\n".join(lines) + "\n"


def build_reply(item: MailItem, student_name: str, result: GradeResult, report_html: Path, sender: str,
                extra: Sequence[str] = ()) -> EmailMessage:
    """A reply in the thread of the student's mail, with the report attached. `extra`: lines
    the batch adds to the summary ("Late by 3 h: 90% of the score kept.", "Attempt 2 of 2.")."""
    if not item.sender:
        raise ReplyError(f"The mail {item.key} has no sender address to reply to.")
    report_html = Path(report_html)
    try:
        if report_html.stat().st_size > MAX_REPORT_BYTES:
            raise ReplyError(f"The report {report_html} is larger than {MAX_REPORT_BYTES >> 20} MB; it is not sent by mail.")
        report = report_html.read_bytes()
    except OSError as exc:
        raise ReplyError(f"The report {report_html} cannot be read ({exc.strerror}); grade again to write it.") from None
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = item.sender
    message["Subject"] = reply_subject(item.subject)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if _MSGID.match(item.message_id):
        message["In-Reply-To"] = item.message_id
        thread = [r for r in item.references if _MSGID.match(r)][-20:]
        message["References"] = " ".join([*thread, item.message_id])
    message[GRADER_HEADER] = "reply"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(summary(student_name, result, extra))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{result.assignment}-report") + ".html"
    message.add_attachment(report, maintype="text", subtype="html", filename=name)
    return message


def write_reply(message: EmailMessage, path: Path) -> Path:
    """Write the reply as an .eml file (atomically: a killed run leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(message.as_bytes(policy=policy.SMTP))
    os.replace(partial, path)
    return path


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=config.cafile or None)
    try:
        if config.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS)
        client.ehlo()
        if config.starttls:
            client.starttls(context=context)
            client.ehlo()
        if config.user:
            client.login(config.user, config.password)
    except smtplib.SMTPAuthenticationError:
        raise ReplyError(f"The SMTP server {config.host} refused the user {config.user!r} and its password; check GRADER_SMTP_USER and _PASSWORD.") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ReplyError(f"The SMTP server {config.host}:{config.port} does not support what the config asks ({exc}); check starttls/ssl and the port.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ReplyError(f"Cannot talk to the SMTP server {config.host}:{config.port} ({exc}); check the host, the port and starttls/ssl.") from None
    return client


def read_reply(path: Path) -> EmailMessage:
    """A reply as `write_reply` wrote it."""
    message = message_from_bytes(Path(path).read_bytes(), policy=policy.SMTP)
    assert isinstance(message, EmailMessage)  # what an EmailPolicy parses into
    return message


def send_replies(
    messages: Iterable[tuple[str, EmailMessage | Path]],
    config: SmtpConfig,
    already_sent: Callable[[str], bool],
    mark_sent: Callable[[str], None],
    on_error: Callable[[str, str], None] | None = None,
) -> int:
    """Send each (key, message) whose key is not already sent, marking it right after the
    server accepted it; returns how many were sent. A message may be given as the path of the
    .eml `write_reply` wrote: it is read just before it is sent (a class's replies, each with its
    report attached, are never all held at once). The connection opens only when there is
    something to send. A message the server refuses is reported to `on_error(key, sentence)`
    (or raised at the end when there is no `on_error`) and the others still go."""
    client: smtplib.SMTP | None = None
    sent = 0
    refused: list[str] = []
    try:
        for key, given in messages:
            if already_sent(key):
                continue
            message = given if isinstance(given, EmailMessage) else read_reply(given)
            if client is None:
                client = _connect(config)
            try:
                client.send_message(message, from_addr=config.sender)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                sentence = f"The SMTP server refused the reply to {message.get('To', '?')} ({exc})."
                if on_error is None:
                    refused.append(sentence)
                else:
                    on_error(key, sentence)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                raise ReplyError(f"Sending stopped after {sent} replies: {exc}; run again to send the rest (none is sent twice).") from None
            mark_sent(key)
            sent += 1
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    if refused:
        raise ReplyError(f"{sent} replies sent, {len(refused)} refused: {refused[0]}")
    return sent


@dataclass(frozen=True)
class Replies:
    written: int = 0
    sent: int = 0
    refused: int = 0  # refused by the SMTP server this run: unsent, tried again on the next run
    error: str = ""  # why sending stopped early (the rest go on the next run)


def write_replies(state: State, out: Path, entries: Iterable[Any], items: dict[str, MailItem],
                  options: Any, smtp: SmtpConfig | None = None) -> Replies:
    """One reply per student and assignment, in the thread of the counted submission's mail,
    with the report attached: written to out/replies/, and with --send sent by SMTP. A reply is
    keyed by the graded job it reports, so it is sent once, and again only if the grade changed.
    A reply the server refuses is recorded (the dashboard lists it) and stays unsent, so every
    later run with --send tries it again; none is ever sent twice."""
    from grader.batch.run import folder_name

    messages: list[tuple[str, Path]] = []  # each reply's key and its .eml, not the message itself
    for entry in entries:
        item = items.get(entry.message_key)
        if item is None or not item.sender or entry.shown is None:
            continue  # a saved submission with no address, or a mail from no one: nobody to answer
        report = out / entry.report
        sender = smtp.sender if smtp is not None else options.reply_from
        extra = (f"Late: {entry.late}.",) if entry.late else ()
        message = build_reply(item, entry.name or entry.student, entry.shown, report, sender, extra)
        path = write_reply(message, out / "replies" / folder_name(entry.student) / f"{entry.assignment}.eml")
        key = hashlib.sha256(f"{entry.student}\0{entry.assignment}\0{entry.job_key}".encode()).hexdigest()
        state.record_reply(key, entry.student, entry.assignment, entry.job_key, path.relative_to(out).as_posix())
        messages.append((key, path))
    if smtp is None or not messages:
        return Replies(written=len(messages))
    refused: list[str] = []

    def on_refused(key: str, sentence: str) -> None:
        state.mark_refused(key, sentence)
        refused.append(key)

    sent_before = sum(state.reply_sent(key) for key, _ in messages)
    try:
        sent = send_replies(messages, smtp, state.reply_sent, state.mark_sent, on_error=on_refused)
        error = ""
    except ReplyError as exc:  # the connection failed or was lost: what went is recorded
        sent = sum(state.reply_sent(key) for key, _ in messages) - sent_before
        error = str(exc)
    return Replies(written=len(messages), sent=sent, refused=len(refused), error=error)
