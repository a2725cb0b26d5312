"""Exporting a conversation to Markdown and JSON (hand-built Answers, no models)."""

from __future__ import annotations

import json
import re

import pytest

from qa.answering.export import (
    JSON_FORMAT,
    NO_VERDICT_NOTE,
    confidence_level,
    conversation_json,
    conversation_markdown,
    escape_markdown,
    kind_line,
)
from qa.types import ABSTAIN_MESSAGE, Alternative, Answer, Citation

PARAGRAPH = "Construction is expected to begin in April and take about eight months."
SPAN = "about eight months"


def cited_answer(**changes: object) -> Answer:
    start = PARAGRAPH.index(SPAN)
    citation = Citation("solar.html", 7, PARAGRAPH, start, start + len(SPAN), score=0.8)
    values: dict = {
        "question": "How long will it take?",
        "text": SPAN,
        "abstained": False,
        "confidence": 0.913,
        "citations": (citation,),
        "evidence": PARAGRAPH,
        "resolved_question": "How long will construction of the solar farm take?",
    }
    values.update(changes)
    return Answer(**values)


def abstained_answer() -> Answer:
    nearest = Citation("solar.html", 2, "The committee voted seven to four.", score=0.1)
    return Answer("Who paid for the lawyers?", "", True, 0.12, passages=(nearest,))


TITLES = {"solar.html": "Millbrook approves floating solar farm"}


