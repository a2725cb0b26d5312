"""Score a torch reader on held-out examples: SQuAD EM/F1 of its best span (gold passage)."""

from __future__ import annotations

import numpy as np

from eval.metrics import exact_match, f1_score
from qa.windows import best_spans, encode_windows, log_softmax, word_edges
from train.data import Example
from train.run import collate

MAX_ANSWER_TOKENS = 30


def predict(model, tokenizer, example: Example, max_length: int, overlap: int) -> str:
    """The best span over all windows of the example's context."""
    import torch

    from train.features import Feature

    windows = encode_windows(
        tokenizer, example.question, example.context, max_length=max_length, overlap=overlap
    )
    inputs = collate([Feature(w, 0, 0, 0) for w in windows])
    with torch.no_grad():
        out = model(**inputs)
    best = (float("-inf"), "")
    for row, window in enumerate(windows):
        n = len(window.input_ids)
        start = log_softmax(out.start_logits[row, :n].float().numpy())
        end = log_softmax(out.end_logits[row, :n].float().numpy())
        can_start, can_end = word_edges(window.offsets, example.context)
        for s, e, score in best_spans(start, end, can_start, can_end, MAX_ANSWER_TOKENS, 1):
            if score > best[0]:
                best = (score, example.context[window.offsets[s][0] : window.offsets[e][1]])
    return best[1]


def score_reader(model, tokenizer, examples: list[Example], max_length: int, overlap: int) -> dict:
    if not examples:
        return {}
    predictions = [predict(model, tokenizer, ex, max_length, overlap) for ex in examples]
    em = np.mean([exact_match(p, ex.answers) for p, ex in zip(predictions, examples, strict=True)])
    f1 = np.mean([f1_score(p, ex.answers) for p, ex in zip(predictions, examples, strict=True)])
    return {"dev_em": round(float(em), 4), "dev_f1": round(float(f1), 4), "dev_n": len(examples)}
