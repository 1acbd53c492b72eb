"""Similarity flags copies (even renamed ones), not independent work, and never the starter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader import similarity
from grader.assignment import load_assignment
from grader.similarity import compare, kept_code, render_page

ROOT = Path(__file__).resolve().parents[2]


def renamed(code: str) -> str:
    for old, new in [("x", "inputs"), ("y", "targets"), ("net", "model"), ("loss", "err"), ("n_data", "count")]:
        code = re.sub(rf"\b{old}\b", new, code)
    return code


@pytest.fixture(scope="module")
def codes() -> dict[str, str]:
    tp1 = load_assignment(ROOT, "tp1")
    reference = kept_code(ROOT / "reference/tp1/tp1_solution.ipynb", tp1)
    return {
        "reference": reference,
        "renamed": renamed(reference),
        "independent": kept_code(ROOT / "assignments/tp1/variants/ok_course_style.py", tp1),
        "starter": kept_code(tp1.starter_path, tp1),
    }


def score(report: similarity.Report, a: str, b: str) -> float:
    for pair in report.pairs:
        if {pair.a, pair.b} == {a, b}:
            return pair.score
    return 0.0


def test_a_renamed_copy_scores_high_an_independent_solution_lower_the_starter_zero(codes) -> None:
    report = compare(codes.items(), boilerplate=codes["starter"])
    assert score(report, "reference", "renamed") > 0.9
    assert score(report, "reference", "independent") < 0.5
    assert score(report, "reference", "starter") == score(report, "renamed", "starter") == 0.0
    assert report.pairs[0].score == score(report, "reference", "renamed")  # ranked first


def test_without_the_starter_as_boilerplate_everyone_matches_the_starter(codes) -> None:
    # Why the boilerplate matters: the starter's signatures and docstrings are in every submission.
    report = compare(codes.items())
    assert score(report, "reference", "starter") > 0.3


def test_matching_regions_are_line_ranges_inside_each_code(codes) -> None:
    report = compare([("a", codes["reference"]), ("b", codes["renamed"])], boilerplate=codes["starter"])
    (pair,) = report.pairs
    lines = codes["reference"].count("\n") + 1
    assert pair.lines_a and all(1 <= first <= last <= lines for first, last in pair.lines_a)
    assert all(r1[1] < r2[0] for r1, r2 in zip(pair.lines_a, pair.lines_a[1:]))  # sorted, merged


def test_a_copied_function_inside_other_code_is_found_where_it_is() -> None:
    copied = (
        "def train(net, x, y, num_steps, lr):\n"
        "    optimizer = torch.optim.SGD(net.parameters(), lr=lr)\n"
        "    losses = []\n"
        "    for _ in range(num_steps):\n"
        "        optimizer.zero_grad()\n"
        "        loss = torch.nn.functional.mse_loss(net(x), y)\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        losses.append(loss.item())\n"
        "    return losses\n"
    )
    other = "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n\n\n" + renamed(copied) + "\n\nTOTAL = sum(range(10))\n"
    (pair,) = compare([("a", copied), ("b", other)]).pairs
    assert pair.similarity_a > 0.9 and pair.similarity_b < pair.similarity_a
    # The copy is lines 8-17 of b; a match may run a line or two into what follows, since
    # normalized code ("V = V(V(...") of the next statement can extend the last k-gram.
    first, last = pair.lines_b[0]
    assert 8 <= first <= 10 and 16 <= last <= 19
    assert len(pair.lines_b) == 1


def test_the_work_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(similarity, "MAX_SUBMISSIONS", 3)
    monkeypatch.setattr(similarity, "MAX_CODE_CHARS", 50)
    report = compare([(f"s{i}", "x = 1\n" * 100) for i in range(5)] + [("s0", "")])
    assert len(report.codes) == 3 and all(len(c) <= 50 for c in report.codes.values())
    assert any("first 3 submissions" in s for s in report.skipped)


def test_the_page_escapes_code_highlights_matches_and_says_it_never_grades(codes) -> None:
    hostile = codes["reference"] + "\n# </div><script>alert(1)</script>\nNAME = '\ud800'\n"
    report = compare([("<b>eve</b>", hostile), ("bob", codes["renamed"])], boilerplate=codes["starter"])
    html = render_page(report)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;eve&lt;/b&gt;" in html
    assert "never changes a grade" in html
    assert 'class="line hit"' in html
    html.encode("utf-8")


def test_a_page_with_no_pair_over_the_threshold_says_so(codes) -> None:
    report = compare([("a", codes["starter"]), ("b", codes["starter"])], boilerplate=codes["starter"])
    assert "No pair reaches the threshold" in render_page(report)


def test_submission_files_are_compared_and_an_unreadable_one_is_named_not_fatal(tmp_path: Path) -> None:
    tp1 = load_assignment(ROOT, "tp1")
    reference = ROOT / "reference/tp1/tp1_solution.ipynb"
    copy = tmp_path / "bob.ipynb"
    copy.write_bytes(reference.read_bytes())
    broken = tmp_path / "eve.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    report = similarity.compare_submissions([reference, copy, broken], tp1)
    assert [(p.a, p.b) for p in report.pairs] == [("tp1_solution", "bob")]
    assert report.pairs[0].score > 0.99
    assert any(line.startswith("eve.ipynb: not compared") for line in report.skipped)


def test_a_class_of_alike_submissions_lists_the_most_alike_pairs_and_counts_the_rest(codes, monkeypatch) -> None:
    """A short exercise makes most pairs of a class alike: the report keeps the MAX_LISTED most
    alike (with their matching lines) and only the scores of the others, and the page says so."""
    monkeypatch.setattr(similarity, "MAX_LISTED", 4)
    class_of_six = [(f"s{i}", codes["reference"] + f"\n# {i}\n") for i in range(5)] + [("renamed", codes["renamed"])]
    report = compare(class_of_six)
    assert len(report.pairs) == 4 and len(report.unlisted) == 15 - 4
    assert [p.score for p in report.pairs] == sorted((p.score for p in report.pairs), reverse=True)
    assert min(p.score for p in report.pairs) >= max(report.unlisted)
    assert all(p.lines_a and p.lines_b for p in report.pairs)
    page = render_page(report)
    assert "11 more pairs reach the threshold" in page and "only the\n4 most alike are listed" in page


def _stored_class(out: Path) -> list[tuple[str, str, str]]:
    """Three counted submissions kept as a batch keeps them (by SHA-256): two copies and the starter."""
    import hashlib

    from grader.batch.views import SUBMISSIONS

    tp1 = load_assignment(ROOT, "tp1")
    files = {"ann": ROOT / "reference/tp1/tp1_solution.ipynb", "bob": ROOT / "reference/tp1/tp1_solution.ipynb",
             "cat": tp1.starter_path}
    found = []
    for student, path in files.items():
        data = path.read_bytes() + (b"" if student == "ann" else b"\n")
        digest = hashlib.sha256(data).hexdigest()
        (out / SUBMISSIONS / digest[:2]).mkdir(parents=True, exist_ok=True)
        (out / SUBMISSIONS / digest[:2] / digest).write_bytes(data)
        found.append((student, digest, path.name))
    return found


def test_similarity_pages_written_by_a_side_process_are_those_written_here(tmp_path: Path, monkeypatch) -> None:
    """A large class's pages are written by a process of their own beside the reports: the page
    is the same one this process writes, to the byte (marked lines included)."""
    from grader.batch import views

    tp1 = load_assignment(ROOT, "tp1")
    found = _stored_class(tmp_path)
    here = views.start_similarity(tmp_path, {"tp1": tp1}, {"tp1": found})()
    assert here == {"tp1": "similarity-tp1.html"}
    written_here = (tmp_path / "similarity-tp1.html").read_text()
    (tmp_path / "similarity-tp1.html").unlink()
    monkeypatch.setattr(views, "SIDE_PROCESS_FROM", 2)

    def not_here(*args: object, **kwargs: object) -> None:  # the side process imports the real one
        raise AssertionError("the page was written by this process, not by the side process")

    monkeypatch.setattr(similarity, "write_page", not_here)
    assert views.start_similarity(tmp_path, {"tp1": tp1}, {"tp1": found})() == here

    assert (tmp_path / "similarity-tp1.html").read_text() == written_here
    assert "ann" in written_here and "bob" in written_here


def test_a_similarity_page_the_side_process_cannot_write_is_written_here(tmp_path: Path, monkeypatch, caplog) -> None:
    import dataclasses

    from grader.batch import views

    tp1 = load_assignment(ROOT, "tp1")

    class Local(type(tp1)):  # defined in a test function: it cannot be sent to another process
        pass

    local = Local(**{f.name: getattr(tp1, f.name) for f in dataclasses.fields(tp1)})
    monkeypatch.setattr(views, "SIDE_PROCESS_FROM", 2)
    pages = views.start_similarity(tmp_path, {"tp1": local}, {"tp1": _stored_class(tmp_path)})()
    assert pages == {"tp1": "similarity-tp1.html"}
    assert "ann" in (tmp_path / "similarity-tp1.html").read_text()
    assert "similarity page of tp1 written again here" in caplog.text


_REPORT_IN_A_PROCESS = """
import json, sys
from pathlib import Path
from grader.similarity import compare
codes = json.loads(Path(sys.argv[1]).read_text())
report = compare(codes.items(), boilerplate=codes.pop("starter"))
print(json.dumps([[p.a, p.b, p.similarity_a, p.similarity_b, p.lines_a, p.lines_b] for p in report.pairs]
                 + [list(report.unlisted)]))
