"""Intake: a path on disk -> one Submission (the text of a notebook or a Python module).

Archives are read in memory, never extracted, so a member name cannot write anywhere; sizes,
member counts and nesting depth are bounded so that a zip bomb is refused, not inflated. The
archive's end record is read here first, so a central directory of a million entries is refused
before zipfile builds one object per entry. Any failure of zipfile on damaged bytes is the
archive's problem: one sentence, never a traceback.
"""

from __future__ import annotations

import io
import struct
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from grader.text import shown_name

# Notebooks are graded whatever their outputs weigh (a notebook full of figures after the deadline
# cannot be resent): outputs are dropped while it is read, so this bounds the file, not memory.
MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
# A module is all code; the extraction budget reads at most 8 MB of it anyway.
MAX_MODULE_BYTES = 20 * 1024 * 1024
# The largest file read at all (a notebook), alone or inside an archive.
MAX_SUBMISSION_BYTES = MAX_NOTEBOOK_BYTES
# Student archives hold a handful of files; thousands of members is an attack or a mistake.
MAX_ARCHIVE_MEMBERS = 200
MAX_ARCHIVE_TOTAL_BYTES = 250 * 1024 * 1024
# The archive file itself (compressed): no bigger than what it may unpack to.
MAX_ARCHIVE_BYTES = 250 * 1024 * 1024
# Each central-directory entry is 46 bytes plus a name, extra field and comment (~100 bytes for a
# real archive): 200 members never need more than this.
MAX_CENTRAL_DIRECTORY_BYTES = 1024 * 1024
# A zip inside a zip happens (a mailer zipping a zip); deeper nesting is never legitimate.
MAX_ARCHIVE_DEPTH = 2

SUFFIXES = (".ipynb", ".py")


class IntakeError(Exception):
    """The submission file cannot be read: one sentence and a hint."""


@dataclass(frozen=True)
class Submission:
    # What the submission was received as: a file on disk, or an attachment's name.
    path: Path
    # Name of the file graded (inside the archive when there is one).
    filename: str
    kind: Literal["notebook", "module"]
    text: str
    # Who sent it (a roster id, an email address); by default the received file's stem.
    student_id: str = ""

    @property
    def student(self) -> str:
        return self.student_id or self.path.stem


def _limit(filename: str) -> int:
    return MAX_NOTEBOOK_BYTES if filename.lower().endswith(".ipynb") else MAX_MODULE_BYTES


def _too_large(filename: str) -> IntakeError:
    kind = "notebook" if filename.lower().endswith(".ipynb") else "module"
    return IntakeError(f"{shown_name(filename)} is larger than {_limit(filename) >> 20} MB, more than any {kind} "
                       "of an assignment; send only the notebook of the assignment.")


def read_submission(path: Path) -> Submission:
    path = Path(path)
    if not path.is_file():
        raise IntakeError(f"{shown_name(str(path))} does not exist or is not a file.")
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if suffix in SUFFIXES and size > _limit(path.name):
        raise _too_large(path.name)
    if suffix == ".zip" and size > MAX_ARCHIVE_BYTES:
        raise IntakeError(f"{shown_name(path.name)} is larger than {MAX_ARCHIVE_BYTES >> 20} MB; send only the notebook.")
    return read_bytes(path.read_bytes(), path.name, source=path)


def read_bytes(data: bytes, filename: str, *, student: str = "", source: Path | None = None) -> Submission:
    """A submission received as bytes (an email attachment, a job sent to another machine).
    `filename` is the name it was received under; nothing is written to disk."""
    path = source or Path(PurePosixPath(filename).name or "submission")
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        if len(data) > _limit(path.name):
            raise _too_large(path.name)
        return _submission(path, path.name, data, student)
    if suffix == ".zip":
        if len(data) > MAX_ARCHIVE_BYTES:
            raise IntakeError(f"{shown_name(path.name)} is larger than {MAX_ARCHIVE_BYTES >> 20} MB; send only the notebook.")
        name, inner = _pick_from_zip(data, path.name, depth=1)
        return _submission(path, name, inner, student)
    raise IntakeError(
        f"{shown_name(path.name)} is not a notebook (.ipynb), a Python module (.py) or a .zip holding one."
    )


def _submission(path: Path, filename: str, data: bytes, student: str = "") -> Submission:
    kind: Literal["notebook", "module"] = "notebook" if filename.lower().endswith(".ipynb") else "module"
    text = _decode_notebook(data, filename) if kind == "notebook" else _decode_module(data, filename)
    return Submission(path=path, filename=filename, kind=kind, text=text, student_id=student)


