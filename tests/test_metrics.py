"""Unit tests for eval.metrics against hand-computed values."""

from __future__ import annotations

import dataclasses

import pytest

from eval.metrics import (
    AbstentionStats,
    CurvePoint,
    ReliabilityBin,
    abstention_stats,
    brier_score,
    coverage_accuracy_curve,
    exact_match,
    expected_calibration_error,
    f1_score,
    hit_at_k,
    latency_summary,
    mean,
    normalize_answer,
    percentile,
    reciprocal_rank,
    reliability_bins,
)

# --- normalize_answer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The  Quick, Brown Fox!", "quick brown fox"),
        # Curly quotes, apostrophe and em dash are Unicode punctuation; "an" is an article.
        ("\u201cPutin\u2019s\u201d \u2014 an answer", "putins answer"),
        # Articles only go as whole words: "banana" and "theater" survive.
        ("a banana theater", "banana theater"),
        # Punctuation is deleted, not spaced, so "A.B" fuses to "ab" (as in SQuAD).
        ("A.B", "ab"),
        ("$5 + tax", "5 tax"),
        ("  \t\n ", ""),
        ("The", ""),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


# --- exact_match --------------------------------------------------------------------


def test_exact_match_ignores_case_articles_and_punctuation() -> None:
    assert exact_match("The Kremlin.", ["kremlin"]) == 1.0


def test_exact_match_curly_and_straight_quotes_agree() -> None:
    assert exact_match("\u201cGabuev\u201d", ['"Gabuev"']) == 1.0


def test_exact_match_rejects_partial_answer() -> None:
    assert exact_match("Kremlin Palace", ["kremlin"]) == 0.0


def test_exact_match_takes_max_over_golds() -> None:
    assert exact_match("Moscow", ["St Petersburg", "moscow"]) == 1.0


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        ("", [], 1.0),
        ("the", [], 1.0),  # normalises to "", so it counts as abstaining
        ("Moscow", [], 0.0),
        ("", [""], 1.0),  # a gold that normalises to "" means "no answer"
        ("", ["Moscow"], 0.0),
    ],
)
def test_exact_match_empty_gold_convention(
    prediction: str, golds: list[str], expected: float
) -> None:
    assert exact_match(prediction, golds) == expected


# --- f1_score -----------------------------------------------------------------------


def test_f1_partial_overlap() -> None:
    # pred tokens [alexander, gabuev], gold [gabuev]: overlap 1, P = 1/2, R = 1/1.
    # F1 = 2 * (1/2 * 1) / (1/2 + 1) = 1 / 1.5 = 0.6667
    assert f1_score("the Alexander Gabuev", ["Gabuev"]) == pytest.approx(2 / 3)


def test_f1_counts_repeated_tokens_once_per_match() -> None:
    # pred [x, x, y], gold [x, y, y]: overlap min(2,1) + min(1,2) = 2.
    # P = 2/3, R = 2/3 -> F1 = 2/3 (a set-based overlap would wrongly give 1.0).
    assert f1_score("x x y", ["x y y"]) == pytest.approx(2 / 3)


def test_f1_takes_max_over_golds() -> None:
    # vs "green": overlap 0 -> 0.  vs "blue green red": overlap 2, P = 2/2, R = 2/3,
    # F1 = 2 * (1 * 2/3) / (1 + 2/3) = (4/3) / (5/3) = 0.8
    assert f1_score("red blue", ["green", "blue green red"]) == pytest.approx(0.8)


def test_f1_no_overlap_and_empty_prediction() -> None:
    assert f1_score("Berlin", ["Moscow"]) == 0.0
    assert f1_score("", ["Moscow"]) == 0.0


def test_f1_empty_gold_convention() -> None:
    assert f1_score("", []) == 1.0
    assert f1_score("an", [""]) == 1.0
    assert f1_score("Moscow", []) == 0.0


# --- ranking ------------------------------------------------------------------------

RANKED = [("d1", 0), ("d2", 3), ("d1", 2), ("d3", 1)]
RELEVANT = {("d1", 2)}


@pytest.mark.parametrize(("k", "expected"), [(1, 0.0), (2, 0.0), (3, 1.0), (10, 1.0)])
def test_hit_at_k(k: int, expected: float) -> None:
    # The relevant (doc, paragraph) pair sits at rank 3; ("d1", 0) is the wrong paragraph.
    assert hit_at_k(RANKED, RELEVANT, k) == expected


def test_hit_at_k_accepts_any_collection_of_relevant_items() -> None:
    assert hit_at_k(RANKED, [("d2", 3), ("d9", 9)], 2) == 1.0
    assert hit_at_k(RANKED, [], 4) == 0.0


@pytest.mark.parametrize("k", [0, -1])
def test_hit_at_k_rejects_k_below_one(k: int) -> None:
    with pytest.raises(ValueError, match="k must be >= 1"):
        hit_at_k(RANKED, RELEVANT, k)


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(RANKED, RELEVANT) == pytest.approx(1 / 3)
    # Two relevant items at ranks 2 and 3: only the first counts -> 1/2.
    assert reciprocal_rank(RANKED, {("d2", 3), ("d1", 2)}) == pytest.approx(0.5)
    assert reciprocal_rank(RANKED, {("d9", 0)}) == 0.0
    assert reciprocal_rank([], RELEVANT) == 0.0


