"""Fit how the neural reader ranks and trusts its answers; writes the reader's calibration.

    python -m train.calibrate --reader qa/models/reader

Data: SQuAD v1.1 dev articles 22-24 only (held out from the reader's training; 25-48 stay for
reporting), each article its own corpus, through the real pipeline (retrieve, rerank, read):
- positives: the question asked of its article;
- on-topic negatives: the same question with its answer's paragraph removed from what the
  reader sees (the article is on topic but does not say);
- cross-article negatives: the question asked of another article.
Fitted: the weight of the rerank score in the span ranking (grid, best F1), the confidence
model (logistic: is the chosen answer right, F1 >= 0.5), and the abstention threshold
(coverage curve, as eval.tune). The result goes into the folder's manifest.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.datasets import shared_data_dir
from eval.external import SQUAD_FILE, SquadArticle, load_squad, squad_document
from eval.metrics import f1_score
from qa.pipeline import Pipeline
from qa.reading import (
    MANIFEST,
    LinearModel,
    NeuralReader,
    OnnxSpanModel,
    confidence_inputs,
    span_score,
)
from qa.reading.baselines import dedupe
from qa.settings import Settings
from train.data import SQUAD_DEV_ARTICLES

RERANK_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Case:
    kind: str  # "positive", "on-topic" or "cross-article"
    golds: list[str]
    candidates: list[tuple[str, dict[str, float]]]


def ranked(case: Case, rerank_weight: float) -> list[tuple[float, str, dict[str, float]]]:
    """The case's candidates as the reader ranks them with this weight, one per text."""
    weight = {"rerank_weight": rerank_weight}
    rows = sorted(((span_score(f, weight), t, f) for t, f in case.candidates), key=lambda r: -r[0])
    return dedupe(rows, text=lambda row: row[1])


def collect(articles: list[SquadArticle], reader_dir: Path, limit: int | None) -> list[Case]:
    reader = NeuralReader(OnnxSpanModel(reader_dir), depth=Settings().read_depth)
    pipes = {
        i: Pipeline([squad_document(articles[i])], Settings(), persist=False)
        for i in SQUAD_DEV_ARTICLES
    }
    order = list(SQUAD_DEV_ARTICLES)
    cases = []
    for n, i in enumerate(order):
        other = pipes[order[(n + 1) % len(order)]]
        for para, qa in articles[i].questions[:limit]:
            golds = [a["text"] for a in qa["answers"]]
            q = qa["question"]
            passages = pipes[i].search(q, 5)
            cases.append(Case("positive", golds, _cands(reader, q, passages)))
            rest = [p for p in passages if p.chunk.paragraph != para]
            cases.append(Case("on-topic", [], _cands(reader, q, rest)))
            far = other.search(q, 5)
            cases.append(Case("cross-article", [], _cands(reader, q, far)))
        print(f"article {i + 1}: {len(cases)} cases", flush=True)
    return cases


def _cands(reader: NeuralReader, question: str, passages) -> list[tuple[str, dict[str, float]]]:
    return [(c.text, dict(c.features or {})) for c in reader.read(question, passages)]


def choose_rerank_weight(cases: list[Case]) -> float:
    positives = [c for c in cases if c.kind == "positive" and c.candidates]
    scores = {}
    for w in RERANK_WEIGHTS:
        scores[w] = float(np.mean([f1_score(ranked(c, w)[0][1], c.golds) for c in positives]))
        print(f"rerank weight {w}: F1 {scores[w]:.4f}")
    return max(scores, key=lambda w: (round(scores[w], 3), -w))


def report_depths(cases: list[Case], w: float) -> dict[int, float]:
    """F1 when only the top-d paragraphs are read (d = 1..5): reading is per paragraph, so
    the depth-5 candidates of paragraphs ranked below d are exactly what depth d reads."""
    positives = [c for c in cases if c.kind == "positive" and c.candidates]
    out = {}
    for depth in range(1, 6):
        scores = []
        for case in positives:
            kept = [(t, f) for t, f in case.candidates if f["passage_rank"] < depth]
            order = ranked(Case(case.kind, case.golds, kept), w)
            scores.append(f1_score(order[0][1], case.golds) if order else 0.0)
        out[depth] = round(float(np.mean(scores)), 4)
        print(f"read depth {depth}: F1 {out[depth]:.4f}")
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


def choose_threshold(rows, confidence: LinearModel, max_false: float = 0.05) -> float:
    """The highest threshold that withholds at most ``max_false`` of the answers that were
    right (F1 >= 0.5); every higher one costs users right answers. Prints the curve."""
    scored = [(confidence.probability(f), f1, case.kind) for f, f1, case in rows]
    right = [p for p, f1, kind in scored if kind == "positive" and f1 >= 0.5]
    best = 0.0
    for t in np.round(np.arange(0.02, 0.81, 0.02), 2):
        f1 = np.mean([f if p >= t else 0.0 for p, f, k in scored if k == "positive"])
        refused = {
            k: np.mean([p < t for p, _, kk in scored if kk == k])
            for k in ("on-topic", "cross-article")
        }
        false = float(np.mean([p < t for p in right]))
        print(
            f"threshold {t:.2f}: F1 {f1:.3f}, right answers withheld {false:.3f}, "
            f"refused on-topic {refused['on-topic']:.3f}, cross {refused['cross-article']:.3f}"
        )
        if false <= max_false:
            best = float(t)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, required=True, help="a reader folder (ONNX)")
    parser.add_argument("--limit", type=int, default=None, help="questions per article")
    parser.add_argument("--cache", type=Path, help="JSON file keeping the collected cases")
    args = parser.parse_args(argv)
    if args.cache and args.cache.exists():
        cases = [Case(**row) for row in json.loads(args.cache.read_text())]
    else:
        articles = load_squad(shared_data_dir() / SQUAD_FILE)
        cases = collect(articles, args.reader, args.limit)
        if args.cache:
            args.cache.write_text(json.dumps([c.__dict__ for c in cases]))
    w = choose_rerank_weight(cases)
    depths = report_depths(cases, w)
    rows = confidence_rows(cases, w)
    confidence = fit_confidence(rows)
    threshold = choose_threshold(rows, confidence)
    calibration = {
        "rerank_weight": w,
        "confidence": confidence.to_dict(),
        "abstain_threshold": threshold,
        "f1_by_read_depth": depths,
        "fitted_on": f"SQuAD v1.1 dev articles 22-24 (held out from training), {len(cases)} "
        "cases: positives, on-topic and cross-article negatives",
    }
    path = args.reader / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["calibration"] = calibration
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(calibration, indent=1))


if __name__ == "__main__":
    main()