"""


def test_the_same_class_gives_the_same_scores_and_marked_lines_in_every_process(codes, tmp_path: Path) -> None:
    """Python salts `hash()` per process, and copydetect fingerprinted with it: near copies got
    other scores and other marked lines from one run (or one side process) to the next."""
    import json
    import os
    import subprocess
    import sys

    edited = codes["reference"].replace("\ndef ", "\nassert sorted({3: 4, 1: 2}) == [1, 3], max(5, 6) > 2\ndef ", 3)
    assert edited != codes["reference"]
    path = tmp_path / "codes.json"
    path.write_text(json.dumps({**codes, "edited": edited, "edited-renamed": renamed(edited)}))
    runs = []
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", _REPORT_IN_A_PROCESS, str(path)], env=env,
                              capture_output=True, text=True, timeout=120, check=True)
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1] == runs[2]
    scores = {frozenset(pair[:2]): max(pair[2], pair[3]) for pair in runs[0][:-1]}
    assert 0.5 < scores[frozenset(("reference", "edited"))] < 1.0  # a near copy: where salts mattered


def test_window_hashes_depend_on_the_window_alone() -> None:
    text = "def f(x):\n    return x + 1\n" * 3 + "def g(y):\n    return y * 2\n"
    hashes = similarity.stable_kgrams(text, 7)
    assert hashes.dtype.name == "int64" and len(hashes) == len(text) - 6
    windows = [text[i:i + 7] for i in range(len(text) - 6)]
    for i, j in [(0, 27), (3, 30), (0, 1)]:
        assert (hashes[i] == hashes[j]) == (windows[i] == windows[j])
    assert len(set(hashes.tolist())) == len(set(windows))  # no two distinct windows collide here
    assert similarity.stable_kgrams("short", 7).size == 0
    assert similarity.stable_kgrams("é" * 9, 7).tolist() == similarity.stable_kgrams("é" * 9, 7).tolist()


def test_each_pairs_scores_are_copydetects_own(codes) -> None:
    """Pairs are scored by a faster computation of copydetect's `compare_files` shares: equal to
    them, exactly, on every pair of the tp1 variants, the reference, renamed and edited copies."""
    from copydetect import compare_files

    tp1 = load_assignment(ROOT, "tp1")
    corpus = dict(codes)
    corpus["edited"] = codes["reference"].replace("\ndef ", "\nassert sorted({3: 4, 1: 2}) == [1, 3]\ndef ", 2)
    corpus["empty"] = ""
    for path in sorted((ROOT / "assignments/tp1/variants").glob("*.py")):
        corpus[path.stem] = kept_code(path, tp1)
    common = similarity._boilerplate(codes["starter"])
    prints = {name: similarity._fingerprint(name, code, common) for name, code in corpus.items()}
    laid = {name: similarity._Prints.of(p) for name, p in prints.items()}
    compared = nonzero = 0
    names = sorted(corpus)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            _, (sim_a, sim_b), _ = compare_files(prints[a], prints[b])
            assert (laid[a].share_in(laid[b]), laid[b].share_in(laid[a])) == (float(sim_a), float(sim_b)), (a, b)
            compared += 1
            nonzero += sim_a > 0
    assert compared > 1000 and nonzero > compared // 2
