"""Building the search index from documents, or loading it when it is still current."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.chunking import chunk_documents, make_splitter
from qa.documents import checksum
from qa.embedding import Embedder
from qa.settings import Settings
from qa.store import (
    FORMAT_VERSION,
    IndexLoadError,
    Manifest,
    build_faiss,
    corpus_hash,
    load_index,
    save_index,
)
from qa.types import Chunk, Document

log = logging.getLogger(__name__)


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
    )


def embed_chunks(
    chunks: Sequence[Chunk], embedder: Embedder, batch: int, progress: bool
) -> np.ndarray:
    """Chunk vectors, batch by batch, with a progress bar when asked."""
    from tqdm.auto import tqdm

    parts = [np.zeros((0, embedder.dimension), dtype=np.float32)]
    bar = tqdm(total=len(chunks), desc="embedding", unit="chunk", disable=not progress)
    for i in range(0, len(chunks), batch):
        texts = [c.text for c in chunks[i : i + batch]]
        parts.append(embedder.embed(texts))
        bar.update(len(texts))
    bar.close()
    return np.concatenate(parts)


def build_index(
    documents: Sequence[Document], settings: Settings, embedder: Embedder, progress: bool = False
) -> tuple[object, list[Chunk], Manifest]:
    """Chunk, embed and index ``documents`` in memory."""
    chunks = chunk_documents(documents, make_splitter(settings.chunk_size, settings.chunk_overlap))
    vectors = embed_chunks(chunks, embedder, settings.embed_batch_size, progress)
    manifest = expected_manifest(documents, settings, embedder, chunk_count=len(chunks))
    return build_faiss(vectors), chunks, manifest


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


def open_index(
    documents: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    folder: Path,
    progress: bool = False,
    rebuild: bool = False,
) -> tuple[object, list[Chunk], Manifest]:
    """The index in ``folder`` if it matches the documents and settings, else a fresh one."""
    if not rebuild:
        try:
            index, chunks, manifest = load_index(
                folder, expected_manifest(documents, settings, embedder)
            )
            check_chunks(chunks, documents)
            return index, chunks, manifest
        except IndexLoadError as err:
            log.warning("%s; rebuilding the index", err)
    index, chunks, manifest = build_index(documents, settings, embedder, progress)
    try:
        manifest = save_index(folder, index, chunks, manifest)
    except OSError as err:
        # A read-only or full disk must not stop answering; the index lives in memory meanwhile.
        log.warning("could not save the index to %s (%s); using it in memory", folder, err)
    return index, chunks, manifest
