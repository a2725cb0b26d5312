"""A conversation (a list of Answers) as a Markdown document or a JSON-ready dict.

Pure functions: no I/O, no models. Article text is escaped so that it reads in Markdown
exactly as it reads in the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qa.documents import strip_span
from qa.types import ABSTAIN_MESSAGE, Answer, Citation

# Beside a yes/no answer without a verdict: the sentence is the article's answer, and no
# verdict model is sure enough to sum it up (qa.types.Answer.verdict).
NO_VERDICT_NOTE = "the article's words; judge yes or no from them"


def verdict_note(answer: Answer) -> str:
    """NO_VERDICT_NOTE for a yes/no answer without a verdict, else nothing (the chat, the CLI
    and the Markdown export all show it)."""
    return NO_VERDICT_NOTE if answer.kind == "yes/no" and answer.verdict is None else ""


def kind_line(answer: Answer) -> str:
    """What kind of answer it is, for a text view: nothing for a factoid (its form is the
    span, as always); the kind, and for a yes/no answer without a verdict, who judges."""
    if answer.kind == "factoid":
        return ""
    note = verdict_note(answer)
    return f"question kind: {answer.kind}" + (f" ({note})" if note else "")


# Answer.confidence estimates the chance that the answer is right; words read faster than
# numbers. Highest threshold first.
CONFIDENCE_LEVELS: tuple[tuple[float, str], ...] = ((0.85, "high"), (0.5, "medium"))
JSON_FORMAT = "article-qa/conversation"
JSON_VERSION = 1
MARKDOWN_HEADING = "# Questions about the article"
EMPTY_MESSAGE = "No questions were asked."

# Characters that are Markdown syntax wherever they stand (emphasis, links, HTML, code,
# entities, tables, strikethrough); a backslash makes each one literal.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~#])")
# Markers that only count at the start of a line: list items, setext underlines.
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))", re.MULTILINE)


def confidence_level(confidence: float) -> str:
    """``high``, ``medium`` or ``low``."""
    for threshold, name in CONFIDENCE_LEVELS:
        if confidence >= threshold:
            return name
    return "low"


def escape_markdown(text: str) -> str:
    """``text`` with Markdown syntax escaped, so ``*``, ``_``, ``[``, ``#``, ``<`` show as typed."""
    return _escape_line_starts(_escape_inline(text))


def _escape_inline(text: str) -> str:
    return _INLINE.sub(r"\\\1", text)


def _escape_line_starts(text: str) -> str:
    # "- x" escapes the dash; "1. x" escapes the dot after the number.
    def fix(match: re.Match[str]) -> str:
        indent, marker = match.groups()
        return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"

    return _LINE_START.sub(fix, text)


def _title(doc_id: str, titles: Mapping[str, str] | None, fallback: str = "") -> str:
    return (titles or {}).get(doc_id) or fallback or doc_id


def _blockquote(citation: Citation) -> str:
    """The cited paragraph as a blockquote, the answer span in bold when its offsets hold."""
    text, start, end = citation.text, citation.start, citation.end
    if start is None or end is None or not 0 <= start < end <= len(text):
        body = escape_markdown(text)
    else:
        # Bold that opens or closes on whitespace is not bold in Markdown.
        start, end = strip_span(text, start, end)
        marked = f"**{_escape_inline(text[start:end])}**" if start < end else ""
        body = _escape_line_starts(
            _escape_inline(text[:start]) + marked + _escape_inline(text[end:])
        )
    return "\n".join(f"> {line}".rstrip() for line in body.split("\n"))


def _turn_markdown(turn: Answer, titles: Mapping[str, str] | None) -> list[str]:
    """The blocks of one turn, to be joined by blank lines."""
    question = " ".join(turn.question.split())
    blocks = [f"### Q: {escape_markdown(question)}"]
    resolved = turn.resolved_question.strip()
    if resolved and resolved != turn.question.strip():
        blocks.append(f"Understood as: {escape_markdown(' '.join(resolved.split()))}")
    if turn.abstained:
        blocks.append(ABSTAIN_MESSAGE)
        return blocks
    refs = " ".join(str(c) for c in turn.citations)
    verdict = f"**{turn.verdict.capitalize()}.** " if turn.verdict else ""
    blocks.append(f"{verdict}{escape_markdown(turn.text)} {refs}".strip())
    level = confidence_level(turn.confidence)
    kind = kind_line(turn)
    blocks.append(f"Confidence: {turn.confidence:.2f} ({level})" + (f" · {kind}" if kind else ""))
    if turn.citations:
        blocks.append("Sources:")
    for citation in turn.citations:
        blocks.append(
            f"{citation} {escape_markdown(_title(citation.doc_id, titles, citation.title))}"
        )
        blocks.append(_blockquote(citation))
    return blocks


def conversation_markdown(turns: Sequence[Answer], titles: Mapping[str, str] | None = None) -> str:
    """The conversation as Markdown: a heading, then each question with its answer and sources.

    ``titles`` maps a document id to its article title; a citation of an unknown id shows the id.
    """
    blocks = [MARKDOWN_HEADING]
    for turn in turns:
        blocks.extend(_turn_markdown(turn, titles))
    if not turns:
        blocks.append(EMPTY_MESSAGE)
    return "\n\n".join(blocks) + "\n"


def _doc_ids(turn: Answer) -> Iterable[str]:
    yield from (c.doc_id for c in turn.citations)
    yield from (c.doc_id for c in turn.passages)
    yield from (a.citation.doc_id for a in turn.alternatives)


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists, so the dict equals what json.loads gives back."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def conversation_json(
    turns: Sequence[Answer], titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The conversation as a JSON-ready dict: each turn is ``Answer.to_dict()`` plus the
    confidence level and the titles of the articles it cites, by document id."""
    items = []
    for turn in turns:
        data = turn.to_dict()
        data["confidence_level"] = confidence_level(turn.confidence)
        data["titles"] = {doc_id: _title(doc_id, titles) for doc_id in _doc_ids(turn)}
        items.append(_plain(data))
    return {"format": JSON_FORMAT, "version": JSON_VERSION, "turns": items}
