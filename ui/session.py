"""A user's own article in the UI: pasted or uploaded, indexed in memory, private to one
browser session and dropped when that session ends.

Nothing here touches the corpus index on disk. An uploaded file is read into memory and its
temporary copy deleted at once; what stays is the article's text and its in-memory index,
keyed by Gradio's session hash, which only that browser knows.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.documents import CorpusError, document_from_bytes, document_from_file, document_from_text
from qa.indexing import StoredIndex
from qa.pool import PipelinePool
from qa.types import Answer, Document

MAX_SESSIONS = 64  # articles held at once; the least recently used beyond this is dropped
IDLE_SECONDS = 3600  # an article unused this long is dropped even if its tab stays open


@dataclass(frozen=True)
class OwnArticle:
    """A session's article, answered with the pool's models (same pipeline, other text)."""

    pool: PipelinePool
    docs: tuple[Document, ...]
    index: StoredIndex

    @property
    def documents(self) -> dict[str, Document]:
        """By id, as ``PipelinePool.documents``."""
        return {d.id: d for d in self.docs}

    def answer(self, question: str, history: Sequence[str] | None = None, **kw: Any) -> Answer:
        with self.pool.lease() as replica:
            derived = replica.with_documents(self.docs, self.index)
            return derived.answer(question, history, **kw)


class SessionArticles:
    """Each session's own article, in memory, bounded in number and age."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._items: OrderedDict[str, tuple[float, OwnArticle]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, session: str, article: OwnArticle) -> None:
        with self._lock:
            self._items[session] = (time.monotonic(), article)
            self._items.move_to_end(session)
            self._expire()

    def get(self, session: str | None) -> OwnArticle | None:
        with self._lock:
            self._expire()
            if session not in self._items:
                return None
            _, article = self._items[session]
            self._items[session] = (time.monotonic(), article)
            self._items.move_to_end(session)
            return article

    def drop(self, session: str | None) -> None:
        with self._lock:
            self._items.pop(session, None)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.idle_seconds
        while self._items and (
            len(self._items) > self.max_sessions or next(iter(self._items.values()))[0] < cutoff
        ):
            self._items.popitem(last=False)


def read_upload(path: str | os.PathLike) -> Document:
    """The article in an uploaded file (``qa.documents.extract.document_from_file``: type, size and
    encoding checked); the temporary copy Gradio made is deleted either way."""
    try:
        return document_from_file(Path(path))
    finally:
        Path(path).unlink(missing_ok=True)


def make_article(
    pool: PipelinePool, text: str = "", upload: str | None = None, name: str = ""
) -> OwnArticle:
    """The pasted text (a saved page when ``name`` ends in .html) or uploaded file, extracted
    and indexed; CorpusError says what is wrong (empty, too large, not text, no article)."""
    if upload:
        document = read_upload(upload)
    elif text and text.strip():
        if Path(name).suffix.lower() in (".html", ".htm"):
            document = document_from_bytes(text.encode("utf-8", "surrogatepass"), name)
        else:
            document = document_from_text(text, name or "pasted article")
    else:
        raise CorpusError("paste an article's text or choose a file first")
    with pool.lease() as replica:
        index = replica.index_documents([document])
    return OwnArticle(pool, (document,), index)


def article_status(article: OwnArticle, seconds: float) -> str:
    """One line for the UI: which article is being answered now."""
    document = article.docs[0]
    paragraphs = len(document.paragraphs)
    return (
        f"Now answering about **{_escape(document.title)}** ({paragraphs} paragraphs, "
        f"indexed in {seconds:.1f} s). It stays in this browser tab only."
    )


def _escape(text: str) -> str:
    """Markdown-safe text for the status line."""
    from qa.answering import escape_markdown

    return escape_markdown(text[:120])
