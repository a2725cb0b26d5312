"""A conversation's earlier turns (no models: a fake embedder and scorer, the sentence
reader): ``max_history_turns`` bounds them, and earlier Answers are not answered again."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qa.bundle import Models
from qa.indexing import build_index
from qa.pipeline import Pipeline, recent_turns
from qa.settings import Settings

SETTINGS = Settings(reader="sentence", retrieval="hybrid", chunk_size=300, chunk_overlap=50)


class OverlapScorer:
    """Scores a text by the words it shares with the query."""

    model_id = "test/overlap"

    def score(self, query: str, texts) -> np.ndarray:
        words = set(re.findall(r"\w+", query.lower()))
        return np.array([len(words & set(re.findall(r"\w+", t.lower()))) for t in texts], float)


@pytest.fixture
def pipeline(seed_document, fake_embedder) -> Pipeline:
    index, _ = build_index([seed_document], SETTINGS, fake_embedder)
    models = Models(fake_embedder, OverlapScorer())
    return Pipeline.from_parts(models, [seed_document], index, SETTINGS)


@pytest.mark.parametrize(
    ("limit", "kept"),
    [(0, []), (1, ["c"]), (2, ["b", "c"]), (3, ["a", "b", "c"]), (9, ["a", "b", "c"])],
)
def test_recent_turns_keeps_the_last_limit_turns(limit: int, kept: list[str]):
    assert recent_turns(["a", "b", "c"], limit) == kept


def test_max_history_turns_bounds_the_turns_a_follow_up_is_resolved_against(pipeline):
    history = ["Who is Theresa Fallon?", "Where is the harbour?"]
    question = "What does she believe?"
    both = pipeline.answer(question, history, max_history_turns=2)
    assert both.resolved_question == "What does Theresa Fallon believe?"
    last = pipeline.answer(question, history, max_history_turns=1)
    assert "Theresa Fallon" not in last.resolved_question
    assert pipeline.answer(question, history, max_history_turns=0).resolved_question == question


def test_an_earlier_answer_is_not_answered_again(pipeline, fake_embedder):
    earlier = "Who directs the Carnegie Russia Eurasia Center?"
    asked = fake_embedder.texts
    plain = pipeline.answer("What does he believe?", [earlier])
    recomputed = fake_embedder.texts - asked  # the follow-up, and the earlier turn again
    held = pipeline.answer(earlier)
    asked = fake_embedder.texts
    follow_up = pipeline.answer("What does he believe?", [held])
    assert fake_embedder.texts - asked == 1 < recomputed  # the follow-up's own search only
    # The held Answer resolves the follow-up exactly as answering the question again does.
    assert follow_up.resolved_question == plain.resolved_question


def test_an_earlier_answer_carries_its_resolution(pipeline):
    first = pipeline.answer("Who is Theresa Fallon?")
    second = pipeline.answer("Where does she work?", [first])
    assert second.resolved_question == "Where does Theresa Fallon work?"
    # The earlier Answer's resolved question is used as it is: a plain-string history resolves
    # the same turns to the same follow-up.
    plain = pipeline.answer("What about Raffaello Pantucci?", [first.question, second.question])
    held = pipeline.answer("What about Raffaello Pantucci?", [first, second])
    assert held.resolved_question == plain.resolved_question
    assert held.resolved_question == "Where does Raffaello Pantucci work?"
