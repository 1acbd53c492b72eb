"""Hostile files at intake: whatever the bytes, intake and notebook reading end in a Submission
or a one-sentence refusal, quickly and within bounded memory; and files that Python and Jupyter
accept are graded, not refused."""

from __future__ import annotations

import base64
import io
import json
import random
import struct
import tracemalloc
import zipfile

import pytest

from grader import intake
from grader.assignment import Question
from grader.extract.notebook import NotebookError, collect_answers, read_notebook
from grader.intake import IntakeError, read_bytes, read_submission

NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": "def f():\n    return 1\n",
                                  "outputs": [], "execution_count": 1}]}).encode()


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def patch_central_directory(blob: bytes, offset_in_entry: int, value: bytes) -> bytes:
    """`blob` with bytes of the first central-directory entry replaced."""
    at = blob.index(b"PK\x01\x02")
    return blob[:at + offset_in_entry] + value + blob[at + offset_in_entry + len(value):]


def zip64_claiming(entries: int, cd_size: int) -> bytes:
    """An archive whose end records claim `entries` members in a `cd_size`-byte directory."""
    body = b"\0" * 64
    zip64_eocd = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, len(body), 1)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + zip64_eocd + locator + eocd


def test_a_zip_listing_500000_members_is_refused_without_parsing_them(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("zipfile parsed the central directory")

    monkeypatch.setattr(intake.zipfile, "ZipFile", never)
    with pytest.raises(IntakeError, match="more than 200 files"):
        read_bytes(zip64_claiming(500_000, 500_000 * 46), "many.zip")


def test_a_real_zip_of_20000_members_is_refused_before_zipfile_builds_them(monkeypatch):
    blob = zip_of({f"m{i}.txt": b"" for i in range(20_000)} | {"tp1.ipynb": NOTEBOOK})
    monkeypatch.setattr(intake.zipfile, "ZipFile", lambda *a, **k: pytest.fail("zipfile parsed it"))
    with pytest.raises(IntakeError, match="more than 200 files"):
        read_bytes(blob, "many.zip")


DAMAGED = {
    # Member name flagged UTF-8 but not UTF-8: zipfile raises UnicodeDecodeError while listing.
    "name_not_utf8": lambda z: patch_central_directory(
        patch_central_directory(z, 8, struct.pack("<H", 0x800)), 46, b"\xff\xfe"),
    # "Version needed to extract" beyond zipfile's: NotImplementedError while listing.
    "version_needed_99": lambda z: patch_central_directory(z, 6, struct.pack("<H", 99)),
    # The directory's offset in the end record moved: members seek before the file (ValueError).
    "negative_seek": lambda z: z[:-6] + struct.pack("<I", struct.unpack("<I", z[-6:-2])[0] + 4096) + z[-2:],
    # Unknown compression method: NotImplementedError when reading.
    "compression_99": lambda z: patch_central_directory(z, 10, struct.pack("<H", 99)),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_zip_is_refused_in_one_sentence(damage):
    blob = DAMAGED[damage](zip_of({"tp1.ipynb": NOTEBOOK}))
    with pytest.raises(IntakeError) as refusal:
        read_bytes(blob, "tp1.zip")
    assert str(refusal.value).count(". ") <= 1 and "\n" not in str(refusal.value)


def test_a_zip_cut_or_flipped_at_any_byte_is_read_or_refused_never_crashes():
    blob = zip_of({"tp1.ipynb": NOTEBOOK})
    damaged = [blob[:cut] for cut in range(len(blob))]
    damaged += [blob[:i] + bytes([blob[i] ^ 0xFF]) + blob[i + 1:] for i in range(len(blob))]
    for data in damaged:
        try:
            read_bytes(data, "tp1.zip")
        except IntakeError:
            pass


MALFORMED_CELLS = {
    "tags_not_a_list": {"cell_type": "code", "metadata": {"tags": 5}, "source": "x = 1", "outputs": []},
    "markdown_source_a_number": {"cell_type": "markdown", "metadata": {}, "source": 5},
    "source_list_of_numbers": {"cell_type": "code", "metadata": {}, "source": [1, 2], "outputs": []},
    "cell_not_an_object": ["cell_type", "code"],
    "outputs_not_a_list": {"cell_type": "code", "metadata": {}, "source": "y = 2", "outputs": 7},
    "metadata_a_list": {"cell_type": "code", "metadata": [1], "source": "z = 3", "outputs": []},
    "output_not_an_object": {"cell_type": "code", "metadata": {}, "source": "w = 4", "outputs": [3, None]},
    "execution_count_a_string": {"cell_type": "code", "metadata": {}, "source": "v = 5", "outputs": [],
                                 "execution_count": "7"},
}


@pytest.mark.parametrize("case", list(MALFORMED_CELLS))
def test_a_schema_invalid_notebook_is_read_defensively_and_the_rest_still_counts(case):
    good = {"cell_type": "code", "metadata": {"tags": ["exercise:f"]}, "source": "def f():\n    return 1\n",
            "outputs": []}
    question = {"cell_type": "markdown", "metadata": {}, "source": "**Question q1.** Why?"}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"grader": ["not", "a", "dict"]},
          "cells": [MALFORMED_CELLS[case], good, question, {"cell_type": "markdown", "metadata": {}, "source": "Because."}]}
    facts = read_notebook(json.dumps(nb), "tp.ipynb")
    assert any("def f" in u.text for u in facts.units)
    [answer] = collect_answers(facts, (Question("q1", "Why?"),))
    assert answer.text == "Because."
    skipped = {"tags_not_a_list", "markdown_source_a_number", "source_list_of_numbers", "cell_not_an_object",
               "outputs_not_a_list", "metadata_a_list"}
    assert bool(facts.problems) == (case in skipped)


