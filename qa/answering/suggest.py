"""Suggested questions for an article a user brings: made from the article itself.

Candidates come from what the article names and claims (spaCy's entities and parse): who
its people are, what they said, what its organisations are, and why something it reports
happened, plus "What is this article about?". ``keep_answered`` asks each candidate with the
caller's pipeline and keeps only those it answers, so a suggestion never leads to "The
article doesn't say."; at least one kept suggestion is not a factoid when any such survives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.answering.export import confidence_level
from qa.reading.nlp import parse
from qa.types import Answer, Document

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MAX_SUGGESTIONS = 4  # shown at once: modest, under the question box
MAX_CANDIDATES = 8  # asked at most: each check is one answer (~0.2-0.5 s)
READ_CHARS = 6_000  # the article's opening is where its people and claims are introduced
ABOUT = "What is this article about?"
_SAY_VERBS = frozenset({"say", "tell", "warn", "argue", "claim", "believe", "add", "note"})
_CAUSES = frozenset({"because", "after", "due", "since", "amid", "following"})


@dataclass(frozen=True, slots=True)
class Suggestion:
    question: str
    factoid: bool  # a who/what-is question; False for why/how/what-said/about


def opening(document: Document, limit: int = READ_CHARS) -> list[str]:
    """The article's paragraphs (boilerplate left out) up to about ``limit`` characters."""
    texts, used = [], 0
    for paragraph in document.cited():
        if used and used + len(paragraph.text) > limit:
            break
        texts.append(paragraph.text[:limit])
        used += len(paragraph.text)
    return texts


def _names(docs: Iterable[Doc], label: str) -> list[str]:
    """Entities of ``label``, most mentioned first; a short form ("Petrenko") counts for the
    longer name it is part of ("Ivan Petrenko")."""
    found = [e.text.strip() for doc in docs for e in doc.ents if e.label_ == label]
    found = [f for f in found if len(f) > 2 and f[0].isupper()]
    counts: Counter[str] = Counter()
    for name in found:
        longer = [n for n in found if n != name and name in n.split()]
        counts[max(longer, key=len) if longer else name] += 1
    return [name for name, _ in counts.most_common()]


def _speakers(docs: Iterable[Doc]) -> set[str]:
    """People who say, tell or warn something in the article (a claim to ask about)."""
    speakers = set()
    for doc in docs:
        for ent in doc.ents:
            head = ent.root.head
            if ent.label_ == "PERSON" and ent.root.dep_ == "nsubj" and head.lemma_ in _SAY_VERBS:
                speakers.add(ent.text.strip())
    return speakers


def _why(sentence: Span) -> str | None:
    """ "Why did the port of Izmail close?" from "The port of Izmail closed on Monday after
    floods.": a past-tense main verb with a stated cause and a short subject."""
    root = sentence.root
    if root.tag_ != "VBD" or not any(t.lower_ in _CAUSES for t in root.subtree):
        return None
    subjects = [t for t in root.children if t.dep_ == "nsubj"]
    if len(subjects) != 1 or subjects[0].pos_ == "PRON":
        return None
    subject = _phrase(subjects[0])
    if not subject or len(subject.split()) > 6:
        return None
    return f"Why did {subject} {root.lemma_}?"


def _phrase(token: Token) -> str:
    words = [t.text for t in token.subtree if not t.is_punct]
    text = " ".join(words)
    if words and token.doc[token.left_edge.i].pos_ == "DET":
        text = text[0].lower() + text[1:]  # "The port" inside a question: "the port"
    return text


def suggestions_for(document: Document) -> list[Suggestion]:
    """Questions the article may answer, best first, at most ``MAX_CANDIDATES``; the
    non-factoid ones interleaved early, so one is among those checked first."""
    docs = [parse(text) for text in opening(document)]
    body = docs[1:] or docs  # a headline's capitals fool the tagger ("Floods close Danube")
    people, orgs = _names(body, "PERSON"), _names(body, "ORG")
    speakers = _speakers(body)
    facts = [Suggestion(f"Who is {p}?", True) for p in people[:2]]
    facts += [Suggestion(f"What is {o}?", True) for o in orgs[:2]]
    others = [Suggestion(f"What did {p} say?", False) for p in people if p in speakers][:1]
    whys = (_why(s) for doc in docs for s in doc.sents)
    others += [Suggestion(q, False) for q in dict.fromkeys(w for w in whys if w)][:2]
    others.append(Suggestion(ABOUT, False))
    return list(_interleave(facts, others))[:MAX_CANDIDATES]


def _interleave(first: list[Suggestion], second: list[Suggestion]) -> Iterator[Suggestion]:
    seen: set[str] = set()
    for index in range(max(len(first), len(second))):
        for group in (first, second):
            if index < len(group) and group[index].question not in seen:
                seen.add(group[index].question)
                yield group[index]


def keep_answered(
    suggestions: Iterable[Suggestion],
    ask: Callable[[str], Answer],
    limit: int = MAX_SUGGESTIONS,
) -> list[str]:
    """The questions ``ask`` answers with more than low confidence (an abstention or a weak
    answer, such as "Dr" for "Who is Dr Helen Okafor?", drops one), at most ``limit``, with
    one non-factoid among them when any is answered."""
    kept: list[Suggestion] = []
    for suggestion in suggestions:
        full = len(kept) >= limit
        if full and any(not s.factoid for s in kept):
            break
        if full and suggestion.factoid:  # full of factoids: only a non-factoid may come in
            continue
        answer = ask(suggestion.question)
        if answer.abstained or confidence_level(answer.confidence) == "low":
            continue
        if full:
            kept.remove([s for s in kept if s.factoid][-1])
        kept.append(suggestion)
    return [s.question for s in kept]