def render(markdown: str) -> str:
    """The HTML a CommonMark renderer makes of ``markdown`` (markdown-it comes with Gradio)."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").render(markdown)


# --- Markdown ---------------------------------------------------------------------------


def test_markdown_holds_question_answer_confidence_and_source():
    markdown = conversation_markdown([cited_answer()], TITLES)
    lines = markdown.splitlines()
    assert lines[0].startswith("# ")
    assert "### Q: How long will it take?" in lines
    assert "Understood as: How long will construction of the solar farm take?" in lines
    assert "about eight months [¶7]" in lines
    assert "Confidence: 0.91 (high)" in lines
    assert "[¶7] Millbrook approves floating solar farm" in lines
    assert "> Construction is expected to begin in April and take **about eight months**." in lines


def test_markdown_renders_the_span_in_bold_inside_a_blockquote():
    html = render(conversation_markdown([cited_answer()], TITLES))
    assert "<blockquote>" in html
    assert "take <strong>about eight months</strong>." in html
    assert "<h3>Q: How long will it take?</h3>" in html


def test_unknown_title_falls_back_to_the_document_id():
    markdown = conversation_markdown([cited_answer()])
    assert "[¶7] solar.html" in markdown.splitlines()


def test_understood_as_is_left_out_when_the_question_was_not_rewritten():
    question = "How long will it take?"
    markdown = conversation_markdown([cited_answer(resolved_question=question)])
    assert "Understood as" not in markdown


def test_abstained_turn_says_the_article_does_not_say():
    markdown = conversation_markdown([abstained_answer()], TITLES)
    assert "### Q: Who paid for the lawyers?" in markdown
    assert ABSTAIN_MESSAGE in markdown.splitlines()
    assert "Confidence" not in markdown and "¶" not in markdown


def test_turns_come_in_order():
    markdown = conversation_markdown([cited_answer(), abstained_answer()], TITLES)
    assert markdown.index("How long will it take?") < markdown.index("Who paid for the lawyers?")


def test_article_text_is_escaped():
    text = "The *stars* of [the show] said <script>alert(1)</script> at #1 and _now_."
    start = text.index("said")
    citation = Citation("a_b*.txt", 3, text, start, start + len("said"))
    answer = Answer("What did *they* do?", "said <b>", False, 0.6, (citation,))
    markdown = conversation_markdown([answer], {"a_b*.txt": "Stars_and *bars* <i>"})
    assert re.search(r"(?<!\\)<(script|b|i)>", markdown) is None
    assert "\\*stars\\* of \\[the show\\]" in markdown
    assert "\\#1 and \\_now\\_" in markdown
    assert "[¶3] Stars\\_and \\*bars\\* \\<i\\>" in markdown
    html = render(markdown)
    assert "The *stars* of [the show] <strong>said</strong> &lt;script&gt;alert(1)" in html
    assert "at #1 and _now_." in html
    assert "<h3>Q: What did *they* do?</h3>" in html
    assert "<script>" not in html and "<em>" not in html


@pytest.mark.parametrize(
    "text",
    [
        "- not a list",
        "+ nor this",
        "1. nor this",
        "7) nor this",
        "# not a heading",
        "Title\n===",
        "> no",
    ],
)
def test_line_start_markers_stay_literal(text: str):
    html = render(escape_markdown(text))
    assert html.startswith("<p>"), html
    assert text.replace("\n", " ").replace(">", "&gt;") in html.replace("\n", " ")


def test_span_with_whitespace_at_its_edges_is_still_bold():
    start = PARAGRAPH.index(SPAN) - 1
    citation = Citation("solar.html", 7, PARAGRAPH, start, start + len(SPAN) + 1)
    markdown = conversation_markdown([cited_answer(citations=(citation,))])
    assert "take **about eight months**." in markdown


@pytest.mark.parametrize(("start", "end"), [(None, None), (5, 3), (0, 10_000)])
def test_citation_without_usable_offsets_is_quoted_without_bold(start, end):
    citation = Citation("solar.html", 7, PARAGRAPH, start, end)
    markdown = conversation_markdown([cited_answer(citations=(citation,))])
    assert f"> {PARAGRAPH}" in markdown.splitlines()
    assert "**" not in markdown


def test_multiline_paragraph_quotes_every_line():
    citation = Citation("a.txt", 2, "First line\nsecond line", 0, 5)
    markdown = conversation_markdown([Answer("Q?", "First", False, 0.7, (citation,))])
    assert "> **First** line\n> second line" in markdown


def test_empty_conversation_is_a_valid_document():
    markdown = conversation_markdown([])
    assert markdown.startswith("# ") and markdown.endswith("\n")
    assert "### Q:" not in markdown
    assert "<h1>" in render(markdown)


@pytest.mark.parametrize(
    ("confidence", "level"),
    [
        (0.0, "low"),
        (0.49, "low"),
        (0.5, "medium"),
        (0.849, "medium"),
        (0.85, "high"),
        (1.0, "high"),
    ],
)
def test_confidence_levels(confidence: float, level: str):
    assert confidence_level(confidence) == level


def test_markdown_shows_medium_and_low_levels():
    markdown = conversation_markdown([cited_answer(confidence=0.5), cited_answer(confidence=0.2)])
    assert "Confidence: 0.50 (medium)" in markdown
    assert "Confidence: 0.20 (low)" in markdown


# --- JSON -------------------------------------------------------------------------------


def test_json_round_trips_and_keeps_every_field():
    alternative = Alternative("eight months", 0.3, Citation("other.txt", 4, "eight months"))
    turns = [cited_answer(alternatives=(alternative,)), abstained_answer()]
    data = conversation_json(turns, TITLES)
    assert json.loads(json.dumps(data)) == data
    assert data["format"] == JSON_FORMAT and data["version"] == 1
    first, second = data["turns"]
    assert first["question"] == "How long will it take?"
    assert first["text"] == SPAN and first["abstained"] is False
    assert first["confidence"] == 0.913 and first["confidence_level"] == "high"
    assert first["resolved_question"].startswith("How long will construction")
    assert first["rendered"] == "about eight months [¶7]"
    citation = first["citations"][0]
    assert citation["paragraph"] == 7
    assert citation["text"][citation["start"] : citation["end"]] == SPAN
    assert first["alternatives"][0]["citation"]["doc_id"] == "other.txt"
    assert first["titles"] == {"solar.html": TITLES["solar.html"], "other.txt": "other.txt"}
    assert second["abstained"] is True and second["citations"] == []
    assert second["rendered"] == ABSTAIN_MESSAGE
    assert second["titles"] == {"solar.html": TITLES["solar.html"]}  # from its nearest passages


def test_json_of_an_empty_conversation():
    data = conversation_json([])
    assert json.loads(json.dumps(data)) == {"format": JSON_FORMAT, "version": 1, "turns": []}


def test_json_escapes_nothing_and_keeps_text_verbatim():
    text = "Stars *and* <script>"
    citation = Citation("a.txt", 2, text, 0, 5)
    data = conversation_json([Answer("<q>", "Stars", False, 0.9, (citation,))])
    turn = json.loads(json.dumps(data))["turns"][0]
    assert turn["question"] == "<q>" and turn["citations"][0]["text"] == text


def test_markdown_and_json_carry_the_kind_and_a_verdict():
    """A yes/no answer with a verdict leads with it in bold; the kind is named beside the
    confidence; a factoid turn names no kind (its form is the span, as before)."""
    judged = cited_answer(kind="yes/no", verdict="no", question="Will it take a year?")
    plain = cited_answer(kind="why")
    markdown = conversation_markdown([judged, plain], TITLES)
    lines = markdown.splitlines()
    assert "**No.** about eight months [¶7]" in lines
    assert "Confidence: 0.91 (high) · question kind: yes/no" in lines
    assert "Confidence: 0.91 (high) · question kind: why" in lines
    assert "about eight months [¶7]" in lines  # the why answer: no verdict, no bold lead
    assert "Confidence: 0.91 (high)" not in lines  # every turn here has a kind
    turns = conversation_json([judged, plain], TITLES)["turns"]
    assert [(t["kind"], t["verdict"]) for t in turns] == [("yes/no", "no"), ("why", None)]
    factoid = conversation_markdown([cited_answer()], TITLES)
    assert "question kind" not in factoid


def test_the_kind_line_says_who_judges_a_yes_no_answer_without_a_verdict():
    """The CLI and the Markdown export name a non-factoid kind; a yes/no answer without a
    verdict says that the quoted words are the article's and the reader judges, as the chat
    does; a factoid names nothing."""
    unjudged = cited_answer(kind="yes/no")
    assert kind_line(unjudged) == f"question kind: yes/no ({NO_VERDICT_NOTE})"
    assert kind_line(cited_answer(kind="yes/no", verdict="no")) == "question kind: yes/no"
    assert kind_line(cited_answer(kind="how")) == "question kind: how"
    assert kind_line(cited_answer()) == ""
    markdown = conversation_markdown([unjudged], TITLES).splitlines()
    assert f"Confidence: 0.91 (high) · question kind: yes/no ({NO_VERDICT_NOTE})" in markdown
