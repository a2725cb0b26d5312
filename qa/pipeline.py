"""The question-answering pipeline: loaded models and one corpus's index, asked per call."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from qa.answering.answer_referent import answer_mention
from qa.answering.compose import Composer, nearest_paragraphs
from qa.answering.followup import Turn, resolve_conversation
from qa.answering.gist import gist_answer
from qa.answering.kind_answers import FormRules
from qa.answering.kinds import question_kind
from qa.answering.referents import Mention, Names, conversation_names
from qa.bundle import Models, one_pass, search_depth
from qa.documents import load_documents
from qa.indexing.build import IndexReport, build_index, open_corpus_index
from qa.indexing.folder import StoredIndex
from qa.indexing.refresh import IndexWatch, load_current
from qa.indexing.vectors.milvus_calls import CollectionMissing
from qa.reading.candidates import Reader, Reading
from qa.reading.nlp import ParseCache, using
from qa.retrieval.hybrid import Retriever, SearchOptions, prefer_article
from qa.settings import INDEX_FIELDS, Settings, validate_settings
from qa.types import Answer, Document, Passage
from qa.validation import validate_doc_ids, validate_history, validate_k, validate_question

T = TypeVar("T")


class Pipeline:
    """Documents, index, retriever and reader for one corpus, built from its parts."""

    def __init__(
        self,
        documents: Sequence[Document],
        settings: Settings | None = None,
        *,
        persist: bool = True,
        progress: bool = False,
        rebuild: bool = False,
        models: Models | None = None,
    ) -> None:
        settings = validate_settings(settings or Settings())
        models = models or Models.load(settings)
        index, report = open_corpus_index(
            documents,
            settings,
            models.embedder,
            persist=persist,
            progress=progress,
            rebuild=rebuild,
        )
        self._assemble(models, documents, index, report, settings)
        # A persisted index is followed: another process may replace it (qa.indexing.refresh).
        self._watch = IndexWatch(settings.resolved_index_dir) if persist else None

    def _assemble(
        self,
        models: Models,
        documents: Sequence[Document],
        index: StoredIndex,
        report: IndexReport,
        settings: Settings,
    ) -> None:
        self.models = models
        self.settings = settings
        self._watch: IndexWatch | None = None  # in-memory indexes have nothing to follow
        # Its own parses (qa.reading.nlp): a user's article never enters another's cache.
        self.parse_cache = ParseCache()
        self.documents = {doc.id: doc for doc in documents}
        self.index_report = report
        self.manifest = index.manifest
        self.index = index
        self._lock = models.lock
        self.retriever = Retriever(
            documents=self.documents,
            chunks=index.chunks,
            vectors=index.vectors,
            embedder=models.embedder,
            bm25=index.bm25,
            reranker=models.scorer,
        )

    @classmethod
    def from_parts(
        cls,
        models: Models,
        documents: Sequence[Document],
        index: StoredIndex,
        settings: Settings,
        report: IndexReport | None = None,
    ) -> Pipeline:
        """A pipeline over loaded models and a built index: nothing is loaded or indexed."""
        pipeline = cls.__new__(cls)
        report = report or IndexReport(added=tuple(doc.id for doc in documents))
        pipeline._assemble(models, documents, index, report, validate_settings(settings))
        return pipeline

    def with_settings(self, settings: Settings) -> Pipeline:
        """This pipeline's models and index, answering with other per-call defaults."""
        changed = [f for f in INDEX_FIELDS if getattr(settings, f) != getattr(self.settings, f)]
        if changed:
            raise ValueError(f"{', '.join(changed)} need another pipeline (get_pipeline)")
        documents = list(self.documents.values())
        view = Pipeline.from_parts(self.models, documents, self.index, settings, self.index_report)
        view._watch = self._watch  # a view follows the same folder's replacements
        return view

    def index_documents(self, documents: Sequence[Document]) -> StoredIndex:
        """An in-memory index of ``documents`` (a user's own article) with this pipeline's
        embedder; its vectors stay in memory whatever ``vector_store`` says."""
        with self._lock:
            index, _ = build_index(documents, self.settings, self.models.embedder)
        return index

    def with_documents(
        self, documents: Sequence[Document], index: StoredIndex | None = None
    ) -> Pipeline:
        """A pipeline over other documents (a user's own article) that shares this one's
        models and settings: only ``documents`` are indexed (unless ``index``, from
        ``index_documents``, is given)."""
        index = index or self.index_documents(documents)
        return Pipeline.from_parts(self.models, documents, index, self.settings)

    def follow_index(self, force: bool = False) -> bool:
        """Switch to the index on disk if another process replaced it (checked cheaply on
        every request; ``force`` reads the manifest even if its stat looks unchanged).
        True when it switched. Call with the lock held."""
        newer = self._watch.newer(self.manifest, force) if self._watch else None
        if newer is None or self._watch is None:
            return False
        loaded = load_current(self._watch.folder, self.settings, self.models.embedder)
        if loaded is None:
            return False
        documents, index = loaded
        old, watch = self.index.vectors, self._watch
        self._assemble(self.models, documents, index, IndexReport(), self.settings)
        self._watch = watch
        if hasattr(old, "close"):
            old.close()  # a Milvus client; its collection is the writer's to drop
        return True

    def _current(self, work):
        """``work()`` on the current index; once more after switching, if the collection it
        used was dropped by the writer of a newer one (the swap comes before the drop)."""
        self.follow_index()
        try:
            return work()
        except CollectionMissing:
            if not self.follow_index(force=True):
                raise
            return work()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> Pipeline:
        settings = settings or Settings()
        return cls(load_documents(settings.corpus_dir), settings, **kwargs)

    def reader(self, settings: Settings | None = None) -> Reader:
        """The reader ``settings`` (default: this pipeline's) name."""
        return self.models.reader(settings or self.settings)

    def _stay_on_article(
        self, question: str, earlier: list[str], passages: list[Passage], settings: Settings
    ) -> list[Passage]:
        """A follow-up ("When?", "Who fired first?") rarely names its article: keep it on the
        article its conversation is about (the best match for its resolved earlier questions
        together) unless the corpus has a clearly better passage elsewhere."""
        found = self.retriever.search(" ".join(earlier), 1, SearchOptions.of(settings))
        if not found:
            return passages
        # Even when the best passage is the article's own, the others' stay out: the reader
        # ranks spans mostly by their own probability, and another article's answer to the
        # same vague question ("Friday" for Izmail's port) may read as well as this one's.
        options, article = SearchOptions.of(settings), [found[0].chunk.doc_id]
        local = self.retriever.search(question, settings.k, options, article)
        return prefer_article(local, passages, settings.topic_margin)

    def per_call(self, overrides: dict[str, Any]) -> Settings:
        """This pipeline's settings with per-call changes; index and model fields are fixed."""
        if not overrides:
            return self.settings
        settings = self.settings.replace(**overrides)
        fixed = [f for f in INDEX_FIELDS if getattr(settings, f) != getattr(self.settings, f)]
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
            options = SearchOptions.of(settings)
            return self._current(lambda: self.retriever.search(question, k, options, doc_ids))

    def answer(
        self,
        question: str,
        history: Sequence[str | Answer] | None = None,
        *,
        doc_ids: Collection[str] | None = None,
        **overrides: Any,
    ) -> Answer:
        """Answer ``question``; ``history`` holds the earlier turns, oldest first: the user's
        questions, or the Answers they got (then they are not answered again); ``doc_ids``
        restricts the answer to those articles (ids as in ``documents``)."""
        settings = self.per_call(overrides)
        question = validate_question(question, settings.max_question_chars)
        turns = validate_history(history, settings.max_question_chars)
        validate_k(settings.k)
        doc_ids = validate_doc_ids(doc_ids)
        earlier = recent_turns(turns, settings.max_history_turns)
        with self._lock, using(self.parse_cache):
            return self._current(lambda: self._answer(question, earlier, settings, doc_ids))

    def _answer(
        self,
        question: str,
        history: Sequence[str | Answer],
        settings: Settings,
        doc_ids: Collection[str] | None = None,
    ) -> Answer:
        names = conversation_names(self._scope(doc_ids)) if history else Names()
        given = {i: turn for i, turn in enumerate(history) if isinstance(turn, Answer)}

        def answer_of(turn: Turn) -> Mention | None:  # a pronoun's referent: an earlier answer
            # An earlier Answer the caller holds is used as it is, not answered again.
            earlier = given.get(turn.index) or self._answer(turn.resolved, [], settings, doc_ids)
            return _answer_mention(earlier, names)

        asked = [t.resolved_question or t.question if isinstance(t, Answer) else t for t in history]
        earlier, resolved = resolve_conversation(asked, question, answer_of, names)
        depth = search_depth(settings)
        passages = self.retriever.search(resolved, depth, SearchOptions.of(settings), doc_ids)
        if earlier and doc_ids is None and len(self.documents) > 1:
            passages = self._stay_on_article(resolved, earlier, passages, settings)
        kind = question_kind(resolved) if settings.answer_forms else "factoid"
        if kind == "gist" and (document := self._gist_document(passages, doc_ids)):
            return gist_answer(
                question,
                resolved,
                document,
                settings.headline_max_words,
                nearest_paragraphs(passages[: settings.k]),
                len(self.documents) > 1,
            )
        reading, passages = self._read(resolved, passages, settings)
        composer = Composer(
            settings.max_alternatives,
            settings.conflict_ratio,
            len(self.documents) > 1,
            form_rules(settings),
        )
        return composer.compose(question, resolved, reading, passages, kind)

    def _read(
        self, question: str, passages: Sequence[Passage], settings: Settings
    ) -> tuple[Reading, Sequence[Passage]]:
        """The reading, and the passages as the answer cites them: in one pass ranked by the
        reader-ranker itself and cut to k, else as retrieval ranked them."""
        reader = self.reader(settings)
        if one_pass(settings):  # the neural reader-ranker (checked when it was built)
            reading, ranked = reader.ranked_reading(question, passages)  # type: ignore[attr-defined]
            return reading, ranked[: settings.k]
        return reader.reading(question, passages), passages

    def _gist_document(
        self, passages: Sequence[Passage], doc_ids: Collection[str] | None
    ) -> Document | None:
        """The article a gist question is about: the only one in scope, else the one its best
        passage is in (in a corpus, "what is this about?" means the article being read)."""
        scope = self._scope(doc_ids)
        if len(scope) == 1:
            return scope[0]
        return self.documents.get(passages[0].chunk.doc_id) if passages else None

    def _scope(self, doc_ids: Collection[str] | None) -> list[Document]:
        """The articles a conversation may be about: those asked of, else the whole corpus."""
        if doc_ids is None:
            return list(self.documents.values())
        return [self.documents[d] for d in doc_ids if d in self.documents]


def _answer_mention(answer: Answer, names: Names) -> Mention | None:
    if answer.abstained or not answer.citations:
        return None
    cited = answer.citations[0]
    if cited.start is None or cited.end is None:
        return None
    return answer_mention(answer.text, cited.text, cited.start, cited.end, names)


def form_rules(settings: Settings) -> FormRules:
    return FormRules(
        settings.form_max_sentences,
        settings.form_min_clause_words,
        settings.form_threshold,
        settings.headline_max_words,
    )


def recent_turns(turns: Sequence[T], limit: int) -> list[T]:
    """The last ``limit`` earlier turns (none at 0, not all)."""
    return list(turns[-limit:]) if limit else []
