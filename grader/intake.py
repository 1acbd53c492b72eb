"""Intake: a path on disk -> one Submission (the text of a notebook or a Python module).

Archives are read in memory, never extracted, so a member name cannot write anywhere; sizes,
member counts and nesting depth are bounded so that a zip bomb is refused, not inflated.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

# A notebook with a few plots is well under this; a bigger one is data, not a submission.
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024
# Student archives hold a handful of files; thousands of members is an attack or a mistake.
MAX_ARCHIVE_MEMBERS = 200
MAX_ARCHIVE_TOTAL_BYTES = 100 * 1024 * 1024
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


def read_submission(path: Path) -> Submission:
    path = Path(path)
    if not path.is_file():
        raise IntakeError(f"{path} does not exist or is not a file.")
    if path.suffix.lower() in SUFFIXES and path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise IntakeError(f"{path.name} is larger than {MAX_SUBMISSION_BYTES >> 20} MB; clear the notebook's outputs and resend it.")
    return read_bytes(path.read_bytes(), path.name, source=path)


def read_bytes(data: bytes, filename: str, *, student: str = "", source: Path | None = None) -> Submission:
    """A submission received as bytes (an email attachment, a job sent to another machine).
    `filename` is the name it was received under; nothing is written to disk."""
    path = source or Path(PurePosixPath(filename).name or "submission")
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        if len(data) > MAX_SUBMISSION_BYTES:
            raise IntakeError(f"{path.name} is larger than {MAX_SUBMISSION_BYTES >> 20} MB; clear the notebook's outputs and resend it.")
        return _submission(path, path.name, data, student)
    if suffix == ".zip":
        name, inner = _pick_from_zip(data, path.name, depth=1)
        return _submission(path, name, inner, student)
    raise IntakeError(
        f"{path.name} is not a notebook (.ipynb), a Python module (.py) or a .zip holding one."
    )


def _submission(path: Path, filename: str, data: bytes, student: str = "") -> Submission:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeError(f"{filename} is not UTF-8 text; save it again from Jupyter or your editor.") from None
    kind: Literal["notebook", "module"] = "notebook" if filename.lower().endswith(".ipynb") else "module"
    return Submission(path=path, filename=filename, kind=kind, text=text, student_id=student)


def _is_junk(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p == "__MACOSX" or p == ".ipynb_checkpoints" or p.startswith("._") for p in parts)


def _pick_from_zip(blob: bytes, label: str, depth: int) -> tuple[str, bytes]:
    if depth > MAX_ARCHIVE_DEPTH:
        raise IntakeError(f"{label} nests archives more than {MAX_ARCHIVE_DEPTH} deep; send the notebook itself.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile:
        raise IntakeError(f"{label} is not a valid zip archive; send the notebook itself.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _is_junk(m.filename)]
        if len(archive.infolist()) > MAX_ARCHIVE_MEMBERS:
            raise IntakeError(f"{label} holds more than {MAX_ARCHIVE_MEMBERS} files; send only the notebook.")
        declared = sum(m.file_size for m in archive.infolist())
        if declared > MAX_ARCHIVE_TOTAL_BYTES:
            raise IntakeError(f"{label} unpacks to more than {MAX_ARCHIVE_TOTAL_BYTES >> 20} MB; send only the notebook.")
        wanted = [m for m in members if PurePosixPath(m.filename).suffix.lower() in SUFFIXES]
        if not wanted:
            inner = [m for m in members if m.filename.lower().endswith(".zip")]
            if len(inner) == 1:
                data = _read_member(archive, inner[0], label)
                return _pick_from_zip(data, f"{label}/{inner[0].filename}", depth + 1)
            raise IntakeError(f"{label} holds no .ipynb or .py file; put your notebook in the archive.")
        notebooks = [m for m in wanted if m.filename.lower().endswith(".ipynb")]
        chosen = notebooks if notebooks else wanted
        if len(chosen) > 1:
            names = ", ".join(m.filename for m in chosen)
            raise IntakeError(f"{label} holds several candidate files ({names}); send one notebook.")
        member = chosen[0]
        if _is_link(member):
            raise IntakeError(f"{member.filename} in {label} is a symbolic link, not a file; put the notebook itself in the archive.")
        return PurePosixPath(member.filename).name, _read_member(archive, member, label)


def _is_link(member: zipfile.ZipInfo) -> bool:
    """Unix archives keep the file type in the high bits of external_attr: 0o120000 is a link."""
    return (member.external_attr >> 16) & 0o170000 == 0o120000


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> bytes:
    # Read at most one byte past the limit: declared sizes in the header can lie.
    limit = min(MAX_SUBMISSION_BYTES, MAX_ARCHIVE_TOTAL_BYTES)
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # Damaged, lying about its sizes, encrypted, or an unknown compression method.
        raise IntakeError(f"{member.filename} in {label} cannot be read ({exc}); send the notebook itself.") from None
    if len(data) > limit:
        raise IntakeError(f"{member.filename} in {label} is larger than {limit >> 20} MB; send a smaller file.")
    return data
