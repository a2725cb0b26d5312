"""Hostile input (issue 16): the outside probe's reproducers, scaled to run in seconds.

Pages that made trafilatura run for minutes, the child process that reads pages with a
deadline, and (further down) sessions, routes, hosts and index folders.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qa.documents import CorpusError
from qa.extract import document_from_bytes
from qa.page_worker import PageReader

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
    assert time.perf_counter() - started < 5.0 and len(document.paragraphs) == 2


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
