"""Who is who: a class roster (CSV) and the lookup of a mail's sender in it.

Addresses are compared lowercased and otherwise as written: dots and "+tags" are part of an
address at most providers (jane.doe@ and janedoe@ may be two people). Gmail alone ignores dots
and "+tags" (and googlemail.com is gmail.com), so a Gmail sender that matches no address exactly
is mapped to the one roster student whose Gmail address is the same mailbox by Gmail's rules,
and only when the roster lists such an address: nothing is ever guessed across domains.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# A class roster is a few hundred lines; a file far larger is not a roster.
MAX_ROSTER_BYTES = 5 * 1024 * 1024
_GMAIL = {"gmail.com", "googlemail.com"}
_EMAIL = re.compile(r"[^\s,;<>\"']+@[^\s,;<>\"']+\.[^\s,;<>\"']+")

# Header spellings seen in LMS exports and hand-made sheets, compared without case or accents.
_ID = {"id", "student id", "studentid", "student number", "id number", "sis user id", "matricule",
       "numero", "numero etudiant", "student no", "login", "username", "user id"}
_FIRST = {"first name", "firstname", "given name", "given names", "prenom", "forename"}
_LAST = {"last name", "lastname", "surname", "family name", "nom", "nom de famille"}
_FULL = {"name", "full name", "fullname", "student", "student name", "nom complet", "display name"}
_SECTION = {"section", "group", "groupe", "groups", "class", "tutorial group"}


class RosterError(Exception):
    """The roster cannot be used: one sentence and a hint."""


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    emails: tuple[str, ...]
    section: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


def normalise(address: str) -> str:
    """An address as compared: trimmed, without angle brackets, lowercased."""
    return address.strip().strip("<>").strip().lower()


def gmail_mailbox(address: str) -> str | None:
    """The mailbox a Gmail address delivers to (no dots, no +tag, gmail.com); None elsewhere."""
    local, _, domain = normalise(address).rpartition("@")
    if domain not in _GMAIL or not local:
        return None
    return local.split("+", 1)[0].replace(".", "") + "@gmail.com"


@dataclass(frozen=True)
class Roster:
    students: tuple[Student, ...]
    _by_address: dict[str, Student] = field(default_factory=dict, repr=False, compare=False)
    # None marks a Gmail mailbox that two roster students' addresses share: never guessed.
    _by_gmail: dict[str, Student | None] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for student in self.students:
            for email in student.emails:
                self._by_address[normalise(email)] = student
                mailbox = gmail_mailbox(email)
                if mailbox:
                    other = self._by_gmail.get(mailbox, student)
                    self._by_gmail[mailbox] = student if other is student else None

    def lookup(self, address: str) -> Student | None:
        """The student who sent from `address`, or None (the batch lists unknown senders)."""
        key = normalise(address)
        if not key:
            return None
        found = self._by_address.get(key)
        if found is None and (mailbox := gmail_mailbox(key)):
            found = self._by_gmail.get(mailbox)
        return found

    def lookup_name(self, name: str) -> Student | None:
        """The one student with this name (for saved submissions that carry a name, no
        address), or None when no student or several have it."""
        wanted = _words(name)
        if not wanted:
            return None
        hits = [s for s in self.students
                if wanted in (_words(f"{s.first_name} {s.last_name}"), _words(f"{s.last_name} {s.first_name}"),
                              _words(f"{s.last_name}{s.first_name}"))]
        return hits[0] if len(hits) == 1 else None

    def by_id(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _plain(header: str) -> str:
    return re.sub(r"[_\-.]+", " ", _words(header)).strip()


def load_roster(path: Path) -> Roster:
    """A roster CSV: a student id, a first and last name (or one name column), one or more
    email columns (a cell may hold several addresses), optionally a section."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(f"{path} is larger than {MAX_ROSTER_BYTES >> 20} MB; is it really the class roster?")
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"The roster {path} cannot be read ({exc.strerror}); check the path given to --roster.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")  # a sheet saved by Excel on Windows
    return parse_roster(text, str(path))


def parse_roster(text: str, where: str = "roster") -> Roster:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RosterError(f"{where} is empty; give a CSV with a header row (id, name, email).")
    header = [_plain(h) for h in rows[0]]

    def column(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    id_col, first_col, last_col = column(_ID), column(_FIRST), column(_LAST)
    full_col, section_col = column(_FULL), column(_SECTION)
    email_cols = [i for i, h in enumerate(header) if re.search(r"\b(e ?mail|courriel|mail)", h)]
    if not email_cols:
        raise RosterError(f"{where} has no email column (headers: {', '.join(rows[0])}); add one named 'email'.")
    if id_col is None and first_col is None and last_col is None and full_col is None:
        raise RosterError(f"{where} has neither an id nor a name column (headers: {', '.join(rows[0])}); add 'id' and 'name'.")

    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    students: list[Student] = []
    owner: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        emails: list[str] = []
        for i in email_cols:
            for found in _EMAIL.findall(cell(row, i)):
                if normalise(found) not in emails:
                    emails.append(normalise(found))
        first, last = cell(row, first_col), cell(row, last_col)
        if not first and not last and full_col is not None:
            first, last = _split_name(cell(row, full_col))
        student_id = cell(row, id_col) or (emails[0] if emails else "")
        if not student_id:
            raise RosterError(f"{where}, line {number}: no student id and no email; fill one in or delete the line.")
        if any(s.id == student_id for s in students):
            raise RosterError(f"{where}, line {number}: the id {student_id} appears twice; each student needs a line of their own.")
        for email in emails:
            if email in owner:
                raise RosterError(f"{where}, line {number}: {email} is also the address of student {owner[email]}; an address must name one student.")
            owner[email] = student_id
        students.append(Student(student_id, first, last, tuple(emails), cell(row, section_col)))
    return Roster(tuple(students))


def _split_name(full: str) -> tuple[str, str]:
    """"Doe, Jane" -> (Jane, Doe); "Jane Doe" -> (Jane, Doe); one word is a last name."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    parts = full.split()
    if len(parts) < 2:
        return "", full.strip()
    return " ".join(parts[:-1]), parts[-1]
