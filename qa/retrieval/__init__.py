"""Retrieval: embedders, cross-encoder rerankers and the hybrid (dense + BM25) search."""
