"""``MilvusStore``: the ``VectorStore`` interface over a Milvus collection.

The same code talks to Milvus Lite (``uri`` is a path ending in ``.db``, embedded in this
process) and to a Milvus standalone or cluster server (``uri`` is ``http://host:19530``).
Row i of the store is the entity with primary key ``row = i``, as with ``FaissStore``.

The default index is ``FLAT``: exact inner-product search, so results equal
``FaissStore("flat")``. ``AUTOINDEX`` is not exact: Milvus Lite builds it as HNSW whenever
faiss is importable (always, in this project), and a server chooses for itself. ``HNSW``
(and ``IVF_FLAT``) can be asked for with ``index_type``; Lite supports them too.

Milvus Lite notes (milvus-lite 3.x):
- the ``.db`` "file" is a directory; one can hold several collections;
- only one process at a time may open it: it takes an ``flock`` on ``<db>/LOCK``, and a
  second process fails with ``ConnectionConfigException: Open local milvus failed``;
- Lite runs an in-process gRPC server that ``close()`` does not stop: the lock is held
  until the process exits;
- Lite accepts collection names a server rejects (``a-b``, ``1abc``), so names are
  checked here, to keep Lite and a server in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qa.indexing.vectors.faiss_store import EXACT_FILTER_ROWS, exact_search, top_k
from qa.indexing.vectors.milvus_calls import Connection

FILE = "milvus.json"
INDEX_TYPES = ("FLAT", "HNSW", "IVF_FLAT", "AUTOINDEX")
ROW, VECTOR = "row", "vector"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
# A server refuses a top-k above 16384 (its default topK limit).
MAX_TOP_K = 16_384
# Row ids per ``row in [...]`` filter and per get(): keeps each request small for a server.
FILTER_CHUNK = 4096
FETCH_CHUNK = 1024
# One insert stays well under a server's 64 MiB gRPC message limit at any dimension.
INSERT_BYTES = 16 << 20


def collection_name(prefix: str, digest: str) -> str:
    """A valid Milvus collection name from an index folder name and a hex digest."""
    if not re.fullmatch(r"[0-9a-fA-F]+", digest):
        raise ValueError(f"digest must be hexadecimal, not {digest!r}")
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", prefix).strip("_")[:48] or "index"
    if not re.match(r"[A-Za-z_]", stem):
        stem = f"i_{stem}"
    return f"{stem}_{digest[:16].lower()}"


def check_collection_name(name: str) -> str:
    """``name`` if a Milvus server would accept it; ValueError otherwise."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid Milvus collection name {name!r}: letters, digits and underscores, "
            "starting with a letter or underscore, at most 255 characters"
        )
    return name


def _chunks(rows: np.ndarray, size: int) -> Iterator[list[int]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size].tolist()


