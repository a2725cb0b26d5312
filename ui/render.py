"""Pure rendering: Answers and Documents to chat messages and HTML, with no Gradio import.

Everything from the article or the user is HTML-escaped here, before it reaches the browser.
Each message is one line of HTML inside a block element: Markdown leaves the inside of an
HTML block alone, so article text with ``*``, ``_`` or ``[`` is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from qa.answering import confidence_level, verdict_note
from qa.types import ABSTAIN_MESSAGE, Alternative, Answer, Citation

__all__ = ["confidence_level"]  # re-exported: words for a confidence, shared with the export

Message = dict[str, Any]  # a Gradio chat message: role, content and optional metadata

SOURCES_TITLE = "Sources"
NEAREST_TITLE = "Nearest passages"
ALTERNATIVES_TITLE = "Other possible answers"
ERROR_PREFIX = "⚠️ "
UNEXPECTED_ERROR = "Sorry, something went wrong while answering. Please try again."


def paragraph_anchor(doc_id: str, paragraph: int) -> str:
    """The HTML id of a paragraph in the article view; doc ids are file names, so slug them."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", doc_id)
    return f"qa-{slug}-p{paragraph}"


def text_html(text: str) -> str:
    """Escaped text with line breaks as <br>, so a message never holds a blank line."""
    return escape(text).replace("\r", "").replace("\n", "<br>")


def highlight(text: str, start: int | None, end: int | None) -> str:
    """``text`` as HTML with ``text[start:end]`` in <mark>; unmarked when the offsets are unusable.

    Offsets come from the reader, so the mark is exact: no searching for the answer's words.
    """
    if start is None or end is None or not 0 <= start < end <= len(text):
        return text_html(text)
    marked = f"<mark>{text_html(text[start:end])}</mark>"
    return text_html(text[:start]) + marked + text_html(text[end:])


def cite_link(citation: Citation, label: str | None = None, with_title: bool = False) -> str:
    """A ¶ link to the cited paragraph in the article view; ``with_title`` names the article
    in the label (a corpus of several articles). It carries the answer's offsets, so a click
    on an older answer's link marks that answer's words, not the latest answer's."""
    anchor = paragraph_anchor(citation.doc_id, citation.paragraph)
    label = label or citation.label(with_title)
    where = f"{citation.title} ({citation.doc_id})" if citation.title else citation.doc_id
    hint = escape(f"{where} ¶{citation.paragraph}", quote=True)
    return (
        f'<a class="qa-cite{_span_class(citation)}" href="#{anchor}" title="{hint}">'
        f"{escape(label)}</a>"
    )


def _span_class(citation: Citation) -> str:
    """The class " qa-at-START-END-LENGTH" (code points into the paragraph), when the offsets are
    usable. A class, because the chat's sanitizer keeps classes and drops data-* attributes."""
    start, end, size = citation.start, citation.end, len(citation.text)
    if start is None or end is None or not 0 <= start < end <= size:
        return ""
    return f" qa-at-{start}-{end}-{size}"


def confidence_html(confidence: float) -> str:
    """Confidence in words; the number is small beside it and in the tooltip."""
    level = confidence_level(confidence)
    return (
        f'<span class="qa-conf qa-conf-{level}" title="confidence {confidence:.2f}">'
        f"{level} confidence <small>{confidence:.2f}</small></span>"
    )


def _alternative_html(alternative: Alternative, with_title: bool = False) -> str:
    level = confidence_level(alternative.confidence)
    return (
        f"“{text_html(alternative.text)}” {cite_link(alternative.citation, None, with_title)} "
        f'<span class="qa-conf qa-conf-{level}" title="confidence {alternative.confidence:.2f}">'
        f"{level}</span>"
    )


def alternatives_message(alternatives: Sequence[Alternative], with_title: bool = False) -> Message:
    """Runner-up answers in a collapsed block, so a long tail never crowds the answer."""
    items = "".join(f"<li>{_alternative_html(a, with_title)}</li>" for a in alternatives)
    content = f'<ul class="qa-alts">{items}</ul>'
    return _collapsible(ALTERNATIVES_TITLE, content, len(alternatives), "candidate")


def conflict_html(alternatives: Sequence[Alternative], listed: bool) -> str:
    """A warning that two strong candidates disagree; names the runner-up unless listed below."""
    if listed:
        other = "; see the other possible answers below"
    elif alternatives:
        other = f": it also supports {_alternative_html(alternatives[0])}"
    else:
        other = ""
    return f'<div class="qa-conflict">⚠️ The article gives conflicting answers{other}.</div>'


def understood_html(result: Answer) -> str:
    """'Understood as: …' when a follow-up was rewritten into a standalone question."""
    resolved = result.resolved_question.strip()
    if not resolved or resolved == result.question.strip():
        return ""
    return f'<div class="qa-understood">Understood as: <em>{text_html(resolved)}</em></div>'


VERDICT_WORDS = {"yes": "Yes", "no": "No", "mixed": "Mixed"}


def verdict_html(verdict: str | None) -> str:
    """A yes / no / mixed badge before the evidence; nothing without a verdict."""
    if verdict not in VERDICT_WORDS:
        return ""
    return f'<span class="qa-verdict qa-verdict-{verdict}">{VERDICT_WORDS[verdict]}</span> '


