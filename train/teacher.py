"""The cross-encoder's relevance score of every training window: the distillation target.

The shipped reranker (int8 ONNX) scores each window exactly as the reader-ranker will see it
([CLS] question [SEP] passage window [SEP], the same tokenizer), so the relevance head learns
the score the two-pass pipeline ranks by. Scores are cached beside the checkpoints, keyed by
the windows' tokens, so a resumed run does not recompute them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from qa.model_files import onnx_session
from qa.reading import batch_arrays
from train.convert import cross_encoder_onnx
from train.features import Feature

BATCH = 64


def windows_digest(features: list[Feature]) -> str:
    digest = hashlib.sha256()
    for f in features:
        digest.update(np.asarray(f.window.input_ids, dtype=np.int32).tobytes() + b"|")
    return digest.hexdigest()[:16]


def teacher_scores(features: list[Feature], cache: Path | None = None) -> np.ndarray:
    """One cross-encoder logit per feature, in the features' order (cached in ``cache``)."""
    path = cache / f"teacher-{windows_digest(features)}.npy" if cache else None
    if path is not None and path.is_file():
        return np.load(path, allow_pickle=False)
    session = onnx_session(cross_encoder_onnx(), 0)
    order = sorted(range(len(features)), key=lambda i: len(features[i].window.input_ids))
    scores = np.zeros(len(features), dtype=np.float32)
    for lo in range(0, len(order), BATCH):
        rows = order[lo : lo + BATCH]
        (logits,) = session.run(["logits"], batch_arrays([features[i].window for i in rows]))
        scores[rows] = np.asarray(logits, dtype=np.float32).reshape(-1)
    if path is None or cache is None:
        return scores
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, scores, allow_pickle=False)
    tmp.replace(path)
    return scores
