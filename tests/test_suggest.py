"""Suggested questions for a user's article: made from its names and claims, kept only when
the pipeline answers them (spaCy, no reader model: the checks use a stand-in ``ask``)."""

from __future__ import annotations

import pytest

from qa.answering.suggest import ABOUT, Suggestion, keep_answered, opening, suggestions_for
from qa.documents import document_from_text
from qa.types import Answer

PASTED = (
    "Floods close Danube port\n\nThe port of Izmail closed on Monday after floods.\n\n"
    "Harbour master Ivan Petrenko said ships would wait for three days."
)


def reply(question: str, abstained: bool, confidence: float = 0.9) -> Answer:
    text = "" if abstained else "something"
    return Answer(question=question, text=text, abstained=abstained, confidence=confidence)


def test_candidates_come_from_the_articles_people_and_claims():
    questions = [s.question for s in suggestions_for(document_from_text(PASTED))]
    assert "Who is Ivan Petrenko?" in questions
    assert "What did Ivan Petrenko say?" in questions  # he "said" something: a claim
    assert "Why did the port of Izmail close?" in questions  # "closed ... after floods"
    assert questions[-1] == ABOUT
    assert len(questions) == len(set(questions))


def test_a_non_factoid_is_among_the_first_candidates():
    found = suggestions_for(document_from_text(PASTED))
    assert not found[0].factoid or not found[1].factoid


def test_an_article_without_names_still_gets_the_about_question():
    found = suggestions_for(document_from_text("Rain\n\nit rained a lot and then it stopped."))
    assert [s.question for s in found] == [ABOUT]


def test_opening_skips_boilerplate_and_stops_near_the_limit():
    document = document_from_text("Title\n\n" + "\n\n".join(["word " * 100] * 20))
    texts = opening(document, limit=1_200)
    assert texts[0] == "Title" and sum(map(len, texts)) <= 1_200 + 500


def test_checked_drops_what_the_pipeline_does_not_answer():
    asked = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return reply(question, abstained=question.startswith("Who is Danube"))

    found = [Suggestion("Who is Danube?", True), Suggestion("Why did it close?", False)]
    assert keep_answered(found, ask) == ["Why did it close?"]
    assert asked == ["Who is Danube?", "Why did it close?"]


def test_keep_answered_drops_a_weak_answer_too():
    found = [Suggestion("Who is Helen Okafor?", True), Suggestion("What did she say?", False)]
    weak = {"Who is Helen Okafor?": 0.3}  # answered "Dr": low confidence
    kept = keep_answered(found, lambda q: reply(q, False, weak.get(q, 0.9)))
    assert kept == ["What did she say?"]


def test_checked_keeps_a_non_factoid_within_the_limit():
    facts = [Suggestion(f"Who is person {n}?", True) for n in range(5)]
    late = Suggestion("Why did it happen?", False)
    kept = keep_answered([*facts, late], lambda q: reply(q, False), limit=3)
    assert kept == ["Who is person 0?", "Who is person 1?", "Why did it happen?"]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_checked_stops_asking_once_it_has_enough(limit):
    asked = []
    found = [Suggestion("Why?", False)] + [Suggestion(f"Who is {n}?", True) for n in range(6)]
    kept = keep_answered(found, lambda q: asked.append(q) or reply(q, False), limit=limit)
    assert len(kept) == limit and len(asked) == limit  # no answer asked for nothing
