"""One set of store tests for FaissStore (flat, hnsw) and MilvusStore (Milvus Lite, and a
real Milvus server: tests/milvus_server.py).

Milvus cases need pymilvus with milvus-lite (``pip install -e ".[milvus]"``), the server
cases the ``milvus`` package too (extra ``test``); each is skipped without them, with the
reason (an error in CI: QA_REQUIRE_MILVUS). Select them with ``-k milvus``. All Lite cases
share one ``.db`` per module, all server cases one server per session, one collection per
store. On the server a collection takes seconds to load and an insert seconds to flush, so
the read-only cases there share one filled store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.indexing.vectors.faiss_store import FaissStore, VectorStore, recall_at_k

KINDS = ["flat", "hnsw", "milvus", "milvus-server"]
DIM = 32
ROWS = 300

Factory = Callable[[int], Any]


def unit_vectors(rows: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray) -> list[int]:
    scores = vectors[rows] @ query
    return [int(rows[i]) for i in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture(scope="module")
def lite_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("pymilvus", reason="pymilvus not installed (extra: milvus)")
    pytest.importorskip("milvus_lite", reason="milvus-lite not installed (extra: milvus)")
    return str(tmp_path_factory.mktemp("milvus") / "vectors.db")


def _stores_at(uri: str) -> Iterator[Factory]:
    """Makes empty MilvusStores at ``uri``; drops them afterwards."""
    from qa.indexing.vectors.milvus_store import MilvusStore

    made: list[MilvusStore] = []

    def make(dim: int, **options: Any) -> MilvusStore:
        store = MilvusStore(uri, f"t_{uuid.uuid4().hex[:12]}", dim, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        if store.client.has_collection(store.collection):  # a test may have dropped it
            store.drop()
        store.close()


@pytest.fixture
def milvus_factory(request: pytest.FixtureRequest) -> Iterator[Factory]:
    """Makes empty MilvusStores in the module's Lite file."""
    yield from _stores_at(request.getfixturevalue("lite_db"))


@pytest.fixture
def server_factory(milvus_server_uri: str) -> Iterator[Factory]:
    """Makes empty MilvusStores on the session's Milvus server."""
    yield from _stores_at(milvus_server_uri)


@pytest.fixture(params=["lite", "server"])
def any_milvus(request: pytest.FixtureRequest) -> Factory:
    """Milvus Lite, then the server: for the Milvus-only cases that matter on both."""
    return request.getfixturevalue(f"{'milvus' if request.param == 'lite' else 'server'}_factory")


@pytest.fixture(scope="module")
def server_filled(milvus_server_uri: str) -> Iterator[tuple[Any, np.ndarray]]:
    """One filled store on the server, shared by the read-only cases."""
    vectors = unit_vectors(ROWS)
    for make in _stores_at(milvus_server_uri):
        store = make(DIM)
        store.add(vectors)
        yield store, vectors


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_store(kind: str, request: pytest.FixtureRequest) -> Factory:
    """A factory of empty stores of this kind, by dimension."""
    if kind.startswith("milvus"):
        return request.getfixturevalue(
            "server_factory" if kind == "milvus-server" else "milvus_factory"
        )
    return lambda dim: FaissStore(dim, kind)


def reload(store: Any, folder: Path) -> Any:
    store.save(folder)
    if store.kind == "milvus":
        return type(store).load(folder)
    return FaissStore.load(folder)


@pytest.fixture
def filled(kind: str, request: pytest.FixtureRequest) -> tuple[Any, np.ndarray]:
    if kind == "milvus-server":
        return request.getfixturevalue("server_filled")
    new_store = request.getfixturevalue("new_store")
    vectors = unit_vectors(ROWS)
    store = new_store(DIM)
    store.add(vectors)
    return store, vectors


def test_is_a_vector_store(filled: tuple[Any, np.ndarray]) -> None:
    store, _ = filled
    assert isinstance(store, VectorStore)
    assert store.dimension == DIM


