"""What a question asks for: its wh-word, the answer type it expects, and its content words."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Expected entity labels (spaCy's OntoNotes scheme) per question kind.
EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "who": frozenset({"PERSON", "ORG", "NORP"}),
    "when": frozenset({"DATE", "TIME"}),
    "where": frozenset({"GPE", "LOC", "FAC", "ORG"}),
    "how many": frozenset({"CARDINAL", "QUANTITY"}),
    "how much": frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    "how long": frozenset({"DATE", "TIME", "QUANTITY"}),
    "how old": frozenset({"DATE", "CARDINAL"}),
    "how far": frozenset({"QUANTITY"}),
    "percent": frozenset({"PERCENT"}),
    "year": frozenset({"DATE"}),
    "person": frozenset({"PERSON"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
    "organization": frozenset({"ORG"}),
    "nationality": frozenset({"NORP"}),
}

# Head nouns of "which/what X" questions that imply an entity type.
FOCUS_TYPES = {
    **dict.fromkeys("year years decade century date day month time".split(), "year"),
    **dict.fromkeys("percent percentage proportion".split(), "percent"),
    **dict.fromkeys(
        "person man woman official leader president minister author writer king queen emperor"
        " scientist player coach director founder general".split(),
        "person",
    ),
    **dict.fromkeys(
        "country city state place town region continent province nation area location".split(),
        "place",
    ),
    **dict.fromkeys(
        "company organization organisation team group university school agency party"
        " institution body club band network".split(),
        "organization",
    ),
    **dict.fromkeys("nationality religion ethnicity language".split(), "nationality"),
    **dict.fromkeys("number amount".split(), "how many"),
}

_MULTI = ("how many", "how much", "how long", "how old", "how far", "how big", "how large")
_WH = ("who", "whom", "whose", "when", "where", "why", "which", "what", "how")
_AUX = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may|might|must)\b"
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    text: str
    kind: str  # who, when, where, how many, ..., what, which, why, how, yes-no, other
    focus: str | None  # the head noun of "which X" / "what X", lower-cased
    expected: frozenset[str]  # entity labels that fit the answer
    # The wh-phrase's role in the parse: "What did Wang Yi call them?" gives ("oprd", "call").
    wh_dep: str = ""
    wh_head: str = ""


def question_kind(text: str) -> str:
    """The wh-phrase that decides the answer type, found anywhere in the question."""
    lower = text.lower()
    for phrase in _MULTI:
        if re.search(rf"\b{phrase}\b", lower):
            return phrase if phrase in EXPECTED_TYPES else "how"
    words = _TOKEN.findall(lower)
    for word in words:
        if word in _WH:
            return {"whom": "who", "whose": "who"}.get(word, word)
    return "yes-no" if _AUX.match(lower) else "other"


def question_focus(text: str, kind: str) -> str | None:
    """The noun right after "which"/"what" (skipping adjectives is left to the type map)."""
    if kind not in ("which", "what"):
        return None
    match = re.search(rf"\b{kind}\s+([a-z]+)(?:\s+([a-z]+))?", text.lower())
    if not match:
        return None
    first, second = match.group(1), match.group(2)
    if first in {"is", "was", "are", "were", "does", "did", "do", "has", "had", "of", "kind"}:
        return second if first in {"kind", "of"} else None
    return first


def parsed_focus(doc) -> str | None:
    """The noun a "which"/"what" determines in a spaCy parse: "which NFL team" gives "team"."""
    for token in doc:
        if token.lower_ in ("which", "what") and token.dep_ == "det" and token.head.pos_ == "NOUN":
            return token.head.lemma_.lower()
    return None


_ROLE_GROUPS = {"nsubjpass": "nsubj", "attr": "dobj", "oprd": "dobj", "dative": "dobj"}


def role(dep: str) -> str:
    """Dependency labels grouped where the answer may take either in the text."""
    return _ROLE_GROUPS.get(dep, dep)


def wh_role(doc) -> tuple[str, str]:
    """The dependency label and head lemma of the wh-phrase ("which team" counts as a whole)."""
    for token in doc:
        if token.tag_ in ("WP", "WDT", "WRB", "WP$"):
            phrase = token.head if token.dep_ in ("det", "poss") else token
            if token.dep_ == "advmod" and token.head.pos_ == "ADJ":  # "how many points"
                phrase = token.head.head
            return role(phrase.dep_), phrase.head.lemma_.lower()
    return "", ""


def analyse(text: str, doc=None) -> QuestionInfo:
    """Question kind, focus and expected types; ``doc`` (a spaCy parse) refines the focus."""
    kind = question_kind(text)
    focus = (parsed_focus(doc) if doc is not None else None) or question_focus(text, kind)
    expected = EXPECTED_TYPES.get(kind, frozenset())
    if focus in FOCUS_TYPES:
        expected = expected | EXPECTED_TYPES[FOCUS_TYPES[focus]]
    wh_dep, wh_head = wh_role(doc) if doc is not None else ("", "")
    return QuestionInfo(text, kind, focus, expected, wh_dep, wh_head)
