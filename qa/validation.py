"""Checks on what callers pass in, with messages that say what to fix."""

from __future__ import annotations

from collections.abc import Sequence


def validate_question(question: object, max_chars: int) -> str:
    """The question stripped of surrounding whitespace, or ValueError saying what is wrong."""
    if not isinstance(question, str):
        raise ValueError(f"question must be text (str), not {type(question).__name__}")
    text = question.strip()
    if not text:
        raise ValueError("question is empty: type a question about the article")
    if len(text) > max_chars:
        raise ValueError(
            f"question is {len(text):,} characters; keep it under {max_chars:,} characters"
        )
    return text


def validate_history(history: object, max_chars: int) -> list[str]:
    """Earlier user questions, oldest first; blank turns are dropped."""
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise ValueError("history must be a list of earlier questions (oldest first)")
    turns = []
    for turn in history:
        if not isinstance(turn, str):
            raise ValueError(f"history items must be text (str), not {type(turn).__name__}")
        if turn.strip():
            turns.append(validate_question(turn, max_chars))
    return turns


def validate_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise ValueError(f"k must be a whole number from 1 to 100, not {k!r}")
    return k
