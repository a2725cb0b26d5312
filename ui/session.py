"""A user's own articles in the UI: pasted, uploaded or read from a link, indexed in memory,
private to one browser session and dropped when that session ends (``ui.articles`` keeps a
session's list of up to five; this module holds the lists, one per session).

Nothing here touches the corpus index on disk. An uploaded file is read into memory and its
temporary copy deleted at once; what stays is the article's text and its in-memory index,
keyed by Gradio's session hash, which only that browser knows.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.documents import (
    MAX_HTML_BYTES,
    CorpusError,
    document_from_bytes,
    document_from_text,
    read_regular_file,
)
from qa.indexing import StoredIndex
from qa.pool import PipelinePool
from qa.reading import ParseCache, using
from qa.types import Answer, Document

MAX_SESSIONS = 64  # articles held at once; beyond this new ones are refused, never swapped
IDLE_SECONDS = 3600  # an article unused this long is dropped even if its tab stays open
PER_CLIENT = 16  # articles one client address may hold, so one client cannot fill the store
MAX_EXPIRED = 4096  # dropped sessions remembered, to tell them (a hash each)
NO_SESSION = (
    "your own article needs a session: use gradio_client, or send a session_hash with the call"
)
IDLE_MESSAGE = (
    "your article was dropped after an hour unused; give it again, "
    "or go back to the default article"
)


class ArticleGone(ValueError):
    """A session's article was dropped (idle): answering from the corpus would mislead."""


@dataclass(frozen=True)
class OwnArticle:
    """A session's articles (one to five), answered with the pool's models (same pipeline,
    other text) from one index of them all."""

    pool: PipelinePool
    docs: tuple[Document, ...]
    index: StoredIndex
    # Its paragraphs' parses: reused across this session's questions, freed with it (M2).
    parses: ParseCache = field(default_factory=ParseCache, compare=False, repr=False)

    @property
    def documents(self) -> dict[str, Document]:
        """By id, as ``PipelinePool.documents``."""
        return {d.id: d for d in self.docs}

    def answer(
        self, question: str, history: Sequence[str | Answer] | None = None, **kw: Any
    ) -> Answer:
        with self.pool.lease() as replica, using(self.parses):
            derived = replica.with_documents(self.docs, self.index)
            return derived.answer(question, history, **kw)


class SessionArticles:
    """Each session's own article, in memory, bounded in number, per client and in age.

    When full, a new session is refused with a message rather than evicting another user's
    article (64 cheap calls used to swap every live user back to the corpus, unannounced);
    only articles idle for ``idle_seconds`` make room, and their sessions are told so.
    """

    def __init__(
        self,
        max_sessions: int = MAX_SESSIONS,
        idle_seconds: float = IDLE_SECONDS,
        per_client: int = PER_CLIENT,
    ):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.per_client = per_client
        self._items: OrderedDict[str, tuple[float, str, OwnArticle]] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()  # sessions to tell, bounded
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, session: str | None, article: OwnArticle, client: str = "") -> None:
        """Hold ``article`` for ``session``; CorpusError (with the reason) when it cannot be."""
        if not session:  # a call without a session key would share one key with every other
            raise CorpusError(NO_SESSION)
        with self._lock:
            self._expire()
            if session not in self._items:
                self._room_for(client)
            self._items[session] = (time.monotonic(), client, article)
            self._items.move_to_end(session)
            self._expired.pop(session, None)

    def check_room(self, session: str | None, client: str = "") -> None:
        """CorpusError now if ``put`` would refuse this session (before reading its article)."""
        if not session:
            raise CorpusError(NO_SESSION)
        with self._lock:
            self._expire()
            if session not in self._items:
                self._room_for(client)

    def _room_for(self, client: str) -> None:
        if len(self._items) >= self.max_sessions:
            raise CorpusError(
                f"the server holds {self.max_sessions} users' articles, its limit; "
                "try again later (an article unused for an hour makes room)"
            )
        held = sum(1 for _, owner, _ in self._items.values() if owner == client)
        if held >= self.per_client:
            raise CorpusError(
                f"this client already holds {self.per_client} articles, its limit; "
                "close a tab or go back to the default article first"
            )

    def get(self, session: str | None) -> OwnArticle | None:
        """The session's article; ArticleGone when it was dropped for being idle."""
        with self._lock:
            self._expire()
            if session in self._expired:
                raise ArticleGone(IDLE_MESSAGE)
            if session not in self._items:
                return None
            _, client, article = self._items[session]
            self._items[session] = (time.monotonic(), client, article)
            self._items.move_to_end(session)
            return article

    def drop(self, session: str | None) -> None:
        with self._lock:
            self._items.pop(session, None)
            self._expired.pop(session, None)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.idle_seconds
        while self._items and next(iter(self._items.values()))[0] < cutoff:
            session, _ = self._items.popitem(last=False)
            self._expired[session] = None
            while len(self._expired) > MAX_EXPIRED:
                self._expired.popitem(last=False)


