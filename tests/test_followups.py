"""Follow-up resolution: the follow-up set (tests/data/followups.jsonl) and the rules under it."""

from __future__ import annotations

import pytest

from eval.followups import Case, article_text, load_cases, misses, resolve_case
from qa.answering.answer_referent import answer_mention
from qa.answering.followup import Turn, resolve, resolve_conversation
from qa.answering.pronouns import is_bare, is_expletive, replaceable
from qa.answering.referents import GROUP, PERSON, THING, Mention, kind_of, names_in
from qa.reading.nlp import parse

CASES = load_cases()
ISSUE_CASES = [c for c in CASES if c.issue]


def test_the_set_is_large_and_spans_several_articles() -> None:
    assert len(CASES) >= 60
    assert len({c.article for c in CASES}) >= 5
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(ISSUE_CASES) == 7


def test_followup_set_is_resolved_as_written() -> None:
    missed = misses(CASES)
    share = 1 - len(missed) / len(CASES)
    report = "\n".join(
        f"{c.id}: {c.question!r} -> {got!r}, not {c.expected!r}" for c, got in missed
    )
    assert share >= 0.95, f"{share:.1%} resolved as written:\n{report}"


@pytest.mark.parametrize("case", ISSUE_CASES, ids=lambda c: c.id)
def test_every_misfire_of_the_issue_is_fixed(case: Case) -> None:
    assert resolve_case(case) == case.expected


# --- the rules ------------------------------------------------------------------------------


def _it(question: str):
    return next(t for t in parse(question) if t.lower_ == "it")


@pytest.mark.parametrize(
    "question",
    [
        "How hot will it get in London?",
        "Is it likely to rain on Sunday?",
        "Will it stay dry until the weekend?",
        "Is it going to be hot on Thursday?",
        "Is it true that China criticized Russia?",
        "Is it legal to place cookies without consent?",
        "Does it matter that the site broke the rules?",
        "How long did it take to build the bridge?",
        "Was it Putin who ended the deal?",
        "What time is it in London?",
    ],
)
def test_dummy_it_is_never_replaced(question: str) -> None:
    assert is_expletive(_it(question))
    assert resolve(question, ["Who runs the Elm Street bridge project?"]) == question


@pytest.mark.parametrize(
    "question",
    ["Is it expected to reopen by September?", "Why was it closed?", "Who criticized it?"],
)
def test_it_that_refers_is_replaceable(question: str) -> None:
    assert not is_expletive(_it(question)) and replaceable(_it(question))


@pytest.mark.parametrize(
    "question",
    [
        "Is China distancing itself from Russia?",
        "Did Xi distance himself from Putin?",
        "Did Duarte describe herself as brave?",
        "Did the council defend itself?",
    ],
)
def test_reflexives_are_never_replaced(question: str) -> None:
    history = ["Who are Kingsport Rovers?", "What is the capital of France?"]
    assert resolve(question, history) == question


@pytest.mark.parametrize("question", ["Why?", "When was that?", "How many?", "By who?", "Why not?"])
def test_bare_questions_need_the_previous_one(question: str) -> None:
    assert is_bare(parse(question))
    assert resolve(question, ["When was the bridge closed?"]) == (
        f"{question} (When was the bridge closed?)"
    )


@pytest.mark.parametrize(
    "question",
    ["Who should resign?", "Who won the league?", "How old is she?", "What is the capital?"],
)
def test_a_question_that_stands_alone_gets_nothing_appended(question: str) -> None:
    assert not is_bare(parse(question))
    assert resolve(question, ["How many partners use cookies?"]) == question


def test_the_article_says_what_kind_each_name_is() -> None:
    names = names_in(article_text("rovers"))
    # The small tagger calls the club a PERSON in the article too; its plural verb says not.
    assert kind_of("Kingsport Rovers", "PERSON", False, names) == GROUP
    assert kind_of("Ana Duarte", "PERSON", False, names) == PERSON
    assert names.about("Ana Duarte").gender == "f"  # "Duarte, 41, signed ... She replaces"
    assert names.about("Peter Marsh").gender == "m"
    assert kind_of("the table", "NOUN", False, names) == THING


def test_an_answer_becomes_a_mention_only_when_it_names_something() -> None:
    paragraph = (
        "Councillor Maria Lopez, who chairs the transport committee, said she wants the"
        " contractor to pay for the repairs. The repairs will cost an estimated 2.4 million pounds."
    )

    def mention(answer: str) -> Mention | None:
        at = paragraph.index(answer)
        return answer_mention(answer, paragraph, at, at + len(answer))

    assert mention("Councillor Maria Lopez") == Mention("Maria Lopez", "PERSON", -1, -1)
    assert mention("an estimated 2.4 million pounds") is None  # a sum, not a referent
    assert mention("she wants the contractor to pay for the repairs") is None  # a clause
    assert mention("the transport committee").label == "NOUN"


def test_earlier_answers_are_asked_once_and_only_when_needed() -> None:
    asked: list[int] = []

    def answer_of(turn: Turn) -> Mention | None:
        asked.append(turn.index)
        return Mention("Ana Duarte", "PERSON", -1, -1) if turn.index == 0 else None

    history = ["Who replaced Tom Hale?", "How many matches had the club lost?"]
    earlier, resolved = resolve_conversation(history, "How old is she?", answer_of)
    assert earlier == history
    assert resolved == "How old is Ana Duarte?"  # two turns back, past a question with no one
    assert asked == [0]  # "How many ...?" names nothing in its answer: never asked
    assert resolve_conversation(["Who is Tom Hale?"], "What did he win?", answer_of)[1] == (
        "What did Tom Hale win?"  # "Who is X?" describes X: its answer is not asked for
    )


# --- the whole pipeline -----------------------------------------------------------------------


@pytest.mark.slow
def test_pipeline_resolves_she_to_the_earlier_answer(real_settings) -> None:
    from qa import answer

    text = article_text("rovers")
    history = ["Who is the new manager of Kingsport Rovers?"]
    result = answer("How old is she?", history, text=text, index_dir=real_settings.index_dir)
    assert result.resolved_question == "How old is Ana Duarte?"
    assert result.text == "41"
