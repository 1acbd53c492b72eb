"""The roster: reading the sheets instructors have, and finding a sender in it."""

from __future__ import annotations

import pytest

from grader.batch.roster import RosterError, load_roster, parse_roster


def roster(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return load_roster(path)


def test_a_moodle_style_roster_is_read(tmp_path):
    r = roster(tmp_path, "First name,Surname,ID number,Email address,Group\nJane,Doe,s1,Jane.Doe@Univ.example,A\n")
    (jane,) = r.students
    assert (jane.id, jane.first_name, jane.last_name, jane.emails, jane.section) == ("s1", "Jane", "Doe", ("jane.doe@univ.example",), "A")
    assert r.lookup("JANE.DOE@univ.EXAMPLE") is jane


def test_one_name_column_several_emails_semicolons_and_excel_encoding(tmp_path):
    text = "Matricule;Nom complet;E-mail;Email perso\n42;Dupré, Léa;lea.dupre@univ.example, lea@example.net;l.d@example.org\n7;Marc Antoine Roy;;\n"
    r = roster(tmp_path, text, encoding="cp1252")
    lea, marc = r.students
    assert (lea.first_name, lea.last_name) == ("Léa", "Dupré")
    assert lea.emails == ("lea.dupre@univ.example", "lea@example.net", "l.d@example.org")
    assert all(r.lookup(e) is lea for e in lea.emails)
    assert (marc.first_name, marc.last_name, marc.emails) == ("Marc Antoine", "Roy", ())


def test_dots_and_tags_matter_except_at_gmail_and_only_when_the_roster_lists_gmail(tmp_path):
    r = roster(tmp_path, "id,name,email\n1,Jane Doe,jane.doe@univ.example\n2,Ann Lee,ann.lee@gmail.com\n")
    assert r.lookup("janedoe@univ.example") is None  # another person at most providers
    assert r.lookup("jane.doe+tp1@univ.example") is None
    ann = r.by_id("2")
    assert r.lookup("AnnLee@gmail.com") is ann and r.lookup("ann.lee+tp1@googlemail.com") is ann
    assert r.lookup("annlee@univ.example") is None


def test_two_roster_addresses_that_gmail_delivers_to_one_mailbox_are_never_guessed(tmp_path):
    r = roster(tmp_path, "id,name,email\n1,A B,ab@gmail.com\n2,C D,a.b+x@gmail.com\n")
    assert r.lookup("ab@gmail.com").id == "1" and r.lookup("a.b+x@gmail.com").id == "2"
    assert r.lookup("a.b@gmail.com") is None


def test_lookup_by_name_is_unique_or_nothing(tmp_path):
    r = roster(tmp_path, "id,first name,last name,email\n1,Jane,Doe,a@x.example\n2,Jean,Roy,b@x.example\n3,Jean,Roy,c@x.example\n")
    assert r.lookup_name("jane doe").id == "1" and r.lookup_name("Doe Jane").id == "1" and r.lookup_name("doejane").id == "1"
    assert r.lookup_name("Jean Roy") is None and r.lookup_name("") is None


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("id,name\n1,Jane\n", "no email column"),
    ("email\na@x.example\n", "neither an id nor a name"),
    ("id,name,email\n1,A,a@x.example\n2,B,A@x.example\n", "line 3: a@x.example is also the address of student 1"),
    ("id,name,email\n1,A,a@x.example\n1,B,b@x.example\n", "line 3: the id 1 appears twice"),
    ("name,email\nA,\n", "line 2: no student id and no email"),
])
def test_a_roster_that_cannot_be_used_is_one_sentence(text, message):
    with pytest.raises(RosterError, match=message):
        parse_roster(text)


def test_a_missing_roster_says_which_option(tmp_path):
    with pytest.raises(RosterError, match="--roster"):
        load_roster(tmp_path / "nope.csv")


def test_a_saved_submission_is_matched_by_the_name_the_lms_gave_it_and_a_mail_by_its_address():
    from types import SimpleNamespace

    from grader.batch.run import identify

    roster = parse_roster("id,first name,last name,email\n1,Jane,Doe,jane@uni.example\n2,Jean,Roy,jean@uni.example\n")

    def item(sender="", name="", key="<m@x>"):
        return SimpleNamespace(sender=sender, sender_name=name, key=key)

    assert identify(item(name="Doe Jane", key="saved:Doe Jane_1_assignsubmission_file_:ab"), roster) == ("1", True)
    assert identify(item(name="Zed Nobody", key="saved:z:ab"), roster) == ("unknown:Zed Nobody", False)
    assert identify(item(name="Zed Nobody", key="saved:z:ab"), None) == ("Zed Nobody", True)
    assert identify(item(sender="jean@uni.example", name="Jane Doe"), roster) == ("2", True)  # the address decides
    assert identify(item(sender="eve@x.example"), roster) == ("eve@x.example", False)
    assert identify(item(name="Jane Doe"), roster) == ("unknown:Jane Doe", False)  # a mail with no address: never guessed
