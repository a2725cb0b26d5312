"""Hostile input (issue 16): the outside probe's reproducers, scaled to run in seconds.

Pages that made trafilatura run for minutes, the child process that reads pages with a
deadline, huge texts within the limits, files that are not files, parse caches, what a
question may hold and how a long source is shown. The guard and index folders: test_hostile_guard.py
and test_hostile_index.py; the real server: test_hostile_server.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qa.documents import CorpusError, PageReader
from qa.documents.extract import document_from_bytes

FIXTURES = Path(__file__).parent / "fixtures"


def spans_page(count: int, blocks: int = 1) -> bytes:
    """The probe's page: <p> blocks of ``count`` inline <span>s each (C1)."""
    block = b"<p>" + b"<span class=w>word</span> " * count + b"</p>"
    return b"<html><body><article><h1>T</h1>" + block * blocks + b"</article></body></html>"


@pytest.mark.parametrize(
    "page",
    [
        spans_page(15_000),  # 390 KB: 35 s before the fix
        spans_page(990, blocks=19),  # under the per-block limit: over 4 s before
        b"<html><body><article><h1>T</h1><p>" + b"word " * 15_000 + b"</p></article></body>",
    ],
    ids=["15k-spans", "19x990-spans", "75k-chars-one-p"],
)
def test_markup_heavy_pages_are_read_in_bounded_time(page):
    started = time.perf_counter()
    document = document_from_bytes(page, "p.html")
    assert time.perf_counter() - started < 2.0
    assert document.title == "T" and "word word" in document.paragraphs[1].text


def test_a_5mb_hostile_page_is_read_within_the_deadline():
    page = spans_page(190_000)  # 4.9 MB, inside the 5 MB limit: over 20 minutes before
    assert len(page) < 5_000_000
    started = time.perf_counter()
    document = document_from_bytes(page, "p.html")
    # ~1 s idle; the target is 10 s, and CI machines are busy
    assert time.perf_counter() - started < 8.0 and document.title == "T"


def test_an_ordinary_page_is_read_as_before_by_the_child():
    page = (FIXTURES / "news_page.html").read_bytes()
    reader = PageReader()
    try:
        assert reader.document(page, "page.html") == document_from_bytes(page, "page.html")
        with pytest.raises(CorpusError, match="looks binary"):
            reader.document(b"<p>\x00</p>", "x.html")  # refusals come back as messages
    finally:
        reader.close()


def test_a_page_past_its_deadline_is_refused_and_the_next_is_read():
    page = (FIXTURES / "news_page.html").read_bytes()
    reader = PageReader(seconds=0.01)  # the child cannot even start in time
    try:
        started = time.perf_counter()
        with pytest.raises(CorpusError, match="took over"):
            reader.document(page, "page.html")
        assert time.perf_counter() - started < 2.0  # killed, not waited for
        reader.seconds = 30
        assert reader.document(page, "page.html").title.startswith("Millbrook approves")
    finally:
        reader.close()


# --- bounded work for inputs within the limits (M4) ---------------------------------------


def test_a_1mb_paragraph_is_cut_into_paragraphs_spacy_reads_quickly():
    from qa.documents.extract import document_from_text
    from qa.documents.extract_guard import MAX_PARAGRAPH_CHARS

    sentence = "The harbour master said the ships would wait for three more days. "
    text = "Floods close port\n\n" + sentence * (1_000_000 // len(sentence) - 1)
    document = document_from_text(text)
    body = document.paragraphs[1:]
    assert len(body) > 100 and all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in body)
    assert all(p.text.endswith("days.") for p in body)  # cut at sentence ends
    assert " ".join(p.text for p in body) == text.split("\n\n", 1)[1].strip()  # nothing lost


def test_a_paste_of_a_hundred_thousand_tiny_paragraphs_is_refused_at_once():
    from qa.documents.extract import document_from_text

    started = time.perf_counter()
    with pytest.raises(CorpusError, match="paragraphs; the limit is 3,000"):
        document_from_text("Title\n\n" + "word\n\n" * 150_000)  # 48 s to index before
    assert time.perf_counter() - started < 2


def test_a_conversation_is_bounded_in_questions_times_k():
    from ui.endpoints import converse

    with pytest.raises(ValueError, match="the limit is 200"):
        converse(["x" * 1995] * 20, 100, None, object())  # 42 s on the model lane before


# --- files that are not files (m9) ---------------------------------------------------------


