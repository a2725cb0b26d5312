"""Aggregating per-question results into one summary per condition (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.metrics import (
    CurvePoint,
    ReliabilityBin,
    abstention_stats,
    brier_score,
    coverage_accuracy_curve,
    expected_calibration_error,
    latency_summary,
    mean,
    reliability_bins,
)
from eval.scoring import STAGES, Result

NEVER = -1.0  # the "confidence" of an abstention on the coverage curve: never answered


@dataclass(frozen=True)
class Summary:
    """Every reported number for one condition; None where nothing could be scored."""

    condition: str
    n: int
    n_answerable: int
    n_unanswerable: int
    em: float | None
    f1: float | None
    cite_at_1: float | None
    cite_at_3: float | None
    recall_at_1: float | None
    recall_at_3: float | None
    recall_at_5: float | None
    mrr: float | None
    abstention_rate: float
    abstention_precision: float
    abstention_recall: float
    false_abstention_rate: float
    latency_p50: float
    latency_p95: float
    brier: float | None
    ece: float | None
    article_at_1: float | None = None  # the first citation names the question's article
    retrieved_article_at_1: float | None = None  # so does the first retrieved passage
    stages: dict[str, int] = field(default_factory=dict)
    f1_by_type: dict[str, float] = field(default_factory=dict)
    curve: list[CurvePoint] = field(default_factory=list)
    reliability: list[ReliabilityBin] = field(default_factory=list)


def mean_or_none(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return mean(present) if present else None


def f1_by_type(results: Sequence[Result]) -> dict[str, float]:
    """Mean F1 per question type, answerable questions only, types sorted by name."""
    groups: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.answerable:
            groups[r.qtype].append(r.f1)
    return {qtype: mean(groups[qtype]) for qtype in sorted(groups)}


def stage_counts(results: Sequence[Result]) -> dict[str, int]:
    counts = Counter(r.failing_stage for r in results)
    return {stage: counts.get(stage, 0) for stage in STAGES}


def selective_curve(results: Sequence[Result]) -> list[CurvePoint]:
    """Coverage and mean F1 when answering only at confidence >= t; abstentions never count."""
    confidences = [NEVER if r.abstained else r.confidence for r in results]
    return coverage_accuracy_curve(confidences, [r.f1 for r in results])


def calibration(results: Sequence[Result]) -> tuple[float | None, float | None, list]:
    """Brier score, ECE and reliability bins of p(correct) against correct."""
    if not results:
        return None, None, []
    probabilities = [r.p_correct for r in results]
    outcomes = [r.correct for r in results]
    bins = reliability_bins(probabilities, outcomes)
    return brier_score(probabilities, outcomes), expected_calibration_error(bins), bins


def _answer_metrics(answerable: Sequence[Result]) -> dict[str, float | None]:
    return {
        "em": mean_or_none([r.em for r in answerable]),
        "f1": mean_or_none([r.f1 for r in answerable]),
        "cite_at_1": mean_or_none([r.cite_at_1 for r in answerable]),
        "cite_at_3": mean_or_none([r.cite_at_3 for r in answerable]),
        "recall_at_1": mean_or_none([r.recall_at_1 for r in answerable]),
        "recall_at_3": mean_or_none([r.recall_at_3 for r in answerable]),
        "recall_at_5": mean_or_none([r.recall_at_5 for r in answerable]),
        "mrr": mean_or_none([r.rr for r in answerable]),
        "article_at_1": mean_or_none([r.article_at_1 for r in answerable]),
        "retrieved_article_at_1": mean_or_none([r.retrieved_article_at_1 for r in answerable]),
    }


def summarize(condition: str, results: Sequence[Result]) -> Summary:
    """The summary of one condition's results."""
    answerable = [r for r in results if r.answerable]
    abstention = abstention_stats([r.abstained for r in results], [r.answerable for r in results])
    latency = latency_summary([r.latency_ms for r in results])
    brier, ece, bins = calibration(results)
    return Summary(
        condition=condition,
        n=len(results),
        n_answerable=len(answerable),
        n_unanswerable=len(results) - len(answerable),
        **_answer_metrics(answerable),
        abstention_rate=mean([float(r.abstained) for r in results]),
        abstention_precision=abstention.precision,
        abstention_recall=abstention.recall,
        false_abstention_rate=abstention.false_abstention_rate,
        latency_p50=latency["p50"],
        latency_p95=latency["p95"],
        brier=brier,
        ece=ece,
        stages=stage_counts(results),
        f1_by_type=f1_by_type(results),
        curve=selective_curve(results),
        reliability=bins,
    )


def restrict(results: Sequence[Result], ids: set[str]) -> list[Result]:
    """The results whose id is in ``ids``, in their order."""
    return [r for r in results if r.id in ids]


def by_condition(results: Sequence[Result]) -> dict[str, list[Result]]:
    """Results grouped by condition, conditions in first-seen order."""
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.condition, []).append(r)
    return groups


def error_notes(results: Sequence[Result]) -> list[str]:
    """A line per condition whose questions were refused with an error (a setting the
    pipeline rejects, a question too long): they score as abstentions, so without this
    line a condition that could not run reads as one that abstained."""
    notes = []
    for condition, group in by_condition(results).items():
        failed = [r for r in group if r.error]
        if failed:
            notes.append(
                f"{condition}: {len(failed)} of {len(group)} questions were refused with an "
                f"error, scored as abstentions (first: {failed[0].error})"
            )
    return notes
