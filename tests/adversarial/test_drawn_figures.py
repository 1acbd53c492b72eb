"""Figures are the student's data too: whatever a worker sends as "the figures your code drew"
(student code shares its process and can replace the worker's own capture), the grade is what
honest code earns, nothing is labelled the grader's fault, and the report stays bounded.

Each submission is graded for real on the fortress course (the sandbox, the wire, the runner):
`honest` doubles its input correctly, then makes the worker's figure capture send something
hostile; `answer` earns nothing, as for honest code.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from grader.report import render_html
from grader.report.sanitize import MAX_DRAWN_PER_EXERCISE
from grader.run.sandbox import cgroups_writable
from tests.adversarial.test_attacks import grade_with_deadline

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="the OS sandbox exists on Linux only")]

PNG = '''
def _png(width=64, height=64, bomb=False):
    import io, struct, zlib
    if not bomb:
        from PIL import Image
        out = io.BytesIO()
        Image.new("RGB", (width, height), (0, 120, 200)).save(out, format="PNG")
        return out.getvalue()
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    # A header announcing 50,000 x 50,000 RGB pixels (7.5 GB decoded) over a few KB of zeros.
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\\0" * (1 << 20), 9)
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
'''

CAPTURE_REPLACED = PNG + '''

def honest(x):
    import sys
    drawings = sys.modules["grader.run.drawings"].Drawings
    drawings.newly_noted = lambda self: 1000
    drawings.collect = lambda self: {PAYLOAD}
    return 2 * x


def answer():
    return 0
'''

PAYLOADS = {
    "a_worker_sending_1000_figures": '{"images": [_png()] * 1000, "dropped": 10**12}',
    "a_50_mb_png": '{"images": [b"\\x89PNG\\r\\n\\x1a\\n" + b"\\0" * (50 << 20)], "dropped": 0}',
    "a_png_bomb_header": '{"images": [_png(bomb=True)] * 6, "dropped": 0}',
    "bytes_that_are_not_png": ('{"images": [b"GIF89a" + b"\\0" * 100, b"<svg onload=alert(1)>", "text", 7, None, '
                               '[_png()], {"png": _png()}], "dropped": -5}'),
}

DRAWS_THEN_RAISES = '''
import matplotlib.pyplot as plt


def honest(x):
    return 2 * x


def answer():
    plt.plot([3, 1, 2])
    plt.title("drawn before the error")
    raise RuntimeError("answer failed after plotting")
'''


def grade(tmp_path, source: str):
    if not cgroups_writable():
        pytest.fail("these guarantees are tested with the full sandbox: run the tests as root on Linux")
    path = tmp_path / "submission.py"
    path.write_text(source)
    return grade_with_deadline(path)


def assert_honest_grade_and_bounded_report(result) -> str:
    assert not result.grader_error, result.grader_error
    assert {e.name: e.score for e in result.exercises} == {"honest": 1, "answer": 0}
    assert not [t for e in result.exercises for t in e.tests if t.fault == "grader"]
    for exercise in result.exercises:
        assert sum(len(t.drawn) for t in exercise.tests) <= MAX_DRAWN_PER_EXERCISE
    html = render_html(result)
    assert len(json.dumps(result.to_json())) < 1 << 20 and len(html) < 2 << 20
    # Every image on the page is an inline PNG (the code shown beside the tests holds the attack's
    # text, escaped: that is the student's own code, not an image).
    sources = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert all(src.startswith("data:image/png;base64,") for src in sources) and "<svg onload" not in html
    return html


@pytest.mark.parametrize("attack", sorted(PAYLOADS))
def test_hostile_figures_never_change_the_grade_and_the_report_stays_bounded(tmp_path, attack):
    result = grade(tmp_path, CAPTURE_REPLACED.replace("{PAYLOAD}", PAYLOADS[attack]))
    html = assert_honest_grade_and_bounded_report(result)
    kept = [d for e in result.exercises for t in e.tests for d in t.drawn]
    notes = " ".join(p.message for p in result.problems)
    if attack == "a_worker_sending_1000_figures":
        assert len(kept) == 4 and html.count('alt="Figure drawn by your honest function"') == 4
        assert "not kept" in notes
    else:
        assert kept == [] and "Figure drawn by" not in html
        assert "could not be" in notes
    assert all(p.severity == "info" for p in result.problems if "figure" in p.message)


def test_a_function_that_draws_then_raises_fails_as_it_would_and_keeps_its_figure(tmp_path):
    result = grade(tmp_path, DRAWS_THEN_RAISES)
    assert_honest_grade_and_bounded_report(result)
    answer = next(e for e in result.exercises if e.name == "answer")
    assert "answer failed after plotting" in answer.tests[0].message and answer.tests[0].fault == "student"
    assert [d.alt for t in answer.tests for d in t.drawn] == ["Figure drawn by your answer function"]
