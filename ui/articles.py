"""A session's articles: read (text, file or link), added to its list of at most
``MAX_ARTICLES``, removed; each list indexed as one in-memory corpus.

Reading goes through the server's guarded paths only: a page (uploaded, pasted as HTML or
fetched from a link) is read in the niced child process with its deadline
(``qa.documents.PageReader``), a link is fetched by ``qa.documents.fetch_page`` with its
address checks, and embedding takes one replica lease per batch (``ui.indexer``).
"""

from __future__ import annotations

import codecs
import dataclasses
import time
from collections.abc import Collection

from qa.documents import CorpusError, PageReader, checksum, fetch_page, fetch_policy
from qa.pool import PipelinePool
from qa.reading import ParseCache
from qa.settings import Settings
from qa.types import Document
from ui.indexer import OnBatch, index_in_turns, reindex_without
from ui.session import OwnArticle, make_article, read_article

MAX_ARTICLES = 5  # per session: each may have 120 passages, so a list stays quick to search
PAGE_NAME = "page.html"  # a fetched page is read as a saved one of this name


def unique_id(wanted: str, taken: Collection[str]) -> str:
    """``wanted``, or "wanted (2)", "wanted (3)"…: two pasted articles keep apart."""
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted} ({number})" in taken:
        number += 1
    return f"{wanted} ({number})"


def renamed(document: Document, doc_id: str) -> Document:
    """The same article under another id (its paragraphs say which article they are in)."""
    if doc_id == document.id:
        return document
    paragraphs = tuple(dataclasses.replace(p, doc_id=doc_id) for p in document.paragraphs)
    return dataclasses.replace(document, id=doc_id, paragraphs=paragraphs)


def as_utf8(body: bytes, charset: str | None) -> bytes:
    """A fetched page in UTF-8 when its server names another charset (the child reads a page
    as a saved one: UTF-8, else its <meta> charset); unchanged when that charset fails."""
    if not charset:
        return body
    try:
        if codecs.lookup(charset).name == "utf-8":
            return body
        return body.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return body  # a wrong header is common: the page's own declaration may be right


class ArticleMaker:
    """Reads articles in the page child and indexes them in turns with the answers."""

    def __init__(
        self, pool: PipelinePool, settings: Settings, reader: PageReader | None = None
    ) -> None:
        self.pool, self.settings = pool, settings
        self.reader = reader or PageReader()
        self.reader.start()  # the child imports the extractor now, not on the first page

    def make(self, text: str, upload: str | None, name: str) -> OwnArticle:
        """One article alone (the /use_article endpoint), as ``ui.session.make_article``."""
        started = time.monotonic()

        def index(document: Document):
            return index_in_turns(self.pool, document, started)

        return make_article(
            self.pool, text, upload, name, read_page=self.reader.document, index=index
        )

    def read(self, text: str, upload: str | None) -> Document:
        """The pasted text or uploaded file as a Document (CorpusError says what is wrong)."""
        return read_article(text, upload, "", read_page=self.reader.document)

    def read_link(self, url: str) -> Document:
        """The article at ``url``: fetched with the address checks and bounds of
        ``qa.documents.fetch`` (private addresses only with ``allow_private_urls``), then read
        in the page child like an uploaded page; its id is the link."""
        if not isinstance(url, str) or not url.strip():
            raise CorpusError("give a link first (http:// or https://)")
        url = url.strip()
        page = fetch_page(url, fetch_policy(self.settings))
        try:
            document = self.reader.document(as_utf8(page.body, page.charset), PAGE_NAME)
        except CorpusError as err:  # its message names the stand-in file: name the link
            raise CorpusError(str(err).replace(PAGE_NAME, url, 1)) from None
        return renamed(document, url)

    def add(
        self, own: OwnArticle | None, document: Document, on_batch: OnBatch | None = None
    ) -> OwnArticle:
        """``own``'s articles and ``document``, indexed together (only it is embedded)."""
        docs = own.docs if own is not None else ()
        check_room(docs, document)
        document = renamed(document, unique_id(document.id, {d.id for d in docs}))
        previous = own.index if own is not None else None
        index = index_in_turns(
            self.pool,
            document,
            time.monotonic(),
            others=docs,
            previous=previous,
            on_batch=on_batch,
        )
        parses = own.parses if own is not None else ParseCache()
        return OwnArticle(self.pool, (*docs, document), index, parses)

    def remove(self, own: OwnArticle, doc_id: str) -> OwnArticle | None:
        """``own`` without the article ``doc_id``; None when none is left."""
        docs = tuple(d for d in own.docs if d.id != doc_id)
        if not docs:
            return None
        if len(docs) == len(own.docs):
            raise CorpusError("that article is not in your list")
        index = reindex_without(self.pool, docs, own.index)
        return OwnArticle(self.pool, docs, index, own.parses)


def check_room(docs: tuple[Document, ...], document: Document) -> None:
    """CorpusError when the list is full or already holds this very text."""
    if len(docs) >= MAX_ARTICLES:
        raise CorpusError(
            f"you have {MAX_ARTICLES} articles, the limit for one session; remove one first"
        )
    if any(checksum(d.text) == checksum(document.text) for d in docs):
        raise CorpusError(f"{document.title[:80]}: this article is already in your list")