ReadPage = Callable[[bytes, str], Document]
IndexArticle = Callable[[Document], StoredIndex]


def read_upload(path: str | os.PathLike, read_page: ReadPage = document_from_bytes) -> Document:
    """The article in an uploaded file (type, size and encoding checked as
    ``qa.documents.extract.document_from_bytes`` does; a saved page read by ``read_page``); the
    temporary copy Gradio made is deleted either way."""
    path = Path(path)
    try:
        try:
            size = path.stat().st_size  # before reading: a huge file is refused unread
            if size > MAX_HTML_BYTES:
                raise CorpusError(f"{path.name}: {size:,} bytes is over the limit")
            data = read_regular_file(path, MAX_HTML_BYTES)
        except OSError as err:
            raise CorpusError(f"{path.name}: cannot read the file ({err.strerror})") from err
    finally:
        path.unlink(missing_ok=True)
    return _document(data, path.name, read_page)


def _document(data: bytes, name: str, read_page: ReadPage) -> Document:
    if Path(name).suffix.lower() in (".html", ".htm"):
        return read_page(data, name)
    return document_from_bytes(data, name)  # text: checked and split in linear time


def read_article(
    text: str = "",
    upload: str | None = None,
    name: str = "",
    *,
    read_page: ReadPage = document_from_bytes,
) -> Document:
    """The pasted text (a saved page when ``name`` ends in .html) or uploaded file, extracted;
    CorpusError says what is wrong (empty, too large, not text, no article)."""
    if not isinstance(text, str) or not isinstance(name, str):  # a raw API call's values
        raise CorpusError("the article's text and name must be strings")
    if upload:
        return read_upload(upload, read_page)
    if not text.strip():
        raise CorpusError("paste an article's text or choose a file first")
    if Path(name).suffix.lower() in (".html", ".htm"):
        return read_page(text.encode("utf-8", "surrogatepass"), name)
    return document_from_text(text, name or "pasted article")


def make_article(
    pool: PipelinePool,
    text: str = "",
    upload: str | None = None,
    name: str = "",
    *,
    read_page: ReadPage = document_from_bytes,
    index: IndexArticle | None = None,
) -> OwnArticle:
    """The article ``read_article`` reads, indexed alone.

    The server reads pages in a child process with a deadline (``read_page``) and indexes in
    turns with other users' questions (``index``, ui.indexer); by default both run here.
    """
    document = read_article(text, upload, name, read_page=read_page)
    if index is None:
        with pool.lease() as replica:
            return OwnArticle(pool, (document,), replica.index_documents([document]))
    return OwnArticle(pool, (document,), index(document))


def article_status(article: OwnArticle, seconds: float) -> str:
    """One line for the UI: the article just added, and what is answered now."""
    document = article.docs[-1]
    paragraphs = len(document.paragraphs)
    count = len(article.docs)
    scope = f" You have {count} articles; ask across all or pick one." if count > 1 else ""
    return (
        f"Now answering about **{_escape(document.title)}** ({paragraphs} paragraphs, "
        f"indexed in {seconds:.1f} s).{scope} It stays in this browser tab only."
    )


def _escape(text: str) -> str:
    """Markdown-safe text for the status line."""
    from qa.answering import escape_markdown

    return escape_markdown(text[:120])