@pytest.mark.parametrize("text", ["[1, 2]", '{"cells": 5}', "[" * 100_000, '{"nbformat": 4, "cells": [' + "9" * 5000 + "]}",
                                  '{"nbformat": 3, "worksheets": 5}'])
def test_a_notebook_that_is_not_one_is_refused_in_one_sentence(text):
    with pytest.raises(NotebookError, match="not a readable Jupyter notebook"):
        read_notebook(text, "tp.ipynb")


def noise_png(width: int, height: int) -> bytes:
    """A real PNG that barely compresses (random pixels), as a figure output would carry."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), random.Random(0).randbytes(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def figure_notebook(megabytes: int) -> bytes:
    """Correct code and many figure outputs, `megabytes` on disk."""
    png = base64.b64encode(noise_png(210, 210)).decode()  # a real image of ~130 KB
    outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": ["<Figure>"]}}]
    cells = [{"cell_type": "code", "metadata": {"tags": ["exercise:f"]}, "execution_count": 1,
              "source": "def f():\n    return 1\n", "outputs": []}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": i + 2, "source": "plot()", "outputs": outputs}
              for i in range(megabytes * 1024 * 1024 // len(png) + 1)]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()


def test_a_30_mb_notebook_of_figures_is_graded_and_its_outputs_cost_little_memory(tmp_path):
    path = tmp_path / "tp1.ipynb"
    path.write_bytes(figure_notebook(30))
    submission = read_submission(path)
    tracemalloc.start()
    try:
        facts = read_notebook(submission.text, submission.filename)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    plots = len(json.loads(submission.text)["cells"]) - 1
    assert facts.units[0].text.startswith("def f") and len(facts.figure_cells) == plots > 150
    # The payloads are dropped as they are parsed: far less than the 30 MB they weigh.
    assert peak < 24 * 1024 * 1024, f"{peak >> 20} MB"


def test_a_notebook_over_the_file_cap_is_refused_in_one_sentence(monkeypatch):
    monkeypatch.setattr(intake, "MAX_NOTEBOOK_BYTES", 1024)
    with pytest.raises(IntakeError, match="larger than"):
        read_bytes(b" " * 2048, "tp1.ipynb")


def test_a_latin1_module_with_a_coding_cookie_is_read_as_python_reads_it():
    source = "# -*- coding: latin-1 -*-\n# Régression linéaire\ndef f():\n    return 'é'\n".encode("latin-1")
    submission = read_bytes(source, "tp1.py")
    assert "Régression" in submission.text and "'é'" in submission.text


def test_a_module_in_no_declared_encoding_is_refused_with_a_hint():
    with pytest.raises(IntakeError, match="not UTF-8"):
        read_bytes("x = 'é'\n".encode("latin-1"), "tp1.py")


def test_a_member_name_with_terminal_escapes_is_shown_without_them():
    blob = zip_of({"\x1b[2J\x1b[Hfake.ipynb": NOTEBOOK, "\x1b[31mother.ipynb": NOTEBOOK})
    with pytest.raises(IntakeError) as refusal:
        read_bytes(blob, "tp1.zip")
    assert "\x1b" not in str(refusal.value)