def test_a_fifo_or_a_device_is_refused_not_waited_on(tmp_path: Path):
    import os

    from qa.documents.extract import document_from_file

    fifo = tmp_path / "article.txt"
    os.mkfifo(fifo)  # nobody writes: reading it used to block forever
    started = time.perf_counter()
    with pytest.raises(CorpusError, match="not a regular file"):
        document_from_file(fifo)
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")  # size 0, endless bytes
    with pytest.raises(CorpusError, match="not a regular file"):
        document_from_file(link)
    assert time.perf_counter() - started < 2


# --- memory that belongs to a session (M2) ------------------------------------------------


def test_parses_belong_to_their_owner_and_are_freed_with_it(monkeypatch):
    from qa.reading import nlp

    parsed = []
    monkeypatch.setattr(nlp, "get_nlp", lambda: lambda text: parsed.append(text) or object())
    assert not hasattr(nlp.parse, "cache_info")  # was a process-wide lru_cache(4096)
    nlp.parse("A paragraph of a user's article.")
    nlp.parse("A paragraph of a user's article.")
    assert len(parsed) == 2  # no cache active: kept by nobody
    mine, corpus = nlp.ParseCache(max_chars=100), nlp.ParseCache()
    with nlp.using(mine), nlp.using(corpus):  # the session's cache wins over the pipeline's
        first = nlp.parse("x" * 40)
        assert nlp.parse("x" * 40) is first and len(mine) == 1 and len(corpus) == 0
        nlp.parse("y" * 40)
        nlp.parse("z" * 40)  # past 100 characters: the oldest goes
        nlp.parse("a question?", keep=False)
    assert mine.chars <= 100 and len(mine) == 2 and len(corpus) == 0
    nlp.parse("x" * 40)
    assert len(parsed) == 7  # outside the block nothing is reused


def test_an_own_article_carries_its_own_parse_cache():
    from qa.documents import make_document
    from ui.session import OwnArticle

    one = OwnArticle(None, (make_document("a.txt", "A\n\nB."),), None)
    two = OwnArticle(None, (make_document("a.txt", "A\n\nB."),), None)
    assert one.parses is not two.parses  # dropped with its session, shared with nobody


@pytest.mark.parametrize("text", [123, None, b"bytes", ["list"]])
def test_an_article_that_is_not_text_is_a_clear_error(text):
    from qa.documents.extract import document_from_text

    with pytest.raises(CorpusError, match="must be text"):  # m5: an AttributeError before
        document_from_text(text)


@pytest.mark.parametrize("char", ["\u0085", "\u009b", "\ufffe", "\uffff", "\u202e", "\u2066"])
def test_invisible_and_reordering_characters_are_refused(char):
    from qa.validation import validate_history, validate_question

    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):  # m8: accepted before
        validate_question(f"Who {char}is it?", 2000)
    with pytest.raises(ValueError, match=r"^history item 2 holds"):  # was reported as "question"
        validate_history(["Who?", f"And {char}then?"], 2000)
    assert validate_question("Qui est-ce\u200f ?", 2000)  # a right-to-left mark is text


def test_a_long_cited_paragraph_is_shown_in_part_so_the_chat_stays_small():
    from qa.types import Citation
    from ui import render

    text = "word " * 80_000 + "Ivan Petrenko said so. " + "word " * 80_000  # 800 KB
    start = text.index("Ivan Petrenko")
    citation = Citation("a.txt", 3, text, start, start + len("Ivan Petrenko"), 1.0)
    html = render.source_html(citation)
    assert len(html) < 3 * render.SOURCE_CHARS  # m1: the whole paragraph, every turn, before
    assert "<mark>Ivan Petrenko</mark>" in html and html.count("…") == 2
    short = Citation("a.txt", 1, "Ivan Petrenko said so.", 0, 13, 1.0)
    assert "<mark>Ivan Petrenko</mark> said so." in render.source_html(short)


def test_a_dropped_article_is_announced_in_the_chat_not_swapped():
    from types import SimpleNamespace

    from ui import app
    from ui.session import IDLE_MESSAGE, ArticleGone

    class Dropped:  # the store, after this session's article idled out (M3)
        def get(self, session):
            raise ArticleGone(IDLE_MESSAGE)

    on_ask = app._ask_handler(None, object(), Dropped())
    request = SimpleNamespace(session_hash="s1")
    box, chat, history, _, turns = on_ask("Who?", [], [], 5, True, [], "", request)
    assert box == "Who?" and history == [] and turns == []
    assert "dropped after an hour unused" in chat[-1]["content"]