def test_len_and_numbering_continue_across_adds(new_store: Factory) -> None:
    first, second = unit_vectors(200, 16, seed=1), unit_vectors(50, 16, seed=2)
    store = new_store(16)
    assert len(store) == 0
    store.add(first)
    assert len(store) == 200
    store.add(second)
    assert len(store) == 250
    assert store.search(second[7], 1)[0][0] == 207
    np.testing.assert_array_equal(store.vectors(np.array([3, 230])), [first[3], second[30]])


def test_stored_vector_finds_itself_first(filled: tuple[Any, np.ndarray]) -> None:
    store, vectors = filled
    for row in (0, 17, 150, ROWS - 1):
        best_row, best_score = store.search(vectors[row], 5)[0]
        assert best_row == row
        assert best_score == pytest.approx(1.0, abs=1e-5)


def test_scores_descend(filled: tuple[Any, np.ndarray]) -> None:
    store, _ = filled
    scores = [score for _, score in store.search(unit_vectors(1, seed=9)[0], 20)]
    assert len(scores) == 20
    assert scores == sorted(scores, reverse=True)


def test_k_beyond_the_store_returns_real_rows_only(new_store: Factory, kind: str) -> None:
    store = new_store(DIM)
    store.add(unit_vectors(40))
    found = store.search(unit_vectors(1, seed=3)[0], 100)
    rows = [row for row, _ in found]
    assert 0 < len(rows) <= 40
    assert all(0 <= row < 40 for row in rows)
    assert len(set(rows)) == len(rows)
    if kind != "hnsw":  # exact stores return every row
        assert sorted(rows) == list(range(40))


def test_k_zero_and_empty_store(new_store: Factory) -> None:
    store = new_store(DIM)
    query = unit_vectors(1)[0]
    assert store.search(query, 5) == []
    assert store.search(query, 5, rows=np.array([0, 1])) == []
    store.add(unit_vectors(10))
    assert store.search(query, 0) == []
    assert store.search(query, 5, rows=np.array([], dtype=np.int64)) == []


def test_row_filter_equals_brute_force(filled: tuple[Any, np.ndarray]) -> None:
    store, vectors = filled
    allowed = np.sort(np.random.default_rng(4).choice(ROWS, 40, replace=False))
    for seed in range(5):
        query = unit_vectors(1, seed=100 + seed)[0]
        found = store.search(query, 10, rows=allowed)
        assert {row for row, _ in found} <= set(allowed.tolist())
        assert [row for row, _ in found] == brute_force(vectors, query, 10, allowed)
        expected = vectors[[row for row, _ in found]] @ query
        np.testing.assert_allclose([score for _, score in found], expected, atol=1e-5)


def test_vectors_in_the_order_asked(filled: tuple[Any, np.ndarray]) -> None:
    store, vectors = filled
    for rows in (np.array([5, 1, 3]), np.arange(ROWS)[::-1], np.array([7, 7, 2])):
        np.testing.assert_array_equal(store.vectors(rows), vectors[rows])
    assert store.vectors(np.array([], dtype=np.int64)).shape == (0, DIM)


def test_save_load_round_trip(filled: tuple[Any, np.ndarray], tmp_path: Path) -> None:
    store, vectors = filled
    queries = unit_vectors(5, seed=11)
    before = [store.search(q, 10) for q in queries]
    loaded = reload(store, tmp_path)
    assert len(loaded) == ROWS
    assert loaded.dimension == DIM
    assert [loaded.search(q, 10) for q in queries] == before
    np.testing.assert_array_equal(loaded.vectors(np.array([9, 4])), vectors[[9, 4]])


def test_hnsw_recall_against_exact() -> None:
    vectors, queries = unit_vectors(500, 48), unit_vectors(30, 48, seed=5)
    exact, approximate = FaissStore(48, "flat"), FaissStore(48, "hnsw")
    exact.add(vectors)
    approximate.add(vectors)
    truth = [[row for row, _ in exact.search(q, 10)] for q in queries]
    found = [[row for row, _ in approximate.search(q, 10)] for q in queries]
    assert recall_at_k(truth, found) >= 0.9


# --- Milvus only ---------------------------------------------------------------------


