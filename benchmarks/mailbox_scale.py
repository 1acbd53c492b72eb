"""A term's mailbox at class scale: `grade batch` on a generated mbox of 300 students.

    GRADER_DATA_DIR=/path/to/mnist .venv/bin/python benchmarks/mailbox_scale.py \
        [--students 300] [--workers 2] [--seed 0] [--keep DIR]

Builds a realistic mbox of tp1 submissions (the reference and the assignment's variants in the
proportions of benchmarks/batch_throughput.py: correct, buggy, crashing, slow), most as
notebooks (a .py variant's definitions put into the reference notebook's exercise cells, as a
student would write them), some as .py files; with resubmissions (a fixed notebook after a buggy
one), identical resends, mail forwarded from a personal address, late mail, and a roster. Then it
runs `grade batch` on it as a command (`--roster --deadline --late 10%/day`), then once more
(a rerun with nothing new), and prints:

- wall time, and time per submission graded;
- the coordinator's peak memory (its VmHWM, read from /proc while it runs) and the peak of the
  whole process tree (PSS: pages shared by processes, such as torch's libraries, counted once;
  sampled every TREE_EVERY_S, 5 s; the coordinator's VmHWM every 0.5 s);
- the batch's own summary line.

Linux only (reads /proc). Timings on a shared machine drift: say what else ran.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.batch_throughput import MIX, kinds  # noqa: E402
from benchmarks.process_memory import TREE_EVERY_S, tree_pss  # noqa: E402
from scripts.make_example_mailbox import load_notebook, nb_bytes, slim, swap  # noqa: E402

PARIS = timezone(timedelta(hours=1))
DEADLINE = datetime(2026, 3, 20, 23, 59, tzinfo=PARIS)
COURSE = "ML course <ml-course@univ.example>"
# Shares of a class (of the students), besides what each one's first mail holds.
RESUBMIT = 0.08  # a second mail: the corrected notebook
RESEND_SAME = 0.04  # a second mail with the very same file ("did you get it?")
FORWARDED = 0.04  # sent from a personal address, forwarded from the university one
LATE = 0.06  # arrives after the deadline
AS_PY = 0.2  # a .py file rather than a notebook


def submission(source: Path, n: int, as_py: bool, reference: dict) -> tuple[str, bytes]:
    """(file name, bytes) of student n's file from `source`, made unique by a comment."""
    if as_py and source.suffix == ".py":
        return "tp1.py", source.read_bytes() + f"\n# student {n}\n".encode()
    if source.suffix == ".py":
        notebook = swap(reference, source)
    else:
        notebook = slim(load_notebook(source))
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": f"student {n}"})
    return "TP1_Practical_Work.ipynb", nb_bytes(notebook)


