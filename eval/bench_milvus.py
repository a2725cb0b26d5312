"""Milvus server against FAISS at scale: search latency and indexing throughput, one run.

    python -m eval.bench_milvus [--rows 100000] [--real 10000] [--questions 100] [--work DIR]

Starts a local Milvus 2.3.5 standalone server (eval.milvus_local) and measures, over the same
vectors: FAISS flat and HNSW (the project's FaissStore), and the server's FLAT and HNSW
collections (the project's MilvusStore): build or insert time (rows/s), vector search p50/p95
at the retriever's depth, and the whole ``Retriever.search`` (query embedding, BM25, fusion and
the cross-encoder's rerank of the top 5) over the same chunks with each store.

Texts: the eval.scale_corpus corpus of ``--rows`` chunks. Vectors: the first ``--real`` chunks
embedded for real (cached under --work, resumable); the rest are those vectors with noise
(cosine ~0.8 to their source), renormalised, because embedding 100k chunks takes ~15 minutes of
idle cores. Flat search cost does not depend on the vectors' content; HNSW's does, somewhat, so
its figures are for this mixture. Queries: real questions about the corpus, embedded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from eval import scale_corpus as corpus
from eval.milvus_local import start_server
from eval.tables import table
from qa.documents import chunk_documents, load_documents, make_splitter
from qa.environment import shared_data_dir
from qa.indexing import BM25Index, MilvusStore, VectorStore, build_store
from qa.retrieval import Retriever, SearchOptions, load_cross_encoder, load_embedder
from qa.settings import Settings
from qa.types import Document

DEFAULT_WORK = Path("/work/ckpt/bench_milvus")
NOISE = 0.03  # per-dimension std of the added noise (384-d: cosine ~0.8 to the source row)


def log(message: str) -> None:
    print(f"[bench_milvus {time.strftime('%H:%M:%S')}] {message}", flush=True)


def spread_ms(times: Sequence[float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in corpus.spread(times).items()}


def mixed_vectors(real: np.ndarray, rows: int, seed: int = 0) -> np.ndarray:
    """``rows`` unit vectors: the real ones first, then noisy copies of random real rows."""
    rng = np.random.default_rng(seed)
    extra = real[rng.integers(0, len(real), rows - len(real))]
    extra = extra + rng.normal(0, NOISE, extra.shape).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.concatenate([real, extra]).astype(np.float32)


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure_store(name: str, make: Callable[[], VectorStore], queries: np.ndarray, retriever_of,
                  questions: Sequence[str], rows: int) -> dict:  # fmt: skip
    """Build ``make()``'s store, then its vector search and the whole search, each timed."""
    start = time.perf_counter()
    store = make()
    seconds = time.perf_counter() - start
    log(f"{name}: built in {seconds:.1f} s")
    depth = Settings().candidates
    for query in queries[:3]:  # warm-up: first calls load segments and caches
        store.search(query, depth)
    vector_ms = timed([lambda q=q: store.search(q, depth) for q in queries])
    retriever = retriever_of(store)
    options = SearchOptions.of(Settings())
    for question in questions[:3]:
        retriever.search(question, 5, options)
    whole_ms = timed([lambda q=q: retriever.search(q, 5, options) for q in questions])
    return {
        "store": name,
        "build_s": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "vector_search_ms": spread_ms(vector_ms),
        "whole_search_ms": spread_ms(whole_ms),
        "store_object": store,
    }


def milvus_maker(uri: str, name: str, vectors: np.ndarray, index_type: str):
    def make() -> MilvusStore:
        store = MilvusStore(uri, name, vectors.shape[1], index_type=index_type)
        store.add(vectors)
        return store

    return make


def run(args: argparse.Namespace) -> dict:
    settings = corpus.settings_for(args.work, args.rows)
    corpus.prepare(args.work, args.rows, args.data, log)
    documents = load_documents(settings.corpus_dir)
    chunks = chunk_documents(documents, make_splitter(settings.chunk_size, settings.chunk_overlap))
    log(f"{len(chunks)} chunks")
    embedder = load_embedder(settings.embedding_model)
    start = time.perf_counter()
    leading = documents[: documents_holding(documents, args.real, settings)]
    cache = corpus.cached_vectors(args.work, leading, settings, embedder, log)
    log(f"real vectors: {len(cache.vectors)} (embedding {cache.seconds:.0f} s when made)")
    vectors = mixed_vectors(cache.vectors, len(chunks))
    questions = corpus.questions_of(settings)[: args.questions]
    queries = embedder.embed(questions, is_query=True)
    bm25 = BM25Index([c.text for c in chunks])
    reranker = load_cross_encoder(settings.reranker_model)
    by_id = {d.id: d for d in documents}

    def retriever_of(store: VectorStore) -> Retriever:
        return Retriever(by_id, chunks, store, embedder, bm25, reranker)

    log(f"prepared in {time.perf_counter() - start:.0f} s; starting the Milvus server")
    folder = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    server = start_server(folder)
    uri = f"http://127.0.0.1:{server.listen_port}"
    makers = {
        "FAISS flat": lambda: build_store(vectors, "flat"),
        "FAISS HNSW (M 32, efC 200)": lambda: build_store(vectors, "hnsw"),
        "Milvus server FLAT": milvus_maker(uri, "bench_flat", vectors, "FLAT"),
        "Milvus server HNSW": milvus_maker(uri, "bench_hnsw", vectors, "HNSW"),
    }
    results = []
    try:
        for name, make in makers.items():
            row = measure_store(name, make, queries, retriever_of, questions, len(chunks))
            store = row.pop("store_object")
            if isinstance(store, MilvusStore):
                store.drop()
                store.close()
            results.append(row)
            log(json.dumps(row))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return {"rows": len(chunks), "real_vectors": len(cache.vectors), "results": results}


def markdown(report: dict) -> str:
    rows = [
        [
            r["store"],
            f"{r['build_s']} s ({r['rows_per_s']:,}/s)",
            f"{r['vector_search_ms']['p50']} / {r['vector_search_ms']['p95']}",
            f"{r['whole_search_ms']['p50']} / {r['whole_search_ms']['p95']}",
        ]
        for r in report["results"]
    ]
    header = ["store", "build or insert", "vector search p50 / p95 ms", "search() p50 / p95 ms"]
    return table(header, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="chunks in the corpus")
    parser.add_argument("--real", type=int, default=10_000, help="chunks embedded for real")
    parser.add_argument("--questions", type=int, default=100, help="timed searches per store")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    args = parser.parse_args(argv)
    report = run(args)
    (args.work / "bench_milvus.json").write_text(json.dumps(report, indent=1))
    print(f"\n{report['rows']:,} chunks ({report['real_vectors']:,} embedded for real):\n")
    print(markdown(report))


def documents_holding(documents: Sequence[Document], real: int, settings: Settings) -> int:
    """How many leading documents hold about ``real`` chunks (the ones embedded for real)."""
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    total = 0
    for n, document in enumerate(documents, 1):
        total += len(chunk_documents([document], splitter))
        if total >= real:
            return n
    return len(documents)


if __name__ == "__main__":
    main()
