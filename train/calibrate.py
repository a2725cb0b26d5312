"""Fit how the neural reader ranks and trusts its answers; writes the reader's calibration.

    python -m train.calibrate --reader qa/models/reader [--retrieval hybrid+reader] [--cache F]

Data: the held-out slices of every training source (train.calibration_cases): positives and
three kinds of negatives (on-topic, cross-article, Disfl-QA's real unanswerables), each article
indexed alone and asked through the real pipeline in the mode given. Pooled with an equal
number of questions per source, so no one source sets the threshold. Fitted: the weight of the
passage score in the span ranking (grid, best F1), the confidence model (logistic: is the
chosen answer right, F1 >= 0.5) on features that do not depend on the corpus (span log-prob,
its gap to the null answer, the passage's relevance, the lead over the runner-up), and the
abstention threshold by a stated rule: the best mean of F1 on answerable questions and share
of negatives refused, pooled. Per source, a coverage-risk table is printed and kept in the
manifest. Each mode keeps its own fit: one in the default mode (``Settings().retrieval``) is the
manifest's ``calibration``, the one any mode without its own uses (a reader's first fit, in
any mode, holds that place until a default-mode fit comes); one in another mode goes to
``calibrations[mode]``, used when the reader reads in that mode (``calibration_for``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from eval.metrics import f1_score
from qa.checksums import file_sha256
from qa.reading import MANIFEST, LinearModel, confidence_inputs, dedupe, span_score
from qa.settings import Settings
from train.calibration_cases import KINDS, SOURCES, Case, collect

RERANK_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
TABLE_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def ranked(case: Case, rerank_weight: float) -> list[tuple[float, str, dict[str, float]]]:
    """The case's candidates as the reader ranks them with this weight, one per text."""
    weight = {"rerank_weight": rerank_weight}
    rows = sorted(((span_score(f, weight), t, f) for t, f in case.candidates), key=lambda r: -r[0])
    return dedupe(rows, text=lambda row: row[1])


def weight_scores(cases: list[Case]) -> dict[float, float]:
    """Mean F1 of the answerable cases' best candidate under each rerank weight."""
    positives = [c for c in cases if c.kind == "positive" and c.candidates]
    return {
        w: float(np.mean([f1_score(ranked(c, w)[0][1], c.golds) for c in positives]))
        for w in RERANK_WEIGHTS
    }


def best_weight(scores: dict[float, float]) -> float:
    return max(scores, key=lambda w: (round(scores[w], 3), -w))


def choose_rerank_weight(cases: list[Case]) -> float:
    scores = weight_scores(cases)
    for w, f1 in scores.items():
        print(f"rerank weight {w}: F1 {f1:.4f}")
    return best_weight(scores)


def at_depth(cases: list[Case], depth: int) -> list[Case]:
    """The cases as a reader of the top ``depth`` paragraphs would about see them: reading is
    per paragraph, so those paragraphs' candidates are what it reads, but for a text that a
    lower paragraph also gave with a higher score (kept only there) and the windows of a long
    paragraph chosen around chunks ranked below ``depth``. A comparison; a fit for a depth is
    made on cases read at it (``--read-depth``)."""

    def kept(case: Case) -> list[tuple[str, dict[str, float]]]:
        return [(t, f) for t, f in case.candidates if f["passage_rank"] < depth]

    return [replace(c, candidates=kept(c)) for c in cases]


def report_depths(cases: list[Case], read_depth: int) -> dict[int, float]:
    """About the F1 on the answerable cases had only the top-d paragraphs been read (d up to
    the depth they were read at), each with its best rerank weight (``at_depth``)."""
    out = {}
    for depth in range(1, read_depth + 1):
        scores = weight_scores(at_depth(cases, depth))
        w = best_weight(scores)
        out[depth] = round(scores[w], 4)
        print(f"read depth {depth}: F1 {out[depth]:.4f} (rerank weight {w})")
    return out


def confidence_rows(cases: list[Case], w: float) -> list[tuple[dict[str, float], float, Case]]:
    rows = []
    for case in cases:
        if case.candidates:
            order = ranked(case, w)
            features = confidence_inputs([s for s, _, _ in order], order[0][2])
            rows.append((features, f1_score(order[0][1], case.golds) if case.golds else 0.0, case))
    return rows


