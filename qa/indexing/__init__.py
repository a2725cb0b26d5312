"""Indexing: chunks embedded and saved as one checksummed folder.

``build`` makes, updates or opens an index; ``folder`` is its on-disk format (manifest,
chunks, checks, atomic swap); ``bm25`` the lexical index; ``vectors`` the vector stores.
"""

from qa.indexing.bm25 import (
    STOPWORDS,
    BM25Index,
    tokenize,
)
from qa.indexing.build import (
    EMBED_CALL,
    Embedder,
    IndexReport,
    build_index,
    check_chunks,
    diff_files,
    embed_chunks,
    expected_manifest,
    make_store,
    open_corpus_index,
    open_index,
    read_previous,
)
from qa.indexing.folder import (
    BM25_DIR,
    CHUNKS_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    MILVUS_FILE,
    IndexLoadError,
    Manifest,
    StoredIndex,
    corpus_hash,
    load_index,
    read_chunks,
    read_manifest,
    save_index,
    verify_checksums,
)
from qa.indexing.vectors import (
    FaissStore,
    VectorStore,
    build_store,
    recall_at_k,
)
from qa.indexing.vectors.milvus_calls import CollectionMissing, VectorStoreUnavailable
from qa.indexing.vectors.milvus_store import MilvusStore  # pymilvus is imported on first use

__all__ = [
    "BM25_DIR",
    "CHUNKS_FILE",
    "EMBED_CALL",
    "FAISS_FILE",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "MILVUS_FILE",
    "STOPWORDS",
    "BM25Index",
    "CollectionMissing",
    "Embedder",
    "FaissStore",
    "IndexLoadError",
    "IndexReport",
    "Manifest",
    "MilvusStore",
    "StoredIndex",
    "VectorStore",
    "VectorStoreUnavailable",
    "build_index",
    "build_store",
    "check_chunks",
    "corpus_hash",
    "diff_files",
    "embed_chunks",
    "expected_manifest",
    "load_index",
    "make_store",
    "open_corpus_index",
    "open_index",
    "read_chunks",
    "read_manifest",
    "read_previous",
    "recall_at_k",
    "save_index",
    "tokenize",
    "verify_checksums",
]
