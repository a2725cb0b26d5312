"""Scoring one answer against one item: pure functions, no models, no I/O.

Definitions (the report repeats them):

* relevant paragraphs: those holding a gold answer (see :class:`eval.datasets.EvalItem`).
* retrieval recall@k / reciprocal rank: over the retrieved passages' paragraphs, duplicates
  (two chunks of one paragraph) counted once, best first; answerable questions only.
* citation @1: the first citation names a relevant paragraph. Citation @3: any of the first
  three of (the citations, then the retrieved paragraphs not cited) is relevant. Both are
  scored on answerable questions that were answered (not abstained).
* article@1: the first citation is in the question's article (the article of its relevant
  paragraphs), scored like citation @1; retrieved article@1: the first retrieved passage is,
  on every answerable question, abstentions included. They tell a one-index corpus's
  routing apart from its reading.
* correct: an answerable question answered with F1 >= 0.5, or an unanswerable one abstained on.
* p(correct): the probability the pipeline gives its response of being correct. ``confidence``
  is the pipeline's belief that its answer is right, so an answer's p(correct) is
  ``confidence`` and an abstention's is ``1 - confidence``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eval.datasets import EvalItem, ParaKey
from eval.metrics import exact_match, f1_score, hit_at_k, reciprocal_rank
from qa.types import Answer

PASS_F1 = 0.5  # F1 at or above this counts as a right answer
RECALL_KS = (1, 3, 5)
STAGES = ("ok", "retrieval", "abstention", "reading", "citation")


@dataclass(frozen=True, slots=True)
class Result:
    """One question's outcome under one condition; a line of results.jsonl."""

    id: str
    set: str
    condition: str
    question: str
    history: tuple[str, ...]
    gold: tuple[str, ...]
    answerable: bool
    qtype: str
    prediction: str
    resolved_question: str
    abstained: bool
    confidence: float
    cited: tuple[ParaKey, ...]  # paragraphs of the citations, best first
    retrieved: tuple[ParaKey, ...]  # paragraphs of the retrieved passages, best first
    relevant: tuple[ParaKey, ...]
    em: float
    f1: float
    cite_at_1: float | None  # None: not scored (unanswerable, or abstained)
    cite_at_3: float | None
    recall_at_1: float | None  # None: unanswerable
    recall_at_3: float | None
    recall_at_5: float | None
    rr: float | None
    correct: bool
    p_correct: float
    latency_ms: float
    failing_stage: str
    error: str | None = None
    article_at_1: float | None = None  # None: not scored (as cite_at_1)
    retrieved_article_at_1: float | None = None  # None: unanswerable


def unique_keys(keys: Iterable[ParaKey]) -> tuple[ParaKey, ...]:
    """The keys in order, each kept at its first position."""
    return tuple(dict.fromkeys(keys))


def citation_ranking(cited: Sequence[ParaKey], retrieved: Sequence[ParaKey]) -> list[ParaKey]:
    """Cited paragraphs first, then the retrieved ones not cited, for citation @k."""
    return list(unique_keys([*cited, *retrieved]))


def is_correct(answerable: bool, abstained: bool, f1: float) -> bool:
    """Right answer on an answerable question, or an abstention on an unanswerable one."""
    return (not abstained and f1 >= PASS_F1) if answerable else abstained


def prob_correct(confidence: float, abstained: bool) -> float:
    """The pipeline's implied probability that its response (answer or abstention) is right."""
    confidence = min(1.0, max(0.0, confidence))
    return 1.0 - confidence if abstained else confidence


def failing_stage(
    *, answerable: bool, abstained: bool, retrieved_hit: bool, f1: float, cited_hit: bool
) -> str:
    """The first stage that went wrong, in pipeline order.

    Unanswerable: "ok" if abstained, else "abstention". Answerable: "retrieval" when no
    retrieved passage is a gold paragraph; "abstention" when it abstained anyway; "reading"
    when the answer's F1 < 0.5; "citation" when the answer is right but the first citation
    does not hold a gold answer; otherwise "ok".
    """
    if not answerable:
        return "ok" if abstained else "abstention"
    if not retrieved_hit:
        return "retrieval"
    if abstained:
        return "abstention"
    if f1 < PASS_F1:
        return "reading"
    return "ok" if cited_hit else "citation"


