"""Follow-up questions without an LLM: pronouns and ellipsis resolved from earlier turns.

"What does she believe?" after "Who is Theresa Fallon?" becomes
"What does Theresa Fallon believe?"; "What about Raffaello Pantucci?" after
"Where does Theresa Fallon work?" becomes "Where does Raffaello Pantucci work?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from qa.nlp import parse
from qa.pronouns import POSSESSIVE, is_bare, replaceable
from qa.question import question_kind
from qa.referents import NO_NAMES, Mention, Names, fits, name_key

_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_AND = re.compile(r"^\s*and\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_WHO_IS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(?!the\b|a\b|an\b)", re.IGNORECASE)
# Questions whose answer names someone or something a later pronoun may stand for.
_NAMING_KINDS = frozenset({"who", "which", "what"})


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
            words = [t for t in chunk if not t.tag_.startswith("W") and t.lower_ not in _HOW]
            if not words:
                continue
            begin, finish = words[0].idx, chunk.end_char
            plural = chunk.root.tag_ in ("NNS", "NNPS")
            found.append(Mention(question[begin:finish], label, begin, finish, plural))
    found.sort(key=lambda m: m.start)
    return _coordinated(question, found) + found


_HOW = frozenset({"how", "many", "much"})  # "How many advertising partners": not the mention


def _coordinated(question: str, found: list[Mention]) -> list[Mention]:
    """ "China and Russia" as one plural mention, the antecedent of "they"."""
    pairs = []
    for left, right in pairwise(found):
        if question[left.end : right.start].strip().lower() in ("and", "&"):
            pairs.append(Mention(question[left.start : right.end], "GROUP", left.start, right.end))
    return pairs


@dataclass(frozen=True, slots=True)
class Turn:
    """An earlier question of the conversation, as asked and as resolved."""

    index: int  # its position in the history, oldest first
    asked: str
    resolved: str


# The answer to an earlier turn as a mention (None: no answer, or not one to refer back to).
AnswerOf = Callable[[Turn], Mention | None]


def _no_answer(turn: Turn) -> Mention | None:
    return None


def _names_an_answer(question: str) -> bool:
    """ "Who replaced Tom Hale?" names someone in its answer; "Who is Tom Hale?" describes him."""
    return question_kind(question) in _NAMING_KINDS and not _WHO_IS.match(question)


def candidates(turns: Sequence[Turn], answer_of: AnswerOf) -> Iterator[Mention]:
    """Possible antecedents, most recent first: each turn's answer (the newest thing said),
    then the groups, names and noun phrases of its question. Answers are asked for lazily."""
    for turn in reversed(turns):
        if _names_an_answer(turn.resolved) and (answer := answer_of(turn)) is not None:
            yield answer
        found = mentions(turn.resolved)
        yield from (m for m in found if m.label == "GROUP")
        yield from (m for m in found if m.label not in ("NOUN", "GROUP"))
        yield from (m for m in found if m.label == "NOUN")


class _Seen:
    """An iterator's items kept as they come, so later pronouns can look again without
    asking for an answer twice."""

    def __init__(self, items: Iterator[Mention]) -> None:
        self._items, self._seen = items, []

    def __iter__(self) -> Iterator[Mention]:
        yield from self._seen
        for item in self._items:
            self._seen.append(item)
            yield item


def _as_written(antecedent: Mention, at: int, possessive: bool) -> str:
    """The antecedent as it reads in place of the pronoun at character ``at``."""
    text = antecedent.text
    if at > 0 and re.match(r"(The|A|An) ", text):
        text = text[0].lower() + text[1:]  # "the Information Commissioner", mid-question
    elif at == 0:
        text = text[0].upper() + text[1:]
    if not possessive:
        return text
    plural_s = text.endswith("s") and (antecedent.plural or antecedent.label == "GROUP")
    return text + ("’" if plural_s else "’s")


def replace_pronouns(question: str, found: Iterator[Mention], names: Names = NO_NAMES) -> str:
    """Each pronoun that stands for someone replaced by the latest earlier mention that fits
    it. A mention named in the question itself is never a pronoun's antecedent ("Why did it
    criticise Russia?": "it" is not Russia), and a second pronoun for the same antecedent
    stays ("Why did James Okafor cancel his rallies?")."""
    own = {name_key(m.text) for m in mentions(question)}
    pool = _Seen(m for m in found if name_key(m.text) not in own)
    pieces, cursor, used = [], 0, set()
    for token in parse(question):
        if not replaceable(token):
            continue
        word = token.lower_
        antecedent = next((m for m in pool if fits(word, m, names)), None)
        if antecedent is None or name_key(antecedent.text) in used:
            continue
        used.add(name_key(antecedent.text))
        possessive = word in POSSESSIVE or token.tag_ == "PRP$"
        pieces += [question[cursor : token.idx], _as_written(antecedent, token.idx, possessive)]
        cursor = token.idx + len(token.text)
    return "".join(pieces) + question[cursor:]


def _ellipsis(question: str, previous: str) -> str | None:
    """ "What about Raffaello Pantucci?" after "Where does Theresa Fallon work?": the
    previous question with its first name (else its last mention) replaced."""
    match = _ELLIPSIS.match(question) or _AND.match(question)
    prior = [m for m in mentions(previous) if m.label != "GROUP"] if match else []
    if not prior:
        return None
    target = next((m for m in prior if m.label != "NOUN"), prior[-1])
    return previous[: target.start] + match.group(1) + previous[target.end :]


def resolve_next(
    question: str,
    turns: Sequence[Turn],
    answer_of: AnswerOf = _no_answer,
    names: Names = NO_NAMES,
) -> str:
    """``question`` made self-contained from the earlier turns (resolved, oldest first)."""
    if not turns:
        return question
    previous = turns[-1].resolved
    elliptic = _ellipsis(question, previous)
    if elliptic is not None:
        return elliptic
    rewritten = replace_pronouns(question, candidates(turns, answer_of), names)
    if rewritten == question and is_bare(parse(question)):
        # "Why?", "When was that?": the question is about the last one's topic.
        return f"{question} ({previous})"
    return rewritten


def _cached(answer_of: AnswerOf) -> AnswerOf:
    """``answer_of`` asked at most once a turn: answering an earlier turn runs the pipeline."""
    known: dict[int, Mention | None] = {}

    def cached(turn: Turn) -> Mention | None:
        if turn.index not in known:
            known[turn.index] = answer_of(turn)
        return known[turn.index]

    return cached


def resolve_conversation(
    history: Sequence[str],
    question: str,
    answer_of: AnswerOf | None = None,
    names: Names = NO_NAMES,
) -> tuple[list[str], str]:
    """The earlier questions (oldest first) each made self-contained by the ones before it,
    and ``question`` by all of them. ``answer_of`` gives an earlier turn's answer as a
    mention; ``names`` is what the article says of its names (``qa.referents.names_in``)."""
    answer = _cached(answer_of or _no_answer)
    turns: list[Turn] = []
    for index, asked in enumerate(history):
        turns.append(Turn(index, asked, resolve_next(asked, turns, answer, names)))
    return [t.resolved for t in turns], resolve_next(question, turns, answer, names)


def resolve(
    question: str,
    history: Sequence[str],
    answer_of: AnswerOf | None = None,
    names: Names = NO_NAMES,
) -> str:
    """``question`` made self-contained using the earlier questions (oldest first)."""
    return resolve_conversation(history, question, answer_of, names)[1]