def _decode_notebook(data: bytes, filename: str) -> str:
    """Notebooks are JSON, which is UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeError(f"{shown_name(filename)} is not UTF-8 text; save it again from Jupyter.") from None


def _decode_module(data: bytes, filename: str) -> str:
    """A module in the encoding Python itself would read it with: its PEP 263 coding cookie,
    else UTF-8 (with or without a BOM)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        raise IntakeError(
            f"{shown_name(filename)} is not UTF-8 text and declares no encoding Python can read; "
            "save it again as UTF-8 from your editor."
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _is_junk(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p == "__MACOSX" or p == ".ipynb_checkpoints" or p.startswith("._") for p in parts)


_EOCD = struct.Struct("<4sHHHHIIH")          # end of central directory record (22 bytes)
_ZIP64_LOCATOR = struct.Struct("<4sIQI")      # 20 bytes, just before the end record
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")   # 56 bytes


def _central_directory(blob: bytes, label: str) -> tuple[int, int]:
    """(entries, bytes) of the archive's central directory, read from its end record the way
    zipfile finds it, before zipfile parses anything."""
    bad = IntakeError(f"{label} is not a valid zip archive; send the notebook itself.")
    at = blob.rfind(b"PK\x05\x06", max(0, len(blob) - _EOCD.size - 65535))
    if at < 0 or len(blob) - at < _EOCD.size:
        raise bad
    _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(blob, at)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the real numbers are further back
        locator = at - _ZIP64_LOCATOR.size
        if locator < 0 or blob[locator:locator + 4] != b"PK\x06\x07":
            raise bad
        offset = _ZIP64_LOCATOR.unpack_from(blob, locator)[2]
        if offset + _ZIP64_EOCD.size > len(blob) or blob[offset:offset + 4] != b"PK\x06\x06":
            offset = locator - _ZIP64_EOCD.size  # where zipfile also looks
            if offset < 0 or blob[offset:offset + 4] != b"PK\x06\x06":
                raise bad
        record = _ZIP64_EOCD.unpack_from(blob, offset)
        entries, cd_size = record[7], record[8]
    return entries, cd_size


def _pick_from_zip(blob: bytes, label: str, depth: int) -> tuple[str, bytes]:
    label = shown_name(label)
    if depth > MAX_ARCHIVE_DEPTH:
        raise IntakeError(f"{label} nests archives more than {MAX_ARCHIVE_DEPTH} deep; send the notebook itself.")
    entries, cd_size = _central_directory(blob, label)
    if entries > MAX_ARCHIVE_MEMBERS or cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise IntakeError(f"{label} holds more than {MAX_ARCHIVE_MEMBERS} files; send only the notebook.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        listing = archive.infolist()
    except Exception as exc:  # zipfile on hostile bytes raises many kinds: each is a damaged archive
        raise IntakeError(f"{label} is not a valid zip archive ({type(exc).__name__}); send the notebook itself.") from None
    with archive:
        if len(listing) > MAX_ARCHIVE_MEMBERS:
            raise IntakeError(f"{label} holds more than {MAX_ARCHIVE_MEMBERS} files; send only the notebook.")
        members = [m for m in listing if not m.is_dir() and not _is_junk(m.filename)]
        declared = sum(m.file_size for m in listing)
        if declared > MAX_ARCHIVE_TOTAL_BYTES:
            raise IntakeError(f"{label} unpacks to more than {MAX_ARCHIVE_TOTAL_BYTES >> 20} MB; send only the notebook.")
        wanted = [m for m in members if PurePosixPath(m.filename).suffix.lower() in SUFFIXES]
        if not wanted:
            inner = [m for m in members if m.filename.lower().endswith(".zip")]
            if len(inner) == 1:
                data = _read_member(archive, inner[0], label, MAX_ARCHIVE_TOTAL_BYTES)
                return _pick_from_zip(data, f"{label}/{inner[0].filename}", depth + 1)
            raise IntakeError(f"{label} holds no .ipynb or .py file; put your notebook in the archive.")
        notebooks = [m for m in wanted if m.filename.lower().endswith(".ipynb")]
        chosen = notebooks if notebooks else wanted
        if len(chosen) > 1:
            names = shown_name(", ".join(m.filename for m in chosen), 300)
            raise IntakeError(f"{label} holds several candidate files ({names}); send one notebook.")
        member = chosen[0]
        if _is_link(member):
            raise IntakeError(f"{shown_name(member.filename)} in {label} is a symbolic link, not a file; "
                              "put the notebook itself in the archive.")
        name = PurePosixPath(member.filename).name
        return name, _read_member(archive, member, label, _limit(name))


def _is_link(member: zipfile.ZipInfo) -> bool:
    """Unix archives keep the file type in the high bits of external_attr: 0o120000 is a link."""
    return (member.external_attr >> 16) & 0o170000 == 0o120000


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, limit: int) -> bytes:
    # Read at most one byte past the limit: declared sizes in the header can lie.
    name = shown_name(member.filename)
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except Exception as exc:
        # Damaged, lying about its sizes, encrypted, an unknown compression method, a negative
        # seek, a name that does not decode: every failure of zipfile here is the archive's.
        raise IntakeError(f"{name} in {label} cannot be read ({type(exc).__name__}); send the notebook itself.") from None
    if len(data) > limit:
        raise IntakeError(f"{name} in {label} is larger than {limit >> 20} MB; send a smaller file.")
    return data