def ranking_scores(retrieved: Sequence[ParaKey], item: EvalItem) -> dict[str, float | None]:
    """recall@k and reciprocal rank of the retrieved paragraphs; None for an unanswerable."""
    if not item.answerable:
        return {**{f"recall_at_{k}": None for k in RECALL_KS}, "rr": None}
    scores: dict[str, float | None] = {
        f"recall_at_{k}": hit_at_k(retrieved, item.relevant, k) for k in RECALL_KS
    }
    scores["rr"] = reciprocal_rank(retrieved, item.relevant)
    return scores


def citation_scores(
    cited: Sequence[ParaKey], retrieved: Sequence[ParaKey], item: EvalItem, abstained: bool
) -> dict[str, float | None]:
    """cite@1 and cite@3; None unless an answerable question was answered."""
    if not item.answerable or abstained:
        return {"cite_at_1": None, "cite_at_3": None}
    return {
        "cite_at_1": hit_at_k(cited, item.relevant, 1) if cited else 0.0,
        "cite_at_3": hit_at_k(citation_ranking(cited, retrieved), item.relevant, 3),
    }


def article_at_1(ranked: Sequence[ParaKey], relevant: Iterable[ParaKey]) -> float:
    """1.0 if the first ranked ¶ lies in an article holding a relevant ¶, whichever ¶ it is."""
    return float(bool(ranked) and ranked[0][0] in {doc for doc, _ in relevant})


def article_scores(
    cited: Sequence[ParaKey], retrieved: Sequence[ParaKey], item: EvalItem, abstained: bool
) -> dict[str, float | None]:
    """article@1 of the first citation (answered only) and of the first retrieved passage."""
    if not item.answerable:
        return {"article_at_1": None, "retrieved_article_at_1": None}
    return {
        "article_at_1": None if abstained else article_at_1(cited, item.relevant),
        "retrieved_article_at_1": article_at_1(retrieved, item.relevant),
    }


def score(
    item: EvalItem, condition: str, answer: Answer, latency_ms: float, error: str | None = None
) -> Result:
    """Score the pipeline's ``answer`` to ``item``."""
    prediction = "" if answer.abstained else answer.text
    cited = unique_keys((c.doc_id, c.paragraph) for c in answer.citations)
    retrieved = unique_keys((p.doc_id, p.paragraph) for p in answer.passages)
    f1 = f1_score(prediction, item.golds)
    stage = failing_stage(
        answerable=item.answerable,
        abstained=answer.abstained,
        retrieved_hit=any(key in item.relevant for key in retrieved),
        f1=f1,
        cited_hit=bool(cited) and cited[0] in item.relevant,
    )
    return Result(
        id=item.id,
        set=item.set,
        condition=condition,
        question=item.question,
        history=item.history,
        gold=item.golds,
        answerable=item.answerable,
        qtype=item.qtype,
        prediction=prediction,
        resolved_question=answer.resolved_question,
        abstained=answer.abstained,
        confidence=float(answer.confidence),
        cited=cited,
        retrieved=retrieved,
        relevant=tuple(sorted(item.relevant)),
        em=exact_match(prediction, item.golds),
        f1=f1,
        correct=is_correct(item.answerable, answer.abstained, f1),
        p_correct=prob_correct(answer.confidence, answer.abstained),
        latency_ms=latency_ms,
        failing_stage=stage,
        error=error,
        **citation_scores(cited, retrieved, item, answer.abstained),
        **article_scores(cited, retrieved, item, answer.abstained),
        **ranking_scores(retrieved, item),
    )
