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


class Reader(Protocol):
    """Turns passages into ranked candidates, and judges how likely the best one is right."""

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]: ...

    def confidence(self, candidates: Sequence[Candidate]) -> float: ...

    @property
    def threshold(self) -> float:
        """The confidence under which this reader's answers are withheld by default."""
        ...


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
