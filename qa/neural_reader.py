"""Optional reader: any transformers extractive QA model (SQuAD-style), by path or hub name.

Set ``Settings.reader_model`` to use it; it replaces the span picker. No such model ships in a
package installable here, so the default pipeline does not use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.models import go_offline, resolve_model
from qa.nlp import sentence_spans
from qa.reader import Candidate
from qa.types import Passage


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, allowed: np.ndarray, max_tokens: int
) -> tuple[int, int, float]:
    """The (start, end) token pair maximising start + end logit, end >= start, within
    ``max_tokens``, both inside ``allowed`` (the context tokens). Returns (-1, -1, -inf) if none.
    """
    best = (-1, -1, float("-inf"))
    indices = np.flatnonzero(allowed)
    for s in indices:
        ends = indices[(indices >= s) & (indices < s + max_tokens)]
        if not len(ends):
            continue
        e = ends[int(np.argmax(end_logits[ends]))]
        total = float(start_logits[s] + end_logits[e])
        if total > best[2]:
            best = (int(s), int(e), total)
    return best


def span_probability(start_logits: np.ndarray, end_logits: np.ndarray, s: int, e: int) -> float:
    """P(start = s) * P(end = e) under the model's two softmaxes."""

    def softmax(x: np.ndarray) -> np.ndarray:
        z = np.exp(x - x.max())
        return z / z.sum()

    return float(softmax(start_logits)[s] * softmax(end_logits)[e])


def covering_text(text: str, start: int, end: int) -> str:
    """The sentences of ``text`` that the span [start, end) touches (a model's span may cross)."""
    touched = [(a, b) for a, b in sentence_spans(text) if a < end and start < b]
    if not touched:
        return text[start:end]
    return text[touched[0][0] : max(b for _, b in touched)]


class TransformersReader:
    """Runs a question-answering head over each passage's paragraph; candidates best first."""

    def __init__(self, name: str, max_length: int = 384, max_answer_tokens: int = 30) -> None:
        go_offline()
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        location = resolve_model(name)
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        self.model = AutoModelForQuestionAnswering.from_pretrained(
            location,
            use_safetensors=True,  # never unpickle a .bin file
        ).eval()
        self.max_length = max_length
        self.max_answer_tokens = max_answer_tokens

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        found = [c for p in passages if (c := self._read_one(question, p)) is not None]
        return sorted(found, key=lambda c: -c.score)

    def _read_one(self, question: str, passage: Passage) -> Candidate | None:
        import torch

        text = passage.paragraph_text
        enc = self.tokenizer(
            question,
            text,
            truncation="only_second",
            max_length=self.max_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping")[0].tolist()
        allowed = np.array([sid == 1 for sid in enc.sequence_ids(0)])
        with torch.no_grad():
            out = self.model(**enc)
        start_logits = out.start_logits[0].numpy()
        end_logits = out.end_logits[0].numpy()
        s, e, total = best_span(start_logits, end_logits, allowed, self.max_answer_tokens)
        if s < 0:
            return None
        start, end = offsets[s][0], offsets[e][1]
        if end <= start:
            return None
        probability = span_probability(start_logits, end_logits, s, e)
        sentence = covering_text(text, start, end)
        return Candidate(
            text[start:end],
            passage,
            start,
            end,
            sentence,
            total,
            total,
            {"span_probability": probability},
        )

    def confidence(self, candidates: Sequence[Candidate]) -> float:
        """The model's own probability of its best span."""
        return (candidates[0].features or {}).get("span_probability", 0.0) if candidates else 0.0
