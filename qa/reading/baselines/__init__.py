"""The earlier readers, kept for ablations (``reader="sentence"`` / ``"span"``): the best
sentence, and spaCy span candidates with a logistic scorer (``spacy_spans``, weights fitted
by eval.tune).
"""

from qa.reading.baselines.readers import (
    SentenceReader,
    SpanReader,
    rank_sentences,
)
from qa.reading.baselines.spacy_spans import (
    content_lemmas,
    sentence_candidates,
    span_features,
)

__all__ = [
    "SentenceReader",
    "SpanReader",
    "content_lemmas",
    "rank_sentences",
    "sentence_candidates",
    "span_features",
]
