"""The Answer for each kind of question that is not a factoid: a statement, or the gist.

Statements (why, how, opinion, yes/no) keep the reader's abstention: the reading's own
confidence and threshold decide whether to answer at all, so an on-topic question the article
does not answer is refused whatever its kind. The gist is the headline and the lede.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answering.forms import Span, sentences_around, statement_span
from qa.answering.kinds import Kind
from qa.reading import Candidate, Reading, is_headline
from qa.types import Answer, Citation


@dataclass(frozen=True, slots=True)
class FormRules:
    """How long a statement may be, and when a cut-off other than the reader's applies."""

    max_sentences: int = 2
    min_clause_words: int = 6
    threshold: float | None = None  # None: the reading's own threshold
    headline_max_words: int = 20


@dataclass(frozen=True, slots=True)
class Statement:
    """A candidate's statement: its offsets in the candidate's paragraph."""

    candidate: Candidate
    span: Span


def first_statement(
    question: str, reading: Reading, rules: FormRules, limit: int = 8
) -> Statement | None:
    """The best-ranked of the first ``limit`` candidates, outside a headline that asks a
    question, whose statement is not an echo of the question. Its answer keeps the reading's
    confidence (the reader's belief that the passages answer the question): an echo ranked
    first (the headline that asks the question back) says where the subject is, not that the
    answer is missing, so skipping it lowers nothing."""
    if not reading.candidates:
        return None
    for cand in reading.candidates[:limit]:
        if (
            is_headline(cand.passage, rules.headline_max_words)
            and "?" in cand.passage.paragraph_text
        ):
            continue  # a headline that asks ("Is China distancing itself …?") is answered below
        paragraph = cand.passage.paragraph_text
        span = statement_span(
            paragraph,
            Span(cand.start, cand.end),
            question,
            rules.max_sentences,
            rules.min_clause_words,
        )
        if span is not None:
            return Statement(cand, span)
    return None


def statement_answer(
    question: str,
    resolved: str,
    kind: Kind,
    reading: Reading,
    rules: FormRules,
    nearest: tuple[Citation, ...],
    multi_article: bool,
) -> Answer:
    """The clause or sentence that answers a why/how/opinion/yes-no question, or an
    abstention when the reader is not confident enough or only the question's words remain."""
    threshold = reading.threshold if rules.threshold is None else rules.threshold
    found = first_statement(resolved, reading, rules)
    if found is None or reading.confidence < threshold:
        return Answer.withheld(question, reading.confidence, resolved, nearest, multi_article, kind)
    passage, span = found.candidate.passage, found.span
    sentence = sentences_around(passage.paragraph_text, span, rules.max_sentences)
    return Answer(
        question=question,
        text=span.of(passage.paragraph_text),
        abstained=False,
        confidence=reading.confidence,
        citations=(passage.citation(span.start, span.end),),
        evidence=sentence.of(passage.paragraph_text),
        resolved_question=resolved,
        passages=nearest,
        multi_article=multi_article,
        kind=kind,
    )
