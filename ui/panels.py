"""The UI's controls, laid out: the chat column (no wiring here; the article column is in
``ui.article_panel``)."""

# No `from __future__ import annotations`: kept like ui.app, which Gradio inspects at run time.

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import gradio as gr

from qa.settings import Settings
from qa.types import Document

ALL_ARTICLES = ""  # the picker's value for "ask every article"
TITLE_CHOICE_CHARS = 90  # a headline longer than this is cut in the picker
MAX_SUGGESTIONS = 4  # buttons made once; a user's article fills (and shows) some of them
EXAMPLES_PLACEHOLDER = "Ask a question about the article, or pick an example below."
PLACEHOLDER = "Ask a question about the article."
OWN_PLACEHOLDER = "Ask a question about your article."
SUGGESTED_PLACEHOLDER = "Ask a question about your article, or pick a suggested one below."


class ChatPanel(NamedTuple):
    chat: gr.Chatbot
    box: gr.Textbox
    examples: Any  # gr.Examples of questions about the seed article; None for other corpora
    example_box: gr.Column  # hidden while a user's own article is answered: they fit the seed
    suggest_box: gr.Column  # questions made from the user's article (ui.suggestions)
    suggestions: list[gr.Button]
    confirm: Any  # ui.confirm.Confirm: "this clears the chat" before clear or reset
    clear: gr.Button
    export: gr.Button
    export_text: gr.Textbox  # hidden: the Markdown the browser saves
    k: gr.Slider
    show_alternatives: gr.Checkbox
    history: gr.State  # the questions so far
    turns: gr.State  # their answers, for the export


def chat_panel(settings: Settings, examples: Sequence[str], max_k: int) -> ChatPanel:
    """The chat, the question box and what sits under them, in their order on the page."""
    from ui.confirm import confirm_row

    chat, box = _conversation(settings, bool(examples))
    shown, example_box = _examples(examples, box)
    suggest_box, suggestions = _suggestions()
    confirm = confirm_row()
    k, show_alternatives = _reading_settings(settings, max_k)
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
        suggest_box,
        suggestions,
        confirm,
        clear,
        export,
        export_text,
        k,
        show_alternatives,
        gr.State([]),
        gr.State([]),
    )


def _conversation(settings: Settings, has_examples: bool) -> tuple[gr.Chatbot, gr.Textbox]:
    chat = gr.Chatbot(
        elem_id="qa-chat",
        label="Chat",
        show_label=False,
        # As tall as its messages, up to what leaves the question box on screen: the cap is
        # on its scrolling list (ui.assets), so Gradio's autoscroll follows the answers.
        height=None,
        min_height=150,
        placeholder=EXAMPLES_PLACEHOLDER if has_examples else PLACEHOLDER,
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
    return chat, box


def _examples(examples: Sequence[str], box: gr.Textbox) -> tuple[Any, gr.Column]:
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
    return shown, example_box


def _suggestions() -> tuple[gr.Column, list[gr.Button]]:
    with gr.Column(visible=False, elem_id="qa-suggest") as suggest_box:
        gr.Markdown("Suggested questions about your article:", elem_classes="qa-hint")
        with gr.Row(elem_classes="qa-suggest-row"):
            suggestions = [
                gr.Button("", visible=False, size="sm", variant="secondary", min_width=0)
                for _ in range(MAX_SUGGESTIONS)
            ]
    return suggest_box, suggestions


def _reading_settings(settings: Settings, max_k: int) -> tuple[gr.Slider, gr.Checkbox]:
    with gr.Accordion("Settings", open=False):
        k = gr.Slider(
            1, max_k, value=settings.k, step=1, precision=0, label="Passages retrieved (k)"
        )
        show_alternatives = gr.Checkbox(True, label="Show alternative answers")
    return k, show_alternatives


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
