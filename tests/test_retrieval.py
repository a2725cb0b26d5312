"""Retrieval building blocks and the Retriever with a fake embedder and scorer (no models)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from qa.documents import make_document
from qa.documents.chunking import chunk_documents, make_splitter
from qa.indexing.vectors.faiss_store import FaissStore, build_store
from qa.retrieval import SearchOptions
from qa.retrieval.hybrid import (
    STOPWORDS,
    VARIANTS,
    BM25Index,
    Retriever,
    reciprocal_rank_fusion,
    tokenize,
)
from qa.settings import Settings
from qa.types import Document

# --- FaissStore.search (the dense ranker) --------------------------------------------


@pytest.fixture
def three_vectors():
    vectors = np.eye(4, dtype=np.float32)[:3]  # three orthogonal unit vectors
    return build_store(vectors), vectors


def test_dense_search_drops_faiss_padding(three_vectors) -> None:
    store, _ = three_vectors
    query = np.array([0.1, 0.9, 0.3, 0.0], dtype=np.float32)
    _, raw_ids = store.index.search(query.reshape(1, -1), 10)
    assert (raw_ids == -1).sum() == 7  # FAISS pads; the store must not pass that on
    hits = store.search(query, 10)
    assert [row for row, _ in hits] == [1, 2, 0]
    assert [score for _, score in hits] == pytest.approx([0.9, 0.3, 0.1])


def test_dense_search_k_smaller_than_index(three_vectors) -> None:
    store, _ = three_vectors
    hits = store.search(np.array([0.0, 0.0, 1.0, 0.0]), 1)
    assert hits == [(2, pytest.approx(1.0))]


def test_dense_search_edge_cases(three_vectors) -> None:
    store, _ = three_vectors
    assert store.search(np.ones(4), 0) == []
    assert FaissStore(4).search(np.ones(4), 5) == []


# --- reciprocal_rank_fusion ---------------------------------------------------------


def test_rrf_hand_computed() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert fused == pytest.approx({1: 1 / 61 + 1 / 62, 2: 1 / 62, 3: 1 / 63 + 1 / 61})
    assert sorted(fused, key=lambda i: -fused[i]) == [1, 3, 2]


def test_rrf_small_k_rewards_the_top_rank() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b"]], k=0)
    assert fused == pytest.approx({"a": 1.0, "b": 0.5 + 1.0})


def test_rrf_empty() -> None:
    assert reciprocal_rank_fusion([[], []]) == {}
    assert reciprocal_rank_fusion([]) == {}


# --- tokenize -----------------------------------------------------------------------


def test_tokenize_lowercases_and_drops_stopwords() -> None:
    assert tokenize("Who directs THE Carnegie Center, and why?") == [
        "directs",
        "carnegie",
        "center",
    ]


def test_tokenize_unicode_and_punctuation() -> None:
    assert tokenize("Café Zürich: 12-point plan_b \u2014 \u4e2d\u56fd!") == [
        "café",
        "zürich",
        "12",
        "point",
        "plan",
        "b",
        "\u4e2d\u56fd",
    ]


def test_tokenize_only_stopwords() -> None:
    assert tokenize("What is it that they were?") == []
    assert {"the", "who", "is"} <= STOPWORDS


# --- BM25Index ----------------------------------------------------------------------

TINY = [
    "The cat sat on the mat.",
    "Grain exports through the Black Sea stopped after Putin ended the deal.",
    "China and Russia held their seventh military exercise of the year.",
]


def test_bm25_ranks_the_obvious_document_first() -> None:
    bm25 = BM25Index(TINY)
    assert bm25.search("Black Sea grain", 3)[0][0] == 1
    assert bm25.search("military exercise", 3)[0][0] == 2
    hits = bm25.search("cat mat", 3)
    assert [row for row, _ in hits] == [0]  # documents without a query term are not returned
    assert hits[0][1] > 0


def test_bm25_respects_k() -> None:
    bm25 = BM25Index(TINY)
    assert len(bm25.search("the grain military cat", 2)) == 2
    scores = [s for _, s in bm25.search("the grain military cat", 3)]
    assert scores == sorted(scores, reverse=True)


def test_bm25_no_match() -> None:
    bm25 = BM25Index(TINY)
    assert bm25.search("what is the of and", 3) == []  # all stopwords
    assert bm25.search("zebra xylophone", 3) == []  # no term in the corpus
    assert bm25.search("", 3) == []


def test_bm25_empty_corpus() -> None:
    assert BM25Index([]).search("cat", 3) == []


def test_bm25_corpus_of_stopwords_only() -> None:
    bm25 = BM25Index(["the of and", "Grain exports"])
    assert [row for row, _ in bm25.search("grain", 5)] == [1]


# --- Retriever (fake embedder and scorer) -------------------------------------------


class OverlapScorer:
    """A cross-encoder stand-in: the number of query words in the text, minus 5."""

    model_id = "test/overlap"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        self.seen.append(len(texts))
        words = set(tokenize(query))
        return np.array([len(words & set(tokenize(t))) - 5.0 for t in texts], dtype=np.float32)


def retriever_over(
    document: Document, embedder, reranker: OverlapScorer | None, size: int = 300
) -> Retriever:
    chunks = chunk_documents([document], make_splitter(size, size // 6))
    return Retriever(
        documents={document.id: document},
        chunks=chunks,
        vectors=build_store(embedder.embed([c.text for c in chunks])),
        embedder=embedder,
        bm25=BM25Index([c.text for c in chunks]),
        reranker=reranker,
    )


@pytest.fixture
def retriever(seed_document: Document, fake_embedder) -> Retriever:
    return retriever_over(seed_document, fake_embedder, OverlapScorer())


SETTINGS = Settings(candidates=10)
QUESTION = "Who is the director of the Carnegie Russia Eurasia Center?"


def test_retriever_hybrid_rerank(retriever: Retriever) -> None:
    passages = retriever.search(QUESTION, 4, SearchOptions.of(SETTINGS))
    assert len(passages) == 4
    assert passages[0].chunk.paragraph == 10
    assert "Carnegie" in passages[0].chunk.text
    for p in passages:
        assert p.rerank_score is not None and p.score == p.rerank_score
        assert p.fused_score > 0
        paragraph = retriever.documents[p.chunk.doc_id].paragraph(p.chunk.paragraph)
        assert p.paragraph_text == paragraph.text and p.paragraph_start == paragraph.start
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert retriever.reranker.seen == [SETTINGS.rerank_depth]  # only the fused top is reranked


def test_a_clear_answer_near_the_top_leaves_the_rest_unscored(retriever: Retriever) -> None:
    """The early exit: when one of the first rerank_exit_after fused passages scores at least
    rerank_exit_score, the others of rerank_depth follow unscored in fused order."""
    fused = retriever.hybrid(QUESTION, SETTINGS.candidates, SETTINGS.rrf_k)
    top = max(OverlapScorer().score(QUESTION, [p.chunk.text for p in fused[:2]]))
    assert math.isinf(SETTINGS.rerank_exit_score)  # off by default
    settings = replace(SETTINGS, rerank_exit_score=float(top))
    passages = retriever.search(QUESTION, 5, SearchOptions.of(settings))
    assert retriever.reranker.seen == [2]
    assert passages[0].rerank_score == top
    assert [p.chunk.id for p in passages[2:]] == [p.chunk.id for p in fused[2:5]]
    assert all(p.rerank_score is None for p in passages[2:])
    retriever.reranker.seen.clear()  # just above it: every passage of rerank_depth is scored
    late = retriever.search(
        QUESTION, 5, SearchOptions.of(replace(settings, rerank_exit_score=top + 1))
    )
    assert retriever.reranker.seen == [2, 3]
    whole = retriever.search(QUESTION, 5, SearchOptions.of(SETTINGS))  # off: one batch
    assert [(p.chunk.id, p.rerank_score) for p in late] == [
        (p.chunk.id, p.rerank_score) for p in whole
    ]
    retriever.reranker.seen.clear()  # no exit: one batch
    retriever.search(QUESTION, 5, SearchOptions.of(replace(settings, rerank_exit_score=math.inf)))
    assert retriever.reranker.seen == [5]
    retriever.reranker.seen.clear()  # the reader's passages (read_depth + 1) are always scored
    retriever.search(QUESTION, 5, SearchOptions.of(replace(settings, read_depth=3)))
    assert retriever.reranker.seen == [4]


def test_only_the_rerank_depth_is_reranked_and_the_rest_follow_in_fused_order(
    retriever: Retriever,
) -> None:
    """The cross-encoder is most of a call's cost: with rerank_depth below k it scores that
    many fused passages, and the passages below follow unscored in their fused order."""
    settings = Settings(candidates=10, rerank_depth=2)
    fused = retriever.hybrid(QUESTION, settings.candidates, settings.rrf_k)
    passages = retriever.search(QUESTION, 5, SearchOptions.of(settings))
    assert retriever.reranker.seen == [2]
    assert {p.chunk.id for p in passages[:2]} == {p.chunk.id for p in fused[:2]}
    assert all(p.rerank_score is not None for p in passages[:2])
    assert passages[0].rerank_score >= passages[1].rerank_score
    assert [p.chunk.id for p in passages[2:]] == [p.chunk.id for p in fused[2:5]]
    assert all(p.rerank_score is None for p in passages[2:])


def test_a_passage_knows_whether_it_opens_its_article(retriever: Retriever) -> None:
    """The headline test (qa.reading.neural.is_headline) needs the article's opening ¶, which
    only the retriever's documents know."""
    passages = retriever.search("Is China distancing itself from Russia?", 10)
    opening = [p for p in passages if p.opens_article]
    assert opening and all(p.chunk.paragraph == 1 for p in opening)
    assert all(not p.opens_article for p in passages if p.chunk.paragraph != 1)


