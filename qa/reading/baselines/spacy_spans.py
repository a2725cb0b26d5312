"""Answer-span candidates inside a parsed sentence, and the features that score them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qa.reading.question import QuestionInfo, role

# Dependency roles whose subtree is a plausible answer phrase.
_PHRASE_DEPS = {
    "nsubj",
    "nsubjpass",
    "dobj",
    "pobj",
    "attr",
    "appos",
    "conj",
    "oprd",
    "dative",
    "npadvmod",
    "agent",
    "acomp",
    "ccomp",
    "xcomp",
    "advcl",
    "pcomp",
    "compound",
    "poss",
    "nmod",
}
_CLAUSE_DEPS = {"ccomp", "xcomp", "advcl", "pcomp", "relcl", "acl"}
_REASON_WORDS = {"because", "since", "as", "due", "so", "to", "for", "in order"}
_MANNER_WORDS = {"by", "through", "with", "using", "via"}
_EDGE_DROP = {"punct", "cc", "mark", "case"}
WINDOW = 8  # tokens each side in which question words are counted
MAX_SPAN_TOKENS = 14  # SQuAD answers are short; 95% are under 10 tokens


@dataclass(frozen=True, slots=True)
class SpanCandidate:
    first: int  # token indices in the parsed paragraph, inclusive/exclusive
    last: int
    kind: str  # "ent", "np", "phrase", "clause"
    label: str  # entity label or dependency role


def trim(doc, first: int, last: int) -> tuple[int, int]:
    """Drop punctuation and conjunctions at the edges of a token range."""
    while first < last and (doc[first].dep_ in _EDGE_DROP or doc[first].is_punct):
        first += 1
    while last > first and (doc[last - 1].dep_ in _EDGE_DROP or doc[last - 1].is_punct):
        last -= 1
    return first, last


def sentence_candidates(doc, sent) -> list[SpanCandidate]:
    """Entities, noun chunks and dependency subtrees inside one sentence, deduplicated."""
    raw = [SpanCandidate(e.start, e.end, "ent", e.label_) for e in sent.ents]
    raw += [SpanCandidate(c.start, c.end, "np", c.root.dep_) for c in sent.noun_chunks]
    for token in sent:
        if token.dep_ in _PHRASE_DEPS or token.pos_ in ("NUM",):
            left, right = token.left_edge.i, token.right_edge.i + 1
            kind = "clause" if token.dep_ in _CLAUSE_DEPS else "phrase"
            raw.append(SpanCandidate(left, right, kind, token.dep_))
            if token.dep_ == "pobj":  # the whole prepositional phrase, for why/how/where
                raw.append(SpanCandidate(token.head.i, right, "phrase", "prep"))
    seen: dict[tuple[int, int], SpanCandidate] = {}
    for cand in raw:
        first, last = trim(doc, max(cand.first, sent.start), min(cand.last, sent.end))
        if 0 < last - first <= MAX_SPAN_TOKENS and (first, last) not in seen:
            seen[(first, last)] = SpanCandidate(first, last, cand.kind, cand.label)
    return list(seen.values())


def content_lemmas(tokens) -> set[str]:
    return {t.lemma_.lower() for t in tokens if not (t.is_stop or t.is_punct or t.is_space)}


def span_features(
    doc, cand: SpanCandidate, sent, question: QuestionInfo, qlemmas: set[str], matched: list[int]
) -> dict[str, float]:
    """Features of one candidate; the span model in qa/weights.json weighs them."""
    span = doc[cand.first : cand.last]
    return {
        **_type_features(span, cand, question),
        **_match_features(doc, span, cand, sent, qlemmas, matched),
        **_shape_features(span, cand, question),
        **_role_features(span, question),
    }


def _type_features(span, cand: SpanCandidate, question: QuestionInfo) -> dict[str, float]:
    """Does the span have the kind of thing the question asks for?"""
    ents = [e for e in span.ents if e.label_ in question.expected]
    return {
        "type_exact": float(cand.kind == "ent" and cand.label in question.expected),
        "type_contains": float(bool(ents)),
        "type_none": float(not question.expected),
        "focus": float(question.focus is not None and span.root.lemma_.lower() == question.focus),
        "why_clause": float(question.kind == "why" and _starts(span, _REASON_WORDS)),
        "how_manner": float(question.kind == "how" and _starts(span, _MANNER_WORDS)),
        "quoted": float(_quoted(span)),
    }


def _match_features(doc, span, cand, sent, qlemmas, matched) -> dict[str, float]:
    """Where the span sits relative to the words it shares with the question."""
    words = [t for t in span if not (t.is_stop or t.is_punct)]
    in_question = sum(t.lemma_.lower() in qlemmas for t in words)
    outside = [i for i in matched if i < cand.first or i >= cand.last]
    distance = min((abs(i - _nearest(cand, i)) for i in outside), default=len(sent))
    window = doc[max(sent.start, cand.first - WINDOW) : min(sent.end, cand.last + WINDOW)]
    near = content_lemmas(t for t in window if t.i < cand.first or t.i >= cand.last)
    root = span.root
    head_matched = root.head.i in matched and root.head.i != root.i
    return {
        "overlap": in_question / max(len(words), 1),
        "all_in_question": float(bool(words) and in_question == len(words)),
        "no_content": float(not words),
        "distance": math.log1p(distance),
        "linked": float(_linked(span, matched)),
        "window_match": len(near & qlemmas) / max(len(qlemmas), 1),
        "sentence_match": len(content_lemmas(sent) & qlemmas) / max(len(qlemmas), 1),
        "head_matched": float(head_matched),
        f"head_matched|{root.dep_}": float(head_matched),
        "verb_matched": float(head_matched and root.head.pos_ in ("VERB", "AUX")),
    }


def _role_features(span, question: QuestionInfo) -> dict[str, float]:
    """The span plays the wh-phrase's part: same relation to the same head word."""
    root = span.root
    same_dep = bool(question.wh_dep) and role(root.dep_) == question.wh_dep
    same_head = bool(question.wh_head) and root.head.lemma_.lower() == question.wh_head
    return {
        "wh_same_dep": float(same_dep),
        "wh_same_head": float(same_head),
        "wh_same_role": float(same_dep and same_head),
    }


