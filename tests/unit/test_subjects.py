"""Which assignment a mail names, from the manifests' `[mail] subjects`."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment import Assignment, AssignmentError, load_assignment, parse_manifest
from grader.batch.mail import match_assignment

ROOT = Path(__file__).resolve().parents[2]


def assignment(slug: str, *subjects: str) -> Assignment:
    return Assignment(slug=slug, title=slug, root=ROOT, exercises=(), subjects=subjects)


TP1 = assignment("tp1", "Practical Work 1", "TP 1", "TP1", "tp-1")
TP10 = assignment("tp10", "Practical Work 10", "TP 10")
TP12 = assignment("tp12", "TP12")
ALL = [TP1, TP10, TP12]


@pytest.mark.parametrize("subject", [
    "Practical Work 1", "practical work 1", "PRACTICAL-WORK-1", "RE: Fwd: practical work 1",
    "TP1", "tp-1", "TP 1", "Tp_1 rendu", "TP 01", "TP n°1", "[TP1] Jane Doe", "Prâctical Wörk 1",
    "Ｔｐ１",  # full-width characters, as some input methods type them
])
def test_subjects_naming_tp1_match_it(subject):
    assert match_assignment(subject, ALL) == "tp1"


@pytest.mark.parametrize("subject, slug", [
    ("TP 10", "tp10"), ("tp10", "tp10"), ("Practical work 10", "tp10"), ("TP12 final", "tp12"), ("TP 12", "tp12"),
])
def test_tp_1_is_never_confused_with_tp_10_or_tp_12(subject, slug):
    assert match_assignment(subject, ALL) == slug


@pytest.mark.parametrize("subject", ["", "Question about the exam", "TP", "Practical Work", "STP 1", "TP 2", "work 1"])
def test_subjects_naming_no_assignment_match_none(subject):
    assert match_assignment(subject, ALL) is None


def test_a_subject_naming_two_assignments_equally_is_left_to_the_instructor():
    assert match_assignment("TP1 and TP10 together", ALL) is None
    assert match_assignment("Practical Work 1 (I also started TP 10)", ALL) == "tp1"


def test_an_assignment_without_subjects_matches_its_slug():
    mlp = assignment("mnist-mlp")
    assert match_assignment("Mnist MLP submission", [mlp]) == "mnist-mlp"


def test_the_bundled_manifests_name_their_subjects(course):
    tp1 = load_assignment(course, "tp1")
    assert tp1.subjects == ("Practical Work 1", "TP 1", "TP1", "tp-1")
    slugs = ["tp1", "first-network", "mnist-mlp", "regressor"]
    specs = [load_assignment(course, s) for s in slugs]
    assert all(s.subjects for s in specs)
    assert match_assignment("Re: Practical Work 1", specs) == "tp1"


def test_a_manifest_with_bad_subjects_is_one_sentence():
    data = {"exercises": [{"name": "f"}], "mail": {"subjects": "TP1"}}
    with pytest.raises(AssignmentError, match="list of non-empty strings"):
        parse_manifest(data, ROOT / "assignments" / "x")


def test_a_new_assignment_names_its_slug_as_its_subject():
    import tomllib

    from grader.authoring.scaffold import MANIFEST

    spec = parse_manifest(tomllib.loads(MANIFEST.format(slug="tp2")), ROOT / "assignments" / "tp2")
    assert spec.subjects == ("tp2",) and match_assignment("Re: TP2", [spec]) == "tp2"
