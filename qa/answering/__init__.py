"""Answering: follow-up questions made self-contained (``followup``, with the pronoun rules in
``pronouns``, what an article says of its names in ``referents`` and an earlier answer as an
antecedent in ``answer_referent``), candidates composed into an Answer (``compose``), and a
conversation exported as Markdown or JSON (``export``); what kind of answer a question asks
for (``kinds``) and its form: a statement around the reader's span (``forms``,
``kind_answers``) or the headline and lede (``gist``); questions to suggest for an article
(``suggest``).
"""

from qa.answering.answer_referent import answer_mention
from qa.answering.compose import (
    Composer,
    rank_alternatives,
    supporting_citations,
)
from qa.answering.export import (
    NO_VERDICT_NOTE,
    confidence_level,
    conversation_json,
    conversation_markdown,
    escape_markdown,
    kind_line,
    verdict_note,
)
from qa.answering.followup import (
    AnswerOf,
    Turn,
    resolve,
    resolve_conversation,
)
from qa.answering.forms import content_words, is_echo
from qa.answering.kinds import KINDS, Kind, question_kind
from qa.answering.referents import Mention, names_in
from qa.answering.suggest import Suggestion, keep_answered, suggestions_for

__all__ = [
    "KINDS",
    "NO_VERDICT_NOTE",
    "AnswerOf",
    "Composer",
    "Kind",
    "Mention",
    "Suggestion",
    "Turn",
    "answer_mention",
    "confidence_level",
    "content_words",
    "conversation_json",
    "conversation_markdown",
    "escape_markdown",
    "is_echo",
    "keep_answered",
    "kind_line",
    "names_in",
    "question_kind",
    "rank_alternatives",
    "resolve",
    "resolve_conversation",
    "suggestions_for",
    "supporting_citations",
    "verdict_note",
]
