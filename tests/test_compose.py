"""From a reader's Reading to the Answer (qa.answering.compose), and the Reading a reader
returns (qa.reading.candidates): abstention, alternatives, conflict, citations (no models)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from qa.answering import Composer
from qa.reading import Candidate, NeuralReader, Reading, Thresholded
from qa.types import Chunk, Passage

PARAGRAPHS = {
    1: "Ann Lee chairs the council. Bob Stone opposed her.",
    2: "The vote was won by Ann Lee on Monday.",
    3: "Carol Diaz spoke last.",
}


def passage(paragraph: int, doc_id: str = "a.txt", score: float = 1.0) -> Passage:
    text = PARAGRAPHS[paragraph]
    chunk = Chunk(paragraph, doc_id, paragraph, 0, len(text), text)
    return Passage(chunk, text, 0, rerank_score=score, title=f"Title of {doc_id}")


def candidate(text: str, paragraph: int, score: float, doc_id: str = "a.txt") -> Candidate:
    p = passage(paragraph, doc_id)
    start = p.paragraph_text.index(text)
    return Candidate(text, p, start, start + len(text), p.paragraph_text, 0.0, score)


PASSAGES = [passage(1), passage(2), passage(3)]


def compose(candidates, confidence=0.9, threshold=0.5, **style):
    reading = Reading(tuple(candidates), confidence, threshold)
    return Composer(**style).compose("Who chairs it?", "Who chairs it?", reading, PASSAGES)


def test_the_best_candidate_is_the_answer_cited_at_its_span():
    answer = compose([candidate("Ann Lee", 1, 5.0)])
    assert not answer.abstained and answer.text == "Ann Lee" and answer.confidence == 0.9
    first = answer.citations[0]
    assert (first.paragraph, first.quote) == (1, "Ann Lee")
    assert [c.paragraph for c in answer.passages] == [1, 2, 3]


def test_a_paragraph_that_restates_a_two_word_answer_is_cited_too():
    answer = compose([candidate("Ann Lee", 1, 5.0)])
    assert [(c.paragraph, c.quote) for c in answer.citations] == [(1, "Ann Lee"), (2, "Ann Lee")]
    single = compose([candidate("Monday", 2, 5.0)])
    assert [c.paragraph for c in single.citations] == [2]  # one word restates nothing


@pytest.mark.parametrize(("confidence", "candidates"), [(0.49, 1), (0.9, 0)])
def test_under_the_threshold_or_without_candidates_it_abstains(confidence, candidates):
    found = [candidate("Ann Lee", 1, 5.0)][:candidates]
    answer = compose(found, confidence=confidence, multi_article=True)
    assert answer.abstained and answer.text == "" and answer.citations == ()
    assert answer.confidence == confidence and answer.multi_article
    assert [c.paragraph for c in answer.passages] == [1, 2, 3]  # still shown as context


def test_alternatives_skip_overlaps_and_repeats_and_stop_at_the_limit():
    found = [
        candidate("Ann Lee chairs the council", 1, 5.0),
        candidate("Lee", 2, 4.9),  # inside the best answer's words: not another answer
        candidate("the council", 1, 4.8),  # overlaps the best span in its paragraph
        candidate("Bob Stone", 1, 4.0),
        candidate("Stone", 1, 3.9),  # part of an alternative already listed
        candidate("Carol Diaz", 3, 3.0),
        candidate("Monday", 2, 2.0),
    ]
    answer = compose(found, max_alternatives=2)
    assert [a.text for a in answer.alternatives] == ["Bob Stone", "Carol Diaz"]
    bob = answer.alternatives[0]
    assert bob.confidence == pytest.approx(0.9 * math.exp(4.0 - 5.0))
    assert (bob.citation.paragraph, bob.citation.quote) == (1, "Bob Stone")
    assert compose(found, max_alternatives=0).alternatives == ()


@pytest.mark.parametrize(("gap", "conflict"), [(0.1, True), (0.3, False)])
def test_a_close_runner_up_is_a_conflict(gap: float, conflict: bool):
    # exp(-0.1) = 0.90 of the best's confidence is over the 0.8 ratio; exp(-0.3) = 0.74 is not
    found = [candidate("Ann Lee", 1, 5.0), candidate("Carol Diaz", 3, 5.0 - gap)]
    answer = compose(found, conflict_ratio=0.8)
    assert answer.conflict is conflict and len(answer.alternatives) == 1


def test_compose_sets_multi_article_and_the_label_names_the_article():
    found = [candidate("Ann Lee", 1, 5.0)]
    assert not compose(found).multi_article and str(compose(found)) == "Ann Lee [¶1]"
    many = compose(found, multi_article=True)
    assert many.multi_article and str(many) == "Ann Lee [Title of a.txt ¶1]"


class FixedReader(Thresholded):
    def __init__(self, abstain_threshold: float | None = None) -> None:
        self.abstain_threshold = abstain_threshold

    @property
    def default_threshold(self) -> float:
        return 0.4

    def read(self, question, passages):
        return [candidate("Ann Lee", 1, 5.0)] if passages else []

    def confidence(self, candidates):
        return 0.45 if candidates else 0.0


def test_a_reader_returns_its_candidates_with_confidence_and_threshold():
    reading = FixedReader().reading("Who?", PASSAGES)
    assert [c.text for c in reading.candidates] == ["Ann Lee"]
    assert (reading.confidence, reading.threshold, reading.abstains) == (0.45, 0.4, False)
    stricter = FixedReader(abstain_threshold=0.5).reading("Who?", PASSAGES)
    assert (stricter.threshold, stricter.abstains) == (0.5, True)
    assert FixedReader().reading("Who?", []).abstains


def test_the_neural_reader_takes_its_threshold_at_construction():
    calibration = {"confidence": {"bias": 0.0, "weights": {}}, "abstain_threshold": 0.3}
    model = SimpleNamespace(calibration=calibration)
    assert NeuralReader(model).threshold == 0.3  # fitted with the model
    assert NeuralReader(model, abstain_threshold=0.7).threshold == 0.7
    assert NeuralReader(model, abstain_threshold=0.0).threshold == 0.0  # 0 is a threshold