# --- abstention ---------------------------------------------------------------------


def test_abstention_stats_six_items() -> None:
    # item:        1      2      3      4      5      6
    abstained = [True, True, True, True, False, False]
    answerable = [False, True, True, True, False, True]
    # Unanswerable: items 1, 5 (2); answerable: items 2, 3, 4, 6 (4).
    # Abstentions: 1 (right), 2, 3, 4 (wrong) -> precision 1/4 = 0.25.
    # Unanswerables abstained on: item 1 of {1, 5} -> recall 1/2 = 0.5.
    # Answerables abstained on: items 2, 3, 4 of 4 -> false abstention rate 3/4 = 0.75.
    stats = abstention_stats(abstained, answerable)
    assert stats == AbstentionStats(
        precision=pytest.approx(0.25),
        recall=pytest.approx(0.5),
        false_abstention_rate=pytest.approx(0.75),
        n_unanswerable=2,
        n_answerable=4,
    )


def test_abstention_stats_never_abstaining() -> None:
    # No abstentions: precision 1.0 by convention, but the missed unanswerable
    # (item 1) shows as recall 0/1 = 0.0.
    stats = abstention_stats([False, False], [False, True])
    assert (stats.precision, stats.recall, stats.false_abstention_rate) == (1.0, 0.0, 0.0)


def test_abstention_stats_empty_denominators() -> None:
    all_answerable = abstention_stats([False, True], [True, True])
    # No unanswerables -> recall 1.0; 1 of 2 answerables refused -> 0.5; precision 0/1.
    assert all_answerable.recall == 1.0
    assert all_answerable.false_abstention_rate == 0.5
    assert all_answerable.precision == 0.0
    all_unanswerable = abstention_stats([True, True], [False, False])
    assert all_unanswerable.false_abstention_rate == 0.0
    assert (all_unanswerable.precision, all_unanswerable.recall) == (1.0, 1.0)
    empty = abstention_stats([], [])
    assert (empty.n_answerable, empty.n_unanswerable) == (0, 0)


def test_abstention_stats_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="abstained and answerable differ in length: 2 != 1"):
        abstention_stats([True, False], [True])


def test_result_dataclasses_are_frozen() -> None:
    stats = abstention_stats([True], [False])
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.precision = 0.0  # type: ignore[misc]


# --- coverage_accuracy_curve --------------------------------------------------------

CONFIDENCES = [0.9, 0.6, 0.3, 0.1]
SCORES = [1.0, 0.5, 0.0, 1.0]


def test_coverage_accuracy_curve_explicit_thresholds() -> None:
    points = coverage_accuracy_curve(CONFIDENCES, SCORES, [0.0, 0.3, 0.5, 0.95])
    assert points == [
        # all 4 answered: (1 + 0.5 + 0 + 1) / 4 = 0.625
        CurvePoint(0.0, 1.0, pytest.approx(0.625)),
        # >= 0.3 is inclusive: 0.9, 0.6, 0.3 -> 3/4; (1 + 0.5 + 0) / 3 = 0.5
        CurvePoint(0.3, 0.75, pytest.approx(0.5)),
        # 0.9, 0.6 -> 2/4; (1 + 0.5) / 2 = 0.75
        CurvePoint(0.5, 0.5, pytest.approx(0.75)),
        # nothing answered -> coverage 0, accuracy 0 by convention
        CurvePoint(0.95, 0.0, 0.0),
    ]


def test_coverage_accuracy_curve_default_grid() -> None:
    points = coverage_accuracy_curve(CONFIDENCES, SCORES)
    assert len(points) == 21
    assert [p.threshold for p in points] == pytest.approx([i / 20 for i in range(21)])
    assert points[10] == CurvePoint(0.5, 0.5, pytest.approx(0.75))  # same as t = 0.5 above


def test_coverage_accuracy_curve_threshold_one_is_inclusive() -> None:
    # Confidence 1.0 is still answered at t = 1.0: coverage 1/2, accuracy 0.25.
    points = coverage_accuracy_curve([1.0, 0.99], [0.25, 1.0])
    assert points[-1] == CurvePoint(1.0, 0.5, 0.25)


def test_coverage_accuracy_curve_empty_and_mismatch() -> None:
    assert coverage_accuracy_curve([], [], [0.5]) == [CurvePoint(0.5, 0.0, 0.0)]
    with pytest.raises(ValueError, match="confidences and scores differ in length"):
        coverage_accuracy_curve([0.5], [1.0, 0.0])


# --- latency ------------------------------------------------------------------------


def test_percentile_linear_interpolation() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # sorted: 10, 20, 30, 40
    # q=50: position 3 * 0.50 = 1.5  -> 20 + 0.5 * (30 - 20) = 25
    assert percentile(values, 50) == pytest.approx(25.0)
    # q=95: position 3 * 0.95 = 2.85 -> 30 + 0.85 * (40 - 30) = 38.5
    assert percentile(values, 95) == pytest.approx(38.5)
    assert (percentile(values, 0), percentile(values, 100)) == (10.0, 40.0)


