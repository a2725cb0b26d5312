"""Drive the UI in headless Chromium: the README screenshot, and steps the browser test reuses.

    python -m ui.screenshot [docs/screenshot.png]

Needs Playwright for Python (the ``test`` extra) and a system Chromium; it never downloads a
browser. The page is driven by waiting for elements, never for network idle: Gradio keeps a
connection open for its queue.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # runs as root in containers and CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 60_000  # the first answer may wait for the models to warm up


@contextmanager
def chromium(executable: Path = CHROMIUM) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def ask(page: Page, question: str) -> None:
    """Type a question, send it, and wait until its answer marks the article."""
    answers = page.locator("#qa-chat .qa-answer, #qa-chat .qa-error")
    before = answers.count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    answers.nth(before).wait_for(timeout=TIMEOUT_MS)


def open_sources(page: Page) -> None:
    """Open the last collapsible Sources block and wait for its highlighted answer span."""
    page.locator("#qa-chat .thought-group .title").last.click()
    page.locator("#qa-chat .qa-sources mark").last.wait_for(timeout=TIMEOUT_MS)


def take_readme_screenshot(url: str, path: Path, questions: list[str]) -> None:
    """Ask each question in turn, open the last answer's sources, and capture the page."""
    with chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        for question in questions:
            ask(page, question)
        page.locator("#qa-article .qa-cited mark").wait_for(timeout=TIMEOUT_MS)
        open_sources(page)
        page.wait_for_timeout(600)  # let the smooth scroll of the article view settle
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))


def main() -> int:
    from ui.app import EXAMPLES, build_app
    from ui.serve import free_port, launch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="docs/screenshot.png")
    parser.add_argument("--question", action="append", help="repeatable; default: an example")
    args = parser.parse_args()
    demo = build_app()
    try:
        url = launch(demo, port=free_port(), block=False)
        take_readme_screenshot(url, Path(args.path), args.question or [EXAMPLES[0]])
    finally:
        demo.close()
    print(f"saved {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
