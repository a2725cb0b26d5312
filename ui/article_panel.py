"""The article column, laid out: add an article (paste, file or link, all in view), the
session's list of articles, the corpus picker, and the article itself (no wiring here)."""

# No `from __future__ import annotations`: kept like ui.app, which Gradio inspects at run time.

from collections.abc import Iterable
from typing import NamedTuple

import gradio as gr

from qa.documents import UPLOAD_SUFFIXES
from qa.types import Document
from ui import article_view
from ui.panels import ALL_ARTICLES, article_choices


class ArticlePanel(NamedTuple):
    picker: gr.Dropdown  # a corpus of several articles: ask all or one
    article: gr.HTML
    paste: gr.Textbox
    use_text: gr.Button
    upload: gr.File
    link: gr.Textbox
    use_link: gr.Button
    status: gr.Markdown  # shown in the chat column, beside the chat
    shelf: gr.Radio  # the session's own articles: ask all or one
    shelf_box: gr.Column
    remove: gr.Button
    reset: gr.Button
    scope: gr.State  # the article asked about ("" for all), from the picker or the list
    added: gr.State  # the id of the article just added, for its suggested questions


def add_article_tabs() -> tuple[gr.Textbox, gr.Button, gr.File, gr.Textbox, gr.Button]:
    """Paste, file and link, one tab each, the paste tab open: two clicks to an article."""
    with gr.Tabs(elem_id="qa-add"):
        with gr.Tab("Paste text", elem_id="qa-tab-paste"):
            paste = gr.Textbox(
                show_label=False,
                lines=3,
                max_lines=8,
                placeholder="Paste an article's text here: headline first, then its paragraphs.",
                elem_id="qa-paste",
            )
            use_text = gr.Button(
                "Use this text", variant="primary", size="sm", elem_id="qa-use-text"
            )
        with gr.Tab("Upload a file", elem_id="qa-tab-file"):
            upload = gr.File(
                label="A .txt, .md or saved .html page (at most 5 MB)",
                file_types=list(UPLOAD_SUFFIXES),
                file_count="single",
                type="filepath",
                height=110,
                elem_id="qa-upload",
            )
        with gr.Tab("Give a link", elem_id="qa-tab-link"):
            link = gr.Textbox(
                show_label=False,
                placeholder="https://… a news article's address",
                max_length=2_000,
                elem_id="qa-link",
            )
            use_link = gr.Button(
                "Read the link", variant="primary", size="sm", elem_id="qa-use-link"
            )
    return paste, use_text, upload, link, use_link


def article_panel(documents: Iterable[Document], status: gr.Markdown) -> ArticlePanel:
    documents = list(documents)
    paste, use_text, upload, link, use_link = add_article_tabs()
    with gr.Column(visible=False, elem_id="qa-shelf-box") as shelf_box:
        shelf = gr.Radio(
            [], value=ALL_ARTICLES, label="Your articles: ask about", elem_id="qa-shelf"
        )
        with gr.Row():
            remove = gr.Button("Remove this article", size="sm", elem_id="qa-remove", visible=False)
            reset = gr.Button("Back to the default article", size="sm", elem_id="qa-reset")
    picker = gr.Dropdown(
        article_choices(documents),
        value=ALL_ARTICLES,
        label="Ask",
        elem_id="qa-picker",
        visible=len(documents) > 1,
        filterable=True,
    )
    article = gr.HTML(article_view.article_html(documents), elem_id="qa-article", js_on_load=None)
    return ArticlePanel(
        picker,
        article,
        paste,
        use_text,
        upload,
        link,
        use_link,
        status,
        shelf,
        shelf_box,
        remove,
        reset,
        gr.State(ALL_ARTICLES),
        gr.State(None),
    )