@pytest.mark.parametrize(
    ("values", "q", "message"),
    [([], 50.0, "empty"), ([1.0], -1.0, r"\[0, 100\]"), ([1.0], 100.5, r"\[0, 100\]")],
)
def test_percentile_rejects_bad_input(values: list[float], q: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        percentile(values, q)


def test_latency_summary() -> None:
    # sorted: 10, 20, 30, 40, 100
    # p50: position 4 * 0.50 = 2   -> 30
    # p95: position 4 * 0.95 = 3.8 -> 40 + 0.8 * (100 - 40) = 88
    # mean: 200 / 5 = 40
    summary = latency_summary([100.0, 10.0, 20.0, 30.0, 40.0])
    assert summary == {"p50": pytest.approx(30.0), "p95": pytest.approx(88.0), "mean": 40.0}


def test_latency_summary_empty() -> None:
    assert latency_summary([]) == {"p50": 0.0, "p95": 0.0, "mean": 0.0}


# --- brier_score --------------------------------------------------------------------


def test_brier_score() -> None:
    # (0.9 - 1)^2 + (0.2 - 0)^2 + (0.6 - 0)^2 = 0.01 + 0.04 + 0.36 = 0.41; / 3 = 0.13667
    assert brier_score([0.9, 0.2, 0.6], [True, False, False]) == pytest.approx(0.41 / 3)
    assert brier_score([0.9, 0.2, 0.6], [1.0, 0.0, 0.0]) == pytest.approx(0.41 / 3)
    assert brier_score([1.0, 0.0], [True, False]) == 0.0


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "message"),
    [
        ([0.5], [True, False], "differ in length"),
        ([], [], "at least one"),
        ([1.2], [True], r"probabilities\[0\]"),
        ([0.5], [2.0], r"outcomes\[0\]"),
    ],
)
def test_brier_score_rejects_bad_input(
    probabilities: list[float], outcomes: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        brier_score(probabilities, outcomes)


# --- reliability bins and ECE -------------------------------------------------------

PROBS = [0.1, 0.2, 0.3, 0.8, 0.9, 1.0, 0.75]
OUTCOMES = [False, True, True, True, False, True, True]


def test_reliability_bins() -> None:
    bins = reliability_bins(PROBS, OUTCOMES, n_bins=4)
    assert bins == [
        # [0, .25): 0.1 (F), 0.2 (T) -> conf (0.1 + 0.2) / 2 = 0.15, acc 1/2
        ReliabilityBin(0.0, 0.25, 2, pytest.approx(0.15), 0.5),
        # [.25, .5): 0.3 (T)
        ReliabilityBin(0.25, 0.5, 1, pytest.approx(0.3), 1.0),
        # [.5, .75): empty but kept
        ReliabilityBin(0.5, 0.75, 0, 0.0, 0.0),
        # [.75, 1]: 0.75 (lower edge) and 1.0 (closed top) land here with 0.8, 0.9.
        # conf (0.8 + 0.9 + 1.0 + 0.75) / 4 = 3.45 / 4 = 0.8625; acc 3/4 = 0.75
        ReliabilityBin(0.75, 1.0, 4, pytest.approx(0.8625), 0.75),
    ]


def test_expected_calibration_error() -> None:
    bins = reliability_bins(PROBS, OUTCOMES, n_bins=4)
    # (2 * |0.5 - 0.15| + 1 * |1.0 - 0.3| + 0 + 4 * |0.75 - 0.8625|) / 7
    # = (0.7 + 0.7 + 0.45) / 7 = 1.85 / 7 = 0.26429
    assert expected_calibration_error(bins) == pytest.approx(1.85 / 7)


def test_expected_calibration_error_perfect_and_empty() -> None:
    # All at 0.25 and 1 of 4 correct: confidence equals accuracy -> ECE 0.
    bins = reliability_bins([0.25] * 4, [True, False, False, False], n_bins=4)
    assert expected_calibration_error(bins) == pytest.approx(0.0)
    assert expected_calibration_error(reliability_bins([], [])) == 0.0


def test_reliability_bins_default_count_and_edges() -> None:
    bins = reliability_bins([0.0, 1.0], [False, True])
    assert len(bins) == 10
    assert [b.count for b in bins] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert bins[3].lower == pytest.approx(0.3)
    assert bins[3].upper == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "n_bins", "message"),
    [
        ([0.5], [True], 0, "n_bins must be >= 1"),
        ([0.5, 0.6], [True], 10, "differ in length"),
        ([-0.1], [True], 10, "outside"),
    ],
)
def test_reliability_bins_rejects_bad_input(
    probabilities: list[float], outcomes: list[bool], n_bins: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        reliability_bins(probabilities, outcomes, n_bins)


# --- mean ---------------------------------------------------------------------------


def test_mean() -> None:
    assert mean([]) == 0.0
    assert mean([1.0, 2.0, 4.0]) == pytest.approx(7 / 3)
