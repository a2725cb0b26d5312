"""What the browser tests share: Chromium (skipped, with the reason, when it or Playwright is
missing), the app on a free loopback port, a new page per test (a new session), and the
steps that bring an article. Imported by tests/test_browser*.py (first: it skips them); the
fixtures (``url``, ``browser``, ``page``) are in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ui.screenshot import CHROMIUM

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
)
if not CHROMIUM.exists():
    # CI installs Chromium (.ci/run) and sets QA_REQUIRE_BROWSER: there a missing browser fails.
    if os.environ.get("QA_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} not found, and QA_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).parent / "artifacts"
# QA_DOC_SCREENSHOTS=1 saves each flow's screenshot for the README (docs/screenshots/);
# otherwise they go to tests/artifacts/ (git-ignored), for a look after a failure.
DOC_SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
FIXTURES = Path(__file__).parent / "fixtures"
PASTED = (
    "Floods close Danube port\n\nThe port of Izmail closed on Monday after floods.\n\n"
    "Harbour master Ivan Petrenko said ships would wait for three days."
)


def shot(page: Page, name: str, doc: str | None = None) -> None:
    """The whole page to tests/artifacts/<name>.png; to docs/screenshots/<doc>.png as well
    (the viewport, as a person sees it) when ``doc`` is given and QA_DOC_SCREENSHOTS=1."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if doc and os.environ.get("QA_DOC_SCREENSHOTS") == "1":
        page.wait_for_timeout(600)  # the chat's and the article's smooth scrolls settle
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOC_SHOTS / f"{doc}.png"))


def open_tab(page: Page, name: str) -> None:
    """One of the tabs above the article: "Paste text" (open at first), "Upload a file",
    "Give a link"."""
    page.get_by_role("tab", name=name).click()


def paste_article(page: Page, text: str = PASTED, title: str = "Floods close Danube port") -> None:
    open_tab(page, "Paste text")
    page.locator("#qa-paste textarea").fill(text)
    page.locator("#qa-use-text").click()
    expect(page.locator("#qa-status")).to_contain_text(title)


def upload_news_page(page: Page) -> None:
    open_tab(page, "Upload a file")
    page.locator("#qa-upload input[type=file]").set_input_files(str(FIXTURES / "news_page.html"))
    expect(page.locator("#qa-status")).to_contain_text("Millbrook approves floating solar farm")
