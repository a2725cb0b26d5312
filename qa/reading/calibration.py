"""Learned weights: the span scorer and the confidence model, stored as JSON beside the code.

Both are logistic models fitted by ``eval/tune.py`` on SQuAD v1.1 dev articles 1-24 (with
cross-article negatives) and the seed reference set; never on the articles reported on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


@dataclass(frozen=True)
class LinearModel:
    """score = bias + sum(weight * feature); missing features count as 0."""

    weights: Mapping[str, float]
    bias: float = 0.0

    def score(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())

    def probability(self, features: Mapping[str, float]) -> float:
        return sigmoid(self.score(features))

    def to_dict(self) -> dict:
        return {"bias": self.bias, "weights": dict(self.weights)}

    @classmethod
    def from_dict(cls, data: Mapping) -> LinearModel:
        return cls(weights=dict(data["weights"]), bias=float(data.get("bias", 0.0)))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 50.0), -50.0)))


@lru_cache(maxsize=4)
def load_models(path: Path = WEIGHTS_FILE) -> dict[str, LinearModel]:
    """The fitted models by name ("span", "confidence")."""
    data = json.loads(Path(path).read_text())
    return {name: LinearModel.from_dict(data[name]) for name in ("span", "confidence")}


@lru_cache(maxsize=4)
def fitted_threshold(path: Path = WEIGHTS_FILE) -> float:
    """The abstention threshold eval.tune chose for these weights."""
    return float(json.loads(Path(path).read_text())["abstain_threshold"])


def confidence_features(scores: Sequence[float], best: Mapping[str, float]) -> dict[str, float]:
    """Inputs of the confidence model: how strong the evidence is and how clear the winner is.

    ``scores`` are the ranked candidates' span scores; ``best`` the winner's features.
    """
    margin = scores[0] - scores[1] if len(scores) > 1 else 5.0
    return {
        "span": scores[0],
        "margin": min(margin, 5.0),
        "sentence_abs": best.get("sentence_abs", 0.0),
        "passage": best.get("passage", 0.0),
        "type_exact": best.get("type_exact", 0.0),
        "type_contains": best.get("type_contains", 0.0),
        "type_none": best.get("type_none", 0.0),
        "overlap": best.get("overlap", 0.0),
    }
