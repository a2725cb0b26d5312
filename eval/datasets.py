"""Evaluation items: the seed-article reference set, plus shared helpers for every set.

An :class:`EvalItem` is one question with its gold answers and the paragraphs that hold
them, named by ``(doc_id, paragraph number)`` in the project's own paragraph numbering.
The external sets (SQuAD, CoQA) live in :mod:`eval.external`.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from qa.environment import shared_data_dir as shared_data_root
from qa.reading import question_kind
from qa.types import Document

ParaKey = tuple[str, int]  # (doc_id, paragraph number), the unit of retrieval and citation
T = TypeVar("T")

ARTICLE_FILE = Path(__file__).resolve().parent / "data" / "article.jsonl"
SEED_CORPUS = "seeds"  # corpus key: the default, persisted pipeline over seeds/


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One question to ask one corpus, with what counts as a right answer."""

    id: str
    set: str  # "article", "squad" or "coqa"
    question: str
    golds: tuple[str, ...]  # empty when the corpus does not answer the question
    relevant: frozenset[ParaKey]  # paragraphs that hold a gold answer
    corpus: str  # key of the corpus (index) to ask
    history: tuple[str, ...] = ()  # earlier user questions, oldest first
    qtype: str = "other"

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


# --- question types --------------------------------------------------------------------

# Reporting buckets on top of the reader's own question kinds: fewer, larger groups.
_BUCKETS = {"how much": "how many", "how long": "how", "how old": "how", "how far": "how"}
_WHAT_TIME = re.compile(r"\b(what|which) (year|date|day|month|century|decade)\b", re.IGNORECASE)


def question_type(question: str) -> str:
    """A coarse type for reporting F1 by type, from ``qa.reading.question.question_kind``."""
    if _WHAT_TIME.search(question):
        return "when"
    kind = question_kind(question)
    return _BUCKETS.get(kind, kind)


# --- sampling ------------------------------------------------------------------------


def sample(items: Sequence[T], limit: int | None, seed: int) -> list[T]:
    """``limit`` items drawn with ``random.Random(seed)``, kept in their original order."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    chosen = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in chosen]


def subsample(items: Sequence[T], fraction: float, seed: int) -> list[T]:
    """A seeded ceil(fraction * n) of ``items`` (at least one when there are any), in order."""
    if not items:
        return []
    return sample(items, max(1, math.ceil(fraction * len(items))), seed)


# --- the seed-article reference set -------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    """Every non-blank line of a JSON Lines file, parsed; errors name the line."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from err
    return rows


def paragraphs_holding(golds: Iterable[str], documents: Iterable[Document]) -> frozenset[ParaKey]:
    """Citable paragraphs whose text contains any gold answer verbatim."""
    answers = [g for g in golds if g.strip()]
    return frozenset(
        (doc.id, p.number)
        for doc in documents
        for p in doc.paragraphs
        if not p.boilerplate and any(a in p.text for a in answers)
    )


def article_item(row: dict, documents: Sequence[Document]) -> EvalItem:
    """An EvalItem from one line of ``article.jsonl``."""
    golds = tuple(row["answers"])
    return EvalItem(
        id=row["id"],
        set="article",
        question=row["question"],
        golds=golds,
        relevant=paragraphs_holding(golds, documents),
        corpus=SEED_CORPUS,
        history=tuple(row.get("history") or ()),
        qtype=row.get("type") or question_type(row["question"]),
    )


def load_article_items(documents: Sequence[Document], path: Path = ARTICLE_FILE) -> list[EvalItem]:
    """The reference set about the seed article; relevance uses ``documents``' numbering."""
    return [article_item(row, documents) for row in read_jsonl(path)]


# --- shared external data -------------------------------------------------------------


def shared_data_dir() -> Path:
    """Folder of the external data sets: $QA_SHARED_DATA, else ../shared/data/external/.

    $QA_SHARED_DATA may name the folder holding the files or its parent (``.../data``).
    """
    root = shared_data_root()
    return root / "external" if (root / "external").is_dir() else root