def test_milvus_agrees_with_faiss_flat(any_milvus: Factory) -> None:
    vectors, queries = unit_vectors(400, 64, seed=6), unit_vectors(20, 64, seed=7)
    faiss_store, milvus_store = FaissStore(64, "flat"), any_milvus(64)
    faiss_store.add(vectors)
    milvus_store.add(vectors)
    for query in queries:
        assert [r for r, _ in milvus_store.search(query, 5)] == [
            r for r, _ in faiss_store.search(query, 5)
        ]


def test_milvus_batches_and_chunked_filters(
    milvus_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.indexing.vectors.milvus_store as milvus_store

    monkeypatch.setattr(milvus_store, "FILTER_CHUNK", 16)
    monkeypatch.setattr(milvus_store, "FETCH_CHUNK", 16)
    vectors = unit_vectors(ROWS)
    store = milvus_factory(DIM, batch_rows=64)
    store.add(vectors)
    assert len(store) == ROWS
    allowed = np.arange(0, ROWS, 3)
    query = unit_vectors(1, seed=12)[0]
    assert [row for row, _ in store.search(query, 8, rows=allowed)] == brute_force(
        vectors, query, 8, allowed
    )
    np.testing.assert_array_equal(store.vectors(allowed[::-1]), vectors[allowed[::-1]])


def test_milvus_hnsw_index(any_milvus: Factory) -> None:
    vectors, queries = unit_vectors(500, 48), unit_vectors(30, 48, seed=5)
    store = any_milvus(48, index_type="HNSW")
    store.add(vectors)
    allowed = np.arange(0, 500, 7)
    truth = [brute_force(vectors, q, 10, np.arange(500)) for q in queries]
    found = [[row for row, _ in store.search(q, 10)] for q in queries]
    assert recall_at_k(truth, found) >= 0.9
    # a small filter is scored exactly, whatever the index
    assert [r for r, _ in store.search(queries[0], 5, rows=allowed)] == brute_force(
        vectors, queries[0], 5, allowed
    )


def test_milvus_load_refuses_missing_or_changed(any_milvus: Factory, tmp_path: Path) -> None:
    from qa.indexing.vectors.milvus_store import MilvusStore

    store = any_milvus(DIM)
    store.add(unit_vectors(30))
    store.save(tmp_path)
    record = (tmp_path / "milvus.json").read_text()
    assert '"rows": 30' in record
    store.add(unit_vectors(5, seed=3))
    with pytest.raises(RuntimeError, match="holds 35 rows"):
        MilvusStore.load(tmp_path)
    store.drop()
    with pytest.raises(RuntimeError, match="missing"):
        MilvusStore.load(tmp_path)
    (tmp_path / "milvus.json").write_text("{}")
    with pytest.raises(RuntimeError, match="not a Milvus store record"):
        MilvusStore.load(tmp_path)


def test_milvus_refuses_a_foreign_collection(milvus_factory: Factory, lite_db: str) -> None:
    from qa.indexing.vectors.milvus_store import MilvusStore

    store = milvus_factory(DIM)
    with pytest.raises(RuntimeError, match="not a 16-dimension store"):
        MilvusStore(lite_db, store.collection, 16)
    with pytest.raises(ValueError, match="invalid Milvus collection name"):
        MilvusStore(lite_db, "a-b", DIM)


def test_milvus_save_never_writes_the_token(milvus_factory: Factory, tmp_path: Path) -> None:
    store = milvus_factory(DIM, token="s3cr3t-token")
    assert store.save(tmp_path) == ["milvus.json"]
    assert "s3cr3t" not in (tmp_path / "milvus.json").read_text()


def test_collection_name() -> None:
    from qa.indexing.vectors.milvus_store import check_collection_name, collection_name

    assert collection_name("index", "ABCDEF0123456789ff") == "index_abcdef0123456789"
    assert collection_name("my-index.v2", "00ff") == "my_index_v2_00ff"
    assert collection_name("2024 news", "ab").startswith("i_2024_news_")
    assert collection_name("---", "ab") == "index_ab"
    long = collection_name("x" * 400, "ab" * 40)
    assert check_collection_name(long) == long
    assert len(long) <= 65
    with pytest.raises(ValueError, match="hexadecimal"):
        collection_name("index", "not-hex")
