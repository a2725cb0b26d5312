"""The loaded models every pipeline over them shares, and the readers built over them."""

from __future__ import annotations

import threading

from qa.reading.baselines.readers import SentenceReader, SpanReader
from qa.reading.candidates import Reader
from qa.reading.span_models import SpanModel
from qa.retrieval.embedders import Embedder, load_embedder
from qa.retrieval.rerankers import Scorer, load_cross_encoder
from qa.settings import Settings


class Models:
    """The embedder, the cross-encoder and the span models (loaded on first use), with the
    lock their tokenizers need (they are not safe to call from several threads at once)."""

    def __init__(self, embedder: Embedder, scorer: Scorer, onnx_threads: int = 0) -> None:
        self.embedder = embedder
        self.scorer = scorer
        self.onnx_threads = onnx_threads
        self.span_models: dict[str, SpanModel] = {}
        self.lock = threading.RLock()

    @classmethod
    def load(cls, settings: Settings) -> Models:
        """The models ``settings`` name (the neural reader's on first use)."""
        threads = settings.onnx_threads
        embedder = load_embedder(settings.embedding_model, settings.embed_batch_size, threads)
        return cls(embedder, load_cross_encoder(settings.reranker_model, threads), threads)

    def span_model(self, name: str) -> SpanModel:
        """The neural reader's model ``name``, loaded on first use."""
        if name not in self.span_models:
            from qa.reading import load_span_model

            self.span_models[name] = load_span_model(name, self.onnx_threads)
        return self.span_models[name]

    def reader(self, settings: Settings) -> Reader:
        """The reader ``settings`` name, built with its parameters (depth, threshold): cheap,
        as it only wraps the loaded models."""
        threshold = settings.abstain_threshold
        if settings.reader == "sentence":  # the choice was checked by validate_settings
            return SentenceReader(self.scorer, abstain_threshold=threshold)
        if settings.reader == "span":
            return SpanReader(self.scorer, abstain_threshold=threshold)
        from qa.reading import NeuralReader

        model = self.span_model(settings.reader_model)
        if one_pass(settings) and not model.has_relevance:
            raise ValueError(
                f"retrieval='hybrid+reader' needs a reader with a relevance head "
                f"(train.model's reader-ranker); {settings.reader_model} has none: use "
                f"retrieval='hybrid+rerank'"
            )
        depth = settings.rerank_depth if one_pass(settings) else settings.read_depth
        return NeuralReader(
            model,
            depth=depth,
            abstain_threshold=threshold,
            retrieval=settings.retrieval,
            headline_words=0 if one_pass(settings) else settings.headline_max_words,
        )


def one_pass(settings: Settings) -> bool:
    """The reader-ranker reads the fused passages and ranks them itself: no separate rerank."""
    return settings.retrieval == "hybrid+reader"


def search_depth(settings: Settings) -> int:
    """Passages to retrieve before reading: the rerank depth in one pass (the reader ranks
    them itself), else the k the cross-encoder's ranking keeps."""
    return max(settings.k, settings.rerank_depth) if one_pass(settings) else settings.k
