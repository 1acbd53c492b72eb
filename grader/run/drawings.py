"""In the worker: the figures student code draws with matplotlib, kept for the report.

The course's pages plot (`plt.plot(losses); plt.show()`); on Colab the figure appears under the
cell. Here matplotlib draws headless (Agg), where `plt.show()` does nothing, so the worker keeps
what would have appeared:

- at the end of every request, the figures open in pyplot that were not seen before are noted
  (in order, with the request that drew them: the trusted side counts them per reply);
- `plt.show()` notes the open figures too and keeps a reference to each, so a figure shown and
  then closed (`plt.show(); plt.close()`) is not lost;
- when the trusted side asks (`collect`, once per test that drew something), each noted figure
  is drawn to PNG at a bounded size, and every open figure is closed: figures never pile up
  from one test to the next.

Nothing here imports matplotlib: it is looked up in `sys.modules`, where the student's import
(or a zygote's warm import) put it. `install()` wraps `pyplot.show` as soon as pyplot is
imported, through an import hook that imports nothing itself. Everything that touches student
figures is guarded: a figure that cannot be drawn is counted as failed, never raised. What is
sent back is hostile data to the trusted side anyway (student code shares this process), which
checks, decodes and re-encodes every image itself (grader/images.py).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import io
import sys
import warnings
from typing import Any

PYPLOT = "matplotlib.pyplot"
# Figures kept per test: the report shows at most 4 per exercise; a few spare cover a test whose
# first figures fail to draw. Beyond this, figures are counted as dropped and never drawn.
MAX_KEPT = 6
# The drawing: at most 100 dpi and 1,600 px on a side (a default 6.4 x 4.8 in figure is 640 x 480
# px); a figure larger than 40 in on a side would be unreadable at that size and is not drawn.
MAX_DPI = 100.0
MAX_SIDE_PX = 1600
MAX_SIDE_INCHES = 40.0
# An image above this is drawn again at half the dpi, then dropped (the trusted side keeps at most
# 300 KB per image; a plot is 20-80 KB).
MAX_PNG_BYTES = 300 * 1024


class Drawings:
    """The figures noted since the last `collect`, and how many could not be kept."""

    def __init__(self) -> None:
        self.noted: list[Any] = []   # Figure objects, oldest first (held: shown ones may be closed)
        self.dropped = 0
        self._seen: set[int] = set()  # id() of the noted figures
        self._reported = 0  # of those, how many the trusted side was told of

    # -------------------------------------------------------------- noting

    def _pyplot(self) -> Any:
        return sys.modules.get(PYPLOT)

    def _open_figures(self) -> list[Any]:
        helpers = sys.modules.get("matplotlib._pylab_helpers")
        if helpers is None:
            return []
        return [manager.canvas.figure for manager in helpers.Gcf.get_all_fig_managers()]

    def note_open(self) -> None:
        """Note the open figures not seen before (kept, or counted as dropped past MAX_KEPT)."""
        if self._pyplot() is None:
            return
        try:
            figures = self._open_figures()
        except Exception:  # noqa: BLE001 - student code may have broken pyplot: no figures, no error
            return
        for figure in figures:
            if id(figure) in self._seen:
                continue
            self._seen.add(id(figure))
            if len(self.noted) < MAX_KEPT:
                self.noted.append(figure)
            else:
                self.dropped += 1

    def newly_noted(self) -> int:
        """At the end of a request: how many figures it drew (shown, or left open), in order.
        Also wraps `pyplot.show` again if the import hook could not (or it was replaced)."""
        self.note_open()
        pyplot = self._pyplot()
        if pyplot is not None:
            try:
                self.wrap_show(pyplot)
            except Exception:  # noqa: BLE001 - a pyplot broken by student code: figures left open still count
                pass
        total = len(self.noted) + self.dropped
        new, self._reported = total - self._reported, total
        return new

    # -------------------------------------------------------------- plt.show()

    def wrap_show(self, pyplot: Any) -> None:
        show = getattr(pyplot, "show", None)
        if show is None or getattr(show, "_grader_keeps_figures", False):
            return
        drawings = self

        def kept_show(*args: Any, **kwargs: Any) -> Any:
            drawings.note_open()  # before anything can close them
            return show(*args, **kwargs)

        kept_show._grader_keeps_figures = True  # type: ignore[attr-defined]
        kept_show.__doc__, kept_show.__name__ = show.__doc__, "show"
        pyplot.show = kept_show

    def install(self) -> None:
        """Wrap `pyplot.show` now if pyplot is imported, else when it is (an import hook)."""
        pyplot = self._pyplot()
        if pyplot is not None:
            self.wrap_show(pyplot)
        elif not any(isinstance(f, _PyplotHook) for f in sys.meta_path):
            sys.meta_path.insert(0, _PyplotHook(self))

    # -------------------------------------------------------------- collect

    def collect(self) -> dict[str, Any]:
        """Every noted figure as PNG bytes (None where it could not be drawn), then every open
        figure closed and the notes cleared."""
        self.note_open()
        images: list[bytes | None] = [_png(figure) for figure in self.noted]
        dropped = self.dropped
        self.noted, self.dropped, self._seen, self._reported = [], 0, set(), 0
        pyplot = self._pyplot()
        if pyplot is not None:
            try:
                pyplot.close("all")
            except Exception:  # noqa: BLE001
                pass
        return {"images": images, "dropped": dropped}


def _png(figure: Any) -> bytes | None:
    """The figure as PNG, at most MAX_DPI and MAX_SIDE_PX on a side; None if it cannot be drawn."""
    try:
        width, height = (float(v) for v in figure.get_size_inches())
        if not (0 < width <= MAX_SIDE_INCHES and 0 < height <= MAX_SIDE_INCHES):
            return None
        dpi = min(MAX_DPI, MAX_SIDE_PX / max(width, height))
        for _ in range(2):
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure.savefig(buffer, format="png", dpi=dpi)
            data = buffer.getvalue()
            if isinstance(data, bytes) and 0 < len(data) <= MAX_PNG_BYTES:
                return data
            dpi /= 2
        return None
    except BaseException:  # noqa: BLE001 - a figure that raises when drawn is simply not shown
        return None


class _PyplotHook(importlib.abc.MetaPathFinder):
    """Wraps `pyplot.show` right after pyplot is imported (by the student, inside any request)."""

    def __init__(self, drawings: Drawings) -> None:
        self.drawings = drawings
        self.busy = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != PYPLOT or self.busy:
            return None
        # Whatever goes wrong here, the student's import goes on as if this hook did not exist.
        self.busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        except Exception:  # noqa: BLE001 - the other finders will say what is wrong
            return None
        finally:
            self.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run, drawings = spec.loader.exec_module, self.drawings

        def exec_module(module: Any) -> None:
            run(module)
            try:
                drawings.wrap_show(module)
            except Exception:  # noqa: BLE001
                pass

        try:
            spec.loader.exec_module = exec_module  # this spec's own loader instance
        except Exception:  # noqa: BLE001 - show() is then wrapped after the request instead
            pass
        return spec
