"""Examples -> labelled windows: the same windowing as the runtime reader (qa.reading.windows)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from qa.reading import Window, answer_tokens, encode_windows
from train.data import Example


@dataclass(frozen=True, slots=True)
class Feature:
    window: Window
    start: int  # target token positions; (0, 0) = [CLS] = "no answer in this window"
    end: int
    example: int  # index of its example
    teacher: float = 0.0  # the cross-encoder's relevance logit for this window (train.teacher)


def labelled(
    tokenizer,
    examples: list[Example],
    *,
    max_length: int,
    overlap: int,
    negative_share: float,
    seed: int,
) -> list[Feature]:
    """Every window holding its answer, and a seeded ``negative_share`` of the windows without."""
    rng = random.Random(seed)
    features = []
    for i, ex in enumerate(examples):
        windows = encode_windows(
            tokenizer, ex.question, ex.context, max_length=max_length, overlap=overlap
        )
        for window in windows:
            start, end = answer_tokens(window.offsets, ex.start, ex.end)
            if start or ex.start < 0 or rng.random() < negative_share:
                features.append(Feature(window, start, end, i))
    return features


def on_topic_negatives(examples: list[Example], share: float, seed: int) -> list[Example]:
    """Questions paired with another passage of the same article (which lacks the answer):
    they teach the [CLS] "no answer" score on passages that look relevant."""
    rng = random.Random(seed)
    by_article: dict[tuple[str, int], list[str]] = {}
    for ex in examples:
        contexts = by_article.setdefault((ex.source, ex.article), [])
        if not contexts or contexts[-1] != ex.context:
            contexts.append(ex.context)
    negatives = []
    for ex in examples:
        others = [c for c in by_article[(ex.source, ex.article)] if c != ex.context]
        if others and rng.random() < share:
            context = rng.choice(others)
            if not any(a and a in context for a in ex.answers):
                negatives.append(
                    Example(ex.id + "-neg", ex.source, ex.question, context, -1, -1, ())
                )
    return negatives
