"""Pure rendering of the article pane and the top line: Documents to HTML, with no Gradio
import (the chat's messages are ``ui.render``'s). Everything from the article is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from qa.types import Citation, Document, Paragraph
from ui.render import highlight, paragraph_anchor, text_html


def _paragraph_html(paragraph: Paragraph, cited: Citation | None) -> str:
    classes = ["qa-para"]
    if paragraph.boilerplate:
        classes.append("qa-boilerplate")
    text = text_html(paragraph.text)
    if cited is not None:
        classes.append("qa-cited")
        if cited.text == paragraph.text:  # offsets are only valid against the same text
            text = highlight(paragraph.text, cited.start, cited.end)
    anchor = paragraph_anchor(paragraph.doc_id, paragraph.number)
    number = f'<a class="qa-num" href="#{anchor}">¶{paragraph.number}</a>'
    return f'<p id="{anchor}" class="{" ".join(classes)}">{number}<span>{text}</span></p>'


def document_html(
    document: Document, cited: Mapping[tuple[str, int], Citation], hidden: bool = False
) -> str:
    paragraphs = "".join(
        _paragraph_html(p, cited.get((p.doc_id, p.number))) for p in document.paragraphs
    )
    classes = "qa-doc qa-hidden" if hidden else "qa-doc"
    return f'<article class="{classes}" data-doc-id="{escape(document.id)}">{paragraphs}</article>'


def shown_document(
    documents: Sequence[Document], citations: Sequence[Citation] = (), focus: str | None = None
) -> Document | None:
    """The article the view shows: the best citation's, else ``focus``, else the first."""
    by_id = {d.id: d for d in documents}
    for doc_id in (*(c.doc_id for c in citations[:1]), focus):
        if doc_id in by_id:
            return by_id[doc_id]
    return documents[0] if documents else None


ALL_SHOWN = 5  # articles rendered together (one shown): a session's list, at most five


def article_html(
    documents: Iterable[Document], citations: Iterable[Citation] = (), focus: str | None = None
) -> str:
    """One article with its ¶ numbers (the cited one; see ``shown_document``); cited
    paragraphs are marked, answer span included. A few articles (a user's list) are all
    there, the others hidden after the shown one, so a ¶ of any of them can be shown at a
    click (ui.assets); a corpus of thousands never renders whole."""
    documents, citations = list(documents), list(citations)
    document = shown_document(documents, citations, focus)
    if document is None:
        return '<div class="qa-article-scroll"></div>'
    cited: dict[tuple[str, int], Citation] = {}
    for citation in citations:  # best first: keep the best citation of each paragraph
        cited.setdefault((citation.doc_id, citation.paragraph), citation)
    others = [d for d in documents if d is not document] if len(documents) <= ALL_SHOWN else []
    body = document_html(document, cited) + "".join(document_html(d, cited, True) for d in others)
    return f'<div class="qa-article-scroll">{body}</div>'


def current_html(documents: Sequence[Document], own: bool) -> str:
    """The line at the top of the page: which article (or articles) the chat answers about."""
    titles = [f"<b>{text_html(d.title[:120])}</b>" for d in documents[:5]]
    if own and len(documents) == 1:
        what = f"your article {titles[0]}"
    elif own:
        what = f"your {len(documents)} articles: " + " · ".join(titles)
    elif len(documents) == 1:
        what = f"{titles[0]} <small>(the default article)</small>"
    else:
        what = f"{len(documents):,} articles"
    return f'<div class="qa-current">Answering about {what}</div>'
