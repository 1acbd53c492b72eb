"""Intake: which file of a submission is graded, and which archives are refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from grader import intake
from grader.intake import IntakeError, read_submission


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_notebook_and_module_are_read_as_text(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "b.py").write_bytes("\ufeffx = 'é'\n".encode())
    assert read_submission(tmp_path / "a.ipynb").kind == "notebook"
    module = read_submission(tmp_path / "b.py")
    assert (module.kind, module.text, module.student) == ("module", "x = 'é'\n", "b")


def test_zip_holding_one_notebook_ignores_mac_and_checkpoint_junk(tmp_path):
    path = make_zip(tmp_path / "sub.zip", {
        "TP1/tp1.ipynb": "{}", "__MACOSX/TP1/._tp1.ipynb": "junk",
        "TP1/.ipynb_checkpoints/tp1-checkpoint.ipynb": "{}", "TP1/data.csv": "1,2",
    })
    sub = read_submission(path)
    assert (sub.filename, sub.kind, sub.student) == ("tp1.ipynb", "notebook", "sub")


def test_zip_inside_zip_is_opened_one_level(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("tp1.py", "x = 1\n")
    sub = read_submission(make_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue()}))
    assert sub.filename == "tp1.py"


def test_member_names_never_touch_the_disk(tmp_path):
    path = make_zip(tmp_path / "evil.zip", {"../../escaped.ipynb": "{}"})
    assert read_submission(path).filename == "escaped.ipynb"
    assert not (tmp_path.parent / "escaped.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip"]


@pytest.mark.parametrize(
    "members, message",
    [
        ({"a.ipynb": "{}", "b.ipynb": "{}"}, "several candidate files"),
        ({"notes.txt": "hi"}, "no .ipynb or .py"),
    ],
)
def test_ambiguous_or_empty_archives_are_refused_with_a_hint(tmp_path, members, message):
    with pytest.raises(IntakeError, match=message):
        read_submission(make_zip(tmp_path / "s.zip", members))


def test_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ARCHIVE_TOTAL_BYTES", 1000)
    path = make_zip(tmp_path / "bomb.zip", {"tp1.ipynb": "0" * 5000})
    with pytest.raises(IntakeError, match="unpacks to more than"):
        read_submission(path)


def test_unknown_files_and_non_utf8_text_get_one_sentence(tmp_path):
    (tmp_path / "tp1.docx").write_bytes(b"PK")
    (tmp_path / "tp1.py").write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(IntakeError, match="not a notebook"):
        read_submission(tmp_path / "tp1.docx")
    with pytest.raises(IntakeError, match="not UTF-8"):
        read_submission(tmp_path / "tp1.py")
    with pytest.raises(IntakeError, match="does not exist"):
        read_submission(tmp_path / "nope.ipynb")


def test_a_submission_read_from_bytes_is_the_same_as_from_its_file(tmp_path):
    from grader.intake import read_bytes

    (tmp_path / "b.py").write_text("x = 1\n")
    from_file = read_submission(tmp_path / "b.py")
    from_bytes = read_bytes(b"x = 1\n", "b.py", student="s123")
    assert (from_bytes.filename, from_bytes.kind, from_bytes.text) == (from_file.filename, from_file.kind, from_file.text)
    assert from_bytes.student == "s123" and read_bytes(b"x = 1\n", "dir/b.py").student == "b"
