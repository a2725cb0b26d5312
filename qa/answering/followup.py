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
from typing import TYPE_CHECKING

from qa.answering.pronouns import POSSESSIVE, is_bare, replaceable
from qa.answering.referents import GROUP, NO_NAMES, Mention, Names, fits, kind_of, name_key
from qa.reading.nlp import parse
from qa.reading.question import question_kind

if TYPE_CHECKING:
    from spacy.tokens import Span

_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_AND = re.compile(r"^\s*and\s+(.+?)\s*[?.!]*\s*$", re.IGNORECASE)
# "Who is Tom Hale?" describes Tom Hale; "Who is the chairman?", "Who is Brightway's
# director?" name someone in their answer.
_WHO_IS = re.compile(
    r"^\s*who\s+(is|was|are|were)\s+(?!the\b|a\b|an\b)(?!.*['’]s?\b\s*\w)", re.IGNORECASE
)
# Questions whose answer names someone or something a later pronoun may stand for.
_NAMING_KINDS = frozenset({"who", "which", "what"})


def mentions(question: str) -> list[Mention]:
    """Named entities of a question, then its noun phrases that are not pronouns or wh-words.

    A name that only modifies a noun ("the Elm Street bridge") gives way to the whole phrase.
    """
    doc = parse(question, keep=False)
    chunks = [c for c in (_trimmed(c) for c in doc.noun_chunks) if c is not None]
    modifiers = {  # "Elm Street" in "the Elm Street bridge"; a possessor ("China's") stays
        e.start
        for e in doc.ents
        for c in chunks
        if c.start <= e.start and e.end <= c.root.i and e.root.dep_ != "poss"
    }
    entities = [e for e in doc.ents if e.start not in modifiers]
    found = [Mention(e.text, e.label_, e.start_char, e.end_char) for e in entities]
    covered = {i for e in entities for i in range(e.start, e.end)}
    for chunk in chunks:
        if not any(t.i in covered for t in chunk):
            label = "PROPN" if chunk.root.pos_ == "PROPN" else "NOUN"
            plural = chunk.root.tag_ in ("NNS", "NNPS")
            found.append(Mention(chunk.text, label, chunk.start_char, chunk.end_char, plural))
    found.sort(key=lambda m: m.start)
    return _coordinated(question, found) + found


_HOW = frozenset({"how", "many", "much"})  # "How many advertising partners": not the mention
_AUXILIARIES = frozenset("do will would can could shall should may might must".split())


def _trimmed(chunk: Span) -> Span | None:
    """A noun chunk without its wh-words ("How many advertising partners"), or None when it
    is only a pronoun or a wh-word."""
    if chunk.root.pos_ in ("PRON", "DET") or chunk.root.tag_.startswith("W"):
        return None
    doc, start, end = chunk.doc, chunk.start, chunk.end
    while start < end and (
        doc[start].tag_.startswith("W") or doc[start].lower_ in _HOW or doc[start].pos_ == "AUX"
    ):
        start += 1
    # "When will the council vote?", "When did Ana Duarte sign?": the small parser takes the
    # verb for a noun ending the phrase; after do/will and with no verb later, it is the verb.
    auxiliary = any(t.lemma_.lower() in _AUXILIARIES for t in doc[:start])
    at_the_end = all(t.is_punct for t in doc[end:])  # only the question's last word
    last = doc[end - 1]
    if auxiliary and at_the_end and end - start > 1 and last == chunk.root and last.pos_ == "NOUN":
        end -= 1
    if not any(t.pos_ in ("NOUN", "PROPN", "NUM") for t in doc[start:end]):
        return None  # "the" alone is no mention
    return chunk.doc[start:end] if start < end else None


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


def candidates(turns: Sequence[Turn], answer_of: AnswerOf, subject: bool) -> Iterator[Mention]:
    """Possible antecedents, most recent turn first: the turn's answer (the newest thing
    said), then the groups, names and noun phrases of its question. A pronoun that is a
    subject continues the earlier subject before that turn's answer, unless the answer was
    the subject ("What did the Fire Brigade ask?" then "What did it say?": the Brigade).
    Answers are asked for lazily."""
    for turn in reversed(turns):
        found = mentions(turn.resolved)
        subjects = _subjects(turn.resolved, found) if subject else []
        yield from subjects
        if _names_an_answer(turn.resolved) and (answer := answer_of(turn)) is not None:
            yield answer
            # "Who is the club's chairman?" - "Peter Marsh": one person, already offered
            subjects = [*subjects, *_copula_subjects(turn.resolved, found)]
        found = [m for m in found if m not in subjects]
        yield from (m for m in found if m.label == "GROUP")
        yield from (m for m in found if m.label not in ("NOUN", "GROUP"))
        yield from (m for m in found if m.label == "NOUN")


