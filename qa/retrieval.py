"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by RRF, then cross-encoder reranked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.embedding import Embedder
from qa.rerank import Scorer
from qa.settings import Settings
from qa.types import Chunk, Document, Passage

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her him his how i"
    " in into is it its me my not of on or our she so than that the their them then there these"
    " they this those to us was we were what when where which while who whom whose why will with"
    " would you your".split()
)


VARIANTS = ("hybrid+rerank", "hybrid", "dense", "bm25")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, for BM25."""
    return [t for t in _WORD.findall(text.lower()) if t not in STOPWORDS]


def dense_search(index, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Top-k (row, score) pairs from a FAISS index; FAISS pads with -1 when k > ntotal."""
    if index.ntotal == 0 or k < 1:
        return []
    scores, ids = index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def reciprocal_rank_fusion(rankings: Iterable[Sequence[int]], k: int = 60) -> dict[int, float]:
    """RRF score per id: the sum over rankings of 1 / (k + rank), rank counted from 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class BM25Index:
    """bm25s over the chunks, rebuilt in memory at load (seconds even for thousands of articles)."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        self._size = len(texts)
        self._model = bm25s.BM25()
        # bm25s rejects an empty corpus; a chunkless index simply has no lexical matches.
        if self._size:
            self._model.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        tokens = tokenize(query)
        if not tokens or not self._size:
            return []
        scores = self._model.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[: min(k, self._size)]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


@dataclass(frozen=True)
class Retriever:
    """Cited passage search over one corpus; the search parameters come with each call."""

    documents: dict[str, Document]
    chunks: list[Chunk]
    faiss_index: object
    embedder: Embedder
    bm25: BM25Index
    reranker: Scorer | None

    def search(self, question: str, k: int, settings: Settings) -> list[Passage]:
        """The k best passages for ``question``, best first, with each stage's score.

        ``settings.retrieval`` is one of VARIANTS; the non-default ones exist for ablations.
        """
        variant = settings.retrieval
        if variant not in VARIANTS:
            raise ValueError(f"retrieval must be one of {', '.join(VARIANTS)}, not {variant!r}")
        pool = self.hybrid(
            question,
            settings.candidates,
            settings.rrf_k,
            dense=variant != "bm25",
            lexical=variant != "dense",
        )
        if variant == "hybrid+rerank" and self.reranker is not None:
            pool = self.rerank(question, pool[: max(k, settings.rerank_depth)])
        return pool[:k]

    def hybrid(
        self,
        question: str,
        candidates: int = 20,
        rrf_k: int = 60,
        *,
        dense: bool = True,
        lexical: bool = True,
    ) -> list[Passage]:
        """Dense and BM25 rankings of ``candidates`` each, fused by RRF."""
        query = self.embedder.embed([question], is_query=True)[0] if dense else None
        dense_hits = dict(dense_search(self.faiss_index, query, candidates)) if dense else {}
        bm25_hits = dict(self.bm25.search(question, candidates)) if lexical else {}
        fused = reciprocal_rank_fusion([list(dense_hits), list(bm25_hits)], rrf_k)
        order = sorted(fused, key=lambda i: (-fused[i], i))
        return [self._passage(i, dense_hits.get(i), bm25_hits.get(i), fused[i]) for i in order]

    def rerank(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        scores = self.reranker.score(question, [p.chunk.text for p in passages])
        pairs = zip(passages, scores, strict=True)
        rescored = [replace(p, rerank_score=float(s)) for p, s in pairs]
        return sorted(rescored, key=lambda p: -p.rerank_score)

    def _passage(self, row: int, dense: float | None, bm25: float | None, fused: float) -> Passage:
        chunk = self.chunks[row]
        paragraph = self.documents[chunk.doc_id].paragraph(chunk.paragraph)
        return Passage(
            chunk=chunk,
            paragraph_text=paragraph.text,
            paragraph_start=paragraph.start,
            dense_score=dense,
            bm25_score=bm25,
            fused_score=fused,
        )
