"""The question-answering pipeline and the public ``answer()`` / ``search()`` functions."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

from qa.compose import compose_answer
from qa.documents import load_documents
from qa.embedding import SentenceTransformerEmbedder
from qa.followup import resolve
from qa.indexing import build_index, open_index
from qa.reader import Reader, SentenceReader, SpanReader
from qa.rerank import load_cross_encoder
from qa.retrieval import BM25Index, Retriever
from qa.settings import Settings
from qa.span_models import SpanModel
from qa.types import Answer, Document, Passage
from qa.validation import validate_history, validate_k, validate_question, validate_settings

# Settings that change the index or the models; the others may vary per call.
_PIPELINE_FIELDS = (
    "corpus_dir",
    "index_dir",
    "embedding_model",
    "reranker_model",
    "chunk_size",
    "chunk_overlap",
    "onnx_threads",
)


class Pipeline:
    """Documents, index, retriever and reader for one corpus."""

    def __init__(
        self,
        documents: Sequence[Document],
        settings: Settings | None = None,
        *,
        persist: bool = True,
        progress: bool = False,
        rebuild: bool = False,
    ) -> None:
        settings = validate_settings(settings or Settings())
        self.settings = settings
        self.documents = {doc.id: doc for doc in documents}
        embedder = SentenceTransformerEmbedder(settings.embedding_model, settings.embed_batch_size)
        if persist:
            folder = settings.resolved_index_dir
            index, chunks, self.manifest = open_index(
                documents, settings, embedder, folder, progress, rebuild
            )
        else:
            index, chunks, self.manifest = build_index(documents, settings, embedder, progress)
        self.scorer = load_cross_encoder(settings.reranker_model, settings.onnx_threads)
        self.retriever = Retriever(
            documents=self.documents,
            chunks=chunks,
            faiss_index=index,
            embedder=embedder,
            bm25=BM25Index([c.text for c in chunks]),
            reranker=self.scorer,
        )
        self.readers: dict[str, Reader] = {
            "sentence": SentenceReader(self.scorer),
            "span": SpanReader(self.scorer),
        }
        self._span_models: dict[str, SpanModel] = {}
        # The models' tokenizers are not safe to call from several threads at once.
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> Pipeline:
        settings = settings or Settings()
        return cls(load_documents(settings.corpus_dir), settings, **kwargs)

    def reader(self, settings: Settings) -> Reader:
        """The named reader; the neural one is loaded on first use (per model and depth)."""
        if settings.reader != "neural":  # the choice was checked by validate_settings
            return self.readers[settings.reader]
        key = f"neural:{settings.reader_model}:{settings.read_depth}"
        if key not in self.readers:
            from qa.neural_reader import NeuralReader
            from qa.span_models import load_span_model

            if settings.reader_model not in self._span_models:
                self._span_models[settings.reader_model] = load_span_model(
                    settings.reader_model, self.settings.onnx_threads
                )
            model = self._span_models[settings.reader_model]
            self.readers[key] = NeuralReader(model, depth=settings.read_depth)
        return self.readers[key]

    def per_call(self, overrides: dict[str, Any]) -> Settings:
        """This pipeline's settings with per-call changes; index and model fields are fixed."""
        if not overrides:
            return self.settings
        settings = self.settings.replace(**overrides)
        fixed = [f for f in _PIPELINE_FIELDS if getattr(settings, f) != getattr(self.settings, f)]
        if fixed:
            raise ValueError(
                f"{', '.join(fixed)} cannot change per call; use get_pipeline(Settings(...))"
            )
        return validate_settings(settings)

    def search(self, question: str, k: int | None = None, **overrides: Any) -> list[Passage]:
        """The k best passages for ``question`` (default ``settings.k``)."""
        settings = self.per_call(overrides)
        question = validate_question(question, settings.max_question_chars)
        k = validate_k(settings.k if k is None else k)
        with self._lock:
            return self.retriever.search(question, k, settings)

    def answer(
        self, question: str, history: Sequence[str] | None = None, **overrides: Any
    ) -> Answer:
        """Answer ``question``; ``history`` holds the earlier user questions, oldest first."""
        settings = self.per_call(overrides)
        question = validate_question(question, settings.max_question_chars)
        turns = validate_history(history, settings.max_question_chars)
        validate_k(settings.k)
        with self._lock:
            return self._answer(question, turns[-settings.max_history_turns :], settings)

    def _answer(self, question: str, history: list[str], settings: Settings) -> Answer:
        def answer_of(earlier: str) -> str:  # a pronoun's referent: an earlier turn's answer
            return self._answer(earlier, [], settings).text

        resolved = resolve(question, history, answer_of) if history else question
        passages = self.retriever.search(resolved, settings.k, settings)
        reader = self.reader(settings)
        candidates = reader.read(resolved, passages)
        confidence = reader.confidence(candidates)
        threshold = settings.abstain_threshold
        if threshold is None:
            threshold = reader.threshold
        return compose_answer(
            question, resolved, candidates, passages, settings, confidence, threshold
        )


_pipelines: dict[tuple, Pipeline] = {}
_lock = threading.Lock()


def get_pipeline(settings: Settings | None = None, **kwargs: Any) -> Pipeline:
    """A shared pipeline per corpus and model choice, built once (thread-safe).

    The pipeline keeps only the index and model fields of ``settings``; every other field
    is a per-call choice, so one caller's threshold never leaks into another's answers.
    """
    settings = validate_settings(settings or Settings())
    base = Settings(**{name: getattr(settings, name) for name in _PIPELINE_FIELDS})
    key = tuple(getattr(base, name) for name in _PIPELINE_FIELDS)
    with _lock:
        if key not in _pipelines:
            _pipelines[key] = Pipeline.from_settings(base, **kwargs)
        pipeline = _pipelines[key]
    return pipeline


def _split_overrides(overrides: dict[str, Any]) -> Settings:
    names = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}; see qa.Settings")
    return Settings().replace(**overrides)


def answer(question: str, history: Sequence[str] | None = None, **overrides: Any) -> Answer:
    """Answer ``question`` about the corpus (the seed article by default).

    ``history`` holds the earlier user questions, oldest first. Keyword overrides are
    Settings fields, e.g. ``answer(q, k=3)`` or ``answer(q, corpus_dir="articles/")``.
    """
    settings = _split_overrides(overrides)
    return get_pipeline(settings).answer(question, history, **_per_call(overrides))


def search(question: str, k: int | None = None, **overrides: Any) -> list[Passage]:
    """The k best passages for ``question``, each with its citation and stage scores."""
    settings = _split_overrides(overrides)
    return get_pipeline(settings).search(question, k, **_per_call(overrides))


def _per_call(overrides: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in overrides.items() if k not in _PIPELINE_FIELDS}