def fit_confidence(rows) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    names = sorted(rows[0][0])
    x = np.array([[f[k] for k in names] for f, _, _ in rows])
    y = np.array([f1 >= 0.5 for _, f1, _ in rows], dtype=int)
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y)
    weights = dict(zip(names, np.round(model.coef_[0], 4).tolist(), strict=True))
    return LinearModel(weights, round(float(model.intercept_[0]), 4))


Scored = list[tuple[float, float, Case]]  # (confidence, F1 of the chosen answer, case)


def scored_cases(cases: list[Case], w: float, confidence: LinearModel) -> Scored:
    """Every case with its confidence; a case with no candidate is refused at any threshold."""
    rows = [(confidence.probability(f), f1, case) for f, f1, case in confidence_rows(cases, w)]
    return rows + [(0.0, 0.0, c) for c in cases if not c.candidates]


def risk_at(scored: Scored, threshold: float) -> dict[str, float]:
    """What users get at ``threshold``: coverage (positives answered), risk (answered positives
    that are wrong), F1, right answers withheld and each kind of negative refused."""
    positives = [(p, f1) for p, f1, c in scored if c.kind == "positive"]
    answered = [f1 for p, f1 in positives if p >= threshold]
    right = [p for p, f1 in positives if f1 >= 0.5]
    row = {
        "coverage": len(answered) / max(len(positives), 1),
        "risk": float(np.mean([f1 < 0.5 for f1 in answered])) if answered else 0.0,
        "f1": float(np.mean([f1 if p >= threshold else 0.0 for p, f1 in positives] or [0.0])),
        "withheld": float(np.mean([p < threshold for p in right])) if right else 0.0,
    }
    for kind in KINDS[1:]:
        asked = [p for p, _, c in scored if c.kind == kind]
        if asked:
            row[f"refused {kind}"] = float(np.mean([p < threshold for p in asked]))
    return {k: round(v, 3) for k, v in row.items()}


def choose_threshold(scored: Scored) -> float:
    """The threshold that serves users best, pooled over the sources: the mean of the F1 on
    answerable questions (a withheld answer scores 0) and the share of negatives refused, each
    kind of negative weighted alike. Prints the curve.

    A cap on the right answers withheld (5%, v1's rule) set 0.14 here: the hard sources'
    right answers (Quoref, Disfl-QA, Amazon) have low confidence, and so the threshold refused
    only 58% of the real unanswerable questions and 67% of the on-topic ones."""
    best, value = 0.0, -1.0
    for t in np.round(np.arange(0.02, 0.81, 0.02), 2):
        row = risk_at(scored, float(t))
        refused = [v for k, v in row.items() if k.startswith("refused")]
        utility = (row["f1"] + float(np.mean(refused))) / 2
        print(f"threshold {t:.2f}: utility {utility:.3f} {row}")
        if utility > value + 1e-9:
            best, value = float(t), utility
    return best


def coverage_risk(scored: Scored, chosen: float) -> dict[str, dict[str, dict[str, float]]]:
    """Per source (and pooled), the table at a few thresholds and at the chosen one."""
    out = {}
    for source in (*SOURCES, "pooled"):
        rows = [r for r in scored if source in ("pooled", r[2].source)]
        if rows:
            out[source] = {f"{t:.2f}": risk_at(rows, t) for t in (*TABLE_THRESHOLDS, chosen)}
    return out


