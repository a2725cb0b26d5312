"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by RRF, then cross-encoder reranked."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from qa.documents.chunking import rows_by_document
from qa.indexing.bm25 import STOPWORDS, BM25Index, tokenize
from qa.indexing.vectors.faiss_store import VectorStore
from qa.retrieval.embedders import Embedder
from qa.retrieval.rerankers import Scorer
from qa.settings import Settings, choices
from qa.types import Chunk, Document, Passage

__all__ = [
    "STOPWORDS",
    "VARIANTS",
    "BM25Index",
    "Retriever",
    "SearchOptions",
    "reciprocal_rank_fusion",
    "tokenize",
]

VARIANTS = choices("retrieval")  # declared with the setting


def reciprocal_rank_fusion(rankings: Iterable[Sequence[int]], k: int = 60) -> dict[int, float]:
    """RRF score per id: the sum over rankings of 1 / (k + rank), rank counted from 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def prefer_article(
    local: Sequence[Passage], everywhere: Sequence[Passage], margin: float
) -> list[Passage]:
    """A follow-up's passages: those of the conversation's article (``local``) unless the
    whole corpus's best passage is clearly better, by more than ``margin`` in score.

    Scores compare only when both best passages were reranked (the same cross-encoder's
    logits); otherwise the corpus-wide ranking stands.
    """
    if not local or not everywhere:
        return list(everywhere or local)
    best, here = everywhere[0].rerank_score, local[0].rerank_score
    if best is None or here is None or best > here + margin:
        return list(everywhere)
    return list(local)


def unknown_articles(unknown: Collection[str], known: Collection[str]) -> str:
    """The message for ``doc_ids`` the index lacks: it names what it holds, so the next
    try can be right (issue 18: "no such article(s)" alone left users guessing)."""
    shown = ", ".join(map(repr, list(known)[:10])) + (" …" if len(known) > 10 else "")
    wrong = ", ".join(map(repr, list(unknown)[:5]))
    return f"no such article(s): {wrong}; the index holds {len(known)}: {shown}"


@dataclass(frozen=True)
class SearchOptions:
    """How one search runs: the retrieval fields of Settings, and nothing else of it (a
    conversation may change them per call, so they travel with the call, not the Retriever)."""

    variant: str  # one of VARIANTS
    candidates: int  # taken from each ranker before fusion
    rrf_k: int
    rerank_depth: int  # fused passages the cross-encoder rescores
    exit_after: int | None = None  # None: all rerank_depth; else these first, then maybe stop
    exit_score: float = math.inf  # ... when one of them scores at least this

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(
                f"retrieval must be one of {', '.join(VARIANTS)}, not {self.variant!r}"
            )

    @classmethod
    def of(cls, settings: Settings) -> SearchOptions:
        # The reader reads the first read_depth passages, one more past a headline: never one
        # the exit left unscored.
        after = max(settings.rerank_exit_after, settings.read_depth + 1)
        exits = settings.rerank_exit_score < math.inf  # inf: one batch of rerank_depth
        return cls(
            settings.retrieval,
            settings.candidates,
            settings.rrf_k,
            settings.rerank_depth,
            after if exits else None,
            settings.rerank_exit_score,
        )


@dataclass(frozen=True)
class Retriever:
    """Cited passage search over one corpus; how to search comes with each call."""

    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: VectorStore
    embedder: Embedder
    bm25: BM25Index
    reranker: Scorer | None

    @cached_property
    def _doc_rows(self) -> dict[str, np.ndarray]:
        rows = rows_by_document(self.chunks)
        return {doc_id: np.array(r, dtype=np.int64) for doc_id, r in rows.items()}

    def rows_of(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        """The chunk rows of these documents (None: every row); ValueError for unknown ids."""
        if doc_ids is None:
            return None
        unknown = sorted(set(doc_ids) - set(self.documents))
        if unknown:
            raise ValueError(unknown_articles(unknown, sorted(self.documents)))
        parts = [self._doc_rows.get(d, np.zeros(0, np.int64)) for d in sorted(set(doc_ids))]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def search(
        self,
        question: str,
        k: int,
        options: SearchOptions | None = None,
        doc_ids: Collection[str] | None = None,
    ) -> list[Passage]:
        """The k best passages for ``question``, best first, with each stage's score.

        ``options`` (default: the default Settings'): the variant, one of VARIANTS (the
        non-default ones exist for ablations), and its depths. ``doc_ids`` limits the search
        to those articles: both rankers filter before ranking.
        """
        options = options or SearchOptions.of(Settings())
        variant = options.variant
        pool = self.hybrid(
            question,
            options.candidates,
            options.rrf_k,
            dense=variant != "bm25",
            lexical=variant != "dense",
            rows=self.rows_of(doc_ids),
        )
        if variant == "hybrid+rerank" and self.reranker is not None:
            # The cross-encoder is most of a call's cost: only the fused top is rescored, and
            # the passages below it follow in fused order.
            depth = options.rerank_depth
            reranked = self.rerank(question, pool[:depth], options.exit_after, options.exit_score)
            pool = [*reranked, *pool[depth:]]
        return pool[:k]

    def hybrid(
        self,
        question: str,
        candidates: int = 20,
        rrf_k: int = 60,
        *,
        dense: bool = True,
        lexical: bool = True,
        rows: np.ndarray | None = None,
    ) -> list[Passage]:
        """Dense and BM25 rankings of ``candidates`` each (among ``rows``), fused by RRF."""
        dense_hits, bm25_hits = {}, {}
        if dense:
            query = self.embedder.embed([question], is_query=True)[0]
            dense_hits = dict(self.vectors.search(query, candidates, rows))
        if lexical:
            bm25_hits = dict(self.bm25.search(question, candidates, rows))
        fused = reciprocal_rank_fusion([list(dense_hits), list(bm25_hits)], rrf_k)
        order = sorted(fused, key=lambda i: (-fused[i], i))
        return [self._passage(i, dense_hits.get(i), bm25_hits.get(i), fused[i]) for i in order]

    def rerank(
        self,
        question: str,
        passages: Sequence[Passage],
        exit_after: int | None = None,
        exit_score: float = math.inf,
    ) -> list[Passage]:
        """``passages`` by the cross-encoder's score, best first. With ``exit_after``, the first
        that many are scored first, and when one of them scores at least ``exit_score`` (a
        clear answer near the top of the fusion) the others are not scored: they follow,
        unscored, in their fused order."""
        first = len(passages) if exit_after is None else exit_after
        scored = self._scored(question, passages[:first])
        rest = passages[first:]
        if rest and scored and scored[0].rerank_score >= exit_score:
            return [*scored, *rest]
        return sorted([*scored, *self._scored(question, rest)], key=lambda p: -p.rerank_score)

    def _scored(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        if not passages:
            return []
        scores = self.reranker.score(question, [p.chunk.text for p in passages])
        pairs = zip(passages, scores, strict=True)
        rescored = [replace(p, rerank_score=float(s)) for p, s in pairs]
        return sorted(rescored, key=lambda p: -p.rerank_score)

    def _passage(self, row: int, dense: float | None, bm25: float | None, fused: float) -> Passage:
        chunk = self.chunks[row]
        document = self.documents[chunk.doc_id]
        paragraph = document.paragraph(chunk.paragraph)
        opening = document.opening
        return Passage(
            chunk=chunk,
            paragraph_text=paragraph.text,
            paragraph_start=paragraph.start,
            dense_score=dense,
            bm25_score=bm25,
            fused_score=fused,
            title=document.title,
            opens_article=opening is not None and opening.number == paragraph.number,
        )
