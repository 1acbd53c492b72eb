"""An inbox -> MailItems: one per message (or per saved submission), with the candidate files.

Inboxes read (`read_inbox`):
  - an mbox file (Thunderbird, Gmail Takeout), split on its "From " lines while it streams;
  - a Maildir (a folder with cur/ and new/), through the standard library's `mailbox`;
  - a folder of .eml files;
  - a folder of saved submissions, one file or folder per student, as Moodle's or Canvas's
    "download all submissions" gives them (after unzipping).
Messages are parsed by `message.py` with the standard library's `email` (policy.default),
bounded in size and depth. Nothing is graded here: attachments are carried as bytes, and
the intake reads them safely later.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from grader.batch.message import (
    LINE_CHUNK,
    MAX_ATTACHMENT_BYTES,
    Attachment,
    Parsed,
    megabytes,
    parse_lines,
    read_message,
    submission_name,
)
from grader.batch.subjects import match_assignment

__all__ = ["Attachment", "MailError", "MailItem", "match_assignment", "read_inbox"]

# A student's folder in an LMS download holds a notebook and maybe a PDF or data; more is junk.
MAX_FILES_PER_SAVED_ENTRY = 50
MAX_SAVED_DEPTH = 4
_JUNK = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store", "Thumbs.db"}


class MailError(Exception):
    """The inbox itself cannot be read: one sentence and a hint."""


@dataclass(frozen=True)
class MailItem:
    """One message (or one saved-folder entry) seen in the inbox."""

    # Stable unique key: the Message-ID for the first message that carries it, else
    # "sha256:<hex of the raw message>"; a saved entry: "saved:<name>:<hex of its files>".
    key: str
    message_id: str
    sender: str  # normalised address (lowercase), "" when unknown
    sender_name: str
    subject: str
    sent_at: datetime | None  # arrival time (top Received:), else Date:, UTC-aware
    time_source: str  # "received" | "date" | "none"
    attachments: tuple[Attachment, ...]  # candidate submissions (.ipynb/.py/.zip)
    body_code: str | None  # code pasted in the body, last resort (flagged for review)
    notes: tuple[str, ...]  # one-sentence notes for the instructor
    skipped: str  # non-empty reason when not a submission at all
    in_reply_to: str
    references: tuple[str, ...]
    # Senders of forwarded messages inside this one (a TA forwarding a student's mail).
    forwarded_from: tuple[str, ...] = ()
    # Where it was read: "class.mbox #12", "new/1700000000.M1.host", "Jane Doe_123_assign...".
    source: str = ""


def read_inbox(path: Path) -> Iterator[MailItem]:
    """The items of an mbox file, a Maildir, a folder of .eml files or of saved submissions.
    Raises MailError (one sentence) only when the inbox itself cannot be opened."""
    path = Path(path)
    if path.is_file():
        yield from _keyed(_file_messages(path))
    elif path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            yield from _keyed(_maildir_messages(path))
        else:
            yield from _keyed(_folder_entries(path))
    else:
        raise MailError(f"{path} does not exist; give an mbox file, a Maildir or a folder of submissions.")


def _keyed(entries: Iterator[tuple[str, str, Parsed | MailItem]]) -> Iterator[MailItem]:
    """Give each message its key: the Message-ID when it is the first to carry it, else the
    SHA-256 of its bytes. A byte-identical copy is listed, skipped, under a key of its own."""
    seen_ids: set[str] = set()
    seen_sha: dict[str, int] = {}
    for source, sha, parsed in entries:
        if isinstance(parsed, MailItem):
            yield parsed
            continue
        notes = list(parsed.notes)
        skipped = parsed.skipped
        if sha in seen_sha:
            seen_sha[sha] += 1
            key = f"sha256:{sha}#copy{seen_sha[sha]}"
            skipped = skipped or "an exact copy of an earlier message"
        elif parsed.message_id and parsed.message_id not in seen_ids:
            key = parsed.message_id
        else:
            key = f"sha256:{sha}"
            if parsed.message_id:
                notes.append(f"Its Message-ID {parsed.message_id[:80]} is also another message's; both are kept.")
        seen_sha.setdefault(sha, 0)
        if parsed.message_id:
            seen_ids.add(parsed.message_id)
        yield MailItem(
            key=key,
            message_id=parsed.message_id,
            sender=parsed.sender,
            sender_name=parsed.sender_name,
            subject=parsed.subject,
            sent_at=parsed.sent_at,
            time_source=parsed.time_source,
            attachments=tuple(parsed.attachments),
            body_code=parsed.body_code,
            notes=tuple(notes),
            skipped=skipped,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            forwarded_from=tuple(parsed.forwarded_from),
            source=source,
        )


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while line := handle.readline(LINE_CHUNK):
        yield line


def _one(source: str, handle: IO[bytes]) -> tuple[str, str, Parsed]:
    raw = parse_lines(_chunks(handle))
    return source, raw.sha256, read_message(raw)


def _file_messages(path: Path) -> Iterator[tuple[str, str, Parsed]]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise MailError(f"{path} cannot be opened ({exc.strerror}); check its permissions.") from None
    with handle:
        head = handle.read(5)
        handle.seek(0)
        if head == b"From ":
            yield from _mbox_messages(path.name, handle)
        elif path.suffix.lower() == ".eml" or re.match(rb"^[!-9;-~]+:", handle.read(200) or b""):
            handle.seek(0)
            yield _one(path.name, handle)
        elif path.stat().st_size == 0:
            return
        elif path.suffix.lower() == ".zip":
            raise MailError(f"{path} is a zip archive; unzip the LMS download and give its folder.")
        else:
            raise MailError(f"{path} is not an mbox file (it does not start with 'From '); give an mbox, a Maildir or a folder.")


def _mbox_messages(name: str, handle: IO[bytes]) -> Iterator[tuple[str, str, Parsed]]:
    """Split an mbox while it streams: a message starts at a line beginning with 'From '."""
    pending = handle.readline(LINE_CHUNK)  # the first From_ line
    number = 0
    while pending:
        number += 1
        state = {"next": b""}

        def body() -> Iterator[bytes]:
            at_line_start = True
            while line := handle.readline(LINE_CHUNK):
                if at_line_start and line.startswith(b"From "):
                    state["next"] = line
                    return
                at_line_start = line.endswith(b"\n")
                yield line

        lines = body()
        raw = parse_lines(lines)
        for _ in lines:  # drain what the parser left (it reads to the end anyway)
            pass
        yield f"{name} #{number}", raw.sha256, read_message(raw)
        pending = state["next"]


def _maildir_messages(path: Path) -> Iterator[tuple[str, str, Parsed]]:
    try:
        box = mailbox.Maildir(str(path), factory=None, create=False)
        keys = sorted(box.iterkeys())
    except OSError as exc:
        raise MailError(f"The Maildir {path} cannot be read ({exc.strerror}).") from None
    for key in keys:
        try:
            handle = box.get_file(key)
        except (OSError, KeyError):
            continue  # moved by a mail client while we read: it shows up on the next run
        with handle:
            yield _one(f"{path.name}/{key}", handle)


def _folder_entries(path: Path) -> Iterator[tuple[str, str, Parsed | MailItem]]:
    try:
        entries = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise MailError(f"The folder {path} cannot be read ({exc.strerror}).") from None
    for entry in entries:
        if entry.name.startswith(".") or entry.name in _JUNK or entry.is_symlink():
            continue  # a link could point anywhere on the grading machine
        if entry.is_file() and entry.suffix.lower() == ".eml":
            try:
                with entry.open("rb") as handle:
                    yield _one(entry.name, handle)
            except OSError:
                continue
        elif entry.is_file() or entry.is_dir():
            yield "", "", _saved_entry(entry)


# Moodle: "Jane Doe_123456_assignsubmission_file_"; Canvas: "doejane_LATE_123_456_tp1.ipynb".
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_?$")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_CANVAS = re.compile(r"^(?P<name>[a-z]+)(?P<late>_late)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$", re.I)


def _saved_entry(entry: Path) -> MailItem:
    """One student's saved submission: a file, or a folder of files."""
    notes: list[str] = []
    name = entry.stem if entry.is_file() else entry.name
    shown_as: dict[Path, str] = {}
    if entry.is_dir():
        moodle = _MOODLE.match(entry.name)
        if moodle:
            name = moodle["name"]
        files = _files_under(entry, notes)
        for f in files:
            shown_as[f] = f.name
    else:
        canvas = _CANVAS.match(entry.name)
        shown = entry.name
        if canvas:
            name, shown = canvas["name"], canvas["file"]
            if canvas["late"]:
                notes.append("Canvas marked this submission late.")
        shown_as[entry] = shown
    attachments: list[Attachment] = []
    for file, shown in shown_as.items():
        graded_name, note = submission_name(shown)
        if not graded_name:
            notes.append(f"Ignored {shown} (not a submission: .ipynb, .py or .zip).")
            continue
        try:
            size = file.stat().st_size
            if size > MAX_ATTACHMENT_BYTES:
                notes.append(f"Refused {shown}: larger than {megabytes(MAX_ATTACHMENT_BYTES)}.")
                continue
            data = file.read_bytes()
        except OSError as exc:
            notes.append(f"Could not read {shown} ({exc.strerror}).")
            continue
        if note:
            notes.append(note)
        attachments.append(Attachment(graded_name, data, hashlib.sha256(data).hexdigest(), "application/octet-stream"))
    notes.append("A saved file carries no arrival time, so the deadline cannot be checked.")
    # Some downloads (and instructors saving mail by hand) name each entry after the address.
    sender = name.strip().lower() if _ADDRESS.fullmatch(name.strip()) else ""
    digest = hashlib.sha256("".join(sorted(a.sha256 for a in attachments)).encode()).hexdigest()
    return MailItem(
        key=f"saved:{entry.name}:{digest[:16]}",
        message_id="",
        sender=sender,
        sender_name="" if sender else name.replace("_", " ").strip(),
        subject="",
        sent_at=None,
        time_source="none",
        attachments=tuple(attachments),
        body_code=None,
        notes=tuple(notes),
        skipped="",
        in_reply_to="",
        references=(),
        source=entry.name,
    )


def _files_under(folder: Path, notes: list[str]) -> list[Path]:
    found: list[Path] = []
    stack = [(folder, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            children = sorted(current.iterdir(), key=lambda p: p.name)
        except OSError:
            continue
        for child in children:
            if child.name.startswith(".") or child.name in _JUNK or child.is_symlink():
                continue
            if child.is_dir() and depth + 1 < MAX_SAVED_DEPTH:
                stack.append((child, depth + 1))
            elif child.is_file():
                found.append(child)
                if len(found) >= MAX_FILES_PER_SAVED_ENTRY:
                    notes.append(f"Only the first {MAX_FILES_PER_SAVED_ENTRY} files of {folder.name} were read.")
                    return found
    return found
