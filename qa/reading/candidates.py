"""What every reader returns: ranked answer candidates with exact offsets, and a verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Protocol, TypeVar

from qa.types import Passage

T = TypeVar("T")


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
    features: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader made of the passages: its candidates (best first), the probability that
    the best is right, and the confidence under which it is withheld."""

    candidates: tuple[Candidate, ...]
    confidence: float
    threshold: float

    @property
    def abstains(self) -> bool:
        return not self.candidates or self.confidence < self.threshold


class Reader(Protocol):
    """Turns passages into ranked candidates, and judges how likely the best one is right."""

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]: ...

    def confidence(self, candidates: Sequence[Candidate]) -> float: ...

    @property
    def threshold(self) -> float:
        """The confidence under which this reader's answers are withheld."""
        ...

    def reading(self, question: str, passages: Sequence[Passage]) -> Reading:
        """The candidates with their confidence and this reader's threshold."""
        ...


class Thresholded:
    """What every reader shares: the threshold given at construction (``abstain_threshold``;
    None: the reader's fitted ``default_threshold``) and one ``reading`` of the passages."""

    abstain_threshold: float | None = None

    @property
    def default_threshold(self) -> float:
        raise NotImplementedError

    @property
    def threshold(self) -> float:
        chosen = self.abstain_threshold
        return self.default_threshold if chosen is None else chosen

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        raise NotImplementedError

    def confidence(self, candidates: Sequence[Candidate]) -> float:
        raise NotImplementedError

    def reading(self, question: str, passages: Sequence[Passage]) -> Reading:
        candidates = self.read(question, passages)
        return Reading(tuple(candidates), self.confidence(candidates), self.threshold)


def dedupe(candidates: Sequence[T], text: Callable[[T], str] = attrgetter("text")) -> list[T]:
    """Keep the first (best-ranked) candidate per normalised answer text."""
    seen: set[str] = set()
    kept = []
    for cand in candidates:
        key = " ".join(text(cand).lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(cand)
    return kept
