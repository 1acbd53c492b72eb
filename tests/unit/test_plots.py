"""Figures from plain data, and the artifacts tests attach to ask for them."""

from __future__ import annotations

import base64
import io
import random
from xml.etree import ElementTree

import numpy as np
import pytest
import torch
from PIL import Image

from grader.report import plots, svg
from grader.report.artifacts import check_artifact, render_artifact
from grader.report.plots import Curve, Figure, PlotError


SVG_TAGS = {"svg", "rect", "line", "polyline", "circle", "g", "text"}


def svg_root(figure: Figure) -> ElementTree.Element:
    assert figure.data_uri.startswith("data:image/svg+xml;base64,")
    root = ElementTree.fromstring(base64.b64decode(figure.data_uri.split(",", 1)[1], validate=True))
    return root


def png_size(figure: Figure) -> tuple[int, int]:
    """The figure's pixel size, read from its image: a PNG, or an SVG whose every element is one
    of the few the plots use (no script, link, style or foreign content can appear)."""
    if figure.data_uri.startswith("data:image/svg+xml;base64,"):
        root = svg_root(figure)
        assert {element.tag.split("}")[-1] for element in root.iter()} <= SVG_TAGS
        assert not any(k.split("}")[-1].startswith("on") or "href" in k for e in root.iter() for k in e.attrib)
        return int(root.get("width")), int(root.get("height"))
    data = base64.b64decode(figure.data_uri.split(",", 1)[1], validate=True)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def texts(figure: Figure) -> list[str]:
    return [element.text or "" for element in svg_root(figure).iter() if element.tag.endswith("text")]


def test_a_scatter_against_a_callable_relation_is_an_inline_image_with_alt() -> None:
    x = torch.linspace(-1, 1, 50)
    figure = plots.scatter(Curve(x, 2 * x + 0.1), relation=lambda xs: 2 * xs, alt="your points on y = 2x")
    assert figure.alt == "your points on y = 2x"
    assert png_size(figure) == (figure.width, figure.height) == (480, 320)
    html = str(figure.to_html())
    assert html.startswith('<img class="figure" src="data:image/svg+xml;base64,') and 'alt="your points on y = 2x"' in html


def test_an_xy_plot_draws_every_point_inside_its_axes_with_round_ticks() -> None:
    x = np.linspace(-1, 1, 41)
    figure = plots.scatter(Curve(x, 3 * x + 7), relation=Curve([-1, 1], [4, 10], label="y = 3x + 7"), alt="a",
                           title="create_linear_dataset")
    root = svg_root(figure)
    inside = lambda cx, cy: svg.LEFT <= cx <= svg.RIGHT and svg.TOP <= cy <= svg.BOTTOM  # noqa: E731
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter() if c.tag.endswith("circle")]
    assert len(circles) >= 41 and all(inside(*c) for c in circles[:41])
    line = next(e for e in root.iter() if e.tag.endswith("polyline"))
    assert all(inside(*map(float, pair.split(","))) for pair in line.get("points").split())
    shown = texts(figure)
    assert {"-1.0", "-0.5", "0.0", "0.5", "1.0"} <= set(shown)
    assert "create_linear_dataset" in shown and "y = 3x + 7" in shown and "your points" in shown


