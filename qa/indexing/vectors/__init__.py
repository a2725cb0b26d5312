"""Vector stores behind one protocol (``VectorStore``): FAISS files in the index folder
(``faiss_store``), or a Milvus collection (``milvus_store``, pymilvus loaded on first use).
"""

from qa.indexing.vectors.faiss_store import (
    EXACT_FILTER_ROWS,
    FaissStore,
    VectorStore,
    build_store,
    choose_kind,
    exact_search,
    recall_at_k,
    top_k,
)
from qa.indexing.vectors.milvus_store import (
    MilvusStore,
    new_milvus_store,
)

__all__ = [
    "EXACT_FILTER_ROWS",
    "FaissStore",
    "MilvusStore",
    "VectorStore",
    "build_store",
    "choose_kind",
    "exact_search",
    "new_milvus_store",
    "recall_at_k",
    "top_k",
]
