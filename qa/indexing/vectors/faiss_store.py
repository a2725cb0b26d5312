"""Vector stores: inner-product search over normalised chunk vectors, row i = chunk i.

``FaissStore`` is the default, embedded in the index folder: exact (``flat``) for small
corpora, approximate (``hnsw``) for large ones.
``qa.indexing.vectors.milvus_store.MilvusStore`` keeps the vectors in Milvus instead (Milvus
Lite or a cluster). Both give the same ``VectorStore`` interface, so retrieval never knows
which one it talks to.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

KINDS = ("auto", "flat", "hnsw")
EF_SEARCH = 256  # HNSW candidates a query visits; see FaissStore
# Below this many rows a filtered search scores the allowed rows exactly instead of asking the
# index: a doc filter keeps a few dozen rows, where graph search would lose recall.
EXACT_FILTER_ROWS = 4096


@runtime_checkable
class VectorStore(Protocol):
    kind: str
    dimension: int

    def __len__(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None:
        """Append rows; the first gets number ``len(self)``."""

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The top-k (row, score) pairs, best first; only among ``rows`` when given."""

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``, in that order."""

    def save(self, folder: Path) -> list[str]:
        """Persist into the index folder being written; returns the file names it wrote
        (each is checksummed in the manifest)."""


def choose_kind(kind: str, rows: int, approximate_above: int) -> str:
    """``auto`` is exact up to ``approximate_above`` rows, HNSW beyond."""
    if kind not in KINDS:
        raise ValueError(f"vector_index must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind != "auto":
        return kind
    return "hnsw" if rows > approximate_above else "flat"


def top_k(scores: np.ndarray, rows: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (row, score) pairs of parallel arrays, best first, ties by row."""
    if k < 1 or not len(scores):
        return []
    order = np.lexsort((rows, -scores))[:k]
    return [(int(rows[i]), float(scores[i])) for i in order]


def exact_search(
    store: VectorStore, query: np.ndarray, k: int, rows: np.ndarray
) -> list[tuple[int, float]]:
    """Exact scores over a few rows, from the store's own vectors."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    scores = store.vectors(rows) @ np.asarray(query, dtype=np.float32).reshape(-1)
    return top_k(scores, rows, k)


class FaissStore:
    """A FAISS inner-product index: ``flat`` (exact) or ``hnsw`` (approximate).

    HNSW defaults (eval.bench_scale, 100k chunks): efConstruction 200 rather than 80 lifts
    recall@10 against exact search from 0.972 to 0.991 at efSearch 128, and 0.999 at 256
    (0.8 ms a query), counting chunks of identical text as found; building takes 80 s, not 28.
    A query searches on one thread: on 2 cores FAISS's thread pool made exact search at 100k
    take 14 ms instead of 6.4 (it waits for a core the models are using).
    """

    def __init__(
        self,
        dimension: int,
        kind: str = "flat",
        *,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = EF_SEARCH,
        index: Any = None,
    ) -> None:
        import faiss

        set_faiss_threads()
        if kind not in ("flat", "hnsw"):
            raise ValueError(f"FaissStore kind must be flat or hnsw, not {kind!r}")
        self.kind = kind
        self.dimension = dimension
        self.ef_search = ef_search
        if index is None:
            if kind == "flat":
                index = faiss.IndexFlatIP(dimension)
            else:
                index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = ef_construction
        self.index = index

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if k < 1 or len(self) == 0:
            return []
        if rows is not None and len(rows) <= EXACT_FILTER_ROWS:
            return exact_search(self, query, k, rows)
        scores, ids = self.index.search(
            np.asarray(query, dtype=np.float32).reshape(1, -1), k, params=self._params(rows)
        )
        # FAISS pads with -1 when fewer than k rows qualify.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _params(self, rows: np.ndarray | None) -> Any:
        import faiss

        selector = None
        if rows is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64))
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search)
        return faiss.SearchParameters(sel=selector) if selector is not None else None

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.reconstruct_batch(rows)

    # --- persistence: FAISS's own format, never pickle ---------------------------------

    FILE = "faiss.index"

    def save(self, folder: Path) -> list[str]:
        """Write the index into ``folder``; returns the names of the files written."""
        import faiss

        path = Path(folder) / self.FILE
        try:
            faiss.write_index(self.index, str(path))
        except RuntimeError as err:  # FAISS reports a full disk or an I/O error this way
            raise OSError(f"could not write {path}: {err}") from err
        return [self.FILE]

    @classmethod
    def load(cls, folder: Path, ef_search: int = EF_SEARCH) -> FaissStore:
        """The store saved in ``folder``; RuntimeError or OSError when it is unreadable."""
        import faiss

        path = Path(folder) / cls.FILE
        index = faiss.read_index(str(path))
        kind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        if kind == "flat" and not isinstance(index, faiss.IndexFlatIP):
            raise RuntimeError(f"{path} holds a {type(index).__name__}, not a flat or HNSW index")
        return cls(index.d, kind, ef_search=ef_search, index=index)


_threads_lock = threading.Lock()
_threads_set = False


def set_faiss_threads() -> None:
    """FAISS's OpenMP thread count is process-wide: it is set once, to one thread, before the
    first index is made, never toggled per call (toggling raced between pool replicas). On 2
    cores FAISS's pool made exact search at 100k take 14 ms instead of 6.4; an HNSW build
    (only above approximate_above chunks) runs on one core too."""
    global _threads_set
    with _threads_lock:
        if not _threads_set:
            import faiss

            faiss.omp_set_num_threads(1)
            _threads_set = True


def build_store(
    vectors: np.ndarray, kind: str = "flat", approximate_above: int = 300_000, **options: Any
) -> FaissStore:
    """A FaissStore over ``vectors`` (kind ``auto`` chooses by their number)."""
    kind = choose_kind(kind, len(vectors), approximate_above)
    store = FaissStore(int(vectors.shape[1]), kind, **options)
    store.add(vectors)
    return store


def recall_at_k(exact: Sequence[Sequence[int]], approximate: Sequence[Sequence[int]]) -> float:
    """The share of the exact top-k rows that the approximate search also returned."""
    found = sum(len(set(e) & set(a)) for e, a in zip(exact, approximate, strict=True))
    total = sum(len(e) for e in exact)
    return found / total if total else 1.0