def _shape_features(span, cand: SpanCandidate, question: QuestionInfo) -> dict[str, float]:
    """The span's own form, alone and crossed with the question kind: what a good answer
    looks like depends on what is asked."""
    root = span.root
    kind = question.kind
    return {
        "length": math.log1p(len(span)),
        "long": float(len(span) > 8),
        "is_ent": float(cand.kind == "ent"),
        "is_np": float(cand.kind == "np"),
        "is_clause": float(cand.kind == "clause"),
        "numeric": float(any(t.like_num for t in span)),
        "proper": sum(t.pos_ == "PROPN" for t in span) / len(span),
        f"{kind}|{cand.kind}": 1.0,
        f"{kind}|length": math.log1p(len(span)),
        f"{kind}|proper": float(root.pos_ == "PROPN"),
        f"{kind}|dep={root.dep_}": 1.0,
    }


def _quoted(span) -> bool:
    """The span sits inside quotation marks in its sentence."""
    doc = span.doc
    before = doc[span.start - 1].text if span.start > 0 else ""
    after = doc[span.end].text if span.end < len(doc) else ""
    return before in {"“", '"', "‘"} and after in {"”", '"', "’", ",”", ".”"}


def _nearest(cand: SpanCandidate, i: int) -> int:
    return cand.first if i < cand.first else cand.last - 1


def _linked(span, matched: list[int]) -> bool:
    """The span's head hangs off a question-matched word, or a matched word hangs off it."""
    root = span.root
    matched_set = set(matched)
    return root.head.i in matched_set or any(c.i in matched_set for c in root.children)


def _starts(span, words: set[str]) -> bool:
    return span[0].lower_ in words
