"""Input checks: every rejection says what to fix (no models)."""

from __future__ import annotations

import pytest

from qa.validation import validate_history, validate_k, validate_question

LIMIT = 2000


def test_question_is_stripped() -> None:
    assert validate_question("  Who directs the centre?\n", LIMIT) == "Who directs the centre?"


@pytest.mark.parametrize("question", ["", "   ", "\n\t \r\n", "\u00a0\u2003"])
def test_empty_question(question: str) -> None:
    with pytest.raises(ValueError, match="question is empty: type a question"):
        validate_question(question, LIMIT)


def test_question_at_the_limit_passes() -> None:
    question = "x" * LIMIT
    assert validate_question(f"  {question}  ", LIMIT) == question


def test_too_long_question() -> None:
    with pytest.raises(ValueError) as info:
        validate_question("x" * (LIMIT + 1), LIMIT)
    message = str(info.value)
    assert "2,001 characters" in message and "under 2,000" in message


@pytest.mark.parametrize(
    ("value", "kind"), [(None, "NoneType"), (42, "int"), (b"bytes?", "bytes"), (["q"], "list")]
)
def test_question_must_be_text(value: object, kind: str) -> None:
    with pytest.raises(ValueError, match=rf"question must be text \(str\), not {kind}"):
        validate_question(value, LIMIT)


@pytest.mark.parametrize(
    "question", ["¿Quién dirige el centro?", "谁领导卡内基中心？", "Who? 🤔🇨🇳"]
)
def test_non_english_and_emoji_questions_pass(question: str) -> None:
    assert validate_question(question, LIMIT) == question


# --- history ------------------------------------------------------------------------


def test_history_none_and_empty() -> None:
    assert validate_history(None, LIMIT) == []
    assert validate_history([], LIMIT) == []


def test_history_keeps_order_strips_and_drops_blank_turns() -> None:
    turns = validate_history(["  First question? ", "", "   ", "Second one?"], LIMIT)
    assert turns == ["First question?", "Second one?"]
    assert validate_history(("a tuple works",), LIMIT) == ["a tuple works"]


@pytest.mark.parametrize("history", ["one string", 5, {"q": 1}, {"a set"}])
def test_history_must_be_a_list(history: object) -> None:
    with pytest.raises(ValueError, match="history must be a list of earlier questions"):
        validate_history(history, LIMIT)


def test_history_items_must_be_text() -> None:
    with pytest.raises(ValueError, match=r"must be questions \(str\) or Answers, not int"):
        validate_history(["fine", 3], LIMIT)


def test_history_turn_too_long() -> None:
    with pytest.raises(ValueError, match="keep it under"):
        validate_history(["x" * (LIMIT + 1)], LIMIT)


# --- k ------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 5, 100])
def test_valid_k(k: int) -> None:
    assert validate_k(k) == k


@pytest.mark.parametrize("k", [0, -1, 101, 2.0, "5", None, True, False])
def test_invalid_k(k: object) -> None:
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 100"):
        validate_k(k)


@pytest.mark.parametrize("bad", ["\udfff", "\ud800", "\x00", "\x1b[31m", "\x7f"])
def test_lone_surrogates_and_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid character"):
        validate_question(f"Who is Theresa Fallon?{bad}", LIMIT)
    with pytest.raises(ValueError, match="invalid character"):
        validate_history([f"Who {bad}?"], LIMIT)


def test_tabs_and_newlines_are_ordinary_whitespace() -> None:
    assert validate_question("Who\tis\nshe?", LIMIT) == "Who\tis\nshe?"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"abstain_threshold": "x"}, "abstain_threshold"),
        ({"abstain_threshold": float("nan")}, "abstain_threshold"),
        ({"conflict_ratio": "x"}, "conflict_ratio"),
        ({"max_question_chars": None}, "max_question_chars"),
        ({"corpus_dir": None}, "corpus_dir"),
        ({"candidates": -5}, "candidates"),
        ({"rerank_depth": -1}, "rerank_depth"),
        ({"rrf_k": -60}, "rrf_k"),
        ({"k": True}, "k"),
        ({"read_depth": 0}, "read_depth"),
        ({"reader": "magic"}, "reader"),
        ({"retrieval": "grep"}, "retrieval"),
        ({"reader_model": ""}, "reader_model"),
        ({"chunk_overlap": 900}, "chunk_overlap"),
        ({"rerank_exit_score": float("nan")}, "rerank_exit_score must be a number, not nan"),
        # Two passes: a paragraph read from below the rerank would have no cross-encoder score.
        ({"read_depth": 4, "rerank_depth": 3}, "read_depth must not exceed rerank_depth"),
    ],
)
def test_bad_settings_are_refused_by_name(change: dict, message: str) -> None:
    from qa.settings import Settings, validate_settings

    with pytest.raises(ValueError, match=f"setting {message}"):
        validate_settings(Settings().replace(**change))


def test_default_settings_are_valid() -> None:
    from qa.settings import Settings, validate_settings

    assert validate_settings(Settings()) == Settings()


@pytest.mark.parametrize("size", [0, -1, 17, True, 1.5, "2"])
def test_pool_size_is_checked_before_any_model_loads(size) -> None:
    from qa.pool import PipelinePool

    with pytest.raises(ValueError, match="pool size"):
        PipelinePool(size=size)


def test_read_depth_may_exceed_rerank_depth_where_nothing_is_reranked() -> None:
    from qa.settings import Settings, validate_settings

    for mode in ("hybrid", "hybrid+reader"):
        validate_settings(Settings(retrieval=mode, read_depth=4, rerank_depth=3))
