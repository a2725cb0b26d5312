"""The reader's parts: question analysis, follow-up resolution, span candidates, scoring."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest

from qa.answering.followup import resolve
from qa.reading.baselines.readers import SpanReader, rank_sentences
from qa.reading.calibration import LinearModel, confidence_features, load_models, sigmoid
from qa.reading.candidates import Candidate, dedupe
from qa.reading.question import analyse, question_kind
from qa.types import Chunk, Document, Passage


class OverlapScorer:
    """A model-free stand-in for the cross-encoder: shared lower-case words."""

    model_id = "test/overlap"

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        words = set(re.findall(r"\w+", query.lower()))
        return np.array([len(words & set(re.findall(r"\w+", t.lower()))) for t in texts], float)


def passages_of(document: Document, numbers: Sequence[int]) -> list[Passage]:
    out = []
    for n in numbers:
        p = document.paragraph(n)
        chunk = Chunk(n, document.id, n, p.start, p.end, p.text)
        out.append(Passage(chunk, p.text, p.start, rerank_score=5.0 - len(out)))
    return out


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who directs the Carnegie Russia Eurasia Center?", "who"),
        ("How many points are in the blueprint?", "how many"),
        ("In what year did the war start?", "what"),
        ("The war destabilizes what?", "what"),
        ("Is Xi afraid to criticize Russia?", "yes-no"),
        ("Why is China annoyed with Russia?", "why"),
        ("Whose luggage was searched?", "who"),
        ("Tell me about the grain deal", "other"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_expected_types_follow_the_question() -> None:
    assert "PERSON" in analyse("Who founded the research group?").expected
    assert analyse("In what year was it built?").expected == {"DATE"}
    assert "GPE" in analyse("What country hosted the talks?").expected
    assert analyse("Why did Putin end the deal?").expected == frozenset()


def test_parsed_focus_is_the_head_noun() -> None:
    from qa.reading.nlp import parse

    question = "Which NFL team represented the AFC at Super Bowl 50?"
    info = analyse(question, parse(question))
    assert info.focus == "team"
    assert "ORG" in info.expected


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("What does she believe?", ["Who is Theresa Fallon?"], "What does Theresa Fallon believe?"),
        (
            "What about Raffaello Pantucci?",
            ["Where does Theresa Fallon work?"],
            "Where does Raffaello Pantucci work?",
        ),
        ("What is his job?", ["Who is Alexander Gabuev?"], "What is Alexander Gabuev’s job?"),
        (
            "Where is it based?",
            ["Who directs the Carnegie Russia Eurasia Center?"],
            "Where is the Carnegie Russia Eurasia Center based?",
        ),
    ],
)
def test_followups_resolve_from_history(question: str, history: list[str], expected: str) -> None:
    assert resolve(question, history) == expected


def test_self_contained_question_is_left_alone() -> None:
    question = "Who founded the Center for China and Globalization?"
    assert resolve(question, ["Who is Theresa Fallon?"]) == question
    assert resolve(question, []) == question


def test_resolution_chains_through_earlier_turns() -> None:
    history = ["Who is Theresa Fallon?", "What does she direct?"]
    assert "Theresa Fallon" in resolve("Where is her centre based?", history)


def test_bare_followup_carries_the_previous_topic() -> None:
    assert resolve("Why?", ["What did Putin end?"]) == "Why? (What did Putin end?)"


def test_span_reader_offsets_are_exact(seed_document: Document) -> None:
    reader = SpanReader(OverlapScorer())
    passages = passages_of(seed_document, [10, 8, 6])
    found = reader.read("Who directs the Carnegie Russia Eurasia Center?", passages)
    assert found, "the reader found no candidate"
    for cand in found:
        assert cand.passage.paragraph_text[cand.start : cand.end] == cand.text
        assert cand.text in cand.sentence
    assert found[0].passage.chunk.paragraph == 10
    assert len(found[0].text) < len(found[0].sentence), "a span, not the whole sentence"


def test_span_reader_prefers_the_expected_type(seed_document: Document) -> None:
    reader = SpanReader(OverlapScorer())
    found = reader.read(
        "Who directs the Carnegie Russia Eurasia Center?", passages_of(seed_document, [10])
    )
    assert found[0].text == "Alexander Gabuev"


def test_rank_sentences_stays_inside_the_chunk(seed_document: Document) -> None:
    passages = passages_of(seed_document, [7])
    ranked = rank_sentences("grain exports Black Sea", passages, OverlapScorer(), depth=1)
    assert "grain exports" in ranked[0].text
    paragraph = seed_document.paragraph(7).text
    assert all(paragraph[s.start : s.end] == s.text for s in ranked)


def test_dedupe_keeps_the_first_of_equal_answers(seed_document: Document) -> None:
    passage = passages_of(seed_document, [10])[0]
    a = Candidate("Alexander Gabuev", passage, 0, 16, "", 0.0, 2.0)
    b = Candidate("alexander  gabuev", passage, 0, 16, "", 0.0, 1.0)
    c = Candidate("Carnegie", passage, 0, 8, "", 0.0, 0.5)
    assert dedupe([a, b, c]) == [a, c]


def test_linear_model_scores_and_round_trips() -> None:
    model = LinearModel({"x": 2.0, "y": -1.0}, bias=0.5)
    assert model.score({"x": 1.0, "y": 3.0, "unknown": 9.0}) == pytest.approx(0.5 + 2.0 - 3.0)
    assert model.probability({}) == pytest.approx(sigmoid(0.5))
    assert LinearModel.from_dict(model.to_dict()) == model
    assert sigmoid(1000.0) == pytest.approx(1.0) and sigmoid(-1000.0) == pytest.approx(0.0)


def test_confidence_features_measure_the_margin() -> None:
    feats = confidence_features([3.0, 1.0], {"type_exact": 1.0, "sentence_abs": 4.0})
    assert feats["margin"] == 2.0 and feats["span"] == 3.0 and feats["type_exact"] == 1.0
    assert confidence_features([3.0], {})["margin"] == 5.0


def test_committed_weights_load() -> None:
    models = load_models()
    assert set(models) == {"span", "confidence"}
    assert models["span"].weights, "the span model has no weights"
    assert 0.0 <= models["confidence"].probability({"span": 1.0}) <= 1.0
