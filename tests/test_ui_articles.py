"""A session's list of articles (ui.articles) and the chat's turn logic, without models:
a fake pool whose embedder hashes words (tests/conftest.py), a page reader run in-process."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from types import SimpleNamespace

import gradio as gr
import pytest

from qa.documents import CorpusError, document_from_bytes, document_from_text
from qa.settings import Settings
from qa.types import Answer
from ui import app, article_view, render
from ui.articles import MAX_ARTICLES, ArticleMaker, as_utf8, renamed, unique_id

PASTED = "Floods close Danube port\n\nThe port of Izmail closed.\n\nIvan Petrenko spoke."
SECOND = "Bridge reopens\n\nThe Vilkovo bridge reopened.\n\nOlena Marchenko spoke."


class InProcessReader:
    """Stands in for the page child: the same extraction, here."""

    def start(self) -> None:
        pass

    def document(self, data: bytes, name: str):
        return document_from_bytes(data, name)


class FakePool:
    def __init__(self, embedder) -> None:
        retriever = SimpleNamespace(embedder=embedder)
        self.replica = SimpleNamespace(settings=Settings(), retriever=retriever)
        self.replica._lock = threading.Lock()
        self.replicas = [self.replica]

    @contextmanager
    def lease(self):
        yield self.replica


@pytest.fixture
def maker(fake_embedder) -> ArticleMaker:
    return ArticleMaker(FakePool(fake_embedder), Settings(), InProcessReader())


def test_articles_are_added_one_after_another_and_only_the_new_one_is_embedded(
    maker, fake_embedder
):
    progress = []
    one = maker.add(None, maker.read(PASTED, None), lambda done, total: progress.append(total))
    embedded = fake_embedder.texts
    two = maker.add(one, maker.read(SECOND, None))
    assert [d.title for d in two.docs] == ["Floods close Danube port", "Bridge reopens"]
    assert [d.id for d in two.docs] == ["pasted article", "pasted article (2)"]  # kept apart
    assert {c.doc_id for c in two.index.chunks} == {"pasted article", "pasted article (2)"}
    assert fake_embedder.texts - embedded == len(
        [c for c in two.index.chunks if c.doc_id == "pasted article (2)"]
    )
    assert progress and progress[-1] == len(one.index.chunks)  # told per batch
    assert two.parses is one.parses  # the session's parse cache goes on with its list


def test_removing_an_article_embeds_nothing_and_keeps_the_others(maker, fake_embedder):
    two = maker.add(maker.add(None, maker.read(PASTED, None)), maker.read(SECOND, None))
    before = fake_embedder.texts
    one = maker.remove(two, "pasted article")
    assert [d.title for d in one.docs] == ["Bridge reopens"]
    assert {c.doc_id for c in one.index.chunks} == {"pasted article (2)"}
    assert fake_embedder.texts == before
    assert maker.remove(one, "pasted article (2)") is None  # none left
    with pytest.raises(CorpusError, match="not in your list"):
        maker.remove(one, "elsewhere.txt")


def test_a_list_holds_at_most_five_articles_and_each_text_once(maker):
    own = None
    for number in range(MAX_ARTICLES):
        own = maker.add(own, maker.read(f"Story {number}\n\nBody {number} words.", None))
    with pytest.raises(CorpusError, match=f"you have {MAX_ARTICLES} articles, the limit"):
        maker.add(own, maker.read("Story six\n\nMore.", None))
    first = maker.add(None, maker.read(PASTED, None))
    with pytest.raises(CorpusError, match="already in your list"):
        maker.add(first, maker.read(PASTED, None))


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("", "give a link first"),
        ("   ", "give a link first"),
        ("ftp://example.org/x", "only http:// and https:// links"),
        ("http://127.0.0.1:9/story", "private or local address"),
        ("http://[::1]/story", "private or local address"),
    ],
)
def test_bad_links_are_refused_with_a_reason(maker, monkeypatch, link, reason):
    monkeypatch.delenv("QA_ALLOW_PRIVATE_URLS", raising=False)
    with pytest.raises(CorpusError, match=reason):
        maker.read_link(link)


def test_a_link_is_named_by_itself_and_its_page_read_like_an_upload(maker, monkeypatch):
    page = SimpleNamespace(
        body=b"<html><body><article><h1>Head</h1><p>Body text here.</p></article></body></html>",
        charset="utf-8",
    )
    monkeypatch.setattr("ui.articles.fetch_page", lambda url, policy: page)
    document = maker.read_link(" https://example.org/story ")
    assert document.id == "https://example.org/story"
    assert {p.doc_id for p in document.paragraphs} == {document.id}
    page.body = b"<html><body><nav>Home</nav></body></html>"
    with pytest.raises(CorpusError, match=r"^https://example\.org/story: "):
        maker.read_link("https://example.org/story")  # named by the link, not "page.html"


def test_unique_ids_renames_and_charsets():
    assert unique_id("a", {"b"}) == "a"
    assert unique_id("a", {"a", "a (2)"}) == "a (3)"
    document = document_from_text(PASTED)
    moved = renamed(document, "other")
    assert moved.id == "other" and {p.doc_id for p in moved.paragraphs} == {"other"}
    assert moved.text == document.text
    assert as_utf8("café".encode("latin-1"), "latin-1") == "café".encode()
    assert as_utf8(b"\xff", "no-such-charset") == b"\xff"  # left to the page's own <meta>


# --- a chat turn -------------------------------------------------------------------------


def reply(text: str) -> Answer:
    return Answer(question="q", text=text, abstained=False, confidence=0.9)


class Recorder:
    def __init__(self) -> None:
        self.documents: dict = {}
        self.histories: list = []

    def answer(self, question, history=None, k=5, doc_ids=None):
        self.histories.append(history)
        return reply("Ivan Petrenko")


def test_the_pipeline_gets_the_earlier_answers_not_only_their_questions():
    pool = Recorder()
    _, chat, history, _, turns = app.respond("Who spoke?", [], [], pool=pool)
    app.respond("What did he say?", chat, history, pool=pool, turns=turns)
    assert pool.histories[0] is None
    assert pool.histories[1] == turns and isinstance(pool.histories[1][0], Answer)
    app.respond("And then?", chat, ["Who spoke?", "Unanswered?"], pool=pool, turns=turns)
    assert pool.histories[2] == ["Who spoke?", "Unanswered?"]  # no answer for each: questions


def test_the_question_shows_at_once_and_the_pending_line_goes_with_the_answer():
    box, chat, asked = app.show_question("Who spoke?", [])
    assert box == "" and asked == "Who spoke?"
    assert chat[0] == render.user_message("Who spoke?") and render.PENDING in chat[1]["content"]
    gradio_form = [chat[0], {"role": "assistant", "content": [{"text": render.PENDING}]}]
    assert app.without_pending(gradio_form) == []  # as the browser sends it back
    assert app.without_pending(chat[:1]) == chat[:1]
    _, shown, asked = app.show_question("   ", [])
    assert shown == gr.skip()
    assert asked == "   "  # a blank one goes on to its message, the chat untouched


def test_the_top_line_names_the_article_in_use():
    one = document_from_text(PASTED)
    assert "your article <b>Floods close Danube port</b>" in article_view.current_html([one], True)
    two = [one, document_from_text(SECOND, "b")]
    assert "your 2 articles" in article_view.current_html(two, True)
    assert "(the default article)" in article_view.current_html([one], False)
    assert "<b>&lt;x&gt;</b>" in article_view.current_html(
        [document_from_text("<x>\n\nBody.")], True
    )


def test_warm_up_uses_every_replica_before_the_first_question():
    asked = []

    class Replica:
        def answer(self, question, history=None):
            asked.append((question, history))

    pool = SimpleNamespace(
        replicas=[Replica(), Replica()], documents={"a": document_from_text(PASTED)}
    )
    app.warm_up(pool)
    assert len(asked) == 2  # each replica's models (and the follow-up rules) ran once
    assert all(history for _, history in asked)
