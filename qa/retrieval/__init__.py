"""Retrieval: embedders, the cross-encoder reranker, and the hybrid search (dense + BM25
fused by RRF, then reranked) that returns cited passages.
"""

from qa.retrieval.embedders import (
    EMBEDDER_FORMAT,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
    normalize_rows,
)
from qa.retrieval.hybrid import (
    VARIANTS,
    Retriever,
    SearchOptions,
    prefer_article,
    reciprocal_rank_fusion,
)
from qa.retrieval.rerankers import (
    RERANKER_FORMAT,
    OnnxCrossEncoder,
    Scorer,
    load_cross_encoder,
)

__all__ = [
    "EMBEDDER_FORMAT",
    "RERANKER_FORMAT",
    "VARIANTS",
    "OnnxCrossEncoder",
    "OnnxEmbedder",
    "Retriever",
    "Scorer",
    "SearchOptions",
    "SentenceTransformerEmbedder",
    "load_cross_encoder",
    "load_embedder",
    "normalize_rows",
    "prefer_article",
    "reciprocal_rank_fusion",
]
