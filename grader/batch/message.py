"""One raw mail message -> its parts: headers, arrival time, candidate submissions, notes.

Every byte of a mail is hostile data. A message is parsed from a stream of lines with bounds:
an attachment larger than MAX_ATTACHMENT_BYTES is dropped while it is read (never held whole),
a message is parsed up to MAX_MESSAGE_BYTES, forwarded mail is followed MAX_FORWARD_DEPTH
deep, and any failure of the parser becomes a note or a skip reason, never an exception.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.feedparser import BytesFeedParser
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath

from grader.batch.pasted import body_code

# Gmail refuses attachments over 25 MB, and a notebook worth grading is far smaller.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# What is parsed of one message: a few attachments of the largest size, and no more.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Lines are read in chunks of at most this size, so a file without line breaks is not read whole.
LINE_CHUNK = 64 * 1024
# A forward of a forward of a forward happens; deeper nesting is never a student's mail.
MAX_FORWARD_DEPTH = 4
# Parts of one message (attachments, bodies, alternatives): a real mail has a handful.
MAX_PARTS = 200
# Headers are short; a longer value is cut.
MAX_HEADER_CHARS = 2000
# What is read of a text body: pasted code of a practical work is a few hundred lines.
MAX_BODY_CHARS = 200_000

SUBMISSION_SUFFIXES = (".ipynb", ".py", ".zip")
# Browsers and mailers sometimes add a suffix: "tp1.ipynb.json", "tp1.py.txt".
_EXTRA_SUFFIXES = (".json", ".txt")
_SKIP_LABELS = {"spam": "Spam", "trash": "Trash", "sent": "Sent", "draft": "Drafts", "drafts": "Drafts"}
# Replies written by this grader carry this header, so a mailbox that holds them skips them.
GRADER_HEADER = "X-Torch-Grader"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    sha256: str
    content_type: str


@dataclass
class Parsed:
    """What was read of one message, before the inbox gives it its key."""

    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    time_source: str = "none"
    attachments: list[Attachment] = field(default_factory=list)
    body_code: str | None = None
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    forwarded_from: list[str] = field(default_factory=list)


# Base64 at 76 characters a line grows data by 78/57; past this run a part is too large.
_RUN_LIMIT = MAX_ATTACHMENT_BYTES * 78 // 57 + 2 * LINE_CHUNK


@dataclass
class RawMessage:
    """A message parsed from a stream of lines, with what had to be dropped."""

    message: Message | None
    sha256: str
    size: int
    cut_parts: int = 0
    cut_message: bool = False
    error: str = ""


def parse_lines(lines: Iterable[bytes]) -> RawMessage:
    """Parse a message from its lines (chunks of at most LINE_CHUNK bytes), bounded.

    A run of lines between two MIME boundaries longer than _RUN_LIMIT is an attachment too large
    to take: its remaining lines are hashed but not kept, so its part ends up cut short and is
    refused later. Nothing past MAX_MESSAGE_BYTES is kept either.
    """
    digest = hashlib.sha256()
    parser = BytesFeedParser(policy=policy.default)
    size = kept = run = 0
    cut_parts = 0
    dropping = cut_message = False
    at_line_start = True
    for line in lines:
        digest.update(line)
        size += len(line)
        starts_boundary = at_line_start and line.startswith(b"--")
        at_line_start = line.endswith(b"\n")
        if cut_message:
            continue
        if starts_boundary:
            run, dropping = 0, False
        run += len(line)
        if run > _RUN_LIMIT:
            if not dropping:
                cut_parts += 1
            dropping = True
            continue
        if kept + len(line) > MAX_MESSAGE_BYTES:
            cut_message = True
            continue
        kept += len(line)
        try:
            parser.feed(line)
        except (RecursionError, MemoryError, ValueError, LookupError, IndexError, TypeError, AttributeError) as exc:
            return RawMessage(None, digest.hexdigest(), size, error=_error_sentence(exc))
    try:
        message = parser.close()
    except (RecursionError, MemoryError, ValueError, LookupError, IndexError, TypeError, AttributeError) as exc:
        return RawMessage(None, digest.hexdigest(), size, error=_error_sentence(exc))
    return RawMessage(message, digest.hexdigest(), size, cut_parts, cut_message)


def _error_sentence(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the message nests parts too deeply to be read"
    return f"the message cannot be parsed ({type(exc).__name__})"


def megabytes(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


def clean_text(value: object, limit: int = MAX_HEADER_CHARS) -> str:
    """A header's text on one line, valid Unicode (bytes that were not UTF-8 become U+FFFD)."""
    text = str(value)
    if any("\udc80" <= c <= "\udcff" for c in text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", "replace")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text.split())[:limit]


def header(message: Message, name: str) -> str:
    """A header's decoded value, "" when absent; a header the parser chokes on is read raw."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - the header parser raises many kinds on hostile input
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return "" if value is None else clean_text(value)


def _all_headers(message: Message, name: str) -> list[str]:
    try:
        values = message.get_all(name) or []
    except Exception:  # noqa: BLE001
        values = [v for k, v in message.raw_items() if k.lower() == name.lower()]
    return [clean_text(v) for v in values]


def address(value: str) -> tuple[str, str]:
    """(normalised address, display name) of a From: value; ("", "") when there is none."""
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001
        pairs = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and " " not in addr:
            return addr, clean_text(name, 200)
    return "", ""


def _datetime(text: str) -> datetime | None:
    text = re.sub(r"\([^()]*\)", " ", text).strip()
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value.tzinfo is None:  # "-0000": the time is UTC, the zone unknown
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def arrival(message: Message, notes: list[str]) -> tuple[datetime | None, str]:
    """The arrival time (the date the receiving server wrote at the end of the top Received:
    header, which the sender cannot set), else Date: with a note, else None with a note."""
    received = _all_headers(message, "Received")
    if received:
        when = _datetime(received[0].rpartition(";")[2]) if ";" in received[0] else None
        if when is not None:
            return when, "received"
    date_text = header(message, "Date")
    date = _datetime(date_text) if date_text else None
    reason = "the top Received: header has no readable date" if received else "no Received: header"
    if date is not None:
        notes.append(f"Time from the Date: header, which the sender's computer sets ({reason}).")
        return date, "date"
    what = "malformed" if date_text else "missing"
    notes.append(f"No arrival time: {reason} and the Date: header is {what}.")
    return None, "none"


def gmail_skip(message: Message) -> str:
    """The skip reason of Gmail Takeout's Spam, Trash, Sent and Drafts, and of our own replies."""
    if header(message, GRADER_HEADER):
        return "a reply written by this grader"
    labels = [label.strip().lower() for label in header(message, "X-Gmail-Labels").split(",")]
    for label in labels:
        if label in _SKIP_LABELS:
            return f"Gmail label {_SKIP_LABELS[label]}"
    return ""


def safe_filename(raw: str | None) -> str:
    """The base name of an attachment's name, decoded, without directories or control characters."""
    name = raw or ""
    if "=?" in name:  # RFC 2047 left inside quotes by a mailer: decode it ourselves
        try:
            name = str(make_header(decode_header(name)))
        except Exception:  # noqa: BLE001
            pass
    name = clean_text(name, 1000)
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(c for c in name if c.isprintable()).strip(" .")
    return name[-200:] or ""


def submission_name(filename: str) -> tuple[str, str]:
    """(name the intake will read it as, note) for a candidate submission, ("", "") otherwise."""
    lower = filename.lower()
    if lower.endswith(SUBMISSION_SUFFIXES):
        return filename, ""
    for extra in _EXTRA_SUFFIXES:
        inner = lower[: -len(extra)]
        if lower.endswith(extra) and inner.endswith((".ipynb", ".py")):
            fixed = filename[: -len(extra)]
            return fixed, f"{filename} read as {fixed} (its mailer added {extra})."
    return "", ""


def walk(message: Message, parsed: Parsed, depth: int = 0, counter: list[int] | None = None) -> list[str]:
    """Collect attachments into `parsed` and return the plain-text bodies, forwards included."""
    counter = counter if counter is not None else [0]
    bodies: list[str] = []
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        counter[0] += 1
        if counter[0] > MAX_PARTS:
            parsed.notes.append(f"Only the first {MAX_PARTS} parts of the message were read.")
            break
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (part.is_multipart() and ctype.startswith("message/")):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if not isinstance(inner, Message):
                continue
            if depth + 1 > MAX_FORWARD_DEPTH:
                parsed.notes.append(f"Forwarded mail nested more than {MAX_FORWARD_DEPTH} deep was not read.")
                continue
            sender, _ = address(header(inner, "From"))
            if sender and sender not in parsed.forwarded_from:
                parsed.forwarded_from.append(sender)
            bodies += walk(inner, parsed, depth + 1, counter)
            continue
        if part.is_multipart():
            payload = part.get_payload()
            stack[0:0] = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
            continue
        _leaf(part, parsed, bodies, forwarded=depth > 0)
    return bodies


def _leaf(part: Message, parsed: Parsed, bodies: list[str], forwarded: bool) -> None:
    try:
        raw_name = part.get_filename()
    except Exception:  # noqa: BLE001
        raw_name = None
    disposition = (part.get_content_disposition() or "").lower()
    ctype = part.get_content_type()
    if raw_name is None and disposition != "attachment":
        if ctype == "text/plain":
            bodies.append(_text(part, parsed))
        elif ctype == "application/x-ipynb+json":
            _attach(part, "notebook.ipynb", parsed, forwarded)
        return
    name = safe_filename(raw_name) or ("notebook.ipynb" if ctype == "application/x-ipynb+json" else "")
    if not name:
        if not ctype.startswith(("image/", "text/")):
            parsed.notes.append(f"Ignored an attachment without a name ({clean_text(ctype, 80)}).")
        return
    _attach(part, name, parsed, forwarded)


def _attach(part: Message, name: str, parsed: Parsed, forwarded: bool) -> None:
    graded_name, note = submission_name(name)
    if not graded_name:
        parsed.notes.append(f"Ignored {name} (not a submission: send the .ipynb, .py or .zip file).")
        return
    encoded = part.get_payload()
    if isinstance(encoded, str) and len(encoded) >= _RUN_LIMIT - LINE_CHUNK:
        parsed.notes.append(f"Refused {name}: larger than {megabytes(MAX_ATTACHMENT_BYTES)}; a notebook with its outputs cleared is far smaller.")
        return
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if not isinstance(data, bytes):
        parsed.notes.append(f"Could not decode the attachment {name}.")
        return
    if len(data) > MAX_ATTACHMENT_BYTES:
        parsed.notes.append(f"Refused {name}: larger than {megabytes(MAX_ATTACHMENT_BYTES)}; a notebook with its outputs cleared is far smaller.")
        return
    if any("Base64" in type(d).__name__ for d in part.defects):
        parsed.notes.append(f"The attachment {name} is damaged in the mail (invalid base64); it may not be readable.")
    if note:
        parsed.notes.append(note)
    if forwarded:
        parsed.notes.append(f"{graded_name} was found in a forwarded message.")
    ctype = clean_text(part.get_content_type(), 100)
    parsed.attachments.append(Attachment(graded_name, data, hashlib.sha256(data).hexdigest(), ctype))


def _text(part: Message, parsed: Parsed) -> str:
    try:
        data = part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001
        return ""
    data = data[: MAX_BODY_CHARS * 4]
    charset = (part.get_content_charset() or "utf-8").lower()
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError, ValueError, TypeError):
        parsed.notes.append(f"The body is not valid {clean_text(charset, 40)} text; it was read with replacement characters.")
        text = data.decode("utf-8", "replace")
    # A declared codec may yield anything (unicode-escape makes lone surrogates): keep valid UTF-8.
    return text.encode("utf-8", "replace").decode("utf-8")


