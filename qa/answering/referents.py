"""What kind of thing a mention is (a person, a group, a thing), learnt from the article.

spaCy's small model labels names unreliably when it sees them alone in a short question
("Kingsport Rovers" comes out as a PERSON). The article says more: how each name is labelled
across its paragraphs, whether it takes a plural verb ("Rovers have appointed"), and which
pronoun follows it ("Duarte, 41, signed ... She replaces ..."). ``names_in`` gathers that
once per article; ``kind_of`` and ``fits`` use it to match a pronoun to its antecedent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.answering.pronouns import FEMALE, MALE, NEUTER, PLURAL
from qa.reading.nlp import parse
from qa.types import Document

if TYPE_CHECKING:
    from spacy.tokens import Span

PERSON, GROUP, THING = "person", "group", "thing"
# Labels no pronoun stands for: "it" is never a date or a count.
NUMERIC_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
_GROUP_LABELS = frozenset({"ORG", "NORP", "GPE"})
# Last words that make a name an organisation, whatever the tagger says ("Ashford Town").
_ORG_HEADS = frozenset(
    "rovers united city town fc club team council group ltd inc plc company construction"
    " brigade commission office party committee ministry embassy center centre school"
    " university league association institute foundation agency government bank lions"
    " police court parliament board trust service".split()
)
# Nouns for people: "the club's chairman" may be "he" even when no one is named.
PERSON_NOUNS = frozenset(
    "person man woman boy girl official leader president minister author writer king queen"
    " scientist player coach director founder general chairman chairwoman chair manager"
    " councillor councilor forecaster spokesman spokeswoman spokesperson secretary executive"
    " chief owner candidate mayor governor senator judge doctor nurse teacher student"
    " officer captain husband wife son daughter mother father brother sister friend"
    " fellow expert analyst researcher professor lawyer victim suspect witness".split()
)
_HONORIFICS = {"mr": "m", "mr.": "m", "sir": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f"}
_HONORIFICS |= {"miss": "f", "lady": "f", "dame": "f", "lord": "m"}


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    label: str  # entity label, "NOUN" or "PROPN" for a plain noun phrase, "GROUP" for "X and Y"
    start: int  # character offsets in the question it came from (-1: an earlier answer)
    end: int
    plural: bool = False  # a plural noun phrase ("the travellers")


@dataclass(frozen=True, slots=True)
class NameFacts:
    label: str  # the entity label the article gives this name most often
    plural: bool = False  # it takes a plural verb or is a plural proper noun
    gender: str | None = None  # "m" or "f" from the pronouns that follow it, else unknown


@dataclass(frozen=True, slots=True)
class Names:
    """What the article(s) of a conversation say about each name in them."""

    facts: Mapping[str, NameFacts] = field(default_factory=dict)

    def about(self, text: str) -> NameFacts | None:
        """Facts for a name as written in a question, by the whole name or its last word."""
        key = name_key(text)
        last = key.rsplit(" ", 1)[-1]
        surname = self.facts.get(last) if last != key else None
        if surname is not None and surname.label != "PERSON":
            surname = None  # "Russia" says nothing of "China and Russia"
        whole = self.facts.get(key)
        if whole is None or surname is None:
            return whole or surname
        # "Ana Duarte" then "Duarte, 41, ... She ...": the surname gathers every mention.
        return NameFacts(whole.label, whole.plural, whole.gender or surname.gender)


NO_NAMES = Names()


def name_key(text: str) -> str:
    """A name compared without case, a leading "the" or a trailing possessive."""
    key = " ".join(text.casefold().replace("’", "'").split())
    key = key.removesuffix("'s").removesuffix("'")
    return key.removeprefix("the ")


def plural_name(entity: Span) -> bool:
    root = entity.root
    if root.tag_ == "NNPS":
        return True
    if root.dep_ != "nsubj":
        return False
    # "Rovers have appointed": the verb or its auxiliary agrees with a plural subject.
    verbs = [root.head, *(c for c in root.head.children if c.dep_ in ("aux", "auxpass"))]
    return any(v.tag_ == "VBP" or v.lower_ in ("were", "are") for v in verbs)


def _gender_after(entity: Span) -> str | None:
    """The gender of the first he/she-type pronoun after the name, up to the end of the next
    sentence, unless another person is named first; or of an honorific before it."""
    doc = entity.doc
    before = doc[entity.start - 1].lower_ if entity.start else ""
    if before in _HONORIFICS:
        return _HONORIFICS[before]
    sentence_ends = 0
    for token in doc[entity.end :]:
        if token.ent_type_ == "PERSON" and name_key(token.text) not in name_key(entity.text):
            return None  # the pronoun may be this other person's
        if token.lower_ in MALE | {"himself"}:
            return "m"
        if token.lower_ in FEMALE | {"herself"}:
            return "f"
        if token.is_sent_end:
            sentence_ends += 1
            if sentence_ends == 2:
                return None
    return None


def _may_be_person(entity: Span) -> bool:
    """Labelled a person, or the subject of its clause (the tagger calls "Duarte" an ORG
    once); "She said" after "coached the Lisbon Lions" says nothing of the Lions."""
    return entity.label_ == "PERSON" or entity.root.dep_ in ("nsubj", "nsubjpass")


def _keys(entity: Span) -> list[str]:
    key = name_key(entity.text)
    words = key.split()
    return [key, words[-1]] if entity.label_ == "PERSON" and len(words) > 1 else [key]


def _gather(paragraphs: Iterable[str]) -> dict[str, NameFacts]:
    labels: dict[str, Counter[str]] = {}
    plural: Counter[str] = Counter()
    genders: dict[str, Counter[str]] = {}
    for paragraph in paragraphs:
        for entity in parse(paragraph).ents:
            gender = _gender_after(entity) if _may_be_person(entity) else None
            for key in _keys(entity):
                labels.setdefault(key, Counter())[entity.label_] += 1
                plural[key] += 1 if plural_name(entity) else -1
                if gender:
                    genders.setdefault(key, Counter())[gender] += 1
    return {key: _facts(n, plural[key] > 0, genders.get(key)) for key, n in labels.items()}


def _facts(labels: Counter[str], plural: bool, genders: Counter[str] | None) -> NameFacts:
    gender = None
    if genders:
        (top, n), *rest = genders.most_common(2)
        gender = top if not rest or rest[0][1] < n else None
    label = labels.most_common(1)[0][0]
    if gender:  # a pronoun that follows the name says "person" better than the tagger
        label = "PERSON"
    return NameFacts(label, plural, gender)


@lru_cache(maxsize=64)
def names_in(text: str) -> Names:
    """The names of an article (paragraphs at blank lines) and what the article says of each."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return Names(_gather(paragraphs))


