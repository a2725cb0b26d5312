"""The UI's controls, laid out: the chat column and the article column (no wiring here)."""

# No `from __future__ import annotations`: kept like ui.app, which Gradio inspects at run time.

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import gradio as gr

from qa.documents import UPLOAD_SUFFIXES
from qa.settings import Settings
from qa.types import Document
from ui import render

ALL_ARTICLES = ""  # the picker's value for "ask every article"
TITLE_CHOICE_CHARS = 90  # a headline longer than this is cut in the picker


class ChatPanel(NamedTuple):
    chat: gr.Chatbot
    box: gr.Textbox
    examples: Any  # gr.Examples of questions about the seed article; None for other corpora
    example_box: gr.Column  # hidden while a user's own article is answered: they fit the seed
    clear: gr.Button
    export: gr.Button
    export_text: gr.Textbox  # hidden: the Markdown the browser saves
    k: gr.Slider
    show_alternatives: gr.Checkbox
    history: gr.State  # the questions so far
    turns: gr.State  # their answers, for the export


class ArticlePanel(NamedTuple):
    picker: gr.Dropdown
    article: gr.HTML
    paste: gr.Textbox
    use_text: gr.Button
    upload: gr.File
    status: gr.Markdown
    reset: gr.Button


def chat_panel(settings: Settings, examples: Sequence[str], max_k: int) -> ChatPanel:
    chat = gr.Chatbot(
        elem_id="qa-chat",
        label="Chat",
        show_label=False,
        height=520,
        placeholder="Ask a question about the article, or pick an example below.",
        latex_delimiters=[],  # a "$$" in an article is money, not math
        buttons=[],  # copy buttons would copy the HTML source of the replies
        feedback_options=None,
    )
    box = gr.Textbox(
        elem_id="qa-question",
        show_label=False,
        placeholder="Ask about the article…",
        max_length=settings.max_question_chars,
        submit_btn="Ask",
    )
    shown = None
    with gr.Column(visible=bool(examples)) as example_box:
        if examples:
            shown = gr.Examples(
                [[q] for q in examples],
                inputs=[box],
                label="Examples",
                elem_id="qa-examples",
                api_visibility="private",
            )
    with gr.Accordion("Settings", open=False):
        k = gr.Slider(
            1, max_k, value=settings.k, step=1, precision=0, label="Passages retrieved (k)"
        )
        show_alternatives = gr.Checkbox(True, label="Show alternative answers")
    with gr.Row():
        clear = gr.Button("Clear chat", variant="secondary", size="sm")
        export = gr.Button(
            "Export conversation (Markdown)", variant="secondary", size="sm", elem_id="qa-export"
        )
    export_text = gr.Textbox(visible=False)
    return ChatPanel(
        chat,
        box,
        shown,
        example_box,
        clear,
        export,
        export_text,
        k,
        show_alternatives,
        gr.State([]),
        gr.State([]),
    )


def article_choices(documents: Iterable[Document]) -> list[tuple[str, str]]:
    """Picker entries: every article, then each by title (its file name when titles repeat)."""
    documents = list(documents)
    titles = [d.title[:TITLE_CHOICE_CHARS] for d in documents]
    counts = Counter(titles)
    entries = [
        (f"{t} ({d.id})" if counts[t] > 1 else t, d.id)
        for t, d in zip(titles, documents, strict=True)
    ]
    return [(f"All {len(documents)} articles", ALL_ARTICLES), *entries]


def article_panel(documents: Iterable[Document]) -> ArticlePanel:
    documents = list(documents)
    picker = gr.Dropdown(
        article_choices(documents),
        value=ALL_ARTICLES,
        label="Ask",
        elem_id="qa-picker",
        visible=len(documents) > 1,
        filterable=True,
    )
    status = gr.Markdown("", elem_id="qa-status")  # which article is answered, or what went wrong
    gr.Markdown("### Article")
    article = gr.HTML(render.article_html(documents), elem_id="qa-article", js_on_load=None)
    with gr.Accordion("Your own article", open=False, elem_id="qa-own"):
        paste = gr.Textbox(
            label="Paste an article",
            lines=6,
            max_lines=12,
            placeholder="Paste the article's text here: headline first, then its paragraphs.",
            elem_id="qa-paste",
        )
        use_text = gr.Button("Use this text", variant="primary", size="sm", elem_id="qa-use-text")
        upload = gr.File(
            label="…or upload a .txt, .md or saved .html page (at most 5 MB)",
            file_types=list(UPLOAD_SUFFIXES),
            file_count="single",
            type="filepath",
            elem_id="qa-upload",
        )
        reset = gr.Button("Back to the default article", size="sm", elem_id="qa-reset")
    return ArticlePanel(picker, article, paste, use_text, upload, status, reset)
