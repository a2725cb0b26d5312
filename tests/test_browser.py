"""The chat UI in a real headless Chromium, driven by Playwright (sync API).

Skipped, with the reason, when Playwright or /usr/bin/chromium is missing (.ci/run installs
Chromium). The tests are one user's session on one page, in order; screenshots go to
tests/artifacts/ (git-ignored) for a look after a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui.screenshot import CHROMIUM, TIMEOUT_MS, VIEWPORT, ask, chromium, open_sources

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
)
if not CHROMIUM.exists():
    # CI installs Chromium (.ci/run) and sets QA_REQUIRE_BROWSER: there a missing browser fails.
    if os.environ.get("QA_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} not found, and QA_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, Request, expect

from ui import app

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue statistics use a pandas option that pandas 3 deprecates; not ours.
    pytest.mark.filterwarnings(r"ignore:::gradio\.queueing"),
]


@pytest.fixture(scope="module")
def url(real_settings) -> Iterator[str]:
    demo = app.build_app(real_settings)
    yield app.launch(demo, port=app.free_port(), block=False)
    demo.close()


@pytest.fixture(scope="module")
def external_requests() -> list[str]:
    """URLs the page asked for from anywhere but the app itself."""
    return []


@pytest.fixture(scope="module")
def page(url: str, external_requests: list[str]) -> Iterator[Page]:
    def record(request: Request) -> None:
        if not request.url.startswith(url):
            external_requests.append(request.url)

    with chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.on("request", record)
        page.goto(url)
        yield page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_question_gets_a_cited_answer_with_its_span_marked(page: Page, real_settings):
    from qa import answer

    question = app.EXAMPLES[0]
    expected = answer(question, index_dir=real_settings.index_dir)
    ask(page, question)
    reply = page.locator("#qa-chat .qa-answer").last
    expect(reply).to_contain_text(str(expected.citations[0]))  # "[¶10]"
    expect(reply).to_contain_text("confidence")
    cited = page.locator("#qa-article .qa-cited mark")  # the article marks the span too
    expect(cited.first).to_have_text(expected.citations[0].quote)
    shot(page, "1-answer")

    open_sources(page)
    expect(page.locator("#qa-chat .qa-sources mark").last).to_have_text(expected.citations[0].quote)
    shot(page, "2-sources-open")


def test_clicking_a_citation_marks_the_paragraph_in_the_article(page: Page):
    link = page.locator("#qa-chat .qa-sources a.qa-cite").last
    anchor = link.get_attribute("href").removeprefix("#")
    link.click()
    target = page.locator(f"#{anchor}")
    expect(target).to_have_class("qa-para qa-cited qa-focus")
    expect(target).to_be_in_viewport()
    shot(page, "3-citation-clicked")


def test_follow_up_keeps_the_conversation(page: Page):
    ask(page, "Who is Theresa Fallon?")
    ask(page, "Where is her centre based?")
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(3)
    # The chat's earlier questions reached answer(), which rewrote the follow-up.
    expect(page.locator("#qa-chat .qa-understood").last).to_contain_text("Theresa Fallon")
    shot(page, "4-follow-up")


def test_clicking_an_example_asks_it(page: Page):
    question = app.EXAMPLES[2]
    page.locator("#qa-examples").get_by_text(question, exact=True).click()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(4)
    expect(page.locator("#qa-chat [data-testid=user]").last).to_have_text(question)


def test_blank_question_gets_a_friendly_message(page: Page):
    page.locator("#qa-question textarea").fill("   ")
    page.locator("#qa-question textarea").press("Enter")
    expect(page.locator("#qa-chat .qa-error").last).to_contain_text("question is empty")
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_clear_empties_the_chat_and_unmarks_the_article(page: Page):
    page.get_by_role("button", name="Clear chat").click()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(0)
    expect(page.locator("#qa-article .qa-cited")).to_have_count(0)


def test_the_page_never_calls_out(page: Page, external_requests: list[str]):
    """No font CDN, analytics or telemetry: everything is served by the app itself."""
    assert external_requests == []
