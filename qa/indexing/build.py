"""Building the search index, updating it incrementally, or loading it when still current.

An update re-embeds only the files that were added or changed: the vectors of unchanged
files are read back from the previous index (its per-file checksums say which are unchanged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.documents import checksum
from qa.documents.chunking import (
    TextSplitter,
    chunk_documents,
    make_splitter,
    rows_by_document,
)
from qa.environment import Environment
from qa.indexing.bm25 import BM25Index
from qa.indexing.folder import (
    FORMAT_VERSION,
    IndexLoadError,
    Manifest,
    StoredIndex,
    corpus_hash,
    load_index,
    save_index,
)
from qa.indexing.vectors.faiss_store import VectorStore, build_store
from qa.settings import Settings
from qa.types import Chunk, Document

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What indexing needs of an embedder (qa.retrieval.embedders provides them): unit-length
    float32 rows, one per text."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray: ...


EMBED_CALL = 1024  # texts per embedder call while indexing


@dataclass(frozen=True)
class IndexReport:
    """What opening an index did, file by file."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    embedded: int = 0  # chunks embedded now
    reused: int = 0  # chunks whose vectors came from the previous index
    loaded: bool = False  # the index on disk was current and used as it is
    save_error: str = ""  # why the index could not be saved (it is used from memory)

    def summary(self) -> str:
        counts = ", ".join(
            f"{len(names)} {label}"
            for label, names in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
                ("kept", self.kept),
            )
        )
        how = "up to date" if self.loaded else f"{self.embedded} chunks embedded"
        return f"{counts} ({how}, {self.reused} reused)"


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> IndexReport:
    """Which documents were added, changed, removed or kept, from their checksums."""
    return IndexReport(
        added=tuple(sorted(set(new) - set(old))),
        changed=tuple(sorted(d for d in new if d in old and old[d] != new[d])),
        removed=tuple(sorted(set(old) - set(new))),
        kept=tuple(sorted(d for d in new if old.get(d) == new[d])),
    )


