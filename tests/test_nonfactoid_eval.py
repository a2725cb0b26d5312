"""The non-factoid set's scoring (eval.nonfactoid), on hand-made answers: no model."""

from __future__ import annotations

from eval.nonfactoid import Item, load_items, outcome, summary
from qa.types import Answer, Citation

ITEM = Item("x-01", "a.txt", "Why did the bridge close?", "why", ("cracks were found",), 3)


def answered(text: str, paragraph: int = 3) -> Answer:
    cited = Citation("a.txt", paragraph, f"So {text}.", 3, 3 + len(text))
    return Answer(ITEM.question, text, False, 0.9, citations=(cited,), kind="why")


def test_scores_the_answer_against_the_best_gold_string():
    right = outcome(ITEM, answered("It closed because cracks were found"))
    assert 0.6 < right.f1 < 1.0 and right.para_at_1 == 1.0 and not right.echo
    assert outcome(ITEM, answered("cracks were found", paragraph=4)).para_at_1 == 0.0


def test_an_abstention_scores_zero_and_an_echo_is_counted():
    refused = outcome(ITEM, Answer(ITEM.question, "", True, 0.1, kind="why"))
    echo = outcome(ITEM, answered("the bridge close"))
    assert refused.f1 == 0.0 and echo.echo
    row = summary([refused, echo])
    assert (row["answered"], row["echo"]) == (0.5, 1.0)


def test_the_set_is_as_large_and_varied_as_asked():
    items = load_items()
    assert len(items) >= 150 and len({i.article for i in items}) >= 15
    unanswerable = [i for i in items if not i.answerable]
    assert 0.15 <= len(unanswerable) / len(items) <= 0.25
    assert all((i.paragraph is None) == (not i.answerable) for i in items)


def test_no_text_of_the_shared_data_is_kept():
    """NYT evidence is offsets into the article (read at run time), never its words."""
    nyt = [i for i in load_items() if not i.article.startswith("seeds/") and i.answerable]
    assert nyt and all(i.evidence_at and not i.evidence for i in nyt)


def test_offsets_are_read_from_the_article():
    from qa.documents import make_document

    document = make_document("a.txt", "Bridge shut\n\nIt closed because cracks were found.")
    item = Item("x-02", "a.txt", "Why?", "why", (), 2, ((18, 35),))
    assert item.read(document).evidence == ("cracks were found",)


def test_verdicts_are_scored_where_shown_and_abstentions_are_not_judged():
    question = Item("x-03", "a.txt", "Did it stay open?", "yes/no", ("it closed",), 3, verdict="no")
    cited = Citation("a.txt", 3, "So it closed.", 3, 12)
    said = [
        Answer(question.question, "it closed", False, 0.9, (cited,), kind="yes/no", verdict=v)
        for v in ("no", "yes", None)
    ]
    refused = Answer(question.question, "", True, 0.1, kind="yes/no", verdict="no")
    row = summary([outcome(question, a) for a in [*said, refused]])
    assert row["verdict_shown"] == 2 / 3  # the refusal is not a judged answer
    assert row["verdict_accuracy"] == 0.5
    assert summary([outcome(question, said[2])])["verdict_accuracy"] is None


def test_every_answerable_yes_no_item_has_a_gold_verdict_and_only_those():
    items = load_items()
    labelled = [i for i in items if i.verdict is not None]
    assert {i.verdict for i in labelled} <= {"yes", "no", "mixed"}
    assert all(i.kind == "yes/no" and i.answerable for i in labelled)
    assert len(labelled) == sum(i.kind == "yes/no" and i.answerable for i in items)
