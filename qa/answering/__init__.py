"""Answering: follow-up questions made self-contained (``followup``), candidates composed into
an Answer (``compose``), and a conversation exported as Markdown or JSON (``export``).
"""

from qa.answering.compose import (
    Composer,
    rank_alternatives,
    supporting_citations,
)
from qa.answering.export import (
    confidence_level,
    conversation_json,
    conversation_markdown,
    escape_markdown,
)
from qa.answering.followup import (
    resolve,
    resolve_history,
    resolve_next,
)

__all__ = [
    "Composer",
    "confidence_level",
    "conversation_json",
    "conversation_markdown",
    "escape_markdown",
    "rank_alternatives",
    "resolve",
    "resolve_history",
    "resolve_next",
    "supporting_citations",
]