def print_table(table: dict[str, dict[str, dict[str, float]]], chosen: float) -> None:
    print(f"\nat the chosen threshold {chosen:.2f}, per source:")
    for source, rows in table.items():
        print(f"  {source:9s} {rows[f'{chosen:.2f}']}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    cases = cases_of(args.reader, args.retrieval, args.limit, args.cache, args.read_depth)
    two_pass = {}
    if args.retrieval != "hybrid+reader":  # one pass reads every reranked passage
        report_depths(cases, args.read_depth)
        # The passage score the fit weighs is this cross-encoder's (one pass: the reader's own).
        two_pass = {"read_depth": args.read_depth, "reranker": Settings().reranker_model}
    w = choose_rerank_weight(cases)
    confidence = fit_confidence(confidence_rows(cases, w))
    scored = scored_cases(cases, w, confidence)
    threshold = choose_threshold(scored)
    table = coverage_risk(scored, threshold)
    print_table(table, threshold)
    write_calibration(args.reader, {
        "rerank_weight": w,
        "confidence": confidence.to_dict(),
        "abstain_threshold": threshold,
        "fitted_in": args.retrieval,
        **two_pass,
        "fitted_on": f"held-out slices of {', '.join(SOURCES)}: {len(cases)} cases "
        f"({', '.join(f'{sum(c.kind == k for c in cases)} {k}' for k in KINDS)})",
        "threshold_rule": "max of (F1 on answerable + share of negatives refused) / 2, pooled",
        "coverage_risk": table,
    })  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, required=True, help="a reader folder (ONNX)")
    parser.add_argument(
        "--retrieval",
        default=Settings().retrieval,
        choices=["hybrid+rerank", "hybrid+reader"],
        help="the mode the cases are read in (the cross-encoder's rerank first, or one pass)",
    )
    parser.add_argument("--limit", type=int, default=60, help="answerable questions per source")
    parser.add_argument("--cache", type=Path, help="JSON file keeping the collected cases")
    parser.add_argument(
        "--read-depth",
        type=int,
        default=Settings().read_depth,
        choices=range(1, 6),
        help="two passes: the cases are read at this read_depth and the fit is for it; above "
        "1 the F1 of each smaller depth is printed too (about: train.calibrate.at_depth)",
    )
    return parser.parse_args(argv)


def cases_of(
    reader: Path, retrieval: str, limit: int, cache: Path | None, read_depth: int = 1
) -> list[Case]:
    """The cases read in mode ``retrieval``: collected, or from ``cache``, which keeps the mode
    and model they were read with, so a fit never takes another mode's cases as its own."""
    defaults = Settings()  # what collect() reads with, besides the mode and depth
    key = {
        "retrieval": retrieval,
        "model": file_sha256(reader / "model.onnx"),
        "limit": limit,
        "read_depth": read_depth,
        # The passage score the span ranking and the confidence read is the reranker's.
        "reranker": defaults.reranker_model,
        # A short opening paragraph is read beside read_depth's (qa.reading.neural.is_headline).
        "headline_max_words": defaults.headline_max_words,
        # The cross-encoder's early exit decides which passages are scored, so read.
        "rerank_exit": [defaults.rerank_exit_after, str(defaults.rerank_exit_score)],
    }
    if cache and cache.exists():
        kept = json.loads(cache.read_text(encoding="utf-8"))
        read_with = kept.get("read_with") if isinstance(kept, dict) else "unknown settings"
        if read_with != key:
            raise SystemExit(f"{cache}: cases read with {read_with}, not {key}: use another file")
        return [Case(**row) for row in kept["cases"]]
    cases = collect(reader, retrieval, limit, read_depth)
    if cache:
        kept = {"read_with": key, "cases": [c.__dict__ for c in cases]}
        cache.write_text(json.dumps(kept), encoding="utf-8")
    return cases


def write_calibration(reader: Path, calibration: dict) -> None:
    path = reader / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(placed(manifest, calibration, Settings().retrieval))
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def placed(manifest: dict, calibration: dict, default_mode: str) -> dict:
    """The manifest's ``calibration`` (the default mode's fit, used by any mode without its
    own) and ``calibrations`` (the other modes' fits, by mode) once ``calibration`` is added:
    a new fit replaces only the one fitted in its own mode. A reader's first fit, whatever its
    mode, is its ``calibration`` until one in the default mode takes its place."""
    mode = calibration["fitted_in"]
    current = manifest.get("calibration") or {}
    others = {k: v for k, v in (manifest.get("calibrations") or {}).items() if k != mode}
    if mode == default_mode or not current or current.get("fitted_in") == mode:
        if current and current.get("fitted_in") not in (None, mode):
            others[current["fitted_in"]] = current
        return {"calibration": calibration, "calibrations": others}
    return {"calibration": current, "calibrations": {**others, mode: calibration}}


if __name__ == "__main__":
    main()
