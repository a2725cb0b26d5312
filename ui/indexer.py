"""A user's own article indexed in turns with the answers being served (issue 16, C1/M4).

The embedder belongs to a pipeline replica, which serves one request at a time. Indexing a
long article in one lease held it for as long as the article took (48 s for 1 MB of short
paragraphs), so every other user waited. Here each small batch takes its own lease: a
question that arrives meanwhile gets the next free replica, after one batch at most
(``BATCH`` chunks, ~0.2 s), and indexing stops at its deadline with a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from qa.documents import CorpusError
from qa.indexing import StoredIndex, build_index
from qa.pool import PipelinePool
from qa.types import Document

BATCH = 16  # chunks embedded per lease of a replica: the most another question waits
YIELD_SECONDS = 0.005
INDEX_SECONDS = 10.0  # an article not indexed by then is refused (the target of issue 16)
# Passages an own article may have. Embedding runs at ~18 passages/s on 2 busy cores (194 took
# 10.8 s), so this is what fits the deadline with room for reading the page; ~84,000
# characters, above a long feature (~60 kB). Checked before any work, from the text's size.
MAX_CHUNKS = 120
# Told after each batch: (passages embedded so far, passages to embed), for a real progress bar.
OnBatch = Callable[[int, int], None]


class LeasedEmbedder:
    """The pool's embedder, one replica lease per small batch, within a deadline."""

    def __init__(
        self, pool: PipelinePool, deadline: float, name: str, on_batch: OnBatch | None = None
    ) -> None:
        embedder = pool.replicas[0].retriever.embedder
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self.pool, self.deadline, self.name = pool, deadline, name
        self.on_batch = on_batch

    def embed(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        parts = [np.zeros((0, self.dimension), dtype=np.float32)]
        for start in range(0, len(texts), BATCH):
            if time.monotonic() > self.deadline:
                raise CorpusError(
                    f"{self.name}: the article is too long to index in {INDEX_SECONDS:.0f} s; "
                    "send a shorter one"
                )
            with self.pool.lease() as replica, replica._lock:
                vectors = replica.retriever.embedder.embed(
                    texts[start : start + BATCH], is_query=is_query
                )
            parts.append(np.asarray(vectors, dtype=np.float32))
            if self.on_batch is not None:
                self.on_batch(min(start + BATCH, len(texts)), len(texts))
            # queue.Queue hands a returned replica to whoever takes it first, and this thread
            # would take it again at once: a moment's pause lets a waiting question have it.
            time.sleep(YIELD_SECONDS)
        return np.concatenate(parts)


def index_in_turns(
    pool: PipelinePool,
    document: Document,
    started: float,
    seconds: float = INDEX_SECONDS,
    *,
    others: Sequence[Document] = (),
    previous: StoredIndex | None = None,
    on_batch: OnBatch | None = None,
) -> StoredIndex:
    """An in-memory index of ``others`` and ``document`` (as ``Pipeline.index_documents``),
    embedded a batch per lease; CorpusError once ``seconds`` have passed since ``started``
    (monotonic). ``others`` are the session's earlier articles: their vectors are taken from
    ``previous``, so only ``document`` is embedded (and only it is size-checked)."""
    settings = pool.replicas[0].settings
    check_size(document, settings.chunk_size - settings.chunk_overlap)
    embedder = LeasedEmbedder(pool, started + seconds, document.id, on_batch)
    index, _ = build_index([*others, document], settings, embedder, previous=previous)
    return index


def reindex_without(pool: PipelinePool, documents: Sequence[Document], previous: StoredIndex):
    """The index of ``documents`` (some of ``previous``' articles) from ``previous``' vectors:
    removing an article embeds nothing."""
    embedder = LeasedEmbedder(pool, time.monotonic() + INDEX_SECONDS, "your articles")
    index, _ = build_index(list(documents), pool.replicas[0].settings, embedder, previous=previous)
    return index


def check_size(document: Document, step: int) -> None:
    """CorpusError at once, before chunking, for an article that cannot be indexed in time."""
    estimate = len(document.text) // max(step, 1) + 1
    if estimate > MAX_CHUNKS:
        raise CorpusError(
            f"{document.id}: the article is {len(document.text):,} characters (about "
            f"{estimate:,} passages); your own article may have up to {MAX_CHUNKS} passages "
            f"(~{MAX_CHUNKS * step:,} characters) so that it is ready within "
            f"{INDEX_SECONDS:.0f} s"
        )
