"""Checks on what callers pass in, with messages that say what to fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from qa.types import Answer

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


def validate_history(history: object, max_chars: int) -> list[str | Answer]:
    """Earlier turns, oldest first: questions (blank ones dropped) or the Answers they got,
    which carry their resolved question and answer text."""
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise ValueError("history must be a list of earlier questions (oldest first)")
    turns: list[str | Answer] = []
    for number, turn in enumerate(history, start=1):
        if isinstance(turn, Answer):
            turns.append(turn)
        elif not isinstance(turn, str):
            raise ValueError(
                f"history items must be questions (str) or Answers, not {type(turn).__name__}"
            )
        elif turn.strip():
            turns.append(validate_question(turn, max_chars, f"history item {number}"))
    return turns


def validate_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise ValueError(f"k must be a whole number from 1 to 100, not {k!r}")
    return k


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
