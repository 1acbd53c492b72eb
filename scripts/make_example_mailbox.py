"""Write examples/mailbox/: a realistic mbox of a class's emailed submissions, and its roster.

    python scripts/make_example_mailbox.py [--out examples/mailbox]

Deterministic (fixed seed, dates, Message-IDs and MIME boundaries): running it again gives the
same bytes, and a test checks that the committed files are what this script writes. The mails
are built from what the repository already grades: the reference notebooks, the assignments'
variants (each one bug, from its `# expect:` header) and examples/tp1. Only variants that grade
in a second or two are used, so the whole mailbox grades in a minute or two.
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import csv
import io
import json
import mailbox
import random
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260310
PARIS = timezone(timedelta(hours=1))
DEADLINE = datetime(2026, 3, 20, 23, 59, tzinfo=PARIS)
INSTRUCTOR = "Course Staff <ml-course@univ.example>"
MX = "mx1.univ.example"

STUDENTS = [  # (id, first, last, section); addresses are first.last@student.univ.example
    ("21000101", "Léa", "Martin", "A"), ("21000102", "Hugo", "Bernard", "A"), ("21000103", "Chloé", "Dubois", "A"),
    ("21000104", "Nathan", "Thomas", "A"), ("21000105", "Inès", "Robert", "A"), ("21000106", "Lucas", "Richard", "A"),
    ("21000107", "Manon", "Petit", "A"), ("21000108", "Yanis", "Durand", "A"), ("21000109", "Camille", "Leroy", "A"),
    ("21000110", "Adam", "Moreau", "A"), ("21000111", "Sarah", "Simon", "A"), ("21000112", "Louis", "Laurent", "A"),
    ("21000113", "Jade", "Lefebvre", "A"), ("21000114", "Gabriel", "Michel", "A"), ("21000115", "Zoé", "Garcia", "A"),
    ("21000116", "Raphaël", "David", "B"), ("21000117", "Emma", "Bertrand", "B"), ("21000118", "Mohamed", "Roux", "B"),
    ("21000119", "Lina", "Vincent", "B"), ("21000120", "Arthur", "Fournier", "B"), ("21000121", "Ambre", "Morel", "B"),
    ("21000122", "Jules", "Girard", "B"), ("21000123", "Alice", "André", "B"), ("21000124", "Ethan", "Lefèvre", "B"),
    ("21000125", "Rose", "Mercier", "B"), ("21000126", "Noah", "Dupont", "B"), ("21000127", "Anna", "Lambert", "B"),
    ("21000128", "Tom", "Bonnet", "B"), ("21000129", "Eva", "François", "B"), ("21000130", "Paul", "Nguyen", "B"),
    ("21000131", "Lou", "Garnier", "B"),  # sends nothing: missing in the gradebook
]
# Personal addresses that the roster also lists (students write from both).
PERSONAL = {"21000104": "nathan.thomas.dev@example.net", "21000117": "emma.b@example.org"}


def student_address(student_id: str) -> str:
    _, first, last, _ = next(s for s in STUDENTS if s[0] == student_id)
    return f"{_ascii(first)}.{_ascii(last)}@student.univ.example".lower()


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).replace(" ", "")


def display(student_id: str) -> str:
    _, first, last, _ = next(s for s in STUDENTS if s[0] == student_id)
    return f"{first} {last}"


# ---------------------------------------------------------------- submissions
def load_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def slim(notebook: dict) -> dict:
    """Keep the outputs of plot cells only, as a student who cleared the rest (keeps the box small)."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if not any(t.startswith("exercise:") for t in tags) or not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def nb_bytes(notebook: dict) -> bytes:
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def variant_defs(path: Path) -> tuple[dict[str, str], list[str]]:
    """A variant module's top-level definitions by name, and its other top-level statements."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    defs: dict[str, str] = {}
    others: list[str] = []
    for node in tree.body:
        text = ast.get_source_segment(source, node, padded=True) or ""
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            defs[node.name] = "\n".join(source.splitlines()[start - 1 : node.end_lineno])
        elif not (isinstance(node, ast.If) and "__main__" in text):
            others.append(text)
    return defs, others


def swap(notebook: dict, variant: Path) -> dict:
    """The notebook with each exercise cell holding the variant's definition of that exercise,
    and the variant's imports and helpers in the imports cell."""
    notebook = slim(notebook)
    defs, others = variant_defs(variant)
    exercise_names = set()
    for cell in notebook["cells"]:
        for tag in cell.get("metadata", {}).get("tags", []):
            name = tag.removeprefix("exercise:")
            if tag.startswith("exercise:") and name in defs:
                cell["source"] = defs[name] + "\n"
                exercise_names.add(name)
    helpers = [code for name, code in defs.items() if name not in exercise_names]
    for cell in notebook["cells"]:
        if "imports" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = "".join(cell["source"]).rstrip("\n") + "\n" + "\n".join(o for o in others if o.startswith(("import", "from"))) + "\n\n" + "\n\n".join(helpers) + "\n"
    return notebook


