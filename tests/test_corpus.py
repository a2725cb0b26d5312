"""Many articles: incremental indexing, article filters and article-aware citations (no models)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from qa.documents import load_documents, make_document
from qa.indexing.bm25 import BM25Index
from qa.indexing.build import diff_files, open_index
from qa.indexing.folder import load_index
from qa.indexing.vectors.faiss_store import build_store
from qa.retrieval import SearchOptions
from qa.retrieval.hybrid import Retriever
from qa.settings import Settings
from qa.types import Answer, Citation

SETTINGS = Settings(chunk_size=300, chunk_overlap=50)

ARTICLES = {
    "grain.txt": "Grain deal ends\n\nRussia ended the Black Sea grain deal in July.\n\n"
    "Ukraine shipped wheat through the Danube instead.",
    "summit.txt": "Summit in Beijing\n\nXi Jinping met Vladimir Putin in Beijing.\n\n"
    "They signed twelve agreements on energy and trade.",
    "storm.txt": "Storm hits coast\n\nA storm flooded the harbour of Odesa overnight.\n\n"
    "Fishermen lost forty boats, the mayor said.",
}


class RecordingEmbedder(FakeEmbedder):
    """Remembers every text it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts, is_query=False):
        self.seen += list(texts)
        return super().embed(texts, is_query)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "news"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def _open(corpus: Path, index: Path, embedder, **settings):
    documents = load_documents(corpus)
    return open_index(documents, SETTINGS.replace(**settings), embedder, index)


# --- incremental indexing -------------------------------------------------------------


