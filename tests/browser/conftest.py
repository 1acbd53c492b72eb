"""Pages opened in headless Chromium, checked as a person would see them.

The browser is the system's Chromium (Debian's `chromium`, installed by
scripts/install_browser.sh), driven by Playwright through `executable_path`: Playwright never
downloads a browser here. Tests skip, saying why, only when no Chromium binary can be found.

For every page, `BrowserCheck.open` records what a reader would notice: console errors and
uncaught page errors, any request for something other than a data: or file: URL (blocked, so a
page that reaches the network fails instead of leaking), dialogs (an `alert` means a script ran),
images that did not load or have no alt text, and a body wider than the window. It keeps a
screenshot of each page under out/screenshots/ (or $GRADER_SCREENSHOTS) and prints its path.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.conftest import skip_unless_strict

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def find_chromium() -> str | None:
    explicit = os.environ.get("GRADER_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What a reader of the page would have met."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    images: int = 0
    overflow_px: int = 0
    screenshot: Path | None = None
    # What the `act` callback returned (a test's interaction with the page: clicks, typing).
    acted: object = None

    def assert_clean(self) -> None:
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"page errors: {self.page_errors}"
        assert not self.blocked, f"requests outside data:/file: (blocked): {self.blocked}"
        assert not self.dialogs, f"a script ran and opened dialogs: {self.dialogs}"
        assert not self.broken_images, f"images that did not load: {self.broken_images}"
        assert not self.images_without_alt, f"images without alt text: {self.images_without_alt}"
        assert self.overflow_px <= 0, f"the body scrolls sideways by {self.overflow_px}px"


_IMAGES_JS = """() => Array.from(document.images).map(img => ({
    src: img.currentSrc.slice(0, 60), alt: (img.getAttribute('alt') || '').trim(),
    ok: img.complete && img.naturalWidth > 0}))"""
_OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


class BrowserCheck:
    def __init__(self, browser, shots: Path) -> None:
        self.browser = browser
        self.shots = shots

    def open(self, path: Path, *, name: str, viewport: dict[str, int] = DESKTOP,
             act: Callable[[object], object] | None = None) -> PageReport:
        """Open and check the page; `act(page)` then interacts with it (before the screenshot)."""
        report = PageReport(url=path.resolve().as_uri())
        context = self.browser.new_context(viewport=viewport, device_scale_factor=1)
        try:
            def route(route) -> None:
                url = route.request.url
                if url.startswith(("data:", "file:")):
                    route.continue_()
                else:
                    report.blocked.append(url[:200])
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: report.console_errors.append(m.text[:300]) if m.type == "error" else None)
            page.on("pageerror", lambda e: report.page_errors.append(str(e)[:300]))

            def dialog(d) -> None:
                report.dialogs.append(d.message[:200])
                d.dismiss()

            page.on("dialog", dialog)
            page.goto(report.url, wait_until="load")
            for image in page.evaluate(_IMAGES_JS):
                report.images += 1
                if not image["ok"]:
                    report.broken_images.append(image["src"])
                if not image["alt"]:
                    report.images_without_alt.append(image["src"])
            report.overflow_px = int(page.evaluate(_OVERFLOW_JS))
            if act is not None:
                report.acted = act(page)
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
            report.screenshot = self.shots / f"{safe}-{viewport['width']}px.png"
            page.screenshot(path=str(report.screenshot), full_page=True)
            print(f"screenshot: {report.screenshot}")
        finally:
            context.close()
        return report


@pytest.fixture(scope="session")
def browser_check() -> Iterator[BrowserCheck]:
    executable = find_chromium()
    if executable is None:
        skip_unless_strict("no Chromium binary found (looked for GRADER_CHROMIUM, "
                    f"{', '.join(CANDIDATES)}): run scripts/install_browser.sh")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("GRADER_SCREENSHOTS", ROOT / "out" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    # Chromium refuses to run as root with its own sandbox on; the pages are local files we wrote.
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield BrowserCheck(browser, shots)
        finally:
            browser.close()
