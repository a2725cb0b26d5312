"""The gist of an article: its headline and its lede, each cited.

A news article states its gist twice by convention, in the headline and in the first
sentence of its body (the lede). Both are quoted verbatim; nothing is summarised.
"""

from __future__ import annotations

from qa.answering.forms import Span, sentences_around
from qa.documents import is_headline_sized
from qa.types import Answer, Citation, Document, Paragraph

GIST_CONFIDENCE = 1.0  # the gist is the article's own headline and lede: chosen, not guessed


def headline_and_lede(
    document: Document, headline_max_words: int
) -> tuple[Paragraph | None, Paragraph | None]:
    """The headline (the opening paragraph when it is short, as headlines are) and the lede's
    paragraph: the first cited paragraph longer than a headline (a subheading is skipped)."""
    opening = document.opening
    if opening is None:
        return None, None
    body = (p for p in document.cited() if not is_headline_sized(p.text, headline_max_words))
    lede = next(body, opening)
    short = is_headline_sized(opening.text, headline_max_words)
    headline = opening if opening is not lede and short else None
    return headline, lede


def _citation(document: Document, paragraph: Paragraph, span: Span) -> Citation:
    return Citation(
        document.id, paragraph.number, paragraph.text, span.start, span.end, 1.0, document.title
    )


def gist_answer(
    question: str,
    resolved: str,
    document: Document,
    headline_max_words: int,
    nearest: tuple[Citation, ...] = (),
    multi_article: bool = False,
) -> Answer:
    """The lede sentence as the answer, cited, with the headline as its second citation."""
    headline, lede = headline_and_lede(document, headline_max_words)
    if lede is None:
        return Answer.withheld(question, 0.0, resolved, nearest, multi_article, "gist")
    first = sentences_around(lede.text, Span(0, 1), 1)
    citations = [_citation(document, lede, first)]
    if headline is not None:
        citations.append(_citation(document, headline, Span(0, len(headline.text))))
    return Answer(
        question=question,
        text=first.of(lede.text),
        abstained=False,
        confidence=GIST_CONFIDENCE,
        citations=tuple(citations),
        evidence=first.of(lede.text),
        resolved_question=resolved,
        passages=nearest,
        multi_article=multi_article,
        kind="gist",
    )
