"""Reader windows on hand-made tokens: stride overlap, cut answers, tiny contexts, word edges."""

from __future__ import annotations

import numpy as np
import pytest

from qa.reading.windows import (
    answer_tokens,
    best_spans,
    encode_windows,
    log_softmax,
    make_windows,
    window_starts,
    word_edges,
)

CLS, SEP = 101, 102


def words(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """One token per space-separated word: ids 1000+, character offsets into ``text``."""
    ids, offsets, pos = [], [], 0
    for i, word in enumerate(text.split(" ")):
        ids.append(1000 + i)
        offsets.append((pos, pos + len(word)))
        pos += len(word) + 1
    return ids, offsets


def windows_of(text: str, max_length: int, overlap: int, question: int = 2):
    ids, offsets = words(text)
    return make_windows(
        list(range(question)),
        ids,
        offsets,
        cls_id=CLS,
        sep_id=SEP,
        max_length=max_length,
        overlap=overlap,
    )


def test_window_starts_cover_everything_and_end_flush() -> None:
    assert window_starts(5, 8, 2) == [0]
    assert window_starts(0, 8, 2) == [0]
    starts = window_starts(20, 8, 3)
    assert starts == [0, 5, 10, 12]
    covered = {t for s in starts for t in range(s, s + 8)}
    assert covered == set(range(20))
    with pytest.raises(ValueError, match="at least one context token"):
        window_starts(3, 0, 0)


def test_window_layout_and_offsets() -> None:
    text = "a bb ccc dddd"
    (window,) = windows_of(text, max_length=16, overlap=2)
    assert window.input_ids[:4] == (CLS, 0, 1, SEP) and window.input_ids[-1] == SEP
    assert window.token_type_ids == (0, 0, 0, 0, 1, 1, 1, 1, 1)
    spans = [text[o[0] : o[1]] for o in window.offsets if o is not None]
    assert spans == ["a", "bb", "ccc", "dddd"]


def test_answer_in_the_stride_overlap_is_labelled_in_both_windows() -> None:
    text = " ".join(f"w{i}" for i in range(10))  # 10 one-token words
    # 2 question tokens + 3 specials: 5 context tokens a window, overlap 2 -> starts 0, 3, 5
    wins = windows_of(text, max_length=10, overlap=2)
    assert [(w.first, w.last) for w in wins] == [(0, 5), (3, 8), (5, 10)]
    start = text.index("w3")
    end = text.index("w4") + 2  # "w3 w4" lies in windows 1 and 2
    labels = [answer_tokens(w.offsets, start, end) for w in wins]
    assert labels[0] == (7, 8) and labels[1] == (4, 5) and labels[2] == (0, 0)
    for w, (s, e) in zip(wins, labels, strict=True):
        if s:
            assert text[w.offsets[s][0] : w.offsets[e][1]] == "w3 w4"


def test_answer_cut_by_a_window_edge_gets_no_answer_there() -> None:
    text = " ".join(f"w{i}" for i in range(10))
    wins = windows_of(text, max_length=10, overlap=1)  # starts 0, 4, 5: first holds w0..w4
    start, end = text.index("w4"), text.index("w5") + 2  # "w4 w5" crosses the first edge
    assert answer_tokens(wins[0].offsets, start, end) == (0, 0)
    s, e = answer_tokens(wins[1].offsets, start, end)
    assert text[wins[1].offsets[s][0] : wins[1].offsets[e][1]] == "w4 w5"


def test_context_of_one_token_and_of_none() -> None:
    (one,) = windows_of("only", max_length=8, overlap=2)
    assert one.input_ids == (CLS, 0, 1, SEP, 1000, SEP)
    assert answer_tokens(one.offsets, 0, 4) == (5 - 1, 5 - 1)
    (empty,) = windows_of("", max_length=8, overlap=2)
    assert answer_tokens(empty.offsets, 0, 0) == (0, 0)


def test_word_edges_forbid_spans_that_start_or_end_mid_word() -> None:
    text = "distancing itself"
    offsets = [None, (0, 3), (3, 10), (11, 17), None]  # [CLS] dis ##tancing itself [SEP]
    can_start, can_end = word_edges(offsets, text)
    assert can_start.tolist() == [False, True, False, True, False]
    assert can_end.tolist() == [False, False, True, True, False]


def test_best_spans_respect_order_length_and_edges() -> None:
    start = np.array([0.0, 5.0, 1.0, 0.0, 9.0])
    end = np.array([0.0, 0.0, 4.0, 9.0, 0.0])
    ok = np.array([False, True, True, True, True])
    # start 4 has the top start logit but no good end after it; 1..3 scores 5 + 9 = 14
    assert best_spans(start, end, ok, ok, max_tokens=5, top=1) == [(1, 3, 14.0)]
    # at most two tokens: 2..3 gives 1 + 9 = 10
    assert best_spans(start, end, ok, ok, max_tokens=2, top=1) == [(2, 3, 10.0)]
    top = best_spans(start, end, ok, ok, max_tokens=5, top=3)
    assert [s[2] for s in top] == sorted((s[2] for s in top), reverse=True)
    assert all(s <= e for s, e, _ in top)
    assert best_spans(start, end, np.zeros(5, dtype=bool), ok, 5, 3) == []


def test_log_softmax_normalises() -> None:
    x = log_softmax(np.array([1.0, 2.0, 3.0]))
    assert np.exp(x).sum() == pytest.approx(1.0)


def test_real_tokenizer_windows_map_back_to_the_text() -> None:
    from qa.model_files import resolve_model
    from qa.reading.span_models import load_tokenizer

    folder = resolve_model("cross-encoder/ms-marco-MiniLM-L-12-v2")
    tokenizer = load_tokenizer(f"{folder}/tokenizer.json")
    text = "Beijing’s envoy, Li Hui, visited Kyiv in May. " * 30  # several windows
    wins = encode_windows(tokenizer, "Who visited Kyiv?", text, max_length=64, overlap=16)
    assert len(wins) > 3
    for w in wins:
        assert len(w.input_ids) <= 64
        for o in w.offsets:
            if o is not None:
                assert text[o[0] : o[1]].strip() == text[o[0] : o[1]] != ""
    assert wins[-1].last == wins[-1].first + sum(o is not None for o in wins[-1].offsets)
