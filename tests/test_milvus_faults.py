"""Faults on a real Milvus server (tests/milvus_server.py): down at start, gone mid-query
and back, a collection dropped behind the app's back, slow answers. Each is a clear error
naming the server, never a traceback, and the next call works once the fault is gone."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from qa.documents import load_documents
from qa.environment import Environment
from qa.indexing import open_index
from qa.indexing.vectors.milvus_calls import (
    CollectionMissing,
    VectorStoreUnavailable,
    safe_uri,
)
from qa.retrieval import SearchOptions
from qa.settings import Settings
from ui.app import respond
from ui.serve import free_port

ARTICLES = {
    "grain.txt": "Grain deal ends\n\nRussia ended the Black Sea grain deal on Monday.\n",
    "storm.txt": "Storm hits coast\n\nA storm closed the port of Odesa for two days.\n",
}


def unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def settings_for(corpus: Path, uri: str) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=corpus.parent / "index",
        chunk_size=300,
        chunk_overlap=50,
        vector_store="milvus",
        milvus_uri=uri,
    )


def test_timeout_setting_and_messages_without_credentials() -> None:
    assert Environment.read({}).milvus_timeout == 10.0
    assert Environment.read({"MILVUS_TIMEOUT": "2.5"}).milvus_timeout == 2.5
    for bad in ("soon", "0", "-1", "99999"):
        with pytest.raises(ValueError, match="MILVUS_TIMEOUT must be seconds"):
            Environment.read({"MILVUS_TIMEOUT": bad})
    assert safe_uri("https://user:secret@milvus:19530") == "https://milvus:19530"


def test_server_down_at_start_is_a_clear_error_before_any_embedding(corpus, fake_embedder):
    uri = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    settings = settings_for(corpus, uri)
    with pytest.raises(VectorStoreUnavailable, match=rf"cannot reach Milvus at {uri}"):
        open_index(load_documents(corpus), settings, fake_embedder, settings.resolved_index_dir)
    assert fake_embedder.texts == 0, "failed before embedding anything"


def test_cli_names_the_server_without_a_traceback(corpus, capsys, monkeypatch) -> None:
    from qa import cli, pipeline

    uri = f"http://127.0.0.1:{free_port()}"

    def unreachable(*args, **kwargs):  # the models need not load to meet the real error
        from qa.indexing.vectors.milvus_calls import check_reachable

        check_reachable(uri)

    monkeypatch.setattr(pipeline.Pipeline, "from_settings", unreachable)
    code = cli.main(
        ["--corpus", str(corpus), "--vector-store", "milvus", "--milvus-uri", uri, "index"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot reach Milvus at {uri}" in err and "Traceback" not in err


def test_server_gone_mid_query_then_back(milvus_relay) -> None:
    from qa.indexing.vectors.milvus_store import MilvusStore

    vectors = unit(50)
    store = MilvusStore(milvus_relay.uri, f"f_{uuid.uuid4().hex[:12]}", 16, timeout=5)
    try:
        store.add(vectors)
        assert store.search(vectors[3], 1)[0][0] == 3
        milvus_relay.cut()
        with pytest.raises(VectorStoreUnavailable, match=milvus_relay.uri):
            store.search(vectors[3], 1)
        milvus_relay.restore()
        assert store.search(vectors[4], 1)[0][0] == 4, "the next query works once it is back"
    finally:
        store.drop()
        store.close()


def test_ui_reply_when_the_server_goes_away(milvus_relay, caplog) -> None:
    """respond() on a real failure: an error message in the chat, no traceback in it or in
    the log, the question kept in the box to ask again."""
    from qa.indexing.vectors.milvus_store import MilvusStore

    store = MilvusStore(milvus_relay.uri, f"f_{uuid.uuid4().hex[:12]}", 16, timeout=5)

    class Serving:  # asks the real store, as the pipeline's dense search does
        documents: ClassVar[dict] = {}

        def answer(self, *args, **kwargs):
            return store.search(unit(1)[0], 5)

    try:
        milvus_relay.cut()
        with caplog.at_level(logging.WARNING):
            box, chat, history, _, _ = respond("Who ended the deal?", [], [], pool=Serving())
        assert box == "Who ended the deal?" and history == []
        assert f"Milvus at {milvus_relay.uri}" in chat[-1]["content"]
        assert "Traceback" not in chat[-1]["content"] + caplog.text
    finally:
        milvus_relay.restore()
        drop_when_back(store)


def drop_when_back(store, tries: int = 10) -> None:
    """Drops the test's collection once the restored relay lets the client through again
    (on a loaded machine the first call after a restore may still be refused)."""
    from qa.indexing import VectorStoreUnavailable

    for attempt in range(tries):
        try:
            store.drop()
            break
        except VectorStoreUnavailable:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
    store.close()


def test_slow_server_times_out_then_recovers(milvus_relay) -> None:
    from qa.indexing.vectors.milvus_store import MilvusStore

    vectors = unit(20, seed=1)
    store = MilvusStore(milvus_relay.uri, f"f_{uuid.uuid4().hex[:12]}", 16, timeout=1)
    try:
        store.add(vectors)  # creating and filling wait longer (BUILD_TIMEOUT_S)
        milvus_relay.delay = 1.5
        with pytest.raises(VectorStoreUnavailable, match=r"did not answer within 1 s"):
            store.search(vectors[0], 1)
        milvus_relay.delay = 0.0
        assert store.search(vectors[5], 1)[0][0] == 5
    finally:
        milvus_relay.delay = 0.0
        store.drop()
        store.close()


def test_collection_dropped_behind_the_apps_back(corpus, fake_embedder, milvus_server_uri, caplog):
    """Serving: a clear error naming the fix. Opening again (qa index, a restart): detected
    and rebuilt."""
    from qa.retrieval import Retriever

    settings = settings_for(corpus, milvus_server_uri)
    documents = load_documents(corpus)
    folder = settings.resolved_index_dir
    index, _ = open_index(documents, settings, fake_embedder, folder)
    index.vectors.client.drop_collection(index.vectors.collection)  # as an operator would
    retriever = Retriever(
        documents={d.id: d for d in documents},
        chunks=index.chunks,
        vectors=index.vectors,
        embedder=fake_embedder,
        bm25=index.bm25,
        reranker=None,
    )
    with pytest.raises(CollectionMissing, match=r"is gone from .*qa index --rebuild"):
        retriever.search("Who ended the grain deal?", 2, SearchOptions.of(settings))
    with caplog.at_level(logging.WARNING):
        rebuilt, report = open_index(documents, settings, fake_embedder, folder)
    assert "rebuilding" in caplog.text and report.embedded == len(rebuilt.chunks)
    assert rebuilt.vectors.collection != index.vectors.collection
    assert len(rebuilt.vectors) == len(rebuilt.chunks)
    rebuilt.vectors.drop()