def test_the_opening_paragraph_after_boilerplate_opens_the_article(fake_embedder) -> None:
    text = "Advertisement\n\nHarbour reopens after storm\n\nThe harbour reopened on Monday."
    retriever = retriever_over(make_document("harbour.txt", text), fake_embedder, None)
    passages = retriever.search("When did the harbour reopen?", 5)
    assert {p.chunk.paragraph: p.opens_article for p in passages} == {2: True, 3: False}


def test_retriever_scores_per_stage(retriever: Retriever) -> None:
    passages = retriever.hybrid(QUESTION, SETTINGS.candidates, SETTINGS.rrf_k)
    rows = [p.chunk.id for p in passages]
    assert len(rows) == len(set(rows)) <= 2 * SETTINGS.candidates
    dense = dict(retriever.vectors.search(retriever.embedder.embed([QUESTION])[0], 10))
    bm25 = dict(retriever.bm25.search(QUESTION, 10))
    fused = reciprocal_rank_fusion([list(dense), list(bm25)], SETTINGS.rrf_k)
    assert {p.chunk.id for p in passages} == set(dense) | set(bm25)
    assert len(dense) == SETTINGS.candidates < len(retriever.chunks)
    for p in passages:
        for got, hits in ((p.dense_score, dense), (p.bm25_score, bm25)):
            if p.chunk.id in hits:
                assert got == pytest.approx(hits[p.chunk.id])
            else:
                assert got is None  # no score from a stage that did not find it
        assert p.fused_score == pytest.approx(fused[p.chunk.id])
        assert p.rerank_score is None
    assert [p.fused_score for p in passages] == sorted(
        (p.fused_score for p in passages), reverse=True
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_retriever_variants(retriever: Retriever, variant: str) -> None:
    passages = retriever.search(QUESTION, 3, SearchOptions.of(SETTINGS.replace(retrieval=variant)))
    assert 0 < len(passages) <= 3
    if variant == "dense":
        assert all(p.bm25_score is None and p.dense_score is not None for p in passages)
    if variant == "bm25":
        assert all(p.dense_score is None and p.bm25_score is not None for p in passages)
    assert all((p.rerank_score is not None) == (variant == "hybrid+rerank") for p in passages)


def test_retriever_rejects_unknown_variant(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="retrieval must be one of"):
        retriever.search(QUESTION, 3, SearchOptions.of(SETTINGS.replace(retrieval="magic")))


def test_retriever_k_larger_than_corpus(fake_embedder) -> None:
    document = make_document("d.txt", "Title\n\nOne paragraph about grain.\n\nAnother on talks.")
    retriever = retriever_over(document, fake_embedder, OverlapScorer(), size=800)
    passages = retriever.search("grain", 50, SearchOptions.of(Settings()))
    assert sorted(p.chunk.id for p in passages) == [0, 1, 2]
    assert passages[0].chunk.paragraph == 2


# --- prefer_article (a follow-up stays on its conversation's article) ----------------------


def _scored(doc_id: str, score: float | None):
    from qa.types import Chunk, Passage

    chunk = Chunk(0, doc_id, 1, 0, 1, "x")
    return Passage(chunk, "x", 0, rerank_score=score, fused_score=0.01)


def test_prefer_article_keeps_the_conversation_unless_clearly_beaten() -> None:
    from qa.retrieval.hybrid import prefer_article

    local, elsewhere = [_scored("a.txt", 4.0)], [_scored("b.txt", 5.5)]
    assert prefer_article(local, elsewhere, 2.0) == local  # 1.5 better: not enough
    assert prefer_article(local, [_scored("b.txt", 6.5)], 2.0)[0].chunk.doc_id == "b.txt"
    assert prefer_article([], elsewhere, 2.0) == elsewhere
    assert prefer_article(local, [], 2.0) == local
    unranked = [_scored("b.txt", None)]  # no reranker: the corpus-wide ranking stands
    assert prefer_article(local, unranked, 2.0) == unranked