def kind_note_html(result: Answer) -> str:
    """What the quoted words are, for a yes/no answer that has no verdict."""
    note = verdict_note(result)
    return f' · <span class="qa-kind-note">{note}</span>' if note else ""


def answer_html(result: Answer, show_alternatives: bool = True) -> str:
    """The main reply: answer, ¶ links and confidence, and a warning if sources conflict."""
    if result.abstained:
        body = f'<div class="qa-text">{escape(ABSTAIN_MESSAGE)}</div>'
        if result.passages:
            body += '<div class="qa-meta">The nearest passages are below.</div>'
        return f'<div class="qa-answer qa-abstain">{understood_html(result)}{body}</div>'
    links = " ".join(cite_link(c, None, result.multi_article) for c in result.citations)
    parts = [
        understood_html(result),
        f'<div class="qa-text">{verdict_html(result.verdict)}'
        f"<strong>{text_html(result.text)}</strong> {links}</div>",
        f'<div class="qa-meta">{confidence_html(result.confidence)}{kind_note_html(result)}</div>',
    ]
    if result.conflict:
        listed = show_alternatives and bool(result.alternatives)
        parts.append(conflict_html(result.alternatives, listed))
    return f'<div class="qa-answer">{"".join(parts)}</div>'


def source_html(
    citation: Citation, with_title: bool = False, confidence: float | None = None
) -> str:
    """One cited paragraph: its ¶ link (and article title), in words how sure the answer
    found in it is (``confidence``; none for a paragraph without the answer), then its text
    with the answer marked. The reranker's raw score means nothing to a reader: tooltip only."""
    title = ""
    if with_title and citation.title:
        title = f'<span class="qa-source-title">{text_html(citation.title)}</span> '
    link = cite_link(citation, f"¶{citation.paragraph}")
    sure = ""
    if confidence is not None and citation.start is not None:
        level = confidence_level(confidence)
        sure = f' <span class="qa-conf qa-conf-{level}">the answer, {level} confidence</span>'
    head = (
        f'<div class="qa-source-head" title="relevance score {citation.score:.2f}">'
        f"{title}{link}{sure}</div>"
    )
    text = highlight(*excerpt(citation.text, citation.start, citation.end))
    body = f'<div class="qa-source-text">{text}</div>'
    return f'<div class="qa-source">{head}{body}</div>'


# The chat sends its whole value back with every question, so a cited paragraph is shown in
# part when long: with 400 KB paragraphs the 8th question's body passed 2 MB (m1).
SOURCE_CHARS = 1_500


def excerpt(
    text: str, start: int | None, end: int | None, limit: int = SOURCE_CHARS
) -> tuple[str, int | None, int | None]:
    """``text`` cut to about ``limit`` characters around the answer (``start``..``end``), with
    "…" where it was cut, and the answer's offsets in the cut text (None when outside it)."""
    if len(text) <= limit:
        return text, start, end
    usable = start is not None and end is not None and 0 <= start < end <= len(text)
    centre = (start + end) // 2 if usable else 0
    low = max(0, min(centre - limit // 2, len(text) - limit))
    if usable and end - start > limit:
        low = start
    high = low + limit
    lead = "…" if low else ""
    piece = lead + text[low:high] + ("…" if high < len(text) else "")
    if usable and low <= start and end <= high:
        return piece, start - low + len(lead), end - low + len(lead)
    return piece, None, None


def _collapsible(title: str, content: str, count: int, noun: str) -> Message:
    """A block drawn from Gradio's message metadata, closed until the user opens it."""
    log = f"{count} {noun}{'' if count == 1 else 's'}"  # shown subdued beside the title
    return {
        "role": "assistant",
        "content": content,
        "metadata": {"title": title, "log": log, "status": "done"},
    }


def sources_message(
    title: str,
    citations: Sequence[Citation],
    with_title: bool = False,
    confidence: float | None = None,
) -> Message:
    sources = "".join(source_html(c, with_title, confidence) for c in citations)
    content = f'<div class="qa-sources">{sources}</div>'
    return _collapsible(title, content, len(citations), "paragraph")


def answer_messages(result: Answer, show_alternatives: bool = True) -> list[Message]:
    """The assistant's turn: the reply, other possible answers, then the sources.

    An abstention has no sources; it offers the nearest passages instead.
    """
    messages: list[Message] = [
        {"role": "assistant", "content": answer_html(result, show_alternatives)}
    ]
    if show_alternatives and result.alternatives and not result.abstained:
        messages.append(alternatives_message(result.alternatives, result.multi_article))
    if result.abstained and result.passages:
        messages.append(sources_message(NEAREST_TITLE, result.passages, result.multi_article))
    elif result.citations:
        sources = sources_message(
            SOURCES_TITLE, result.citations, result.multi_article, result.confidence
        )
        messages.append(sources)
    return messages


def user_message(question: str) -> Message:
    """The user's turn, escaped like everything else: "<b>" in a question shows as typed."""
    return {"role": "user", "content": text_html(question)}


PENDING = '<div class="qa-pending" role="status">Reading the article…</div>'


def pending_message() -> Message:
    """Shown while a question is answered: the question is in the chat at once."""
    return {"role": "assistant", "content": PENDING}


def error_message(text: str) -> Message:
    """A friendly chat reply for a question that could not be answered."""
    return {
        "role": "assistant",
        "content": f'<div class="qa-error">{text_html(ERROR_PREFIX + text)}</div>',
    }