def test_diff_files() -> None:
    report = diff_files({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"})
    assert report.added == ("d",) and report.changed == ("b",)
    assert report.removed == ("c",) and report.kept == ("a",)


def test_changing_one_of_three_files_embeds_only_that_file(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    first, report = _open(folder, index, RecordingEmbedder())
    assert report.added == tuple(sorted(ARTICLES)) and report.embedded == len(first.chunks)

    (folder / "summit.txt").write_text(
        ARTICLES["summit.txt"] + "\n\nThe talks lasted two days.", encoding="utf-8"
    )
    embedder = RecordingEmbedder()
    second, report = _open(folder, index, embedder)
    assert report.changed == ("summit.txt",)
    assert report.kept == ("grain.txt", "storm.txt")
    summit = [c.text for c in second.chunks if c.doc_id == "summit.txt"]
    assert embedder.seen == summit  # nothing of the two unchanged files was embedded
    kept_chunks = [c for c in first.chunks if c.doc_id != "summit.txt"]
    assert report.embedded == len(summit) and report.reused == len(kept_chunks) > 0
    # The unchanged files keep their vectors exactly, under their new row numbers.
    old = {c.text: r for r, c in enumerate(first.chunks)}
    for row, chunk in enumerate(second.chunks):
        if chunk.doc_id != "summit.txt":
            np.testing.assert_array_equal(
                second.vectors.vectors(np.array([row])),
                first.vectors.vectors(np.array([old[chunk.text]])),
            )
    assert [c.id for c in second.chunks] == list(range(len(second.chunks)))
    # What is on disk is the updated index.
    assert load_index(index, second.manifest).chunks == second.chunks


def test_adding_and_removing_files(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    _open(folder, index, RecordingEmbedder())
    (folder / "storm.txt").unlink()
    (folder / "vote.txt").write_text("Vote counted\n\nTurnout was 61 percent.", encoding="utf-8")
    embedder = RecordingEmbedder()
    stored, report = _open(folder, index, embedder)
    assert report.added == ("vote.txt",) and report.removed == ("storm.txt",)
    assert report.kept == ("grain.txt", "summit.txt")
    assert embedder.seen == ["Vote counted", "Turnout was 61 percent."]
    assert {c.doc_id for c in stored.chunks} == {"grain.txt", "summit.txt", "vote.txt"}
    assert "added" in report.summary() and "1 removed" in report.summary()


def test_current_index_is_loaded_as_it_is(folder: Path, tmp_path: Path) -> None:
    _open(folder, tmp_path / "idx", RecordingEmbedder())
    embedder = RecordingEmbedder()
    _, report = _open(folder, tmp_path / "idx", embedder)
    assert report.loaded and embedder.seen == [] and "up to date" in report.summary()


def test_switching_to_hnsw_reuses_every_vector(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    flat, _ = _open(folder, index, RecordingEmbedder(), vector_index="flat")
    embedder = RecordingEmbedder()
    hnsw, report = _open(folder, index, embedder, vector_index="hnsw")
    assert embedder.seen == [] and report.reused == len(flat.chunks)
    assert hnsw.vectors.kind == "hnsw" and hnsw.manifest.vector_kind == "hnsw"
    assert load_index(index, hnsw.manifest).vectors.kind == "hnsw"


def test_auto_chooses_by_size(folder: Path, tmp_path: Path) -> None:
    small, _ = _open(folder, tmp_path / "a", RecordingEmbedder(), vector_index="auto")
    assert small.vectors.kind == "flat"
    big, _ = _open(folder, tmp_path / "b", RecordingEmbedder(), approximate_above=2)
    assert big.vectors.kind == "hnsw"


# --- filtering by article, before ranking ---------------------------------------------


@pytest.fixture
def retriever() -> Retriever:
    from qa.documents.chunking import chunk_documents, make_splitter

    documents = [make_document(name, text) for name, text in ARTICLES.items()]
    chunks = chunk_documents(documents, make_splitter(300, 50))
    embedder = FakeEmbedder()
    return Retriever(
        documents={d.id: d for d in documents},
        chunks=chunks,
        vectors=build_store(embedder.embed([c.text for c in chunks])),
        embedder=embedder,
        bm25=BM25Index([c.text for c in chunks]),
        reranker=None,
    )


def test_doc_filter_returns_only_that_article(retriever: Retriever) -> None:
    question = "Who ended the Black Sea grain deal?"
    everywhere = retriever.search(question, 3, SearchOptions.of(SETTINGS))
    assert everywhere[0].chunk.doc_id == "grain.txt"
    only = retriever.search(question, 3, SearchOptions.of(SETTINGS), doc_ids=["storm.txt"])
    assert only and {p.chunk.doc_id for p in only} == {"storm.txt"}
    assert only[0].title == "Storm hits coast"


def test_doc_filter_applies_before_the_candidate_cut(retriever: Retriever) -> None:
    """With one candidate per ranker, filtering after ranking would leave nothing."""
    settings = SETTINGS.replace(candidates=1)
    hits = retriever.search(
        "grain deal Black Sea", 2, SearchOptions.of(settings), doc_ids=["summit.txt"]
    )
    assert hits and all(p.chunk.doc_id == "summit.txt" for p in hits)


def test_unknown_article_is_a_clear_error(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match=r"no such article.*'nope\.txt'") as info:
        retriever.search("grain", 3, SearchOptions.of(SETTINGS), doc_ids=["nope.txt"])
    # the message names the articles there, so the next try can be right (issue 18)
    held = sorted(retriever.documents)
    assert f"the index holds {len(held)}: " in str(info.value)
    assert all(repr(name) in str(info.value) for name in held)


# --- article-aware citations ------------------------------------------------------------


def test_citation_label_names_the_article_when_asked() -> None:
    citation = Citation("grain.txt", 4, "text", title="Grain deal ends")
    assert str(citation) == citation.label() == "[¶4]"
    assert citation.label(with_title=True) == "[Grain deal ends ¶4]"
    long = Citation("x.txt", 2, "t", title="A" * 80)
    assert long.label(True) == f"[{'A' * 59}… ¶2]"
    assert Citation("x.txt", 2, "t").label(True) == "[x.txt ¶2]"  # no title: the file


def test_answer_names_the_article_only_in_a_multi_article_corpus() -> None:
    citation = Citation("grain.txt", 2, "Russia ended the deal.", 0, 6, title="Grain deal ends")
    one = Answer("Who?", "Russia", False, 0.9, (citation,))
    assert str(one) == "Russia [¶2]"
    many = Answer("Who?", "Russia", False, 0.9, (citation,), multi_article=True)
    assert str(many) == "Russia [Grain deal ends ¶2]"
    assert many.to_dict()["citations"][0]["title"] == "Grain deal ends"


# --- Milvus as the vector store: the same lifecycle as the FAISS files -------------------


@pytest.fixture(params=["lite", "server"])
def milvus_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A Milvus Lite file, then the session's real Milvus server (tests/milvus_server.py)."""
    if request.param == "server":
        return request.getfixturevalue("milvus_server_uri")
    pytest.importorskip("milvus_lite", reason="milvus-lite not installed (extra: milvus)")
    return str(tmp_path / "vectors.db")


def test_milvus_store_builds_updates_reloads_and_answers(
    folder: Path, tmp_path: Path, milvus_uri: str
) -> None:
    settings = {"vector_store": "milvus", "milvus_uri": milvus_uri}
    index = tmp_path / "idx"
    first, _ = _open(folder, index, RecordingEmbedder(), **settings)
    assert first.vectors.kind == "milvus" and first.manifest.vector_kind == "milvus"
    assert (index / "milvus.json").exists() and not (index / "faiss.index").exists()

    embedder = RecordingEmbedder()
    again, report = _open(folder, index, embedder, **settings)
    assert report.loaded and embedder.seen == [] and len(again.vectors) == len(first.chunks)

    (folder / "storm.txt").write_text(ARTICLES["storm.txt"] + "\n\nRain continued.", "utf-8")
    embedder = RecordingEmbedder()
    updated, report = _open(folder, index, embedder, **settings)
    assert report.changed == ("storm.txt",)
    assert all(t in ARTICLES["storm.txt"] + "\n\nRain continued." for t in embedder.seen)
    old_collection = again.vectors.collection
    assert not updated.vectors.client.has_collection(old_collection)  # the replaced one went

    documents = load_documents(folder)
    retriever = Retriever(
        documents={d.id: d for d in documents},
        chunks=updated.chunks,
        vectors=updated.vectors,
        embedder=FakeEmbedder(),
        bm25=updated.bm25,
        reranker=None,
    )
    hits = retriever.search("Who ended the Black Sea grain deal?", 2, SearchOptions.of(SETTINGS))
    assert hits[0].chunk.doc_id == "grain.txt"
    only = retriever.search("grain deal", 2, SearchOptions.of(SETTINGS), doc_ids=["summit.txt"])
    assert {p.chunk.doc_id for p in only} == {"summit.txt"}
    updated.vectors.drop()  # the server outlives the test


def test_milvus_needs_a_uri() -> None:
    from qa.settings import validate_settings

    with pytest.raises(ValueError, match="milvus_uri"):
        validate_settings(Settings(vector_store="milvus"))