class MilvusStore:
    """Vectors in a Milvus collection (Lite or server), inner-product metric."""

    kind = "milvus"

    def __init__(
        self,
        uri: str,
        collection: str,
        dimension: int,
        *,
        token: str = "",
        index_type: str = "FLAT",
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 128,
        batch_rows: int = 5000,
        create: bool = True,
        timeout: float | None = None,
    ) -> None:
        if index_type.upper() not in INDEX_TYPES:
            raise ValueError(f"index_type must be one of {', '.join(INDEX_TYPES)}")
        self.uri = uri
        self.collection = check_collection_name(collection)
        self.dimension = int(dimension)
        self.index_type = index_type.upper()
        self.ef_search = ef_search
        self.batch_rows = max(1, min(batch_rows, INSERT_BYTES // (4 * self.dimension)))
        if uri.endswith(".db") and create:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)  # Lite will not make it
        # Every call has a deadline ($MILVUS_TIMEOUT, default 10 s) and fails clearly.
        self.connection = Connection(uri, token, timeout)
        try:
            if self._call("opening", "has_collection", self.collection):
                self._open()
            elif create:
                self._create(hnsw_m, ef_construction)
            else:
                raise RuntimeError(f"Milvus collection {self.collection!r} at {uri} is missing")
        except BaseException:
            self.connection.close()
            raise

    @property
    def client(self) -> Any:
        return self.connection.client

    def _call(self, action: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.connection.call(f"{action} {self.collection}", method, *args, **kwargs)

    def _create(self, hnsw_m: int, ef_construction: int) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ROW, DataType.INT64, is_primary=True)
        schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=self.dimension)
        build: dict[str, int] = {}
        if self.index_type == "HNSW":
            build = {"M": hnsw_m, "efConstruction": ef_construction}
        elif self.index_type == "IVF_FLAT":
            build = {"nlist": 128}
        index = self.client.prepare_index_params()
        index.add_index(VECTOR, index_type=self.index_type, metric_type="IP", params=build)
        # Strong consistency: a search right after add() sees the new rows.
        self._call(
            "creating",
            "create_collection",
            self.collection,
            build=True,
            schema=schema,
            index_params=index,
            consistency_level="Strong",
        )

    def _open(self) -> None:
        """Check that the existing collection is one of ours, then load it for search."""
        from pymilvus import DataType

        described = self._call("opening", "describe_collection", self.collection)
        fields = {f["name"]: f for f in described["fields"]}
        row, vector = fields.get(ROW), fields.get(VECTOR)
        if (
            row is None
            or not row.get("is_primary")
            or vector is None
            or vector["type"] != DataType.FLOAT_VECTOR
            or int(vector["params"].get("dim", -1)) != self.dimension
        ):
            raise RuntimeError(
                f"Milvus collection {self.collection!r} is not a {self.dimension}-dimension "
                f"store (fields: {sorted(fields)})"
            )
        info = self._call("opening", "describe_index", self.collection, index_name=VECTOR) or {}
        self.index_type = str(info.get("index_type", self.index_type)).upper()
        # A reopened collection is "released" (Lite says so too): search needs it loaded.
        self._call("loading", "load_collection", self.collection, build=True)

    def __len__(self) -> int:
        result = self._call(
            "counting", "query", self.collection, filter="", output_fields=["count(*)"]
        )
        return int(result[0]["count(*)"])

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(vectors):
            return
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected (n, {self.dimension}) vectors, got {vectors.shape}")
        start = len(self)
        for offset in range(0, len(vectors), self.batch_rows):
            batch = vectors[offset : offset + self.batch_rows].tolist()
            first = start + offset
            self._call(
                "inserting into",
                "insert",
                self.collection,
                [{ROW: first + i, VECTOR: vector} for i, vector in enumerate(batch)],
                build=True,
            )
        # Seals the rows into segments, so a server's stats and a restart see them.
        self._call("flushing", "flush", self.collection, build=True)

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if k < 1:
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        if rows is None:
            return self._search(vector, k, "")
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        # FLAT filtered search is exact on the server; an approximate index can miss rows
        # of a small filter, so those are scored here, as FaissStore does.
        if self.index_type != "FLAT" and len(rows) <= EXACT_FILTER_ROWS:
            return exact_search(self, vector, k, rows)
        found: list[tuple[int, float]] = []
        for chunk in _chunks(rows, FILTER_CHUNK):
            found += self._search(vector, k, f"{ROW} in {chunk}")
        return _best(found, k)

    def _search(self, vector: np.ndarray, k: int, expression: str) -> list[tuple[int, float]]:
        limit = min(k, MAX_TOP_K)
        params: dict[str, Any] = {"metric_type": "IP", "params": {}}
        if self.index_type == "HNSW":
            params["params"] = {"ef": max(self.ef_search, limit)}  # a server wants ef >= k
        hits = self._call(
            "searching",
            "search",
            self.collection,
            data=[vector.tolist()],
            limit=limit,
            filter=expression,
            output_fields=[ROW],  # Lite returns the vectors too unless told otherwise
            search_params=params,
            anns_field=VECTOR,
        )[0]
        return _best([(int(h["entity"][ROW]), float(h["distance"])) for h in hits], k)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        found: dict[int, Any] = {}
        for chunk in _chunks(np.unique(rows), FETCH_CHUNK):
            got = self._call("reading", "get", self.collection, ids=chunk, output_fields=[VECTOR])
            for item in got:
                found[int(item[ROW])] = item[VECTOR]
        missing = [row for row in rows.tolist() if row not in found]
        if missing:
            raise IndexError(f"rows not in Milvus collection {self.collection!r}: {missing[:5]}")
        # Milvus returns entities in no particular order: put them in the order asked.
        return np.asarray([found[row] for row in rows.tolist()], dtype=np.float32)

    # --- persistence: the index folder keeps only where the vectors live --------------

    def save(self, folder: Path) -> list[str]:
        """Write ``milvus.json`` (never the token) into ``folder``; returns its name."""
        record = {
            "uri": self.uri,
            "collection": self.collection,
            "rows": len(self),
            "dimension": self.dimension,
        }
        (Path(folder) / FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return [FILE]

    @classmethod
    def load(cls, folder: Path, token: str = "", **options: Any) -> MilvusStore:
        """Reconnect to the collection ``milvus.json`` names; RuntimeError when it is missing,
        foreign, or holds a different number of rows than was saved."""
        path = Path(folder) / FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            uri, name = str(record["uri"]), str(record["collection"])
            rows, dimension = int(record["rows"]), int(record["dimension"])
        except (ValueError, KeyError, TypeError) as err:
            raise RuntimeError(f"{path} is not a Milvus store record: {err}") from err
        store = cls(uri, name, dimension, token=token, create=False, **options)
        count = len(store)
        if count != rows:
            store.close()
            raise RuntimeError(
                f"Milvus collection {name!r} holds {count} rows, but {path} expects {rows}"
            )
        return store

    def drop(self) -> None:
        """Delete the collection and its vectors."""
        self._call("dropping", "drop_collection", self.collection)

    def close(self) -> None:
        self.connection.close()


def _best(found: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """The k best pairs, best first, ties by row (as ``top_k`` orders FaissStore's)."""
    if not found:
        return []
    rows = np.fromiter((row for row, _ in found), dtype=np.int64, count=len(found))
    scores = np.fromiter((score for _, score in found), dtype=np.float64, count=len(found))
    return top_k(scores, rows, k)


def new_milvus_store(vectors: np.ndarray, settings: Any, manifest: Any) -> MilvusStore:
    """A new collection at ``settings.milvus_uri`` holding ``vectors``.

    Each build gets a collection of its own (the corpus hash and the time in its name), so
    the index folder's atomic swap also swaps collections; the replaced one is dropped.
    """
    import hashlib
    import time

    from qa.environment import Environment

    stamp = f"{manifest.corpus_sha256}:{time.time_ns()}".encode()
    name = collection_name(
        Path(settings.resolved_index_dir).name, hashlib.sha256(stamp).hexdigest()
    )
    store = MilvusStore(
        settings.milvus_uri, name, int(vectors.shape[1]), token=Environment.read().milvus_token
    )
    store.add(vectors)
    return store
