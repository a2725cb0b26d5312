"""Where a non-factoid answer lies in its paragraph: the sentence or clause around the reader's
span, never the question's own words.

A why, how, opinion or yes/no question is answered by a statement, not a noun phrase: the
reader finds where the answer is (its best span), and the answer shown is the clause or
sentence around that span, verbatim, with its offsets in the paragraph. Pure functions over
text and offsets; sentences come from the cached spaCy parse (qa.reading.nlp).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.indexing import STOPWORDS
from qa.reading import sentence_spans

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Negation settles a yes/no question ("not afraid to criticize Russia"): never a stopword here.
_NEGATIONS = frozenset({"not", "no", "never", "nor", "t"})  # "t": what is left of "n't"
# Where a sentence divides into clauses: a clause-opening word after a comma, a semicolon, a
# dash. "X, Y, and Z" lists are not cut: only words that open a clause of their own count.
_CLAUSE_BREAK = re.compile(
    r"(?:,\s+(?=(?:but|while|although|though|whereas|which|especially|even as|because|since|"
    r"so that|yet|[a-z]+ing)\b)|;\s+|\s+[—–]\s+|"
    # What someone believes or says is a clause of its own: "X, director of Y, believes that
    # <the view>"; the attribution stays in the evidence sentence and the citation.
    r"\b(?:believes?|believed|argues?|argued|claims?|claimed|says?|said|thinks?|thought|"
    r"insists?|insisted|contends?|warns?|warned|notes?|noted) that\s+)"
)
# A clause's opening conjunction joins it to the one before; alone it reads better without
# (matched at a position, so no "^": it would only match at the string's real start).
_OPENER = re.compile(r"(?:but|and|yet|so)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Span:
    """[start, end) offsets into one paragraph."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def content_words(text: str) -> frozenset[str]:
    """Lower-cased words without stopwords (negations kept), a plural "s" dropped."""
    words = (w for w in _WORD.findall(text.lower().replace("\u2019", "'")))
    kept = (w for w in words if w in _NEGATIONS or w not in STOPWORDS)
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in kept)


def is_echo(answer: str, question: str) -> bool:
    """True when the answer says nothing the question did not: every content word of it is in
    the question ("China distancing itself from Russia" for "Is China distancing itself …?")."""
    words = content_words(answer)
    return not words or words <= content_words(question)


def is_question(text: str) -> bool:
    """A sentence that asks ("Is China distancing itself from Russia?", a headline's or an op-ed's
    rhetorical question) states nothing, so it never answers a question."""
    return text.rstrip(" \"'\u201d\u2019)").endswith("?")


def sentences_around(paragraph: str, span: Span, limit: int) -> Span:
    """The sentences of ``paragraph`` that ``span`` touches, at most ``limit`` adjacent ones
    (from the one where it starts)."""
    touched = [(a, b) for a, b in sentence_spans(paragraph) if a < span.end and span.start < b]
    if not touched:
        return span
    touched = touched[:limit]
    return Span(touched[0][0], touched[-1][1])


def clauses(paragraph: str, sentence: Span) -> list[Span]:
    """The clauses of one sentence, as offsets into the paragraph, whitespace trimmed."""
    text = sentence.of(paragraph)
    out, begin = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        out.append(_trimmed(text, begin, match.start(), sentence.start))
        begin = match.end()
    out.append(_trimmed(text, begin, len(text), sentence.start))
    return [c for c in out if c.end > c.start]


def _trimmed(text: str, start: int, end: int, offset: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    opener = _OPENER.match(text, start, end)
    start = opener.end() if opener and start > 0 else start
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return Span(offset + start, offset + end)


def clause_around(paragraph: str, sentence: Span, span: Span, min_words: int) -> Span:
    """The clauses of ``sentence`` that ``span`` touches, when they hold at least ``min_words``
    words (a shorter clause is a fragment: the whole sentence is kept)."""
    touched = [c for c in clauses(paragraph, sentence) if c.start < span.end and span.start < c.end]
    if not touched:
        return sentence
    chosen = Span(touched[0].start, touched[-1].end)
    return chosen if len(chosen.of(paragraph).split()) >= min_words else sentence


def statement_span(
    paragraph: str, span: Span, question: str, max_sentences: int, min_clause_words: int
) -> Span | None:
    """The shortest statement around the reader's span that is not an echo of the question:
    its clause, else its sentence(s); None when both only repeat the question, or when the
    sentences are the article's own question."""
    sentence = sentences_around(paragraph, span, max_sentences)
    asking = [(a, b) for a, b in sentence_spans(paragraph) if is_question(paragraph[a:b])]
    if any(a <= span.start < b for a, b in asking):
        return None  # the span is in the article's own question ("…Russia? Don't be so quick")
    # A question the statement runs into is no part of it: the sentences before it are kept.
    ends = [a for a, _ in asking if sentence.start < a < sentence.end]
    if ends:
        sentence = Span(
            sentence.start, sentence.start + len(paragraph[sentence.start : min(ends)].rstrip())
        )
    if sentence.end <= sentence.start or is_question(sentence.of(paragraph)):
        return None
    for choice in (clause_around(paragraph, sentence, span, min_clause_words), sentence):
        if not is_echo(choice.of(paragraph), question):
            return choice
    return None
