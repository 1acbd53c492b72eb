"""The figures student code draws: kept in the worker (grader/run/drawings.py), checked and
re-encoded on the trusted side (grader/run/drawn.py), bounded in the grade (sanitize), shown
under the exercise, and never worth a grade."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from grader.assignment import Limits
from grader.extract.source import SourceUnit, extract_code
from grader.report import render_html
from grader.report.sanitize import MAX_DRAWN_PER_EXERCISE, sanitize
from grader.results import Drawing, ExerciseResult, GradeResult
from grader.results import TestResult as TResult  # aliased: pytest would try to collect Test*
from grader.run import drawn
from grader.run import launcher as launchers
from grader.run.client import StudentRuntime
from grader.run.errors import StudentError
from grader.run.proxy import StudentModule
from tests.conftest import ROOT

PLOTS = '''
import sys
import matplotlib.pyplot as plt


def shows_then_closes(n):
    plt.plot(range(n))
    plt.show()
    plt.close()
    return n


def leaves_open(n):
    plt.figure()
    plt.scatter(range(n), range(n))
    return n


def draws_then_raises():
    plt.plot([1, 2, 3])
    raise ValueError("broken after plotting")


def open_figures():
    return len(plt.get_fignums())


def unsavable():
    fig = plt.figure()
    fig.savefig = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no"))
    fig2 = plt.figure(figsize=(500, 500))  # far too large to draw
    return 0
'''

NO_PLOTS = '''
import sys


def plain(x):
    return 2 * x


def matplotlib_modules():
    return sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")
'''


def png(size=(120, 80), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def load(tmp_path, monkeypatch):
    """A cold worker (the zygote imports pyplot ahead, so the import guarantee is a cold one's)."""
    monkeypatch.setattr(launchers, "default_launcher", launchers.ColdLauncher)
    runtimes = []

    def make(source: str) -> StudentModule:
        code = extract_code([SourceUnit("cell 1", source)])
        runtime = StudentRuntime(code, Limits(call_seconds=20, load_seconds=20), tmp_path / str(len(runtimes)),
                                 time.monotonic() + 300)
        runtimes.append(runtime)
        return StudentModule(runtime)

    yield make
    for runtime in runtimes:
        runtime.close()


# ---------------------------------------------------------------- in the worker


def test_a_submission_that_never_imports_matplotlib_does_not_get_it_imported(load):
    student = load(NO_PLOTS)
    assert student.plain(21) == 42
    assert drawn.collect(student._runtime) == drawn.Collected()  # nothing drawn: nothing asked
    assert student.matplotlib_modules() == []


def test_the_capture_itself_imports_nothing():
    code = ("import sys\nfrom grader.run.drawings import Drawings\nd = Drawings(); d.install()\n"
            "assert d.newly_noted() == 0 and d.collect() == {'images': [], 'dropped': 0}\n"
            "print(sorted(m for m in sys.modules if m.startswith('matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_a_figure_shown_then_closed_and_one_left_open_are_both_kept_then_closed(load):
    student = load(PLOTS)
    assert student.shows_then_closes(5) == 5 and student.leaves_open(7) == 7
    assert student._runtime.drawn_by == (("call", "shows_then_closes"), ("call", "leaves_open"))
    collected = drawn.collect(student._runtime)
    assert [d.alt for d in collected.drawings] == ["Figure drawn by your shows_then_closes function",
                                                   "Figure drawn by your leaves_open function"]
    assert all((d.width, d.height) == (640, 480) for d in collected.drawings) and not collected.notes
    # Closed after collection: figures never pile up from one test to the next.
    assert student.open_figures() == 0 and student._runtime.drawn_by == ()


def test_a_function_that_draws_then_raises_keeps_its_figure(load):
    student = load(PLOTS)
    with pytest.raises(StudentError, match="broken after plotting"):
        student.draws_then_raises()
    assert [d.alt for d in drawn.collect(student._runtime).drawings] == ["Figure drawn by your draws_then_raises function"]


def test_figures_that_cannot_be_drawn_are_a_quiet_note_not_an_error(load):
    student = load(PLOTS)
    assert student.unsavable() == 0
    collected = drawn.collect(student._runtime)
    assert collected.drawings == () and collected.notes == (
        "2 figures your code drew could not be shown (too large, not an image, or it raised an error when drawn).",)
    assert student.open_figures() == 0  # the worker still answers, its figures closed


def test_a_figure_is_drawn_at_a_bounded_size():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from grader.run import drawings

    data = drawings._png(Figure(figsize=(30, 10)))
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) <= drawings.MAX_SIDE_PX and len(data) <= drawings.MAX_PNG_BYTES
    assert drawings._png(Figure(figsize=(100, 1))) is None


# ---------------------------------------------------------------- the trusted side


def test_what_is_kept_is_the_image_pillow_redrew_not_the_bytes_sent():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (120, 80)).save(out, format="PNG", pnginfo=info)
    sent = out.getvalue()
    kept = drawn.accept({"images": [sent], "dropped": 0}, (("call", "train"),)).drawings
    assert len(kept) == 1 and kept[0].alt == "Figure drawn by your train function"
    again = base64.b64decode(kept[0].png)
    assert again.startswith(b"\x89PNG") and b"script" not in again and again != sent
    assert drawn.accept({"images": [sent[:-30]]}, (("call", "train"),)).drawings == ()  # truncated


