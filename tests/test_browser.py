"""The chat UI in a real headless Chromium, driven by Playwright (sync API).

Skipped, with the reason, when Playwright or /usr/bin/chromium is missing (.ci/run installs
Chromium). Each test opens its own page (a new session) and makes the state it needs, so
any one runs alone or in any order; screenshots go to tests/artifacts/ (git-ignored) for a
look after a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from browser_support import FIXTURES, PASTED, open_tab, paste_article, shot, upload_news_page
from playwright.sync_api import Browser, Page, expect

from ui import app
from ui.screenshot import TIMEOUT_MS, VIEWPORT, ask, open_sources

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue statistics use a pandas option that pandas 3 deprecates; not ours.
    pytest.mark.filterwarnings(r"ignore:::gradio\.queueing"),
]


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
    ask(page, app.EXAMPLES[0])
    open_sources(page)
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
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(2)
    # The chat's earlier questions reached answer(), which rewrote the follow-up.
    expect(page.locator("#qa-chat .qa-understood").last).to_contain_text("Theresa Fallon")
    shot(page, "4-follow-up")


def test_clicking_an_example_asks_it(page: Page):
    question = app.EXAMPLES[2]
    page.locator("#qa-examples").get_by_text(question, exact=True).click()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(1)
    expect(page.locator("#qa-chat [data-testid=user]").last).to_have_text(question)


def test_blank_question_gets_a_friendly_message(page: Page):
    page.locator("#qa-question textarea").fill("   ")
    page.locator("#qa-question textarea").press("Enter")
    expect(page.locator("#qa-chat .qa-error").last).to_contain_text("question is empty")
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_clear_asks_first_then_empties_the_chat_and_unmarks_the_article(page: Page):
    ask(page, app.EXAMPLES[0])
    expect(page.locator("#qa-article .qa-cited")).not_to_have_count(0)
    page.get_by_role("button", name="Clear chat").click()
    expect(page.locator("#qa-confirm")).to_contain_text("Clear the chat?")
    page.locator("#qa-confirm-no").click()  # cancelled: nothing is lost
    expect(page.locator("#qa-confirm")).to_be_hidden()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(1)
    page.get_by_role("button", name="Clear chat").click()
    page.locator("#qa-confirm-yes").click()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(0)
    expect(page.locator("#qa-article .qa-cited")).to_have_count(0)


def test_the_page_never_calls_out(page: Page, external_requests: list[str]):
    """No font CDN, analytics or telemetry: everything is served by the app itself."""
    ask(page, app.EXAMPLES[0])
    open_sources(page)
    assert page.locator("#qa-chat .qa-answer").count() == 1
    assert external_requests == []


def test_paste_an_article_then_ask_about_it(page: Page):
    paste_article(page)
    expect(page.locator("#qa-article .qa-para")).to_have_count(3)
    expect(page.locator("#qa-examples")).to_be_hidden()  # they are about the seed article
    ask(page, "Who is the harbour master?")
    reply = page.locator("#qa-chat .qa-answer").last
    expect(reply).to_contain_text("Ivan Petrenko")
    expect(reply).to_contain_text("[¶3]")
    expect(page.locator("#qa-article .qa-cited mark")).to_have_text("Ivan Petrenko")
    shot(page, "5-pasted-article")


def test_upload_a_saved_page_then_follow_the_citation(page: Page):
    ask(page, app.EXAMPLES[0])  # a chat about the default article, ended by the new one
    upload_news_page(page)
    expected = (FIXTURES / "news_page.expected.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = page.locator("#qa-article .qa-para span")
    expect(paragraphs).to_have_text(expected)  # exactly the article, numbered, no page furniture
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(0)  # a new article, a new chat
    ask(page, "How many panels will the array have?")
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("26,000")
    link = page.locator("#qa-chat .qa-answer a.qa-cite").last
    anchor = link.get_attribute("href").removeprefix("#")
    link.click()
    expect(page.locator(f"#{anchor}")).to_have_class("qa-para qa-cited qa-focus")
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()
    shot(page, "6-uploaded-page")


def test_export_downloads_the_conversation_as_markdown(page: Page):
    upload_news_page(page)
    ask(page, "How many panels will the array have?")
    ask(page, "Who chairs the cooperative?")
    with page.expect_download() as download:
        page.locator("#qa-export").click()
    assert download.value.suggested_filename == "conversation.md"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "### Q: How many panels will the array have?" in text
    assert "**26,000**" in text and "[¶3] Millbrook approves floating solar farm" in text
    assert "### Q: Who chairs the cooperative?" in text
    assert "Confidence: " in text


def test_back_to_the_default_article(page: Page):
    paste_article(page)
    expect(page.locator("#qa-examples")).to_be_hidden()
    ask(page, "Who is the harbour master?")
    page.locator("#qa-reset").click()  # the chat has an answer: asked first
    expect(page.locator("#qa-confirm")).to_contain_text("Go back to the default article?")
    page.locator("#qa-confirm-yes").click()
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(0)
    expect(page.locator("#qa-article .qa-para").first).to_contain_text("China")
    expect(page.locator("#qa-examples")).to_be_visible()
    ask(page, app.EXAMPLES[0])
    expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("Alexander Gabuev")


def test_a_bad_file_gets_a_message_and_keeps_the_article(page: Page, tmp_path: Path):
    open_tab(page, "Upload a file")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    page.locator("#qa-upload input[type=file]").set_input_files(str(empty))
    expect(page.locator("#qa-status")).to_contain_text("the article is empty")
    expect(page.locator("#qa-article .qa-para").first).to_contain_text("China")


def test_phone_layout_stacks_chat_and_article(browser: Browser, url: str):
    with closing(browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)) as page:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        ask(page, app.EXAMPLES[0])
        chat = page.locator("#qa-chat").bounding_box()
        article = page.locator("#qa-article").bounding_box()
        assert article["y"] >= chat["y"] + chat["height"]  # stacked, article below the chat
        for box in (chat, article):
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, "nothing overflows sideways"
        expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("Alexander Gabuev")
        shot(page, "7-phone")


# --- a corpus of several articles ---------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory) -> Iterator[str]:
    from qa.settings import Settings
    from ui.serve import free_port, launch

    folder = tmp_path_factory.mktemp("news")
    (folder / "danube.txt").write_text(PASTED, encoding="utf-8")
    seed = Path(app.__file__).resolve().parent.parent / "seeds" / "000_36ba9c20c5f9ac76.txt"
    (folder / "seed.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(corpus_dir=folder, index_dir=tmp_path_factory.mktemp("idx") / "news")
    demo = app.build_app(settings)
    yield launch(demo, port=free_port(), block=False)
    demo.close()


def test_many_articles_name_the_article_and_the_picker_narrows_the_question(
    browser: Browser, corpus_url: str
):
    with closing(browser.new_page(viewport=VIEWPORT)) as page:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(corpus_url)
        expect(page.locator("#qa-examples")).to_have_count(0)  # they fit the seed article only
        ask(page, "Who is the harbour master?")
        reply = page.locator("#qa-chat .qa-answer").last
        expect(reply).to_contain_text("[Floods close Danube port ¶3]")
        expect(page.locator("#qa-article .qa-para").first).to_contain_text("Floods close")
        shot(page, "8-many-articles")
        page.locator("#qa-picker input").click()
        page.get_by_role("option", name="Floods close Danube port").click()
        expect(page.locator("#qa-article .qa-para").first).to_contain_text("Floods close")
        ask(page, "Who directs the Carnegie Russia Eurasia Center?")
        # Only the Danube article is searched now: it does not say.
        expect(page.locator("#qa-chat .qa-answer").last).to_contain_text("doesn't say")