_SUBJECTS = ("nsubj", "nsubjpass")


def _copula_subjects(question: str, found: Sequence[Mention]) -> list[Mention]:
    """The subject of "Who is X?" / "Which man was X?": the same one as its answer."""
    doc = parse(question, keep=False)
    if not any(t.dep_ == "ROOT" and t.lemma_ == "be" for t in doc):
        return []
    starts = {t.idx for t in doc if t.dep_ in _SUBJECTS and t.head.dep_ == "ROOT"}
    return [m for m in found if any(m.start <= s < m.end for s in starts)]


def _subjects(question: str, found: Sequence[Mention]) -> list[Mention]:
    """The mentions that are the subject of the question's main verb, when its wh-phrase is
    not the subject (then the answer is)."""
    doc = parse(question, keep=False)
    wh = [t for t in doc if t.tag_.startswith("W")]
    if any(t.dep_ == "ROOT" and t.lemma_ == "be" for t in doc):
        return []  # "Who is the Chinese Foreign Minister?": the answer is the subject, named
    if any(t.dep_ in _SUBJECTS or (t.dep_ == "det" and t.head.dep_ in _SUBJECTS) for t in wh):
        return []
    starts = {t.idx for t in doc if t.dep_ in _SUBJECTS and t.head.dep_ == "ROOT"}
    if not starts:
        # "What did Harwood Council order?" parses "order" as a noun; in a question the
        # subject follows the auxiliary.
        after = [t.i + 1 for t in doc if t.lemma_.lower() in _AUXILIARIES and t.i + 1 < len(doc)]
        starts = {doc[after[0]].idx} if after else set()
    return [m for m in found if any(m.start <= s < m.end for s in starts)]


def _as_written(antecedent: Mention, at: int, possessive: bool, names: Names) -> str:
    """The antecedent as it reads in place of the pronoun at character ``at``."""
    text = antecedent.text
    if at > 0 and re.match(r"(The|A|An) ", text):
        text = text[0].lower() + text[1:]  # "the Information Commissioner", mid-question
    elif at == 0:
        text = text[0].upper() + text[1:]
    if not possessive:
        return text
    group = kind_of(antecedent.text, antecedent.label, antecedent.plural, names) == GROUP
    plural_s = text.endswith("s") and group  # "Kingsport Rovers' next match"
    return text + ("’" if plural_s else "’s")


Candidates = Callable[[bool], Iterator[Mention]]  # subject or not -> antecedents in order


def replace_pronouns(question: str, found: Candidates, names: Names = NO_NAMES) -> str:
    """Each pronoun that stands for someone replaced by the latest earlier mention that fits
    it. A mention named in the question itself is never a pronoun's antecedent ("Why did it
    criticise Russia?": "it" is not Russia), and a second pronoun for the same antecedent
    stays ("Why did James Okafor cancel his rallies?")."""
    own = {name_key(m.text) for m in mentions(question)}
    pieces, cursor, used = [], 0, set()
    for token in parse(question, keep=False):
        if not replaceable(token):
            continue
        word = token.lower_
        pool = (m for m in found(token.dep_ in _SUBJECTS) if name_key(m.text) not in own)
        antecedent = next((m for m in pool if fits(word, m, names)), None)
        if antecedent is None or name_key(antecedent.text) in used:
            continue
        used.add(name_key(antecedent.text))
        possessive = word in POSSESSIVE or token.tag_ == "PRP$"
        written = _as_written(antecedent, token.idx, possessive, names)
        pieces += [question[cursor : token.idx], written]
        cursor = token.idx + len(token.text)
    return "".join(pieces) + question[cursor:]


def _and_a_noun_phrase(question: str) -> re.Match[str] | None:
    """ "And the Kiwis?" is elliptic; "And where is it based?" is a question of its own."""
    match = _AND.match(question)
    if match is None:
        return None
    doc = parse(match.group(1), keep=False)
    if any(t.tag_.startswith("W") or t.pos_ in ("VERB", "AUX") for t in doc):
        return None
    return match


def _ellipsis(question: str, previous: str) -> str | None:
    """ "What about Raffaello Pantucci?" after "Where does Theresa Fallon work?": the
    previous question with its first name (else its last mention) replaced."""
    match = _ELLIPSIS.match(question) or _and_a_noun_phrase(question)
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
    rewritten = replace_pronouns(question, lambda s: candidates(turns, answer_of, s), names)
    if rewritten == question and is_bare(parse(question, keep=False)):
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
    mention; ``names`` is what the article says of its names (``referents.names_in``)."""
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