def colab(notebook: dict) -> dict:
    """The notebook as Google Colab saves it: its metadata, cell ids, no language_info."""
    notebook = slim(notebook)
    rng = random.Random(SEED + 7)
    notebook["metadata"] = {"colab": {"provenance": [], "name": "Practical_Work_1.ipynb", "collapsed_sections": []},
                            "kernelspec": {"name": "python3", "display_name": "Python 3"}, "accelerator": "GPU"}
    for cell in notebook["cells"]:
        cell["metadata"] = {**cell.get("metadata", {}), "id": "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12))}
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
    return notebook


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 14, 18, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TINY_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


# ---------------------------------------------------------------- mails
@dataclass
class Mail:
    case: str  # what this mail shows, for README.md and expected.json
    sender: str  # "Name <address>"
    subject: str
    arrived: datetime
    body: str
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    expect: str = ""  # what the batch should make of it
    student: str = ""  # roster id, "" for an unknown sender
    labels: str = "Inbox,Opened"
    date: str | None = None  # the Date: header when it is not the arrival time minus a little
    received: bool = True
    forward_of: Mail | None = None
    raw_filename_2047: bool = False
    charset: str = "utf-8"
    assignment: str = "tp1"
    thread_of: Mail | None = None  # a reply in the thread of this earlier mail


def gmail_style_names(data: bytes) -> bytes:
    """Rewrite RFC 2231 names (filename*=utf-8''...) as Gmail writes them: an RFC 2047 encoded
    word inside quotes, which the standards do not allow but every reader must accept."""
    import re
    from urllib.parse import unquote

    def encode(match: re.Match) -> bytes:
        name = unquote(match[2].decode("ascii"), encoding="utf-8")
        return match[1] + b'="=?UTF-8?B?' + base64.b64encode(name.encode()) + b'?="'

    return re.sub(rb"(filename|name)\*=utf-8''([^\s;]+)", encode, data)


def build(mail: Mail, number: int, rng: random.Random, ids: dict[int, str] | None = None) -> EmailMessage:
    message = EmailMessage(policy=policy.default)
    if mail.received:
        host = rng.choice(["mail-ej1-f54.google.example", "smtp.student.univ.example", "mout.example.net"])
        message["Received"] = f"from {host} ({host} [192.0.2.{rng.randrange(2, 250)}]) by {MX} (Postfix) with ESMTPS id 4Z{number:04X}Q; {format_datetime(mail.arrived.astimezone(PARIS))}"
    message["From"] = mail.sender
    message["To"] = INSTRUCTOR
    message["Subject"] = mail.subject
    sent = mail.arrived - timedelta(seconds=rng.randrange(2, 40))
    message["Date"] = mail.date if mail.date is not None else format_datetime(sent.astimezone(PARIS))
    message["Message-ID"] = f"<{SEED}.{number:03d}.{rng.randrange(10**8, 10**9)}@mail.example.net>"
    if mail.thread_of is not None and ids and id(mail.thread_of) in ids:
        message["In-Reply-To"] = ids[id(mail.thread_of)]
        message["References"] = ids[id(mail.thread_of)]
    message["X-Gmail-Labels"] = mail.labels
    message["User-Agent"] = rng.choice(["Mozilla Thunderbird", "Gmail", "Apple Mail (2.3774)", "Outlook for Android"])
    message.set_content(mail.body, charset=mail.charset, cte="8bit" if mail.charset != "utf-8" else None)
    for name, data, mime in mail.files:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if mail.forward_of is not None:
        inner = build(mail.forward_of, number + 500, rng)
        del inner["X-Gmail-Labels"]
        message.add_attachment(inner)
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_{SEED}_{number:03d}_{index}")
    return message


def arrival(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=PARIS)


def mails() -> list[Mail]:
    rng = random.Random(SEED)
    ref = load_notebook(ROOT / "reference/tp1/tp1_solution.ipynb")
    variants = ROOT / "assignments/tp1/variants"
    correct = nb_bytes(slim(ref))

    def variant_nb(name: str) -> bytes:
        return nb_bytes(swap(ref, variants / f"{name}.py"))

    nb = "application/x-ipynb+json"
    py = "text/x-python"
    hello = ["Hello,\n\nPlease find attached my notebook for Practical Work 1.\n\nBest regards,\n",
             "Bonjour,\n\nVoici mon TP 1.\n\nCordialement,\n", "Hi,\n\nhere is my submission.\n\nThanks,\n"]

    def body(student: str) -> str:
        return rng.choice(hello) + display(student).split()[0] + "\n"

    def who(student: str, address: str | None = None) -> str:
        return f"{display(student)} <{address or student_address(student)}>"

    out: list[Mail] = []

    def on_time(student: str, case: str, files, expect: str, subject="Practical Work 1", day=None, **extra) -> Mail:
        when = arrival(day or rng.randrange(12, 20), rng.randrange(8, 23), rng.randrange(0, 60), rng.randrange(0, 60))
        mail = Mail(case, who(student, extra.pop("address", None)), subject, when, extra.pop("text", None) or body(student),
                    files, expect, student, **extra)
        out.append(mail)
        return mail

    # Correct work, in several forms.
    on_time("21000101", "the reference solution", [("Practical_Work_1.ipynb", correct, nb)], "full marks")
    on_time("21000102", "correct, written differently (helpers, nn.Sequential)",
            [("alice_style.ipynb", (ROOT / "examples/tp1/alice_full_marks.ipynb").read_bytes(), nb)], "full marks", subject="TP1")
    on_time("21000103", "correct: MLPNet as nn.Sequential", [("tp1.ipynb", variant_nb("ok_mlpnet_sequential"), nb)], "full marks", subject="tp-1")
    on_time("21000105", "correct: dataset helpers", [("tp1_robert.ipynb", variant_nb("ok_dataset_helpers"), nb)], "full marks", subject="TP 1 - Inès Robert")
    on_time("21000106", "correct: MSE written by hand", [("tp1.ipynb", variant_nb("ok_train_manual_mse"), nb)], "full marks", subject="Practical work 1")
    on_time("21000107", "a Colab notebook", [("Copy of Practical_Work_1.ipynb", nb_bytes(colab(ref)), nb)], "full marks")
    on_time("21000108", "correct with type hints and docstrings", [("tp1.ipynb", variant_nb("ok_type_hints_docstrings"), nb)], "full marks", subject="PRACTICAL WORK 1")
    # Buggy work: each loses exactly the exercise its variant breaks.
    for student, variant, exercise, subject in [
        ("21000109", "bad_mlpnet_no_relu", "MLPNet", "Practical Work 1"),
        ("21000110", "bad_train_no_zero_grad", "train", "TP1 submission"),
        ("21000111", "bad_create_linear_dataset_not_centered", "create_linear_dataset", "Practical Work 1"),
        ("21000112", "bad_linearnet_no_bias", "LinearNet", "tp1"),
        ("21000113", "bad_create_noisy_dataset_small_noise", "create_noisy_dataset", "Practical Work 1"),
        ("21000114", "bad_train_returns_tensors", "train", "Practical Work 1"),
        ("21000115", "bad_create_pow_dataset_ignores_a", "create_pow_dataset", "TP 1"),
        ("21000116", "bad_mlpnet_relu_on_output", "MLPNet", "Practical Work 1"),
    ]:
        on_time(student, f"buggy: {variant.removeprefix('bad_').replace('_', ' ')}", [("tp1.ipynb", variant_nb(variant), nb)], f"loses {exercise}", subject=subject)
    on_time("21000117", "missing ReLU, sent from a personal address listed in the roster",
            [("bob.ipynb", (ROOT / "examples/tp1/bob_missing_relu.ipynb").read_bytes(), nb)], "loses MLPNet", address=PERSONAL["21000117"])
    # Other forms of submission.
    on_time("21000118", "a .py file, unfinished", [("tp1.py", (ROOT / "examples/tp1/carol_in_progress.py").read_bytes(), py)],
            "partial: no MLPNet, no train, no plot, no answers")
    on_time("21000119", "a .zip holding the notebook (and macOS junk)",
            [("TP1.zip", zip_of({"TP1/tp1.ipynb": correct, "__MACOSX/TP1/._tp1.ipynb": b"\0\5\26\7"}), "application/zip")], "full marks")
    on_time("21000120", "a notebook, a PDF report and a screenshot",
            [("tp1.ipynb", correct, nb), ("report.pdf", TINY_PDF, "application/pdf"), ("screenshot.png", TINY_PNG, "image/png")],
            "full marks; the PDF and PNG listed as not submissions")
    on_time("21000121", "a corrupted notebook (cut short when saved)", [("tp1.ipynb", correct[: len(correct) // 3], nb)],
            "could not be read: the notebook is not valid JSON")
    on_time("21000122", "an RFC 2231 file name (non-ASCII, as Thunderbird sends it)",
            [("Travail pratique 1 – Jules Girard.ipynb", correct, nb)], "full marks")
    on_time("21000123", "an RFC 2047 file name inside quotes (as Gmail sends it)",
            [("TP1_André_Alice.ipynb", variant_nb("bad_train_no_zero_grad"), nb)], "loses train", raw_filename_2047=True)
    on_time("21000124", "no attachment (forgot it)", [], "no attachment",
            text="Hello,\n\nHere is my practical work.\n\nEthan\n")
    on_time("21000125", "code pasted in the body, no attachment",
            [], "graded from the body, flagged for review; partial",
            text="Hello,\nmy laptop won't let me attach files, here is my code:\n\n" + (ROOT / "examples/tp1/carol_in_progress.py").read_text() + "\nRose\n")
    on_time("21000126", "a latin-1 body (an old mail client)", [("tp1.ipynb", correct, nb)], "full marks",
            text="Bonjour,\n\nVoilà mon travail, désolé pour le délai.\n\nNoah\n", charset="iso-8859-1")
    forwarded = Mail("", who("21000127", "anna.lambert.perso@example.com"), "Practical Work 1", arrival(15, 21, 4), "Here it is.\n",
                     [("tp1.ipynb", correct, nb)], labels="")
    on_time("21000127", "forwarded from a personal address to her university address",
            [], "full marks (the attachment is in the forwarded mail)", subject="Fwd: Practical Work 1", forward_of=forwarded,
            text="Sorry, I sent it from my personal address first.\n")
    # Resubmissions: every attempt is kept.
    first = on_time("21000128", "resubmitted: first attempt (buggy)", [("tp1.ipynb", variant_nb("bad_mlpnet_no_relu"), nb)], "loses MLPNet; superseded", day=13)
    on_time("21000128", "resubmitted: second attempt (fixed), in the same thread", [("tp1.ipynb", correct, nb)], "full marks; counts",
            subject="Re: Practical Work 1", day=18, text="Hello again,\nI fixed MLPNet, here is the new version.\nTom\n",
            thread_of=first)
    on_time("21000104", "resubmitted: on time (buggy), then again after the deadline (fixed)",
            [("tp1.ipynb", variant_nb("bad_linearnet_no_bias"), nb)], "loses LinearNet; counts (the latest before the deadline)", day=19)
    out.append(Mail("resubmitted: the late second attempt", who("21000104", PERSONAL["21000104"]), "RE: Practical Work 1",
                    arrival(21, 9, 15), "Sorry, one more fix.\nNathan\n", [("tp1.ipynb", correct, nb)], "late by 9 h 16 min; not counted (an on-time attempt exists)", "21000104"))
    # Late.
    out.append(Mail("late by 3 hours", who("21000129"), "Practical Work 1", arrival(21, 2, 59, 30), body("21000129"),
                    [("tp1.ipynb", correct, nb)], "late by 3 h", "21000129"))
    out.append(Mail("late by arrival, though its Date: header (the student's clock) says on time", who("21000130"),
                    "Practical Work 1", arrival(21, 0, 40), body("21000130"), [("tp1.ipynb", correct, nb)],
                    "late by 41 min (the arrival time counts, not Date:)", "21000130",
                    date=format_datetime(arrival(20, 23, 50))))
    # Other assignments.
    fn = load_notebook(ROOT / "reference/first-network/first-network_solution.ipynb")
    rg = load_notebook(ROOT / "reference/regressor/regressor_solution.ipynb")
    on_time("21000101", "another assignment: first-network, reference", [("first_network.ipynb", nb_bytes(slim(fn)), nb)], "full marks", subject="My First Neural Network", assignment="first-network")
    on_time("21000109", "another assignment: first-network, as a .py", [("first_network.py", (ROOT / "assignments/first-network/variants/bad_make_network_missing_relu.py").read_bytes(), py)],
            "loses make_network", subject="First network", assignment="first-network")
    on_time("21000102", "another assignment: regressor, reference", [("regressor.ipynb", nb_bytes(slim(rg)), nb)], "full marks", subject="Regressor - Hugo Bernard", assignment="regressor")
    # Mail the batch must list, not grade.
    out.append(Mail("unknown sender (not in the roster)", "Kevin <k.dupuis@example.com>", "Practical Work 1", arrival(16, 11, 2),
                    "Hi, I'm auditing the class, here is my attempt.\n", [("tp1.ipynb", correct, nb)], "listed as an unknown sender"))
    on_time("21000111", "a subject that names no assignment", [("tp1_v2.ipynb", correct, nb)], "listed: no assignment matched (give --assignment tp1 to grade it)", subject="my homework")
    out.append(Mail("no Received: header (saved from a client), so the time comes from Date:", who("21000113"), "Practical Work 1",
                    arrival(19, 14, 0), "Resending in case the first one got lost.\n", [("tp1.ipynb", variant_nb("bad_create_noisy_dataset_small_noise"), nb)],
                    "loses create_noisy_dataset; time flagged (from Date:)", "21000113", received=False))
    out.append(Mail("Gmail Takeout: Spam", "Prize Office <win@example.org>", "Practical Work 1 - claim your GPU!!!", arrival(17, 3, 33),
                    "Open the attachment to claim your prize.\n", [("claim.py", b"print('hello')\n", py)], "skipped: Gmail label Spam", labels="Spam"))
    out.append(Mail("Gmail Takeout: Trash", who("21000119"), "Practical Work 1 (test, ignore)", arrival(12, 9, 0),
                    "test\n", [], "skipped: Gmail label Trash", "21000119", labels="Trash"))
    out.sort(key=lambda m: m.arrived)
    return out


# ---------------------------------------------------------------- outputs
def write(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED + 1)
    box_path = out_dir / "class.mbox"
    box_path.unlink(missing_ok=True)
    box = mailbox.mbox(str(box_path))
    expected = []
    ids: dict[int, str] = {}
    try:
        for number, mail in enumerate(mails(), start=1):
            message = build(mail, number, rng, ids)
            ids[id(mail)] = message["Message-ID"]
            data = message.as_bytes()
            entry = mailbox.mboxMessage(gmail_style_names(data) if mail.raw_filename_2047 else message)
            entry.set_from(mail.sender.rpartition("<")[2].rstrip(">"), mail.arrived.astimezone(timezone.utc).timetuple())
            box.add(entry)
            expected.append({"message_id": message["Message-ID"], "student": mail.student, "assignment": mail.assignment,
                             "case": mail.case, "expect": mail.expect, "lost": lost_exercises(mail.expect)})
        box.flush()
    finally:
        box.close()
    with (out_dir / "roster.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Student ID", "First name", "Last name", "Email", "Other email", "Section"])
        for student_id, first, last, section in STUDENTS:
            writer.writerow([student_id, first, last, student_address(student_id), PERSONAL.get(student_id, ""), section])
    (out_dir / "expected.json").write_text(json.dumps({"deadline": DEADLINE.isoformat(), "late_policy": "10%/day",
                                                       "mails": expected}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(readme(expected), encoding="utf-8")


def lost_exercises(expect: str) -> list[str] | None:
    """The exercises a graded mail loses points on (checked by grading each mail once);
    None when nothing is graded."""
    if expect.startswith(("skipped", "no attachment", "could not be read")):
        return None
    if expect.startswith("loses "):
        return [expect.split()[1].rstrip(";")]
    if expect.startswith(("partial", "graded from the body")):
        return ["plot_dataset", "MLPNet", "train"]
    return []


def readme(expected: list[dict]) -> str:
    sent = {e["student"] for e in expected if e["assignment"] == "tp1" and not e["expect"].startswith("skipped")}
    missing = ", ".join(sid for sid, *_ in STUDENTS if sid not in sent) or "none"
    rows = "\n".join(f"| {i} | {e['student'] or '-'} | {e['assignment']} | {e['case']} | {e['expect']} |" for i, e in enumerate(expected, 1))
    return f"""# An example class mailbox

`class.mbox` is a synthetic mailbox, as Gmail Takeout or Thunderbird exports it, of {len(expected)} mails
from a class of {len(STUDENTS)} students (`roster.csv`) who were told to email their notebook with the subject
**Practical Work 1**. All names and addresses are invented (the `.example` domains are reserved).
Suggested deadline: **{DEADLINE.isoformat()}** ({DEADLINE.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC), late policy `10%/day`.
`expected.json` says, for each Message-ID, who sent it, what the batch should make of it, and
which exercises it loses points on when graded with the hidden tests (`lost`; null: not graded).

Regenerate it (same bytes every time; a test checks the committed files are up to date):

    python scripts/make_example_mailbox.py

| # | student | assignment | what it shows | expected |
|---|---|---|---|---|
{rows}

Roster students with no tp1 mail (missing in a tp1 gradebook): {missing}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "mailbox")
    args = parser.parse_args()
    write(args.out)
    print(f"wrote {args.out}/class.mbox, roster.csv, expected.json and README.md")


if __name__ == "__main__":
    main()
