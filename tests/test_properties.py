"""Property tests: any text, surrogates and control characters included, gives a value or a
ValueError with a message, never another exception; offsets always hold."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.documents import CorpusError, make_document
from qa.documents.chunking import chunk_documents, make_splitter
from qa.reading.windows import answer_tokens, make_windows
from qa.types import Answer
from qa.validation import validate_question

# Every code point, lone surrogates included, with more weight on what articles contain.
ANY_TEXT = st.text(st.characters(codec=None, min_codepoint=0), max_size=400)
PROSE = st.lists(
    st.one_of(
        st.sampled_from(["Putin", "Xi", "said", "the", "’", "“", "”", ".", ",", "¶", "\u00a0"]),
        st.sampled_from(["\n", "\n\n", "\n \n", "\r\n", "\t", " ", "  "]),
        st.text(max_size=12),
    ),
    max_size=120,
).map("".join)
TEXTS = st.one_of(ANY_TEXT, PROSE)


@given(TEXTS)
@settings(max_examples=1000)
def test_document_offsets_hold_for_any_text(text: str) -> None:
    try:
        document = make_document("x.txt", text)
    except CorpusError as err:
        assert str(err)
        return
    for p in document.paragraphs:
        assert document.text[p.start : p.end] == p.text
        assert p.text == p.text.strip() and p.text


@given(TEXTS, st.integers(60, 400), st.integers(0, 50))
@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
def test_chunk_offsets_hold_for_any_text(text: str, size: int, overlap: int) -> None:
    try:
        document = make_document("x.txt", text)
    except CorpusError:
        return
    for chunk in chunk_documents([document], make_splitter(size, overlap)):
        assert document.text[chunk.start : chunk.end] == chunk.text
        paragraph = document.paragraph(chunk.paragraph)
        assert paragraph.start <= chunk.start <= chunk.end <= paragraph.end


@given(ANY_TEXT)
@settings(max_examples=1000)
def test_question_validation_returns_text_or_says_why(text: str) -> None:
    try:
        question = validate_question(text, 2000)
    except ValueError as err:
        assert str(err)
        return
    question.encode("utf-8")  # what passes can always be encoded for the tokenizers


@settings(max_examples=1000)
@given(
    st.lists(st.integers(1, 6), min_size=0, max_size=60),
    st.integers(1, 20),
    st.integers(0, 8),
    st.data(),
)
def test_every_answer_lies_whole_in_some_window(lengths, question, overlap, data) -> None:
    """Windows cover the context; an answer of at most overlap + 1 tokens lies whole in one
    (the stride's guarantee) and is labelled there with its exact offsets."""
    offsets, pos = [], 0
    for n in lengths:
        offsets.append((pos, pos + n))
        pos += n + 1
    size = 24 - question - 3
    overlap = min(overlap, size - 1)
    windows = make_windows(
        list(range(question)),
        list(range(len(lengths))),
        offsets,
        cls_id=1,
        sep_id=2,
        max_length=24,
        overlap=overlap,
    )
    covered = {t for w in windows for t in range(w.first, w.last)}
    assert covered == set(range(len(lengths)))
    if not lengths:
        return
    first = data.draw(st.integers(0, len(lengths) - 1))
    last = data.draw(st.integers(first, min(len(lengths) - 1, first + overlap)))
    start, end = offsets[first][0], offsets[last][1]
    labels = [answer_tokens(w.offsets, start, end) for w in windows]
    assert any(s for s, _ in labels)
    for w, (s, e) in zip(windows, labels, strict=True):
        if s:
            assert (w.offsets[s][0], w.offsets[e][1]) == (start, end)


# Each example runs the real pipeline (~0.2 s): 100 by default, 1,000 in CI (.ci/run).
PIPELINE_EXAMPLES = int(os.environ.get("QA_FUZZ_EXAMPLES", "100"))


@pytest.mark.slow
@given(ANY_TEXT)
@settings(
    max_examples=PIPELINE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_answer_and_search_return_values_or_say_why(real_pipeline, text: str) -> None:
    for call in (real_pipeline.answer, real_pipeline.search):
        try:
            result = call(text)
        except ValueError as err:
            assert str(err)
            continue
        if isinstance(result, Answer):
            for c in result.citations:
                assert c.start is None or c.text[c.start : c.end] == result.text
        else:
            assert all(p.chunk.text for p in result)
