"""Follow-up questions without an LLM: pronouns and ellipsis resolved from earlier turns.

"What does she believe?" after "Who is Theresa Fallon?" becomes
"What does Theresa Fallon believe?"; "What about Raffaello Pantucci?" after
"Where does Theresa Fallon work?" becomes "Where does Raffaello Pantucci work?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from qa.reading.nlp import parse
from qa.reading.question import question_kind
from qa.types import Answer

PERSONAL = {"he", "him", "his", "she", "her", "hers", "himself", "herself"}
NEUTER = {"it", "its", "itself"}
PLURAL = {"they", "them", "their", "theirs", "themselves"}
POSSESSIVE = {"his", "hers", "its", "their", "theirs"}
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_AND = re.compile(r"^\s*and\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_PERSON_LABELS = {"PERSON"}
_WHO_IS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(?!the\b|a\b|an\b)", re.IGNORECASE)
_GROUP_LABELS = {"ORG", "NORP", "GPE"}


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    label: str  # entity label, or "NOUN" for a plain noun phrase
    start: int  # character offsets in the question it came from
    end: int


def mentions(question: str) -> list[Mention]:
    """Named entities of a question, then its noun phrases that are not pronouns or wh-words."""
    doc = parse(question)
    found = [Mention(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]
    covered = {i for e in doc.ents for i in range(e.start, e.end)}
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ in ("PRON", "DET") or chunk.root.tag_.startswith("W"):
            continue
        if not any(t.i in covered for t in chunk):
            label = "PROPN" if chunk.root.pos_ == "PROPN" else "NOUN"
            found.append(Mention(chunk.text, label, chunk.start_char, chunk.end_char))
    found.sort(key=lambda m: m.start)
    return _coordinated(question, found) + found


def _coordinated(question: str, found: list[Mention]) -> list[Mention]:
    """ "China and Russia" as one plural mention, the antecedent of "they"."""
    pairs = []
    for left, right in pairwise(found):
        if question[left.end : right.start].strip().lower() in ("and", "&"):
            pairs.append(Mention(question[left.start : right.end], "GROUP", left.start, right.end))
    return pairs


def pick_antecedent(pronoun: str, candidates: Sequence[Mention]) -> Mention | None:
    """The first candidate whose kind fits the pronoun (he/she: a person; it: not a person)."""

    def fits(m: Mention) -> bool:
        if pronoun in PERSONAL:
            return m.label in _PERSON_LABELS | {"PROPN"}
        if pronoun in NEUTER:
            return m.label not in _PERSON_LABELS | {"GROUP"}
        return m.label not in _PERSON_LABELS

    groups = [m for m in candidates if m.label == "GROUP"] if pronoun in PLURAL else []
    named = [m for m in candidates if m.label not in ("NOUN", "GROUP")]
    preferred = groups + named + [m for m in candidates if m.label == "NOUN"]
    return next((m for m in preferred if fits(m)), None)


def replace_pronouns(
    question: str,
    candidates: Sequence[Mention],
    fallback: Callable[[], Mention | None] = lambda: None,
) -> str:
    """Each third-person pronoun replaced by the antecedent that fits it.

    ``fallback`` (called at most when needed) supplies the previous turn's answer, the referent
    when no mention fits: "he" after "Who directs the Carnegie Center?" is its answer.
    """
    doc = parse(question)
    pieces, cursor = [], 0
    for token in doc:
        word = token.lower_
        if token.pos_ != "PRON" and token.tag_ != "PRP$":
            continue
        if word not in PERSONAL | NEUTER | PLURAL or _is_expletive(token):
            continue
        antecedent = pick_antecedent(word, candidates)
        if antecedent is None and (extra := fallback()) is not None:
            antecedent = pick_antecedent(word, [extra])
        if antecedent is None:
            continue
        possessive = word in POSSESSIVE or token.tag_ == "PRP$"
        pieces += [question[cursor : token.idx], antecedent.text + ("’s" if possessive else "")]
        cursor = token.idx + len(token.text)
    return "".join(pieces) + question[cursor:]


def _is_expletive(token) -> bool:
    """'it' in "Is it true that ..." or "it is said" refers to nothing."""
    return token.lower_ == "it" and token.dep_ == "expl"


AnswerOf = Callable[[str], str]


def resolve(question: str, history: Sequence[str], answer_of: AnswerOf | None = None) -> str:
    """``question`` made self-contained using the earlier questions (oldest first).

    ``answer_of`` answers an earlier (resolved) question; its answer is the referent of a
    pronoun that no earlier mention fits.
    """
    return resolve_next(question, resolve_history(history, answer_of), answer_of)


def resolve_history(
    history: Sequence[str | Answer], answer_of: AnswerOf | None = None
) -> list[str]:
    """Each earlier question made self-contained by the ones before it (oldest first); an
    earlier Answer carries its own resolution, so it is not resolved again."""
    resolved: list[str] = []
    for turn in history:
        if isinstance(turn, Answer):
            resolved.append(turn.resolved_question or turn.question)
        else:
            resolved.append(resolve_next(turn, resolved, answer_of))
    return resolved


def _answer_mention(previous: str, answer_of: AnswerOf | None) -> Callable[[], Mention | None]:
    @cache
    def mention() -> Mention | None:
        text = answer_of(previous) if answer_of else ""
        if not text:
            return None
        return Mention(text, "PERSON" if question_kind(previous) == "who" else "NOUN", -1, -1)

    return mention


def _asks_for_a_person(question: str) -> bool:
    """ "Who directs X?" asks for a person who is not named; "Who is Theresa Fallon?" names her."""
    if question_kind(question) != "who" or _WHO_IS.match(question):
        return False
    return not any(m.label in _PERSON_LABELS for m in mentions(question))


def resolve_next(question: str, history: Sequence[str], answer_of: AnswerOf | None) -> str:
    if not history:
        return question
    previous = history[-1]
    candidates = [m for turn in reversed(history) for m in mentions(turn)]
    fallback = _answer_mention(previous, answer_of)
    if _asks_for_a_person(previous):
        # "Who directs X?" then "What does he believe?": "he" is the answer, not X.
        candidates = [m for m in candidates if m.label not in _PERSON_LABELS | {"PROPN"}]
    ellipsis = _ELLIPSIS.match(question) or _AND.match(question)
    if ellipsis and (prior := mentions(previous)):
        target = next((m for m in prior if m.label not in ("NOUN", "GROUP")), prior[-1])
        new = ellipsis.group(1)
        return previous[: target.start] + new + previous[target.end :]
    rewritten = replace_pronouns(question, candidates, fallback)
    if rewritten == question and not mentions(question) and candidates:
        # A bare follow-up ("Why?", "When was that?") carries its topic from the last turn.
        return f"{question} ({previous})"
    return rewritten
