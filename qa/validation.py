"""Checks on what callers pass in, with messages that say what to fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from typing import Any

# Lone surrogates cannot be encoded (tokenizers and spaCy fail on them); control characters
# other than tab and newlines are never part of a question.
# m8: also C1 controls (U+0085, U+009B: a terminal's CSI), noncharacters (U+FFFE, U+FFFF,
# U+FDD0-U+FDEF) and bidi overrides/isolates, which reorder how the question is displayed.
_BAD_CHARS = re.compile(
    r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
    r"\u202a-\u202e\u2066-\u2069]"
)


def validate_question(question: object, max_chars: int, label: str = "question") -> str:
    """The question stripped of surrounding whitespace, or ValueError saying what is wrong
    (``label`` names it in the message: "question", or "history item 2")."""
    if not isinstance(question, str):
        raise ValueError(f"{label} must be text (str), not {type(question).__name__}")
    text = question.strip()
    bad = _BAD_CHARS.search(text)
    if bad:
        raise ValueError(
            f"{label} holds an invalid character (U+{ord(bad.group()):04X} at position "
            f"{bad.start()}); send plain text"
        )
    if not text:
        raise ValueError(f"{label} is empty: type a question about the article")
    if len(text) > max_chars:
        raise ValueError(
            f"{label} is {len(text):,} characters; keep it under {max_chars:,} characters"
        )
    return text


def validate_history(history: object, max_chars: int) -> list[str]:
    """Earlier user questions, oldest first; blank turns are dropped."""
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise ValueError("history must be a list of earlier questions (oldest first)")
    turns = []
    for number, turn in enumerate(history, start=1):
        if not isinstance(turn, str):
            raise ValueError(f"history items must be text (str), not {type(turn).__name__}")
        if turn.strip():
            turns.append(validate_question(turn, max_chars, f"history item {number}"))
    return turns


def validate_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise ValueError(f"k must be a whole number from 1 to 100, not {k!r}")
    return k


# name -> (lowest, highest) for whole-number settings; None = no upper bound.
_WHOLE = {
    "k": (1, 100),
    "read_depth": (1, 50),
    "candidates": (1, 1000),
    "rerank_depth": (1, 100),
    "rrf_k": (1, None),
    "embed_batch_size": (1, 4096),
    "onnx_threads": (0, 256),
    "chunk_size": (50, None),
    "chunk_overlap": (0, None),
    "max_alternatives": (0, 20),
    "max_question_chars": (1, None),
    "max_history_turns": (0, 50),
    "approximate_above": (0, None),
}
_SHARE = ("abstain_threshold", "conflict_ratio")  # numbers from 0 to 1
_CHOICES = {
    "retrieval": ("hybrid+rerank", "hybrid", "dense", "bm25"),
    "reader": ("neural", "span", "sentence"),
    "vector_index": ("auto", "flat", "hnsw"),
    "vector_store": ("faiss", "milvus"),
}
_NAMES = ("embedding_model", "reranker_model", "reader_model")


def validate_settings(settings: Any) -> Any:
    """The settings unchanged, or ValueError naming the first field that is out of range."""
    for name, (lo, hi) in _WHOLE.items():
        value = getattr(settings, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < lo
            or (hi is not None and value > hi)
        ):
            bound = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
            raise ValueError(f"setting {name} must be a whole number {bound}, not {value!r}")
    for name in _SHARE:
        value = getattr(settings, name)
        if value is None and name == "abstain_threshold":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"setting {name} must be a number from 0 to 1, not {value!r}")
    margin = settings.topic_margin
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 <= margin <= 100:
        raise ValueError(f"setting topic_margin must be a number from 0 to 100, not {margin!r}")
    for name, choices in _CHOICES.items():
        if getattr(settings, name) not in choices:
            raise ValueError(
                f"setting {name} must be one of {', '.join(choices)}, "
                f"not {getattr(settings, name)!r}"
            )
    for name in _NAMES:
        value = getattr(settings, name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"setting {name} must be a model name or path, not {value!r}")
    if settings.vector_store == "milvus" and not str(settings.milvus_uri).strip():
        raise ValueError("setting milvus_uri is needed with vector_store='milvus'")
    if settings.chunk_overlap >= settings.chunk_size:
        raise ValueError("setting chunk_overlap must be smaller than chunk_size")
    for name in ("corpus_dir", "index_dir"):
        value = getattr(settings, name)
        if not isinstance(value, str | PathLike) and not (value is None and name == "index_dir"):
            raise ValueError(f"setting {name} must be a folder path, not {value!r}")
    return settings


def validate_doc_ids(doc_ids: Any) -> list[str] | None:
    """Article ids as a list (None: every article); ValueError for a bare string or empties.

    A bare string would be read as its characters, so it is refused with a hint.
    """
    if doc_ids is None:
        return None
    if isinstance(doc_ids, str | bytes):
        raise ValueError("doc_ids must be a list of article ids, e.g. ['article.txt']")
    ids = list(doc_ids)
    if not ids or not all(isinstance(d, str) and d for d in ids):
        raise ValueError("doc_ids must name at least one article, each a non-empty string")
    return ids