def read_message(raw: RawMessage) -> Parsed:
    """The parts of one parsed message that the batch needs."""
    parsed = Parsed()
    message = raw.message
    if message is None:
        parsed.skipped = f"Unreadable mail: {raw.error}."
        return parsed
    parsed.message_id = header(message, "Message-ID")[:998]
    parsed.sender, parsed.sender_name = address(header(message, "From"))
    if not parsed.sender:
        parsed.notes.append("The From: header has no readable address.")
    parsed.subject = header(message, "Subject")
    parsed.in_reply_to = header(message, "In-Reply-To")
    parsed.references = tuple(header(message, "References").split())[-50:]
    parsed.skipped = gmail_skip(message)
    parsed.sent_at, parsed.time_source = arrival(message, parsed.notes)
    if raw.cut_message:
        parsed.notes.append(f"Only the first {megabytes(MAX_MESSAGE_BYTES)} of this message were read.")
    try:
        bodies = walk(message, parsed)
    except RecursionError:
        bodies = []
        parsed.notes.append("The message nests parts too deeply; some were not read.")
    except Exception as exc:  # noqa: BLE001 - a hostile message must not stop the inbox
        bodies = []
        parsed.notes.append(f"Part of this message could not be read ({type(exc).__name__}).")
    if raw.cut_parts and not any("larger than" in n for n in parsed.notes):
        parsed.notes.append(f"Refused an attachment larger than {megabytes(MAX_ATTACHMENT_BYTES)}.")
    if any(type(d).__name__ == "CloseBoundaryNotFoundDefect" for d in _defects(message)):
        parsed.notes.append("The message ends before its last part is complete (the mailbox file may be cut short); its attachments may be incomplete.")
    if parsed.forwarded_from:
        parsed.notes.append("Forwarded mail from " + ", ".join(parsed.forwarded_from) + ".")
    if not parsed.attachments:
        code = body_code(bodies)
        if code is not None:
            parsed.body_code = code
            parsed.notes.append("No attachment: the code pasted in the body was taken as the submission; review it.")
    return parsed


def _defects(message: Message) -> list[object]:
    found: list[object] = []
    try:
        for part in message.walk():
            found += list(part.defects)
            if len(found) > 1000:
                break
    except RecursionError:
        pass
    return found