def test_figures_drawn_while_the_code_was_loaded_belong_to_no_exercise():
    kept = drawn.accept({"images": [png(), png()]}, (("define", ""), ("call", "train")))
    assert [d.alt for d in kept.drawings] == ["Figure drawn by your train function"]


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.binary(max_size=64),
                    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=30))
def test_accept_takes_any_reply_and_keeps_at_most_four_real_pngs(value):
    for candidate in (value, {"images": value}, {"images": [png(), value], "dropped": value}):
        collected = drawn.accept(candidate, ())
        assert len(collected.drawings) <= drawn.MAX_KEPT_PER_TEST
        assert all(base64.b64decode(d.png).startswith(b"\x89PNG") for d in collected.drawings)


# ---------------------------------------------------------------- in the grade and the report


def result_with(tests: tuple[TResult, ...]) -> GradeResult:
    return GradeResult("ann", "tp1", "tp1.ipynb", 1, 2, (ExerciseResult("train", 1, 2, tests),))


def drawing(alt: str = "Figure drawn by your train function") -> Drawing:
    return Drawing(base64.b64encode(png()).decode(), alt, 120, 80)


def test_drawings_round_trip_through_the_json_of_a_grade():
    result = sanitize(result_with((TResult("t", "train", "failed", 0, 1, drawn=(drawing(),)),)))
    again = GradeResult.from_json(result.to_json())
    assert again == result and again.exercises[0].tests[0].drawn[0].width == 120


def test_a_failing_test_keeps_its_figures_and_the_exercise_shows_at_most_four():
    tests = (TResult("a", "train", "failed", 0, 1, drawn=(drawing(),) * 3),
             TResult("b", "train", "passed", 1, 1, drawn=(drawing(),) * 3))
    result = sanitize(result_with(tests))
    assert [len(t.drawn) for t in result.exercises[0].tests] == [3, MAX_DRAWN_PER_EXERCISE - 3]
    html = render_html(result)
    assert html.count('alt="Figure drawn by your train function"') == MAX_DRAWN_PER_EXERCISE
    assert "Figures your code drew" in html and result.score == 1


def test_a_stored_drawing_that_is_not_a_real_png_is_dropped():
    forged = (Drawing(base64.b64encode(b"<svg onload=alert(1)>").decode(), "x", 10, 10),
              Drawing("not base64!", "x", 10, 10), Drawing(base64.b64encode(png((40, 40))).decode(), "", 1, 1))
    kept = sanitize(result_with((TResult("t", "train", "passed", 1, 1, drawn=forged),))).exercises[0].tests[0].drawn
    assert [(d.alt, d.width, d.height) for d in kept] == [("Figure drawn by your code", 40, 40)]


def test_a_hidden_test_at_points_only_shows_no_drawn_figure():
    result = sanitize(result_with((TResult("t", "train", "passed", 1, 1, hidden=True, drawn=(drawing(),)),)))
    assert "Figure drawn by" not in render_html(result, hidden_visibility="points-only")
    assert "Figure drawn by" in render_html(result, hidden_visibility="no-expected")