@pytest.mark.parametrize("low, high, expected", [
    (-1.1, 1.1, [-1.0, -0.5, 0.0, 0.5, 1.0]),
    (0.0, 10.0, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
    (3.9, 6.1, [4.0, 4.5, 5.0, 5.5, 6.0]),
    (-0.0026, 0.0001, [-0.0025, -0.002, -0.0015, -0.001, -0.0005, 0.0]),
])
def test_ticks_are_round_numbers_inside_the_axis(low, high, expected) -> None:
    assert svg.nice_ticks(low, high) == pytest.approx(expected)


@pytest.mark.parametrize("value, step, text", [
    (0.25, 0.25, "0.25"), (0.5, 0.5, "0.5"), (2.0, 2.0, "2"), (5.551115123125783e-17, 0.5, "0.0"),
    (-0.0025, 0.0005, "-0.0025"), (250000.0, 50000.0, "2.5e+05"),
])
def test_tick_labels_have_the_decimals_their_step_needs(value, step, text) -> None:
    assert svg.tick_label(value, step) == text


def test_a_constant_or_single_point_series_still_draws() -> None:
    assert png_size(plots.loss_curves([0.5, 0.5, 0.5], alt="flat")) == (480, 320)
    assert png_size(plots.scatter(Curve([2.0], [3.0]), alt="one point")) == (480, 320)


def test_a_loss_spanning_decades_is_drawn_on_a_log_scale() -> None:
    figure = plots.loss_curves(10.0 ** -np.arange(0, 5, 0.1), alt="loss")
    assert {"1", "0.1", "0.01", "0.001"} <= set(texts(figure))


def test_text_from_a_submission_is_escaped_in_the_svg() -> None:
    hostile = '</text><script>alert(1)</script><text onload="x">'
    figure = plots.scatter(Curve([0, 1], [0, 1], label=hostile), alt="a", title=hostile)
    png_size(figure)  # only the plot's own elements
    assert hostile in texts(figure)


def test_every_kind_of_figure_renders_from_numpy_lists_and_tensors() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 40)
    figures = [
        plots.regression_fit(Curve(x.tolist(), (x ** 2).tolist()), Curve(x, x ** 2 + 0.1),
                             reference=Curve(torch.tensor(x), torch.tensor(x ** 2)), alt="fit"),
        plots.loss_curves(np.exp(-np.arange(300) / 30), reference=torch.exp(-torch.arange(200) / 20.0), alt="loss"),
        plots.confusion_matrix(rng.integers(0, 50, (10, 10)), alt="confusion"),
        plots.digit_grid(rng.integers(0, 256, (5, 28, 28)).astype(np.uint8), captions=["7 read as 1"] * 5, alt="digits"),
    ]
    for figure in figures:
        assert png_size(figure) == (figure.width, figure.height)


def test_a_figure_without_alt_text_is_refused() -> None:
    with pytest.raises(ValueError):
        Figure(alt="  ", data_uri="data:image/png;base64,AAAA", width=1, height=1)
    with pytest.raises(ValueError):
        Figure(alt="x", data_uri="https://example.org/x.png", width=1, height=1)


def test_a_huge_series_is_subsampled_so_drawing_costs_the_same() -> None:
    x = np.linspace(0, 1, 500_000)
    cut = plots._subsample(x, x)
    assert len(cut[0]) == plots.MAX_POINTS and cut[0][0] == 0 and cut[0][-1] == 1
    plots.scatter(Curve(x, x), alt="many points")  # completes: only MAX_POINTS are drawn


def test_a_grid_shows_at_most_max_images_and_a_bounded_figure() -> None:
    many = np.zeros((500, 28, 28), dtype=np.uint8)
    figure = plots.digit_grid(many, alt="digits")
    assert figure.height <= plots.MAX_HEIGHT_PX


def test_non_finite_values_are_left_out_not_drawn_as_errors() -> None:
    figure = plots.loss_curves([1.0, float("nan"), 0.5, float("inf"), 0.25], alt="loss")
    assert png_size(figure)
    with pytest.raises(PlotError):
        plots.loss_curves([float("nan")] * 3, alt="loss")


def test_text_from_a_submission_cannot_start_mathtext_or_break_lines() -> None:
    # An unbalanced "$" would make matplotlib's mathtext parser raise.
    figure = plots.scatter(Curve([0, 1], [0, 1], label="$\\frac{"), alt="a", title="$\\sqrt{ \ud800\n\x00")
    assert png_size(figure)
    grid = plots.digit_grid(np.zeros((2, 28, 28)), captions=["$\\frac{", "\ud800\n"], alt="d", title="$\\sqrt{")
    assert png_size(grid)
    assert plots.clean_text("a\n\tb\x00\ud800") == "a b ?"


