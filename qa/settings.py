"""Every tunable of the pipeline, declared once: its default and why, its bounds or choices, and
its scope. Validation, the index/model field set and the CLI's choices are derived from here.

Scope ``index``: changes the index (a different folder or a rebuild); ``model``: changes the
loaded models; ``call``: may differ per call (``answer(q, k=3)``) on one loaded pipeline.
The environment (MILVUS_TOKEN, QA_AUTH, QA_SHARED_DATA, XDG_CACHE_HOME) is read in
``Environment.read`` and nowhere else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

Scope = Literal["index", "model", "call"]

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SEED_FILES = "seeds"  # the seed article's folder: top level in a checkout, in the package too


def is_checkout(root: Path = PROJECT_ROOT) -> bool:
    """Whether ``root`` is a source checkout (editable install), not site-packages."""
    return (root / "pyproject.toml").is_file() and (root / SEED_FILES).is_dir()


def default_corpus_dir(root: Path = PROJECT_ROOT) -> Path:
    """seeds/ of the checkout, else the copy shipped in the package (a wheel install)."""
    return root / SEED_FILES if is_checkout(root) else PACKAGE_DIR / SEED_FILES


@dataclass(frozen=True)
class Environment:
    """The settings that come from the environment, read in one place."""

    milvus_token: str = ""  # never written to disk
    auth: str = ""  # "user:password" for `qa serve`, the same as --auth
    shared_data: Path | None = None  # the shared data folder (holding external/ and train/)
    cache_home: Path | None = None  # XDG_CACHE_HOME: where a wheel install keeps its indexes

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if env is None else env
        shared, cache = env.get("QA_SHARED_DATA"), env.get("XDG_CACHE_HOME")
        return cls(
            milvus_token=env.get("MILVUS_TOKEN", ""),
            auth=env.get("QA_AUTH", ""),
            shared_data=Path(shared).expanduser() if shared else None,
            cache_home=Path(cache).expanduser() if cache else None,
        )


def shared_data_dir(environment: Environment | None = None) -> Path:
    """The shared data folder (external/ and train/ inside): $QA_SHARED_DATA, else
    ../shared/data beside the checkout."""
    chosen = (environment or Environment.read()).shared_data
    return PROJECT_ROOT.parent / "shared" / "data" if chosen is None else chosen


def index_root(root: Path = PROJECT_ROOT, environment: Environment | None = None) -> Path:
    """index/ in a checkout; a per-user cache folder otherwise (never inside site-packages)."""
    if is_checkout(root):
        return root / "index"
    cache = (environment or Environment.read()).cache_home or Path.home() / ".cache"
    return cache / "article-qa" / "index"


def index_folder_name(corpus_dir: Path) -> str:
    """A readable name and a digest of the corpus's full path: two folders both named
    ``corpus`` get two indexes."""
    resolved = Path(corpus_dir).expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:10]
    return f"{resolved.name or 'corpus'}-{digest}"


def setting(
    default: Any,
    reason: str,
    scope: Scope = "call",
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    """A Settings field with its reason, scope and bounds (``low``/``high``) or ``choices``."""
    meta = {"reason": reason, "scope": scope, "low": low, "high": high, "choices": choices}
    return field(default=default, metadata=meta)


# Each variant adds a stage to the one before: the ablations (eval.conditions) in this order.
RETRIEVAL_CHOICES = ("dense", "bm25", "hybrid", "hybrid+rerank")
READER_CHOICES = ("neural", "span", "sentence")


@dataclass(frozen=True)
class Settings:
    """Configuration of the whole pipeline. Change a field with ``settings.replace(k=3)``."""

    corpus_dir: Path = setting(  # noqa: RUF009 (the default is found once, at import)
        default_corpus_dir(), "the seed article; any folder of .txt/.md articles", "index"
    )
    index_dir: Path | None = setting(  # noqa: RUF009 (setting() is field() with metadata)
        None, "None: <index root>/<corpus name>-<path digest>/, one index per corpus", "index"
    )
    embedding_model: str = setting(
        "article-qa/embedder",
        "all-MiniLM-L6-v2 in int8 ONNX (qa/models/embedder): 3.5x the torch model's indexing "
        "speed, dense R@1 0.658 vs 0.659 on SQuAD dev 1-24",
        "index",
    )
    reranker_model: str = setting(
        "cross-encoder/ms-marco-MiniLM-L-12-v2",
        "the rerank is most of the accuracy (R@1 0.811 -> 0.967 on the seed article)",
        "model",
    )
    reader_model: str = setting(
        "article-qa/reader",
        "this project's int8 ONNX reader (qa/models/reader); or a folder, or a transformers model",
        "model",
    )
    chunk_size: int = setting(
        800,
        "characters; a chunk is one paragraph or part of one (~200 tokens; the embedder reads "
        "its first 128, the length all-MiniLM-L6-v2 was trained at)",
        "index",
        low=50,
    )
    chunk_overlap: int = setting(100, "characters shared by neighbouring chunks", "index", low=0)
    retrieval: str = setting(
        "hybrid+rerank", "the other variants exist for ablations", choices=RETRIEVAL_CHOICES
    )
    reader: str = setting(
        "neural",
        "the trained model; span (spaCy + logistic) and sentence are the earlier readers",
        choices=READER_CHOICES,
    )
    k: int = setting(
        5, "passages returned by search() and considered by the reader", low=1, high=100
    )
    read_depth: int = setting(
        3,
        "paragraphs the neural reader reads: F1 0.7852/0.7949/0.7986/0.7989 at 1/2/3/5 on "
        "held-out SQuAD 22-24; 3 reads 40% less than 5",
        low=1,
        high=50,
    )
    candidates: int = setting(20, "taken from each retriever before fusion", low=1, high=1000)
    rerank_depth: int = setting(
        5,
        "fused passages the cross-encoder rescores (at least k); 8 gave the same seed F1 at "
        "35% more latency",
        low=1,
        high=100,
    )
    rrf_k: int = setting(60, "Cormack et al. (2009); damps the top ranks' dominance", low=1)
    embed_batch_size: int = setting(
        32,
        "texts per embedder batch (batched by length, so little padding)",
        "model",
        low=1,
        high=4096,
    )
    vector_index: str = setting(
        "auto",
        "flat (exact) up to approximate_above chunks, HNSW beyond",
        "index",
        choices=("auto", "flat", "hnsw"),
    )
    approximate_above: int = setting(
        300_000,
        "exact search passes 20 ms at about 310k chunks (6.4 ms at 100k, eval.bench_scale)",
        "index",
        low=0,
    )
    vector_store: str = setting(
        "faiss",
        "faiss: files in the index folder; milvus: pip install article-qa[milvus]",
        "index",
        choices=("faiss", "milvus"),
    )
    milvus_uri: str = setting("", "a Milvus Lite file (*.db) or a server's http:// URI", "index")
    onnx_threads: int = setting(
        0,
        "0: onnxruntime's choice; a pool of N replicas runs best with 1 each",
        "model",
        low=0,
        high=256,
    )
    abstain_threshold: float | None = setting(
        None,
        "None: the reader's own threshold, fitted on held-out dev data (train.calibrate, "
        "eval.tune), never on reported data",
        low=0,
        high=1,
    )
    max_alternatives: int = setting(3, "runner-up answers listed", low=0, high=20)
    conflict_ratio: float = setting(
        0.8,
        "a runner-up this close to the best (share of its confidence) flags a conflict",
        low=0,
        high=1,
    )
    max_question_chars: int = setting(
        2000, "longer than any real question; bounds one caller's work", low=1
    )
    max_history_turns: int = setting(
        3, "earlier questions a follow-up is resolved against; 0: none", low=0, high=50
    )
    topic_margin: float = setting(
        2.0,
        "cross-encoder logits (about one order of odds) another article's best passage must "
        "win by to pull a follow-up off its conversation's article; chosen by reasoning",
        low=0,
        high=100,
    )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; unknown names raise TypeError."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_index_dir(self) -> Path:
        if self.index_dir is not None:
            return Path(self.index_dir)
        return index_root() / index_folder_name(self.corpus_dir)

    @property
    def legacy_index_dir(self) -> Path | None:
        """Where the index of this corpus lived before folders carried a path digest."""
        if self.index_dir is not None:
            return None
        return index_root() / Path(self.corpus_dir).expanduser().resolve().name


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
# Settings that change the index or the models: a pipeline is built for them; the others may
# vary per call.
INDEX_FIELDS = tuple(name for name, f in FIELDS.items() if f.metadata["scope"] != "call")
PER_CALL_FIELDS = tuple(name for name in FIELDS if name not in INDEX_FIELDS)


def choices(name: str) -> tuple[str, ...]:
    return FIELDS[name].metadata["choices"]


def _check_field(name: str, value: Any) -> None:
    meta, default = FIELDS[name].metadata, FIELDS[name].default
    if meta["choices"]:
        if value not in meta["choices"]:
            options = ", ".join(meta["choices"])
            raise ValueError(f"setting {name} must be one of {options}, not {value!r}")
    elif name == "abstain_threshold" and value is None:
        return
    elif isinstance(default, int):
        _check_number(name, value, meta, whole=True)
    elif isinstance(default, float) or name == "abstain_threshold":
        _check_number(name, value, meta, whole=False)
    elif name.endswith("_model") and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"setting {name} must be a model name or path, not {value!r}")
    elif name.endswith("_dir") and not _is_folder(name, value):
        raise ValueError(f"setting {name} must be a folder path, not {value!r}")


def _is_folder(name: str, value: Any) -> bool:
    return isinstance(value, str | PathLike) or (value is None and name == "index_dir")


def _check_number(name: str, value: Any, meta: Mapping[str, Any], whole: bool) -> None:
    low, high = meta["low"], meta["high"]
    kind = int if whole else int | float
    ok = not isinstance(value, bool) and isinstance(value, kind)
    ok = ok and not (isinstance(value, float) and math.isnan(value))
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    if ok:
        return
    what = "a whole number" if whole else "a number"
    bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise ValueError(f"setting {name} must be {what} {bound}, not {value!r}")


def validate_settings(settings: Settings) -> Settings:
    """The settings unchanged, or ValueError naming the first field that is out of range."""
    for name in FIELDS:
        _check_field(name, getattr(settings, name))
    if settings.vector_store == "milvus" and not str(settings.milvus_uri).strip():
        raise ValueError("setting milvus_uri is needed with vector_store='milvus'")
    if settings.chunk_overlap >= settings.chunk_size:
        raise ValueError("setting chunk_overlap must be smaller than chunk_size")
    return settings
