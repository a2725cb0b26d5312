"""Score the model being trained on held-out examples, read exactly as at run time: the
runtime NeuralReader over the gold paragraph, scored as ``python -m eval.gold`` scores."""

from __future__ import annotations

from eval.gold import score
from qa.reading import NeuralReader, TransformersSpanModel
from train.data import Example


def score_reader(model, tokenizer, examples: list[Example], max_length: int, overlap: int) -> dict:
    if not examples:
        return {}
    reader = NeuralReader(TransformersSpanModel(model, tokenizer, max_length, overlap))
    scores = score(reader, [(ex.question, ex.context, list(ex.answers)) for ex in examples])
    return {"dev_em": scores["em"], "dev_f1": scores["f1"], "dev_n": scores["n"]}