@pytest.mark.parametrize("bad", [
    [[1, 2], [3, 4], [5, 6]],          # not square
    np.full((30, 30), 1.0),            # too many classes
    [[-1, 0], [0, 1]],                 # negative count
])
def test_a_confusion_matrix_that_is_not_one_is_a_plot_error(bad) -> None:
    with pytest.raises(PlotError):
        plots.confusion_matrix(bad, alt="c")


def test_each_artifact_kind_renders() -> None:
    xs = [i / 10 for i in range(-10, 11)]
    artifacts = [
        {"kind": "scatter", "title": "create_linear_dataset", "points": {"x": xs, "y": [2 * x for x in xs]},
         "relation": {"x": [-1, 1], "y": [-2, 2], "label": "y = 2x"}},
        {"kind": "regression", "data": {"x": xs, "y": xs}, "fit": {"x": xs, "y": xs},
         "reference": {"x": xs, "y": xs}},
        {"kind": "loss", "loss": [1.0, 0.5, 0.2], "reference": [1.0, 0.4, 0.1]},
        {"kind": "confusion", "matrix": [[5, 1], [0, 7]], "class_names": ["cat", "dog"]},
        {"kind": "images", "images": [[[0] * 28] * 28] * 3, "captions": ["a", "b", "c"]},
    ]
    for artifact in artifacts:
        assert check_artifact(artifact) == "", artifact["kind"]
        figure = render_artifact(artifact)
        assert figure is not None and figure.alt, artifact["kind"]


def test_an_artifact_without_alt_gets_a_descriptive_one() -> None:
    figure = render_artifact({"kind": "loss", "loss": [3, 2, 1], "title": "train"})
    assert figure is not None and figure.alt.startswith("Your loss per step") and "train" in figure.alt


@pytest.mark.parametrize("artifact, reason", [
    (None, "a dict"),
    ({"kind": "pie"}, "unknown artifact kind"),
    ({"kind": "loss"}, "needs loss"),
    ({"kind": "loss", "loss": [True, False]}, "numbers"),
    ({"kind": "loss", "loss": ["1"]}, "numbers"),
    ({"kind": "loss", "loss": [[1]]}, "too deep"),
    ({"kind": "loss", "loss": [1], "title": 3}, "title"),
    ({"kind": "loss", "loss": [10 ** 400]}, "too large"),
    ({"kind": "scatter", "points": {"x": [1]}}, "no y"),
    ({"kind": "images", "images": [[[0]]], "captions": "abc"}, "captions"),
    ({"kind": "loss", "loss": [0.0] * 300_000}, "at most"),
])
def test_a_malformed_artifact_is_explained_and_never_drawn(artifact, reason) -> None:
    assert reason in check_artifact(artifact)
    assert render_artifact(artifact) is None


def test_an_artifact_well_formed_but_undrawable_gives_none() -> None:
    assert render_artifact({"kind": "scatter", "points": {"x": [1, 2], "y": [1]}}) is None
    assert render_artifact({"kind": "confusion", "matrix": [[1, 2, 3]]}) is None
    assert render_artifact({"kind": "images", "images": [[[0] * 100] * 100]}) is None


