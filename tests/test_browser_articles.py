"""The article-first flows in a real headless Chromium: paste, upload, link, several articles,
suggested questions, a follow-up, an older answer's citation, and the phone.

Each test opens its own page (a new session). ``QA_DOC_SCREENSHOTS=1`` saves each flow's
screenshot to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from functools import partial

import pytest
from browser_support import FIXTURES, PASTED, open_tab, paste_article, shot, upload_news_page
from playwright.sync_api import Browser, Page, expect

from ui.screenshot import TIMEOUT_MS, ask, open_sources

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(r"ignore:::gradio\.queueing")]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SECOND = (
    "Bridge reopens in Vilkovo\n\nThe Vilkovo bridge reopened on Friday after repairs.\n\n"
    "Mayor Olena Marchenko said the repairs cost two million hryvnias."
)


@pytest.fixture
def desktop(browser: Browser, url: str) -> Iterator[Page]:
    with closing(browser.new_page(viewport=DESKTOP)) as page:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        yield page


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """tests/fixtures served over http on a free loopback port (a private address)."""
    handler = partial(QuietHandler, directory=str(FIXTURES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # no request lines in the test output
        pass


def scrolled(page: Page) -> int:
    return page.evaluate("window.scrollY")


def test_pasted_article_to_an_answer_in_three_actions_without_scrolling(desktop: Page):
    page = desktop
    expect(page.locator("#qa-top")).to_contain_text("the default article")
    page.locator("#qa-paste textarea").fill(PASTED)  # 1: paste
    page.locator("#qa-use-text").click()  # 2: use it
    expect(page.locator("#qa-status")).to_contain_text("Floods close Danube port")
    expect(page.locator("#qa-top")).to_contain_text("your article Floods close Danube port")
    for shown in ("#qa-status", "#qa-chat", "#qa-question"):
        expect(page.locator(shown)).to_be_in_viewport()
    expect(page.locator("#qa-question textarea")).to_be_focused()
    expect(page.locator("#qa-chat")).not_to_contain_text("example")  # not for this article
    suggestion = page.locator("#qa-suggest button").first
    expect(suggestion).to_be_visible()
    expect(suggestion).to_be_in_viewport()
    suggestion.click()  # 3: ask a suggested question
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(1)
    expect(page.locator("#qa-chat .qa-answer")).not_to_contain_text("doesn't say")
    expect(page.locator("#qa-article .qa-cited")).to_have_count(1)
    assert scrolled(page) == 0
    shot(page, "flow-paste", "paste")


def test_suggested_questions_come_from_the_article_and_are_answered(desktop: Page):
    page = desktop
    upload_news_page(page)
    buttons = page.locator("#qa-suggest button:visible")
    expect(buttons.first).to_be_visible()
    questions = buttons.all_inner_texts()
    assert 1 <= len(questions) <= 4
    assert any(q.startswith(("Why", "How", "What did", "What is this")) for q in questions)
    assert any(name in " ".join(questions) for name in ("Okafor", "Reyes", "Ash Valley"))
    for index in range(len(questions)):  # each one is answered, none "doesn't say"
        buttons.nth(index).click()
        expect(page.locator("#qa-chat .qa-answer")).to_have_count(index + 1)
    expect(page.locator("#qa-chat .qa-abstain")).to_have_count(0)
    shot(page, "flow-suggestions", "suggestions")


def test_upload_a_page_and_read_the_question_at_once(desktop: Page):
    page = desktop
    upload_news_page(page)
    box = page.locator("#qa-question textarea")
    box.fill("How many panels will the array have?")
    box.press("Enter")
    # The question is in the chat at once, with a "reading" state until the answer comes.
    expect(page.locator("#qa-chat [data-testid=user]").last).to_have_text(
        "How many panels will the array have?"
    )
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("26,000")
    expect(page.locator("#qa-chat .qa-pending")).to_have_count(0)
    expect(page.locator("#qa-chat [data-testid=user]")).to_have_count(1)
    shot(page, "flow-upload", "upload")


def test_a_link_is_read_through_the_guarded_fetch(
    desktop: Page, site: str, monkeypatch: pytest.MonkeyPatch
):
    page = desktop
    link = f"{site}/news_page.html"
    open_tab(page, "Give a link")
    monkeypatch.delenv("QA_ALLOW_PRIVATE_URLS", raising=False)
    page.locator("#qa-link textarea, #qa-link input").first.fill(link)
    page.locator("#qa-use-link").click()
    expect(page.locator("#qa-status")).to_contain_text("private or local address")
    monkeypatch.setenv("QA_ALLOW_PRIVATE_URLS", "1")  # this test's server is on loopback
    started = time.perf_counter()
    page.locator("#qa-use-link").click()
    expect(page.locator("#qa-status")).to_contain_text("Millbrook approves floating solar farm")
    ask(page, "How many panels will the array have?")
    seconds = time.perf_counter() - started
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("26,000")
    print(f"\nlink to first answer: {seconds:.2f} s")
    missing = f"{site}/missing.html"
    page.locator("#qa-link textarea, #qa-link input").first.fill(missing)
    page.locator("#qa-use-link").click()
    expect(page.locator("#qa-status")).to_contain_text("the server answered 404")
    expect(page.locator("#qa-shelf")).to_contain_text("Millbrook")  # the article stays
    shot(page, "flow-link", "link")


def test_several_articles_ask_across_pick_one_and_remove_one(desktop: Page):
    page = desktop
    paste_article(page)
    ask(page, "Who is the harbour master?")
    paste_article(page, SECOND, "Bridge reopens in Vilkovo")
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(1)  # a second one keeps the chat
    expect(page.locator("#qa-top")).to_contain_text("your 2 articles")
    shelf = page.locator("#qa-shelf")
    expect(shelf).to_contain_text("All 2 articles")
    ask(page, "How much did the repairs cost?")
    reply = page.locator("#qa-chat .qa-answer").last
    expect(reply).to_contain_text("two million hryvnias")
    expect(reply).to_contain_text("[Bridge reopens in Vilkovo ¶3]")  # the article is named
    shelf.get_by_text("Floods close Danube port").click()  # only this one now
    ask(page, "How much did the repairs cost?")
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("doesn't say")
    expect(page.locator("#qa-article .qa-para:visible").first).to_contain_text("Floods close")
    across = page.locator("#qa-chat .qa-answer").nth(1)  # the answer from the other article
    across.locator("a.qa-cite").click()  # its ¶: that article is shown, the answer marked
    expect(page.locator("#qa-article .qa-cited:visible mark")).to_have_text("two million hryvnias")
    shot(page, "flow-several", "several")
    page.locator("#qa-remove").click()
    expect(shelf).not_to_contain_text("Floods close Danube port")
    expect(page.locator("#qa-status")).to_contain_text("Removed")
    expect(page.locator("#qa-top")).to_contain_text("your article Bridge reopens in Vilkovo")
    ask(page, "Who is the harbour master?")
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("doesn't say")


def test_a_follow_up_and_an_older_answers_own_highlight(desktop: Page):
    page = desktop
    paste_article(page)
    ask(page, "Who is the harbour master?")
    ask(page, "What did he say?")
    expect(page.locator("#qa-chat .qa-understood").last).to_contain_text("Ivan Petrenko")
    ask(page, "When did the port close?")
    expect(page.locator("#qa-chat .qa-answer").last).to_be_in_viewport()  # the chat follows
    expect(page.locator("#qa-article .qa-cited mark")).to_contain_text("Monday")
    first = page.locator("#qa-chat .qa-answer").first.locator("a.qa-cite")
    first.click()  # the first answer's ¶3: its own words, not the latest answer's
    expect(page.locator("#qa-article .qa-cited mark")).to_have_text("Ivan Petrenko")
    expect(page.locator("#qa-article .qa-cited")).to_have_count(1)
    shot(page, "flow-follow-up", "follow-up")


def test_on_a_phone_a_citation_tap_brings_the_paragraph_into_view(browser: Browser, url: str):
    with closing(browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)) as page:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        empty = page.locator("#qa-chat").bounding_box()
        assert empty["height"] < 300  # as tall as its messages: no 520 px of nothing
        paste_article(page)
        paste_article(page, SECOND, "Bridge reopens in Vilkovo")  # long labels: with titles
        ask(page, "Who is the harbour master?")
        link = page.locator("#qa-chat .qa-answer a.qa-cite").last
        expect(link).to_contain_text("Floods close Danube port ¶3")
        bubble = page.locator("#qa-chat .qa-answer").last
        assert bubble.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), "label overflows"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        link.tap()
        target = page.locator("#" + link.get_attribute("href").removeprefix("#"))
        expect(target).to_be_in_viewport()
        expect(target).to_have_class("qa-para qa-cited qa-focus")
        shot(page, "flow-phone", "phone")
        open_sources(page)
        expect(page.locator("#qa-chat .qa-sources")).to_contain_text("confidence")
        expect(page.locator("#qa-chat .qa-sources")).not_to_contain_text("score")
