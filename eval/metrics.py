"""Pure evaluation metrics: answer overlap, ranking, abstention, calibration, latency."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AbstentionStats",
    "CurvePoint",
    "ReliabilityBin",
    "abstention_stats",
    "brier_score",
    "coverage_accuracy_curve",
    "exact_match",
    "expected_calibration_error",
    "f1_score",
    "hit_at_k",
    "latency_summary",
    "mean",
    "normalize_answer",
    "percentile",
    "reciprocal_rank",
    "reliability_bins",
]

_ASCII_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# 0.00, 0.05, ..., 1.00; built from integers so the values are exact decimals.
_DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(round(i * 0.05, 2) for i in range(21))


# --- helpers -----------------------------------------------------------------------


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for an empty sequence."""
    if not values:
        return 0.0
    return math.fsum(values) / len(values)


def _check_same_length(a: Sequence[object], b: Sequence[object], a_name: str, b_name: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{a_name} and {b_name} differ in length: {len(a)} != {len(b)}")


def _check_unit_interval(values: Sequence[float], name: str) -> None:
    for i, value in enumerate(values):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}[{i}] = {value!r} is outside [0, 1]")


def _ratio(numerator: int, denominator: int, if_empty: float) -> float:
    return numerator / denominator if denominator else if_empty


# --- answer overlap (SQuAD) ------------------------------------------------------------


def _is_punctuation(char: str) -> bool:
    # string.punctuation covers ASCII symbols such as $ and +, which Unicode files under
    # "S*"; the "P*" categories add curly quotes, dashes and other non-ASCII marks.
    return char in _ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower-case, drop punctuation and articles, squash spaces."""
    text = "".join(ch for ch in text.lower() if not _is_punctuation(ch))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _answerable_golds(golds: Sequence[str]) -> list[str]:
    # SQuAD 2.0 treats golds that normalise to "" as "no answer", like an empty list.
    return [gold for gold in golds if normalize_answer(gold)]


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold, else 0.0.

    With no (non-empty) golds the question is unanswerable, and only an empty
    prediction scores 1.0 (the SQuAD 2.0 convention).
    """
    predicted = normalize_answer(prediction)
    answers = _answerable_golds(golds)
    if not answers:
        return float(predicted == "")
    return float(any(predicted == normalize_answer(gold) for gold in answers))


