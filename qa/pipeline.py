"""The question-answering pipeline and the public ``answer()`` / ``search()`` functions."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from qa.compose import compose_answer
from qa.documents import load_documents
from qa.embedding import Embedder, load_embedder
from qa.followup import resolve_history, resolve_next
from qa.indexing import IndexReport, build_index, open_index
from qa.nlp import ParseCache, using
from qa.reader import Reader, SentenceReader, SpanReader
from qa.rerank import load_cross_encoder
from qa.retrieval import Retriever, prefer_article
from qa.settings import Settings
from qa.span_models import SpanModel
from qa.store import StoredIndex
from qa.types import Answer, Document, Passage
from qa.validation import (
    validate_doc_ids,
    validate_history,
    validate_k,
    validate_question,
    validate_settings,
)

# Settings that change the index or the models; the others may vary per call.
PIPELINE_FIELDS = (
    "corpus_dir",
    "index_dir",
    "embedding_model",
    "reranker_model",
    "chunk_size",
    "chunk_overlap",
    "onnx_threads",
    "vector_index",
    "approximate_above",
    "vector_store",
    "milvus_uri",
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
        embedder = load_embedder(
            settings.embedding_model, settings.embed_batch_size, settings.onnx_threads
        )
        if persist:
            folder = settings.resolved_index_dir
            index, self.index_report = open_index(
                documents, settings, embedder, folder, progress, rebuild
            )
        else:
            index, self.index_report = build_index(documents, settings, embedder, progress)
        self.scorer = load_cross_encoder(settings.reranker_model, settings.onnx_threads)
        self.readers: dict[str, Reader] = {
            "sentence": SentenceReader(self.scorer),
            "span": SpanReader(self.scorer),
        }
        self._span_models: dict[str, SpanModel] = {}
        # The models' tokenizers are not safe to call from several threads at once.
        self._lock = threading.RLock()
        self.parse_cache = ParseCache()  # this corpus's paragraphs, parsed (qa.nlp)
        self._attach(index, embedder)

    def _attach(self, index: StoredIndex, embedder: Embedder) -> None:
        self.manifest = index.manifest
        self.index = index
        self.retriever = Retriever(
            documents=self.documents,
            chunks=index.chunks,
            vectors=index.vectors,
            embedder=embedder,
            bm25=index.bm25,
            reranker=self.scorer,
        )

    def index_documents(self, documents: Sequence[Document]) -> StoredIndex:
        """An in-memory index of ``documents`` made with this pipeline's embedder."""
        with self._lock:
            index, _ = build_index(documents, self.settings, self.retriever.embedder)
        return index

    def with_documents(
        self, documents: Sequence[Document], index: StoredIndex | None = None
    ) -> Pipeline:
        """A pipeline over other documents (a user's own article) that shares this one's
        models and lock: nothing is loaded, only ``documents`` indexed (unless ``index``,
        from ``index_documents``, is given)."""
        derived = object.__new__(Pipeline)
        derived.settings = self.settings
        derived.documents = {doc.id: doc for doc in documents}
        derived.index_report = IndexReport(added=tuple(derived.documents))
        derived.scorer = self.scorer
        derived.readers = self.readers
        derived._span_models = self._span_models
        derived._lock = self._lock
        derived.parse_cache = ParseCache()  # its own: user text never enters the corpus's
        derived._attach(index or self.index_documents(documents), self.retriever.embedder)
        return derived

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

    def _stay_on_article(
        self, question: str, earlier: list[str], passages: list[Passage], settings: Settings
    ) -> list[Passage]:
        """A follow-up ("When?", "Who fired first?") rarely names its article: keep it on the
        article its conversation is about (the best match for its resolved earlier questions
        together) unless the corpus has a clearly better passage elsewhere."""
        found = self.retriever.search(" ".join(earlier), 1, settings)
        if not found or (passages and passages[0].chunk.doc_id == found[0].chunk.doc_id):
            return passages
        local = self.retriever.search(question, settings.k, settings, [found[0].chunk.doc_id])
        return prefer_article(local, passages, settings.topic_margin)

    def per_call(self, overrides: dict[str, Any]) -> Settings:
        """This pipeline's settings with per-call changes; index and model fields are fixed."""
        if not overrides:
            return self.settings
        settings = self.settings.replace(**overrides)
        fixed = [f for f in PIPELINE_FIELDS if getattr(settings, f) != getattr(self.settings, f)]
        if fixed:
            raise ValueError(
                f"{', '.join(fixed)} cannot change per call; use get_pipeline(Settings(...))"
            )
        return validate_settings(settings)

    def search(
        self,
        question: str,
        k: int | None = None,
        *,
        doc_ids: Collection[str] | None = None,
        **overrides: Any,
    ) -> list[Passage]:
        """The k best passages for ``question`` (default ``settings.k``), from the articles
        ``doc_ids`` only when given."""
        settings = self.per_call(overrides)
        question = validate_question(question, settings.max_question_chars)
        k = validate_k(settings.k if k is None else k)
        doc_ids = validate_doc_ids(doc_ids)
        with self._lock:
            return self.retriever.search(question, k, settings, doc_ids)

    def answer(
        self,
        question: str,
        history: Sequence[str] | None = None,
        *,
        doc_ids: Collection[str] | None = None,
        **overrides: Any,
    ) -> Answer:
        """Answer ``question``; ``history`` holds the earlier user questions, oldest first;
        ``doc_ids`` restricts the answer to those articles (ids as in ``documents``)."""
        settings = self.per_call(overrides)
        question = validate_question(question, settings.max_question_chars)
        turns = validate_history(history, settings.max_question_chars)
        validate_k(settings.k)
        doc_ids = validate_doc_ids(doc_ids)
        with self._lock, using(self.parse_cache):
            result = self._answer(question, turns[-settings.max_history_turns :], settings, doc_ids)
        return replace(result, multi_article=len(self.documents) > 1)

    def _answer(
        self,
        question: str,
        history: list[str],
        settings: Settings,
        doc_ids: Collection[str] | None = None,
    ) -> Answer:
        def answer_of(earlier: str) -> str:  # a pronoun's referent: an earlier turn's answer
            return self._answer(earlier, [], settings, doc_ids).text

        # Earlier turns are resolved once: resolving can answer them again (pronoun referents).
        earlier = resolve_history(history, answer_of)
        resolved = resolve_next(question, earlier, answer_of) if history else question
        passages = self.retriever.search(resolved, settings.k, settings, doc_ids)
        if earlier and doc_ids is None and len(self.documents) > 1:
            passages = self._stay_on_article(resolved, earlier, passages, settings)
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
    base = Settings(**{name: getattr(settings, name) for name in PIPELINE_FIELDS})
    key = tuple(getattr(base, name) for name in PIPELINE_FIELDS)
    with _lock:
        if key not in _pipelines:
            _pipelines[key] = Pipeline.from_settings(base, **kwargs)
        pipeline = _pipelines[key]
    return pipeline