def mail(n: int, sender: str, arrived: datetime, files: list[tuple[str, bytes]], *, subject: str = "Practical Work 1",
         forward_from: str = "") -> EmailMessage:
    message = EmailMessage(policy=policy.default)
    message["Received"] = (f"from smtp.student.univ.example ([192.0.2.{n % 250 + 2}]) by mx1.univ.example "
                           f"(Postfix) with ESMTPS id B{n:05d}; {format_datetime(arrived.astimezone(PARIS))}")
    message["From"] = sender
    message["To"] = COURSE
    message["Subject"] = subject
    message["Date"] = format_datetime((arrived - timedelta(seconds=7)).astimezone(PARIS))
    message["Message-ID"] = f"<bench.{n:06d}@student.univ.example>"
    if forward_from:
        message.set_content("Forwarding my submission from my personal address.\n")
        message.add_attachment(mail(n + 500_000, forward_from, arrived - timedelta(minutes=3), files))
        return message
    message.set_content("Hello,\n\nplease find my Practical Work 1 attached.\n\nBest regards\n")
    for name, data in files:
        maintype, subtype = ("application", "x-ipynb+json") if name.endswith(".ipynb") else ("text", "x-python")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def build(folder: Path, students: int, seed: int) -> tuple[Path, Path, dict[str, int]]:
    """The mbox and roster of a class; the counts of what it holds."""
    rng = random.Random(seed)
    pool = {kind: paths for kind, paths in kinds("tp1").items() if paths}
    weights = [(kind, share) for kind, share in MIX if kind in pool]
    reference = load_notebook(ROOT / "reference" / "tp1" / "tp1_solution.ipynb")
    counts = {"mails": 0, "resubmitted": 0, "resent unchanged": 0, "forwarded": 0, "late": 0, "py": 0}
    counts.update({kind: 0 for kind, _ in weights})
    roster = ["student id,first name,last name,email,section"]
    mails: list[tuple[datetime, EmailMessage]] = []
    number = 0
    for s in range(students):
        address = f"student{s:03d}@student.univ.example"
        roster.append(f"{22000000 + s},First{s},Last{s},{address},{'AB'[s % 2]}")
        kind = rng.choices([k for k, _ in weights], [w for _, w in weights])[0]
        counts[kind] += 1
        as_py = rng.random() < AS_PY
        counts["py"] += as_py
        files = [submission(rng.choice(pool[kind]), s, as_py, reference)]
        late = rng.random() < LATE
        counts["late"] += late
        arrived = DEADLINE - timedelta(days=rng.uniform(0.05, 6)) if not late else DEADLINE + timedelta(hours=rng.uniform(1, 60))
        forwarded = rng.random() < FORWARDED
        counts["forwarded"] += forwarded
        number += 1
        mails.append((arrived, mail(number, address, arrived, files,
                                    forward_from=f"first{s}.perso@example.net" if forwarded else "",
                                    subject="Fwd: Practical Work 1" if forwarded else "Practical Work 1")))
        roll = rng.random()
        if roll < RESUBMIT + RESEND_SAME:
            same = roll >= RESUBMIT
            counts["resent unchanged" if same else "resubmitted"] += 1
            again = files if same else [submission(pool["correct"][0], s + 100_000, False, reference)]
            number += 1
            later = arrived + timedelta(hours=rng.uniform(0.2, 20))
            mails.append((later, mail(number, address, later, again, subject="Re: Practical Work 1")))
    mails.sort(key=lambda pair: pair[0])
    box = folder / "class.mbox"
    with box.open("wb") as handle:
        for arrived, message in mails:
            handle.write(f"From {message['From'].addresses[0].addr_spec} {arrived.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
            data = message.as_bytes(policy=policy.default.clone(linesep="\n"))
            handle.write(b"\n".join((b">" + line if line.startswith(b"From ") else line) for line in data.split(b"\n")))
            handle.write(b"\n\n")
    counts["mails"] = len(mails)
    roster_path = folder / "roster.csv"
    roster_path.write_text("\n".join(roster) + "\n", encoding="utf-8")
    return box, roster_path, counts


class Watch:
    """The peak memory of a running command: its own VmHWM (exact peak RSS, kept by the kernel,
    read every `every` s) and the sampled peak PSS of it with all its descendants (every
    `tree_every` s: see benchmarks/process_memory.py)."""

    def __init__(self, pid: int, every: float = 0.5, tree_every: float = TREE_EVERY_S) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.every = every
        self.tree_every = tree_every
        self.coordinator_kb = 0
        self.tree = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        import psutil

        next_tree = time.monotonic()
        while not self.stop.is_set():
            try:
                for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.coordinator_kb = max(self.coordinator_kb, int(line.split()[1]))
                if time.monotonic() >= next_tree:
                    self.tree = max(self.tree, tree_pss(self.process))
                    next_tree = time.monotonic() + self.tree_every
            except (OSError, psutil.Error):
                pass
            self.stop.wait(self.every)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def run(command: list[str]) -> tuple[float, str, Watch]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch = Watch(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    watch.close()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"grade batch failed ({proc.returncode}): {err[-2000:]}")
    return wall, out.strip().splitlines()[-1] if out.strip() else "", watch


def graded_count(out: Path) -> int:
    import sqlite3

    from grader.batch.state import DATABASE

    with sqlite3.connect(out / DATABASE) as db:
        return db.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build and grade in this folder (kept) instead of a temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        box, roster, counts = build(folder, args.students, args.seed)
        print(f"mailbox: {args.students} students, {box.stat().st_size / 2**20:.1f} MB; {json.dumps(counts)}")
        out = folder / "graded"
        command = [sys.executable, "-m", "grader.cli", "--course", str(ROOT), "batch", str(box), "--roster", str(roster),
                   "--deadline", DEADLINE.isoformat(), "--late", "10%/day", "--out", str(out),
                   "--workers", str(args.workers)]
        print("command:", " ".join(command[1:]))
        wall, line, watch = run(command)
        graded = graded_count(out)
        print(f"first run: wall {wall:.1f} s, {wall / max(graded, 1):.2f} s per submission graded ({graded} graded), "
              f"coordinator peak {watch.coordinator_kb / 1024:.0f} MB (VmHWM), "
              f"process tree peak {watch.tree / 2**20:.0f} MB (PSS, sampled)")
        print(f"  summary: {line}")
        wall, line, watch = run(command)
        print(f"rerun, nothing new: wall {wall:.1f} s, coordinator peak {watch.coordinator_kb / 1024:.0f} MB")
        print(f"  summary: {line}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
