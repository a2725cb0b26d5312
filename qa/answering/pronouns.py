"""Which pronouns of a follow-up question stand for something, and which questions need context.

Rules over spaCy's parse of the question, no model of their own: a reflexive ("itself") is
bound inside its own clause and never replaced; "it" in "How hot will it get?", "Is it likely
to rain?" or "How long did it take to build?" refers to nothing (an expletive); and a
question is *bare* ("Why?", "When was that?") only when it holds no word of its own beyond
wh-words, auxiliaries, pronouns and particles, so "Who should resign?" stands alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MALE = frozenset({"he", "him", "his"})
FEMALE = frozenset({"she", "her", "hers"})
NEUTER = frozenset({"it", "its"})
PLURAL = frozenset({"they", "them", "their", "theirs"})
REFLEXIVE = frozenset({"himself", "herself", "itself", "themselves"})
POSSESSIVE = frozenset({"his", "hers", "its", "their", "theirs"})
REPLACEABLE = MALE | FEMALE | NEUTER | PLURAL

# "It rains", "it will snow": weather verbs take a dummy subject.
_WEATHER_VERBS = frozenset(
    "rain snow hail drizzle pour freeze thunder sleet storm shower drizzle".split()
)
# "How hot will it get?", "Will it stay dry?", "It is dark": the weather, the time of day.
_WEATHER_ADJECTIVES = frozenset(
    "hot cold warm cool sunny cloudy windy rainy wet dry humid freezing chilly foggy stormy"
    " dark light late early muggy icy mild overcast clear bright sweltering scorching"
    " hotter colder warmer cooler wetter drier windier sunnier darker lighter later earlier"
    " hottest coldest warmest wettest".split()
)
# "Is it true that ...", "Is it legal to ...": the subject is the clause that follows.
_EXTRAPOSED_ADJECTIVES = frozenset(
    "true false likely unlikely possible impossible clear unclear important necessary hard"
    " easy difficult known certain fair legal illegal right wrong worth safe dangerous"
    " normal usual common rare enough time".split()
)
# "It is likely to pass" raises a real subject ("it" = the plan); only "It is likely that
# ..." (or a weather verb, above) makes "it" a dummy.
_RAISING_ADJECTIVES = frozenset("likely unlikely certain sure bound due set".split())
_LINKING_VERBS = frozenset("be get become stay turn remain feel look keep grow go".split())
# "Does it matter that ...", "it seems that ...", "it turns out that ...".
_RAISING_VERBS = frozenset("seem appear happen matter turn".split())
_CLAUSES = frozenset({"ccomp", "xcomp", "csubj", "advcl"})
# "What time is it?", "What day is it?"
_TIME_NOUNS = frozenset("time day date month year season hour".split())

# What a bare follow-up may hold besides wh-words, auxiliaries, pronouns and punctuation.
_LIGHT_WORDS = frozenset(
    "do happen mean occur come go else then next exactly so also too again now there instead"
    " really ever first later that this these those one ones many much long old far often"
    " soon not and but or about by for with from to of in on at after before".split()
)


def is_expletive(token: Token) -> bool:
    """True for an "it" that refers to nothing: weather, time, extraposition, clefts."""
    if token.lower_ != "it":
        return False
    if token.dep_ == "expl":
        return True
    head = token.head
    if token.dep_ not in ("nsubj", "nsubjpass"):
        return False
    return (
        _is_weather(head)
        or _is_extraposition(head)
        or _is_time_taken(head)
        or _is_cleft_or_time(head)
    )


def _verb_chain(head: Token) -> list[Token]:
    """``head`` and the verbs it governs through infinitives: "is likely to rain", "going to be"."""
    chain, frontier = [head], [head]
    while frontier:
        found = [c for t in frontier for c in t.children if c.dep_ in ("xcomp", "acomp")]
        found = [c for c in found if c not in chain][:4]  # a parse is a tree; bounded anyway
        chain += found
        frontier = found
    return chain


def _is_weather(head: Token) -> bool:
    for verb in _verb_chain(head):
        if verb.lemma_.lower() in _WEATHER_VERBS:
            return True
        if verb.lemma_.lower() in _LINKING_VERBS and any(
            c.dep_ in ("acomp", "attr", "oprd") and c.lemma_.lower() in _WEATHER_ADJECTIVES
            for c in verb.children
        ):
            return True
    return False


def _is_extraposition(head: Token) -> bool:
    """ "Is it true that ...?", "Is it legal to place cookies?", "Does it matter that ...?"."""
    if head.lemma_.lower() in _RAISING_VERBS and any(c.dep_ in _CLAUSES for c in head.children):
        return True
    if head.lemma_.lower() not in _LINKING_VERBS:
        return False
    for complement in head.children:
        if complement.dep_ not in ("acomp", "attr"):
            continue
        word = complement.lemma_.lower()
        if word not in _EXTRAPOSED_ADJECTIVES:
            continue
        clauses = _CLAUSES - {"xcomp"} if word in _RAISING_ADJECTIVES else _CLAUSES
        if any(c.dep_ in clauses for c in (*complement.children, *head.children)):
            return True
    return False


def _is_time_taken(head: Token) -> bool:
    """ "How long did it take to build the bridge?": the duration of what follows."""
    if head.lemma_.lower() != "take":
        return False
    asks_how_long = any(t.lower_ == "long" for t in head.doc) and any(
        t.lower_ == "how" for t in head.doc
    )
    return asks_how_long or any(c.dep_ in _CLAUSES for c in head.children)


def _is_cleft_or_time(head: Token) -> bool:
    """ "Was it Putin who ended the deal?" (a cleft) and "What time is it?"."""
    if head.lemma_.lower() != "be":
        return False
    for child in head.children:
        if child.dep_ in ("attr", "acomp") and any(c.dep_ == "relcl" for c in child.children):
            return True
        if child.dep_ == "attr" and child.lemma_.lower() in _TIME_NOUNS:
            return True
    return False


def replaceable(token: Token) -> bool:
    """A third-person pronoun that stands for an earlier mention: not reflexive, not dummy."""
    word = token.lower_
    if word not in REPLACEABLE:
        return False
    if token.pos_ != "PRON" and token.tag_ != "PRP$":
        return False
    return not is_expletive(token)


def is_bare(doc: Doc) -> bool:
    """True when the question names nothing and asks nothing of its own ("Why?", "How
    many?", "When was that?", "By who?"): it only makes sense with the previous question.

    A pronoun that stands for someone ("How old is she?") is a subject of its own: when no
    earlier mention fits it, appending the previous question would not supply one.
    """
    for token in doc:
        if token.is_punct or token.is_space:
            continue
        if replaceable(token):
            return False
        if token.tag_.startswith("W") or token.pos_ in ("AUX", "PRON", "PART", "CCONJ"):
            continue
        if token.lemma_.lower() in _LIGHT_WORDS or token.lower_ in _LIGHT_WORDS:
            continue
        return False
    return True