def test_render_artifact_never_raises_on_random_junk() -> None:
    rng = random.Random(13)
    atoms = [None, True, 1, -1.5, float("nan"), "x", "$", [], {}, 10 ** 30, "\ud800"]

    def junk(depth: int):
        roll = rng.random()
        if depth == 0 or roll < 0.4:
            return rng.choice(atoms)
        if roll < 0.7:
            return [junk(depth - 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(["x", "y", "kind", "loss", "points", "label", "images", "matrix"]): junk(depth - 1)
                for _ in range(rng.randint(0, 4))}

    for _ in range(300):
        artifact = junk(4)
        if isinstance(artifact, dict) and rng.random() < 0.7:
            artifact["kind"] = rng.choice(["scatter", "regression", "loss", "confusion", "images"])
        figure = render_artifact(artifact)
        assert figure is None or figure.alt


class _Store:
    """A FigureStore in memory that counts what it was asked."""

    def __init__(self) -> None:
        self.kept: dict[str, Figure] = {}
        self.asked = 0

    def get_figure(self, key: str) -> Figure | None:
        self.asked += 1
        return self.kept.get(key)

    def put_figure(self, key: str, figure: Figure) -> None:
        self.kept[key] = figure


def _artifact(offset: float) -> dict:
    return {"kind": "scatter", "title": "t", "points": {"x": [0.0, 1.0, 2.0], "y": [offset, 1.0, 2.0]}}


def test_the_same_artifact_is_drawn_once_and_a_different_one_again(monkeypatch) -> None:
    from grader.report import artifacts

    drawn = []
    real = artifacts._render
    monkeypatch.setattr(artifacts, "_render", lambda a: drawn.append(a) or real(a))
    first = render_artifact(_artifact(0.125))
    assert render_artifact(_artifact(0.125)) == first and len(drawn) == 1
    assert render_artifact(_artifact(0.25)) != first and len(drawn) == 2


def test_a_figure_kept_in_the_store_is_embedded_without_drawing_and_new_ones_are_kept(monkeypatch) -> None:
    from grader.report import artifacts

    store = _Store()
    kept = plots.scatter(Curve([0, 1], [1, 0]), alt="kept before")
    store.kept[artifacts.artifact_key(_artifact(0.5))] = kept
    monkeypatch.setattr(artifacts, "_memo", type(artifacts._memo)())
    with artifacts.figure_store(store):
        assert render_artifact(_artifact(0.5)) is kept  # not drawn: the artifact says the same
        fresh = render_artifact(_artifact(0.75))
    assert fresh is not None and store.kept[artifacts.artifact_key(_artifact(0.75))] == fresh
    asked = store.asked
    render_artifact(_artifact(0.875))
    assert store.asked == asked, "a store is only asked while it is active"


def test_a_failing_store_costs_a_drawing_never_the_figure(monkeypatch) -> None:
    from grader.report import artifacts

    class Broken(_Store):
        def get_figure(self, key):
            raise OSError("database is locked")

        def put_figure(self, key, figure):
            raise OSError("disk full")

    monkeypatch.setattr(artifacts, "_memo", type(artifacts._memo)())
    with artifacts.figure_store(Broken()):
        assert render_artifact(_artifact(0.0625)) is not None


def test_a_confusion_matrix_is_an_svg_cell_per_count_each_written_and_shaded() -> None:
    counts = [[9, 1, 0], [2, 7, 1], [0, 0, 10]]
    figure = plots.confusion_matrix(counts, alt="c", class_names=["cat", "<dog>", "bird"], title="test split")
    assert png_size(figure) == (figure.width, figure.height)
    root = svg_root(figure)
    cells = [r for r in root.iter() if r.tag.endswith("rect") and r.get("width") == r.get("height")
             and r.get("fill", "").startswith("#") and r.get("fill") != "#fff"]
    assert len(cells) == 9
    assert sorted(c.get("fill") for c in cells)[0] == svg._blue(1.0)  # the largest count, 10, is the darkest
    shown = texts(figure)
    assert all(str(v) in shown for row in counts for v in row) and "<dog>" in shown and "test split" in shown
    many = plots.confusion_matrix(np.eye(20) * 37, alt="c")  # 20 classes: shaded, not written
    assert "37" not in texts(many) and png_size(many)


def test_a_digit_grid_is_a_png_of_scaled_digits_with_their_captions() -> None:
    digits = np.zeros((10, 28, 28), dtype=np.uint8)
    digits[:, 10:18, 12:16] = 255
    figure = plots.digit_grid(digits, alt="digits", captions=["7 read as 1"] * 10, title="misread")
    width, height = png_size(figure)
    assert width == 480 and 2 * 80 < height < 2 * 80 + 40  # two rows of 8
    with Image.open(io.BytesIO(base64.b64decode(figure.data_uri.split(",", 1)[1]))) as image:
        pixels = np.asarray(image.convert("L"))
    assert (pixels < 50).sum() >= 10 * (8 * 2) * (4 * 2)  # every stroke drawn, scaled 2x, dark on light
