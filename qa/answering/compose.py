"""From ranked answer candidates to an Answer: confidence, abstention, citations, alternatives."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answering.kind_answers import FormRules, statement_answer
from qa.answering.kinds import Kind
from qa.reading.candidates import Candidate, Reading
from qa.types import Alternative, Answer, Citation, Passage


@dataclass(frozen=True, slots=True)
class Composer:
    """Turns a reader's Reading into the Answer: ``max_alternatives`` runner-ups listed, a
    conflict flagged when the best runner-up has ``conflict_ratio`` of the best's confidence,
    citations that name their article when the corpus holds several (``multi_article``)."""

    max_alternatives: int = 3
    conflict_ratio: float = 0.8
    multi_article: bool = False
    rules: FormRules = FormRules()  # noqa: RUF009 (frozen, so one shared default is safe)

    def compose(
        self,
        question: str,
        resolved: str,
        reading: Reading,
        passages: Sequence[Passage],
        kind: Kind = "factoid",
    ) -> Answer:
        """The best candidate as an Answer, or an abstention under the reading's threshold.
        A factoid is the reader's span; a why/how/opinion/yes-no question gets the statement
        around it (qa.answering.kind_answers)."""
        nearest = tuple(nearest_paragraphs(passages))
        if kind in ("why", "how", "opinion", "yes/no"):
            return statement_answer(
                question, resolved, kind, reading, self.rules, nearest, self.multi_article
            )
        confidence = reading.confidence
        if reading.abstains:
            return Answer.withheld(question, confidence, resolved, nearest, self.multi_article)
        best = reading.candidates[0]
        alternatives = rank_alternatives(reading.candidates, confidence, self.max_alternatives)
        conflict = bool(alternatives) and alternatives[0].confidence >= (
            self.conflict_ratio * confidence
        )
        return Answer(
            question=question,
            text=best.text,
            abstained=False,
            confidence=confidence,
            citations=tuple(supporting_citations(best, passages)),
            evidence=best.sentence,
            resolved_question=resolved,
            alternatives=alternatives,
            conflict=conflict,
            passages=nearest,
            multi_article=self.multi_article,
        )


def nearest_paragraphs(passages: Sequence[Passage]) -> list[Citation]:
    """One citation per paragraph, in rank order (a paragraph may come as several chunks)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for passage in passages:
        key = (passage.chunk.doc_id, passage.chunk.paragraph)
        if key not in seen:
            seen.add(key)
            out.append(passage.citation())
    return out


def rank_alternatives(
    candidates: Sequence[Candidate], confidence: float, limit: int
) -> tuple[Alternative, ...]:
    """Runner-up answers that are not part of the best one (nor contain it), each cited.

    An alternative's confidence is the best's scaled by exp(score gap): the span scores are
    logits of one model, so the gap says how much less likely the runner-up is.
    """
    best = candidates[0]
    kept: list[Alternative] = []
    for cand in candidates[1:]:
        if len(kept) == limit:
            break
        if _overlaps(cand, best) or any(_same_text(cand.text, a.text) for a in kept):
            continue
        share = confidence * math.exp(min(cand.score - best.score, 0.0))
        kept.append(Alternative(cand.text, share, cand.passage.citation(cand.start, cand.end)))
    return tuple(kept)


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """Two spans of the same paragraph that share characters, or the same words anywhere."""
    same_place = a.passage.chunk.paragraph == b.passage.chunk.paragraph and (
        a.passage.chunk.doc_id == b.passage.chunk.doc_id
    )
    if same_place and a.start < b.end and b.start < a.end:
        return True
    return _same_text(a.text, b.text)


def _same_text(a: str, b: str) -> bool:
    x, y = a.lower(), b.lower()
    return x in y or y in x


def supporting_citations(best: Candidate, passages: Sequence[Passage]) -> list[Citation]:
    """The answer's own paragraph first, then other retrieved paragraphs that state it too.

    Only answers of two or more words count as restated: a lone "President" or "Xi" occurs in
    many paragraphs without supporting anything.
    """
    citations = [best.passage.citation(best.start, best.end)]
    if len(best.text.split()) < 2:
        return citations
    seen = {(best.passage.chunk.doc_id, best.passage.chunk.paragraph)}
    pattern = re.compile(rf"(?<!\w){re.escape(best.text)}(?!\w)")
    for passage in passages:
        key = (passage.chunk.doc_id, passage.chunk.paragraph)
        match = pattern.search(passage.paragraph_text)
        if key not in seen and match:
            seen.add(key)
            citations.append(passage.citation(match.start(), match.end()))
    return citations
