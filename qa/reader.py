"""Reading: from retrieved passages to ranked answer candidates with exact offsets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.nlp import sentence_spans
from qa.rerank import Scorer
from qa.types import Passage


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible answer: ``passage.paragraph_text[start:end] == text``."""

    text: str
    passage: Passage
    start: int
    end: int
    sentence: str
    sentence_score: float
    score: float


@dataclass(frozen=True, slots=True)
class Sentence:
    passage: Passage
    start: int  # offsets inside passage.paragraph_text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.paragraph_text[self.start : self.end]


def passage_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Sentences of the paragraph that overlap the passage's chunk."""
    lo = passage.chunk.start - passage.paragraph_start
    hi = passage.chunk.end - passage.paragraph_start
    return [(s, e) for s, e in sentence_spans(passage.paragraph_text) if s < hi and e > lo]


def rank_sentences(
    question: str, passages: Sequence[Passage], scorer: Scorer, depth: int
) -> list[Sentence]:
    """Sentences of the top ``depth`` passages, scored by the cross-encoder, best first."""
    spans = [(p, s, e) for p in passages[:depth] for s, e in passage_sentences(p)]
    if not spans:
        return []
    scores = scorer.score(question, [p.paragraph_text[s:e] for p, s, e in spans])
    ranked = [Sentence(p, s, e, float(x)) for (p, s, e), x in zip(spans, scores, strict=True)]
    return sorted(ranked, key=lambda sent: -sent.score)


class SentenceReader:
    """Baseline reader: the best-ranked sentence is the answer."""

    def __init__(self, scorer: Scorer, depth: int = 3) -> None:
        self.scorer = scorer
        self.depth = depth

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        return [
            Candidate(s.text, s.passage, s.start, s.end, s.text, s.score, s.score)
            for s in rank_sentences(question, passages, self.scorer, self.depth)
        ]


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))
