"""Question + context windows for an extractive reader: pure functions over token offsets.

Shared by the runtime reader (qa.onnx_reader) and the training recipe (train/), so the model
is read exactly as it was trained. A window is ``[CLS] question [SEP] context-slice [SEP]``;
long contexts get several windows that overlap by ``overlap`` tokens, so an answer cut by one
window's edge lies whole in the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Offsets = Sequence[tuple[int, int]]
MAX_QUESTION_TOKENS = 64  # longer questions are cut; no real question comes near it


@dataclass(frozen=True, slots=True)
class Window:
    """One model input; ``offsets[i]`` is token i's character span in the context, or None."""

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int] | None, ...]
    first: int  # index of the first context token in the context's token list
    last: int  # one past the last


def window_starts(n_tokens: int, size: int, overlap: int) -> list[int]:
    """Start token of each window of ``size`` tokens over ``n_tokens``; the last ends flush."""
    if size < 1:
        raise ValueError("a window must hold at least one context token")
    if n_tokens <= size:
        return [0]
    step = max(1, size - overlap)
    return [*range(0, n_tokens - size, step), n_tokens - size]


def make_windows(
    question_ids: Sequence[int],
    context_ids: Sequence[int],
    context_offsets: Offsets,
    *,
    cls_id: int,
    sep_id: int,
    max_length: int,
    overlap: int,
) -> list[Window]:
    """Every window of the context, each holding the whole question (truncate it beforehand)."""
    size = max_length - len(question_ids) - 3
    head = (cls_id, *question_ids, sep_id)
    windows = []
    for first in window_starts(len(context_ids), size, overlap):
        last = min(first + size, len(context_ids))
        body = tuple(context_ids[first:last])
        windows.append(
            Window(
                input_ids=(*head, *body, sep_id),
                token_type_ids=(0,) * len(head) + (1,) * (len(body) + 1),
                offsets=(None,) * len(head) + tuple(context_offsets[first:last]) + (None,),
                first=first,
                last=last,
            )
        )
    return windows


def encode_windows(
    tokenizer: Any, question: str, context: str, *, max_length: int, overlap: int
) -> list[Window]:
    """Tokenize (a tokenizers.Tokenizer without padding/truncation) and cut into windows."""
    q = tokenizer.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    c = tokenizer.encode(context, add_special_tokens=False)
    return make_windows(
        q,
        c.ids,
        c.offsets,
        cls_id=tokenizer.token_to_id("[CLS]"),
        sep_id=tokenizer.token_to_id("[SEP]"),
        max_length=max_length,
        overlap=overlap,
    )


def answer_tokens(
    offsets: Sequence[tuple[int, int] | None], start: int, end: int
) -> tuple[int, int]:
    """Positions of the first and last tokens covering chars [start, end) in one window.

    (0, 0), the [CLS] position, when the answer does not lie whole inside the window.
    """
    inside = [i for i, o in enumerate(offsets) if o is not None]
    if not inside:
        return 0, 0
    lo, hi = offsets[inside[0]], offsets[inside[-1]]
    assert lo is not None and hi is not None
    if start < lo[0] or end > hi[1]:
        return 0, 0
    first = next((i for i in inside if offsets[i][1] > start), None)  # type: ignore[index]
    last = next((i for i in reversed(inside) if offsets[i][0] < end), None)  # type: ignore[index]
    if first is None or last is None or last < first:
        return 0, 0
    return first, last


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())


def word_edges(
    offsets: Sequence[tuple[int, int] | None], text: str
) -> tuple[np.ndarray, np.ndarray]:
    """Which tokens may start and which may end a span: context tokens not inside a word.

    Word pieces split words ("dis", "##tancing"); a span must never begin or end mid-word.
    """
    can_start = np.array([o is not None for o in offsets])
    can_end = can_start.copy()
    for i, o in enumerate(offsets):
        if o is None:
            continue
        a, b = o
        if a > 0 and text[a - 1 : a].isalnum() and text[a : a + 1].isalnum():
            can_start[i] = False
        if b < len(text) and text[b - 1 : b].isalnum() and text[b : b + 1].isalnum():
            can_end[i] = False
    return can_start, can_end


def best_spans(
    start_logp: np.ndarray,
    end_logp: np.ndarray,
    can_start: np.ndarray,
    can_end: np.ndarray,
    max_tokens: int,
    top: int,
) -> list[tuple[int, int, float]]:
    """The ``top`` (start, end, log-probability) spans with start <= end < start + max_tokens,
    on tokens allowed to start / end a span, best first; overlapping runners-up are kept."""
    starts, ends = np.flatnonzero(can_start), np.flatnonzero(can_end)
    if not len(starts) or not len(ends):
        return []
    scores = start_logp[starts][:, None] + end_logp[ends][None, :]
    gap = ends[None, :] - starts[:, None]
    scores = np.where((gap >= 0) & (gap < max_tokens), scores, -np.inf)
    flat = np.argsort(scores, axis=None)[::-1][:top]
    rows, cols = np.unravel_index(flat, scores.shape)
    return [
        (int(starts[r]), int(ends[c]), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if np.isfinite(scores[r, c])
    ]
