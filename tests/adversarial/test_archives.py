"""Malicious archives: refused with one sentence, quickly, and nothing is written anywhere."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from grader import intake
from grader.pipeline import GradingError, grade_file
from tests.adversarial.test_attacks import COURSE

NOTEBOOK = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'


def zip_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buf.getvalue()


def nested(depth: int) -> bytes:
    data = zip_bytes({"tp1.ipynb": NOTEBOOK})
    for level in range(depth):
        data = zip_bytes({f"level{level}.zip": data})
    return data


ARCHIVES = {
    "zip_slip": (zip_bytes({"../../../../tmp/pwned.ipynb": NOTEBOOK}), None),
    "absolute_path": (zip_bytes({"/tmp/pwned.ipynb": NOTEBOOK}), None),
    "symlink_to_secrets": (zip_bytes({}, links={"tp1.ipynb": "/etc/shadow"}), "symbolic link"),
    "bomb_declared": (zip_bytes({"tp1.ipynb": b"0" * (intake.MAX_ARCHIVE_TOTAL_BYTES + 1)}), "unpacks to more than"),
    "nested_too_deep": (nested(intake.MAX_ARCHIVE_DEPTH + 2), "nests archives"),
    "many_members": (zip_bytes({f"f{i}.txt": b"" for i in range(intake.MAX_ARCHIVE_MEMBERS + 1)} | {"tp1.ipynb": NOTEBOOK}), "more than"),
}


@pytest.mark.parametrize("name", list(ARCHIVES))
def test_a_malicious_archive_is_refused_or_read_in_memory_only(name, tmp_path):
    data, refusal = ARCHIVES[name]
    path = tmp_path / f"{name}.zip"
    path.write_bytes(data)
    before = sorted(p.name for p in tmp_path.iterdir())
    started = time.monotonic()
    if refusal is None:
        # Traversal names are harmless: members are read in memory, never extracted.
        submission = intake.read_submission(path)
        assert submission.filename == "pwned.ipynb"
    else:
        with pytest.raises(GradingError, match=refusal):
            grade_file(path, assignment="fortress", course=COURSE)
    assert time.monotonic() - started < 10
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path.parent / "pwned.ipynb").exists()


def test_a_bomb_that_lies_about_its_size_is_cut_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_SUBMISSION_BYTES", 1 << 20)
    monkeypatch.setattr(intake, "MAX_ARCHIVE_TOTAL_BYTES", 1 << 20)
    data = bytearray(zip_bytes({"tp1.ipynb": b"0" * (8 << 20)}))
    # Rewrite the declared sizes (local header and central directory) to say 10 bytes.
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = (10).to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))
    with pytest.raises((GradingError, intake.IntakeError)):
        grade_file(path, assignment="fortress", course=COURSE)