def _token_f1(prediction_tokens: list[str], gold_tokens: list[str]) -> float:
    overlap = sum((Counter(prediction_tokens) & Counter(gold_tokens)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(prediction_tokens)
    recall = overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token-overlap F1, maximised over golds; empty golds as in `exact_match`."""
    prediction_tokens = normalize_answer(prediction).split()
    answers = _answerable_golds(golds)
    if not answers:
        return float(not prediction_tokens)
    return max(_token_f1(prediction_tokens, normalize_answer(g).split()) for g in answers)


# --- ranking ------------------------------------------------------------------------


def hit_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """1.0 if any of the first `k` ranked items is relevant, else 0.0."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return float(any(item in relevant for item in ranked[:k]))


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Collection[Hashable]) -> float:
    """1 / (1-based rank of the first relevant item), or 0.0 if none is relevant."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


# --- abstention -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbstentionStats:
    """How well abstentions line up with unanswerable questions.

    An empty denominator yields the "no mistake made" value: precision 1.0 when
    nothing was abstained on, recall 1.0 when no question was unanswerable, and
    false_abstention_rate 0.0 when no question was answerable. This keeps the
    fields finite, and the failure still shows in the companion metric (e.g. never
    abstaining gives precision 1.0 but recall 0.0 whenever unanswerables exist).
    """

    precision: float
    recall: float
    false_abstention_rate: float
    n_unanswerable: int
    n_answerable: int


def abstention_stats(abstained: Sequence[bool], answerable: Sequence[bool]) -> AbstentionStats:
    """Precision/recall of abstaining on unanswerables, and the rate of wrong refusals."""
    _check_same_length(abstained, answerable, "abstained", "answerable")
    pairs = list(zip(abstained, answerable, strict=True))
    n_abstained = sum(1 for abstain, _ in pairs if abstain)
    correct = sum(1 for abstain, ok in pairs if abstain and not ok)
    wrong = n_abstained - correct
    n_answerable = sum(1 for _, ok in pairs if ok)
    n_unanswerable = len(pairs) - n_answerable
    return AbstentionStats(
        precision=_ratio(correct, n_abstained, if_empty=1.0),
        recall=_ratio(correct, n_unanswerable, if_empty=1.0),
        false_abstention_rate=_ratio(wrong, n_answerable, if_empty=0.0),
        n_unanswerable=n_unanswerable,
        n_answerable=n_answerable,
    )


# --- selective answering --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Coverage and accuracy when answering only at confidence >= threshold."""

    threshold: float
    coverage: float
    accuracy: float


def coverage_accuracy_curve(
    confidences: Sequence[float],
    scores: Sequence[float],
    thresholds: Sequence[float] | None = None,
) -> list[CurvePoint]:
    """One point per threshold (default 0.00..1.00 step 0.05).

    Coverage is the fraction answered; accuracy is the mean score (e.g. F1 or EM)
    over answered questions, 0.0 when none is answered.
    """
    _check_same_length(confidences, scores, "confidences", "scores")
    grid = _DEFAULT_THRESHOLDS if thresholds is None else thresholds
    points = []
    for threshold in grid:
        answered = [s for c, s in zip(confidences, scores, strict=True) if c >= threshold]
        coverage = _ratio(len(answered), len(scores), if_empty=0.0)
        points.append(CurvePoint(float(threshold), coverage, mean(answered)))
    return points


# --- latency --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0..100), interpolating linearly between samples."""
    if not values:
        raise ValueError("percentile of an empty sequence is undefined")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be in [0, 100], got {q}")
    return float(np.percentile(np.asarray(values, dtype=float), q, method="linear"))


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean latency; all 0.0 for no samples so a report never crashes."""
    if not latencies_ms:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0}
    return {
        "p50": percentile(latencies_ms, 50.0),
        "p95": percentile(latencies_ms, 95.0),
        "mean": mean(latencies_ms),
    }


# --- calibration ----------------------------------------------------------------------


def brier_score(probabilities: Sequence[float], outcomes: Sequence[bool | float]) -> float:
    """Mean squared gap between predicted probability and outcome (lower is better)."""
    _check_same_length(probabilities, outcomes, "probabilities", "outcomes")
    if not probabilities:
        # 0.0 would read as perfect calibration, so refuse instead.
        raise ValueError("brier_score needs at least one prediction")
    _check_unit_interval(probabilities, "probabilities")
    _check_unit_interval(outcomes, "outcomes")
    return mean([(p - float(o)) ** 2 for p, o in zip(probabilities, outcomes, strict=True)])


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One confidence bin: its bounds, size, mean confidence and observed accuracy."""

    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


def reliability_bins(
    probabilities: Sequence[float],
    outcomes: Sequence[bool | float],
    n_bins: int = 10,
) -> list[ReliabilityBin]:
    """Equal-width bins [i/n, (i+1)/n); the last bin is closed so it holds 1.0.

    Empty bins are kept (count 0, mean_confidence and accuracy 0.0) so every call
    returns exactly `n_bins` bins.
    """
    _check_same_length(probabilities, outcomes, "probabilities", "outcomes")
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    _check_unit_interval(probabilities, "probabilities")
    _check_unit_interval(outcomes, "outcomes")
    members: list[list[tuple[float, float]]] = [[] for _ in range(n_bins)]
    for p, o in zip(probabilities, outcomes, strict=True):
        members[min(int(p * n_bins), n_bins - 1)].append((p, float(o)))
    return [
        ReliabilityBin(
            lower=i / n_bins,
            upper=(i + 1) / n_bins,
            count=len(pairs),
            mean_confidence=mean([p for p, _ in pairs]),
            accuracy=mean([o for _, o in pairs]),
        )
        for i, pairs in enumerate(members)
    ]


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """Count-weighted mean |accuracy - confidence| over bins; 0.0 if all are empty."""
    total = sum(b.count for b in bins)
    if total == 0:
        return 0.0
    return math.fsum(b.count * abs(b.accuracy - b.mean_confidence) for b in bins) / total
