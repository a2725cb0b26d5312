"""Text embeddings: normalised float32 vectors, one row per text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

from qa.models import go_offline, resolve_model


class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray: ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows, so inner product equals cosine similarity; zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or path; loaded on first use."""

    def __init__(self, model_id: str, batch_size: int = 32, query_prefix: str = "") -> None:
        self.model_id = model_id
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self._model = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            go_offline()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar is noise here

            self._model = SentenceTransformer(resolve_model(self.model_id), device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        # Renamed in sentence-transformers 5.x; keep working on both sides of the rename.
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    def embed(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        prefix = self.query_prefix if is_query else ""
        vectors = self.model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalize_rows(vectors.reshape(len(texts), -1))
