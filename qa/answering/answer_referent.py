"""An earlier answer as a mention that a later pronoun may stand for.

"Who replaced Tom Hale?" - "Ana Duarte" - "How old is she?": the answer is the newest thing
said, so it is the first antecedent looked at (``qa.answering.followup.candidates``). Only a person
named in the answer, or a noun phrase it is or begins with, can be one; a clause, a number
or a date never is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.answering.referents import (
    NO_NAMES,
    NUMERIC_LABELS,
    PERSON,
    Mention,
    Names,
    kind_of,
    plural_name,
)
from qa.reading.nlp import parse

if TYPE_CHECKING:
    from spacy.tokens import Token

# A noun phrase longer than this is a description, not a name to refer back to; an answer
# naming a person is at most this long too ("Councillor Maria Lopez").
_MAX_REFERENT_WORDS = 8


def answer_mention(
    answer: str, paragraph: str, start: int, end: int, names: Names = NO_NAMES
) -> Mention | None:
    """An earlier answer as a mention a pronoun may stand for, or None.

    ``answer`` is ``paragraph[start:end]``. A person named in it is taken as that person
    ("Councillor Maria Lopez" gives "Maria Lopez"); otherwise the answer must be a noun
    phrase ("a 12-point blueprint for peace"), or begin with one, never a clause, a number or
    a date.
    """
    if not answer.strip():
        return None
    inside = [e for e in parse(paragraph).ents if e.start_char >= start and e.end_char <= end]
    people = [e for e in inside if kind_of(e.text, e.label_, plural_name(e), names) == PERSON]
    if people and len(answer.split()) <= _MAX_REFERENT_WORDS:
        return Mention(people[0].text, "PERSON", -1, -1)
    whole = [e for e in inside if len(e.text) >= 0.8 * len(answer.strip())]
    if whole:
        entity = whole[0]
        if entity.label_ in NUMERIC_LABELS:
            return None
        return Mention(entity.text, entity.label_, -1, -1)
    return _noun_phrase(answer)


def _noun_phrase(answer: str) -> Mention | None:
    """The noun phrase an answer is, or begins with ("a 12-point blueprint for peace that
    includes ..." gives "a 12-point blueprint for peace"); "the US and its allies" is plural."""
    doc = parse(answer.strip(), keep=False)
    chunks = list(doc.noun_chunks)
    if not chunks or chunks[0].start != 0 or doc[0].lower_ in ("that", "to", "because"):
        return None
    root = chunks[0].root
    if root.pos_ not in ("NOUN", "PROPN"):
        return None
    if root.dep_ == "ROOT":
        phrase = doc[: _phrase_end(root)]
    elif _reduced_relative(root):
        phrase = chunks[0]  # "officials searching through suitcases": the officials
    else:
        return None  # a clause ("Russia ended the deal"), not a thing to refer back to
    if len(phrase.text.split()) > _MAX_REFERENT_WORDS:
        return None
    plural = root.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in root.children)
    return Mention(
        phrase.text, "GROUP" if plural and _coordinated(root) else "NOUN", -1, -1, plural
    )


def _reduced_relative(root: Token) -> bool:
    """ "officials searching through suitcases": the parser makes the participle the root of
    a clause, but with no auxiliary and no tense it only describes the noun before it."""
    head = root.head
    auxiliaries = any(c.dep_ in ("aux", "auxpass") for c in head.children)
    return (
        root.dep_ == "nsubj"
        and head.dep_ == "ROOT"
        and head.tag_ in ("VBG", "VBN")
        and not auxiliaries
    )


def _coordinated(root: Token) -> bool:
    return any(c.dep_ == "conj" for c in root.children)


def _phrase_end(root: Token) -> int:
    """Where the noun phrase headed by ``root`` ends: before a relative clause or a
    participle that follows it."""
    end = root.i + 1
    for child in root.children:
        if child.i > root.i and child.dep_ in ("relcl", "acl", "punct"):
            break
        if child.i > root.i:
            end = child.right_edge.i + 1
    return end