# Learning the names of an article parses all of it (~0.1 s a 1,000-word article, cached);
# over a larger corpus a conversation's pronouns go by the question's own entity labels.
MAX_ARTICLES_FOR_NAMES = 16


def conversation_names(documents: Sequence[Document]) -> Names:
    """What the articles a conversation may be about say of their names (none for a corpus of
    more than MAX_ARTICLES_FOR_NAMES articles)."""
    if len(documents) > MAX_ARTICLES_FOR_NAMES:
        return NO_NAMES
    facts: dict[str, NameFacts] = {}
    for document in documents:
        facts.update(names_in(document.text).facts)
    return Names(facts)


def kind_of(text: str, label: str, plural: bool, names: Names = NO_NAMES) -> str:
    """PERSON, GROUP or THING for a mention with this text and question-side label."""
    if label == "GROUP":
        return GROUP
    facts = names.about(text)
    if facts is not None:
        label, plural = facts.label, plural or facts.plural
    if plural:
        return GROUP
    last = name_key(text).rsplit(" ", 1)[-1]
    if last in _ORG_HEADS:
        return GROUP if label in _GROUP_LABELS | {"PERSON"} else THING
    # A proper noun the tagger could not label, and the article does not know, may be a person.
    if label == "PERSON" or (label == "PROPN" and facts is None):
        return PERSON
    if label == "NOUN" and last in PERSON_NOUNS:
        return PERSON
    return THING


def fits(pronoun: str, mention: Mention, names: Names = NO_NAMES) -> bool:
    """Whether ``pronoun`` may stand for the mention: he/she a person of no other gender,
    it a single thing or organisation, they a group or a plural."""
    text, label, plural = mention.text, mention.label, mention.plural
    if label in NUMERIC_LABELS:
        return False
    kind = kind_of(text, label, plural, names)
    if pronoun in MALE | FEMALE:
        facts = names.about(text)
        gender = facts.gender if facts else None
        wanted = "m" if pronoun in MALE else "f"
        return kind == PERSON and gender in (None, wanted)
    if pronoun in NEUTER:  # "Chinese" (NORP) is a people, never "it"
        if label == "NORP":
            return False
        return kind == THING or (kind == GROUP and not plural and label in _GROUP_LABELS)
    if pronoun in PLURAL:
        return kind == GROUP or label == "NORP"
    return False
