"""Every tunable of the pipeline, declared once: its default and why, its bounds or choices, and
its scope. Validation, the index/model field set and the CLI's choices are derived from here.

Scope ``index``: changes the index (a different folder or a rebuild); ``model``: changes the
loaded models; ``call``: may differ per call (``answer(q, k=3)``) on one loaded pipeline.
The environment and the project's folders are in ``qa.environment``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from qa.environment import default_corpus_dir, index_folder_name, index_root

Scope = Literal["index", "model", "call"]


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
# hybrid+reader: one pass, the reader-ranker reads the fused passages and ranks them by its
# relevance head (no separate cross-encoder rerank); it needs a reader_model that has one.
RETRIEVAL_CHOICES = ("dense", "bm25", "hybrid", "hybrid+rerank", "hybrid+reader")
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
        1,
        "paragraphs the neural reader reads (two passes): the cross-encoder's top one (a "
        "headline ranked first does not count); F1 "
        "0.7650/0.7629/0.7644 at 1/2/3 on the held-out cases of 8 sources (train.calibrate), "
        "and 1 reads a third of 3",
        low=1,
        high=50,
    )
    candidates: int = setting(20, "taken from each retriever before fusion", low=1, high=1000)
    rerank_depth: int = setting(
        5,
        "fused passages the cross-encoder rescores (the rest follow unscored; at least "
        "read_depth); 8 gave the same seed F1 at "
        "35% more latency",
        low=1,
        high=100,
    )
    rerank_exit_score: float = setting(
        math.inf,
        "inf: the cross-encoder scores all of rerank_depth. A logit: when one of the first "
        "rerank_exit_after fused passages scores this, the rest are not scored (they follow in "
        "fused order). 6.0 saves 30% of its work on the seed article (mean answer() -16%, "
        "median unchanged) but cost SQuAD 25-48 0.6 F1 / 0.9 cite@1: off by default",
    )
    rerank_exit_after: int = setting(
        2,
        "fused passages scored before the early exit is considered (at least read_depth + 1); 3 "
        "saved a third less and changed the first passage of 2 of 600 SQuAD 1-24 questions "
        "against 2's 4 (README)",
        low=1,
        high=100,
    )
    rrf_k: int = setting(60, "Cormack et al. (2009); damps the top ranks' dominance", low=1)
    embed_batch_size: int = setting(
        32,
        "texts per embedder batch (batched by token count, so little padding)",
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
    allow_private_urls: bool = setting(
        False,
        "a link (qa ask --url, answer(url=...)) to a private, loopback, link-local or other "
        "non-public address is refused: a server fetching links must not reach its own "
        "network; QA_ALLOW_PRIVATE_URLS=1 turns it on too",
    )
    topic_margin: float = setting(
        2.0,
        "cross-encoder logits (about one order of odds) another article's best passage must "
        "win by to pull a follow-up off its conversation's article; chosen by reasoning",
        low=0,
        high=100,
    )
    answer_forms: bool = setting(
        True,
        "answer each kind of question in its own form (qa.answering.kinds, issue 17): a "
        "why/how/opinion/yes-no question gets the clause or sentence around the reader's span, "
        "a gist question the headline and lede; False: the reader's span for every question, "
        "as before (factoid questions are answered the same either way)",
    )
    form_max_sentences: int = setting(
        2,
        "sentences a statement answer may span (adjacent, one paragraph): a reader's span "
        "crosses at most one sentence end",
        low=1,
        high=5,
    )
    form_min_clause_words: int = setting(
        6,
        "a clause shorter than this is a fragment ('as a neutral broker'), so the sentence is "
        "given instead; chosen by reading the seed article's clauses, not fitted",
        low=1,
        high=50,
    )
    form_threshold: float | None = setting(
        None,
        "confidence under which a statement answer is withheld; None: the reader's own "
        "threshold, for every kind (an earlier attempt's sentence cut-off, fitted on "
        "SQuAD/NYT questions, refused 0.90 but answered only 0.58 of person-written ones)",
        low=0,
        high=1,
    )
    headline_max_words: int = setting(
        20,
        "an opening paragraph this short is a headline; the lede is the first paragraph longer "
        "than this (a subheading is skipped); news headlines run 5-15 words",
        low=1,
        high=200,
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
    elif isinstance(default, bool):  # before int: a bool is an int in Python
        if not isinstance(value, bool):
            raise ValueError(f"setting {name} must be True or False, not {value!r}")
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
    if low is None and high is None:
        raise ValueError(f"setting {name} must be {what}, not {value!r}")
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
    if settings.retrieval == "hybrid+rerank" and settings.read_depth > settings.rerank_depth:
        # A passage below the rerank has only its fused score, on another scale than the
        # cross-encoder's that the reader's span ranking and confidence weigh.
        raise ValueError("setting read_depth must not exceed rerank_depth (two passes)")
    if settings.retrieval == "hybrid+reader" and settings.reader != "neural":
        raise ValueError("setting retrieval='hybrid+reader' needs reader='neural' (one pass)")
    return settings