def expected_manifest(
    documents: Sequence[Document], settings: Settings, embedder: Embedder, chunk_count: int = 0
) -> Manifest:
    files = {doc.id: checksum(doc.text) for doc in documents}
    return Manifest(
        format_version=FORMAT_VERSION,
        embedding_model=embedder.model_id,
        dimension=embedder.dimension,
        chunk_count=chunk_count,
        corpus_sha256=corpus_hash(files),
        files=files,
        chunking={"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap},
        vector_index=settings.vector_index,
    )


def embed_chunks(
    chunks: Sequence[Chunk], embedder: Embedder, batch: int, progress: bool
) -> np.ndarray:
    """Chunk vectors, batch by batch, with a progress bar when asked."""
    from tqdm.auto import tqdm

    parts = [np.zeros((0, embedder.dimension), dtype=np.float32)]
    bar = tqdm(total=len(chunks), desc="embedding", unit="chunk", disable=not progress)
    # The embedder batches by length inside each call: a long call pads less (1.4x faster
    # than calls of one batch, eval.bench_scale) and still moves the progress bar often.
    step = max(batch, EMBED_CALL)
    for i in range(0, len(chunks), step):
        texts = [c.text for c in chunks[i : i + step]]
        parts.append(embedder.embed(texts))
        bar.update(len(texts))
    bar.close()
    return np.concatenate(parts)


@dataclass(frozen=True)
class ChunkPlan:
    """The new index's chunks, and where each one's vector comes from."""

    chunks: list[Chunk]
    reused: list[tuple[int, int]]  # (new row, old row): the document's text is unchanged
    fresh: list[int]  # new rows to embed


def plan_chunks(
    documents: Sequence[Document],
    kept: set[str],
    previous: StoredIndex | None,
    splitter: TextSplitter,
) -> ChunkPlan:
    """Chunks in document order, numbered from 0: a ``kept`` document's chunks are the
    previous index's (so are their vectors), the others' are cut again."""
    old_rows = rows_by_document(previous.chunks) if previous else {}
    chunks: list[Chunk] = []
    reused: list[tuple[int, int]] = []
    fresh: list[int] = []
    for doc in documents:
        if doc.id in kept and previous is not None:
            pieces = [previous.chunks[row] for row in old_rows.get(doc.id, [])]
            reused += [(len(chunks) + i, c.id) for i, c in enumerate(pieces)]
        else:
            pieces = chunk_documents([doc], splitter)
            fresh += range(len(chunks), len(chunks) + len(pieces))
        chunks += [replace(c, id=len(chunks) + i) for i, c in enumerate(pieces)]
    return ChunkPlan(chunks, reused, fresh)


def plan_vectors(
    plan: ChunkPlan,
    previous: StoredIndex | None,
    embedder: Embedder,
    batch_size: int,
    progress: bool = False,
) -> np.ndarray:
    """One row per planned chunk: copied from ``previous`` or embedded now."""
    vectors = np.zeros((len(plan.chunks), embedder.dimension), dtype=np.float32)
    if plan.reused and previous is not None:
        new, old = np.array(plan.reused).T
        vectors[new] = previous.vectors.vectors(old)
    if plan.fresh:
        texts = [plan.chunks[i] for i in plan.fresh]
        vectors[plan.fresh] = embed_chunks(texts, embedder, batch_size, progress)
    return vectors


def build_index(
    documents: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    progress: bool = False,
    previous: StoredIndex | None = None,
    *,
    persisted: bool = False,
) -> tuple[StoredIndex, IndexReport]:
    """Chunk, embed and index ``documents`` in memory, reusing ``previous``' vectors for the
    documents whose text it already holds. Only an index that will be ``persisted`` puts its
    vectors where ``settings.vector_store`` says: an in-memory one (a pasted article) keeps
    them in FAISS, so it leaves no Milvus collection behind."""
    if persisted and settings.vector_store == "milvus":  # a server down fails now, not later
        from qa.indexing.vectors.milvus_calls import check_reachable

        check_reachable(settings.milvus_uri, Environment.read().milvus_token)
    manifest = expected_manifest(documents, settings, embedder)
    report = diff_files(previous.manifest.files if previous else {}, manifest.files)
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    plan = plan_chunks(documents, set(report.kept), previous, splitter)
    vectors = plan_vectors(plan, previous, embedder, settings.embed_batch_size, progress)
    store = make_store(vectors, settings, manifest, persisted)
    bm25 = BM25Index([c.text for c in plan.chunks])
    manifest = replace(manifest, chunk_count=len(plan.chunks), vector_kind=store.kind)
    report = replace(report, embedded=len(plan.fresh), reused=len(plan.reused))
    return StoredIndex(store, plan.chunks, bm25, manifest), report


def make_store(
    vectors: np.ndarray, settings: Settings, manifest: Manifest, persisted: bool = True
) -> VectorStore:
    """The vector store the settings ask for, holding ``vectors`` (FAISS when not
    ``persisted``: a Milvus collection is only made for an index folder that records it)."""
    if settings.vector_store == "milvus" and persisted:
        from qa.indexing.vectors.milvus_store import new_milvus_store

        return new_milvus_store(vectors, settings, manifest)
    return build_store(vectors, settings.vector_index, settings.approximate_above)


def check_chunks(chunks: Sequence[Chunk], documents: Sequence[Document]) -> None:
    """IndexLoadError unless every chunk quotes a citable paragraph of its document exactly:
    a chunks.jsonl edited by hand must never yield a wrong citation."""
    by_id = {doc.id: doc for doc in documents}
    for chunk in chunks:
        doc = by_id.get(chunk.doc_id)
        ok = doc is not None and 1 <= chunk.paragraph <= len(doc.paragraphs)
        if ok:
            paragraph = doc.paragraph(chunk.paragraph)
            inside = paragraph.start <= chunk.start <= chunk.end <= paragraph.end
            ok = inside and not paragraph.boilerplate
            ok = ok and doc.text[chunk.start : chunk.end] == chunk.text
        if not ok:
            raise IndexLoadError(f"chunk {chunk.id} does not match its document")


def read_previous(
    folder: Path, expected: Manifest, documents: Sequence[Document]
) -> StoredIndex | None:
    """The index in ``folder`` if its vectors may be reused (same model and chunking, every
    file intact, every chunk of a still-present document quoting it exactly), else None."""
    try:
        previous = load_index(folder, expected, reuse_only=True)
        current = {d.id: checksum(d.text) for d in documents}
        gone = {d for d, digest in previous.manifest.files.items() if current.get(d) != digest}
        check_chunks([c for c in previous.chunks if c.doc_id not in gone], documents)
        return previous
    except IndexLoadError as err:
        if Path(folder).is_dir() and any(Path(folder).iterdir()):  # damaged, not just absent
            log.warning("%s; rebuilding the index", err)
        return None


def open_index(
    documents: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    folder: Path,
    progress: bool = False,
    rebuild: bool = False,
    legacy: Path | None = None,
) -> tuple[StoredIndex, IndexReport]:
    """The index in ``folder`` if it is current; else an update of it (only added and changed
    files embedded), saved atomically; ``rebuild`` embeds everything again.

    ``legacy`` is where this corpus's index lived before index folders carried a digest of
    the corpus path: when ``folder`` has no index yet, the vectors of its unchanged files are
    taken from there (the folder itself is left to whichever corpus it belongs to).
    """
    expected = expected_manifest(documents, settings, embedder)
    previous = None if rebuild else read_previous(folder, expected, documents)
    borrowed = False  # vectors read from the legacy folder, which keeps its own store
    if previous is None and not rebuild and legacy is not None and not Path(folder).exists():
        previous = read_previous(legacy, expected, documents)
        borrowed = previous is not None
        if borrowed:
            log.warning("index moved from %s to %s (one folder per corpus path)", legacy, folder)
    if previous is not None and not borrowed and not previous.manifest.matches(expected):
        return previous, replace(diff_files(expected.files, expected.files), loaded=True)
    built, report = build_index(documents, settings, embedder, progress, previous, persisted=True)
    try:
        manifest = save_index(folder, built.vectors, built.chunks, built.bm25, built.manifest)
        built = replace(built, manifest=manifest)
        if previous is not None and not borrowed and hasattr(previous.vectors, "drop"):
            previous.vectors.drop()  # a Milvus collection the new index no longer points at
    except OSError as err:
        # A read-only or full disk must not stop answering; the index lives in memory meanwhile.
        log.warning("could not save the index to %s (%s); using it in memory", folder, err)
        report = replace(report, save_error=str(err))
    return built, report


def open_corpus_index(
    documents: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    *,
    persist: bool = True,
    progress: bool = False,
    rebuild: bool = False,
) -> tuple[StoredIndex, IndexReport]:
    """The corpus's index: opened or updated in its folder (``settings.resolved_index_dir``),
    or built in memory (``persist`` False)."""
    if not persist:
        return build_index(documents, settings, embedder, progress)
    folder = settings.resolved_index_dir
    return open_index(
        documents, settings, embedder, folder, progress, rebuild, settings.legacy_index_dir
    )
