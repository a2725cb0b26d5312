"""A confirmation in the page before an action wipes the chat (clear, back to the default).

Shown in place (no browser dialog): a line saying what will be lost, "Yes" and "Cancel".
``pending`` holds the action asked for until it is confirmed; an empty chat needs no asking.
"""

# No `from __future__ import annotations`: kept like ui.app, which Gradio inspects at run time.

from typing import NamedTuple

import gradio as gr

CLEAR = "clear"
RESET = "reset"
QUESTIONS = {
    CLEAR: "Clear the chat? Its answers will be gone.",
    RESET: "Go back to the default article? Your articles and this chat will be gone.",
}


class Confirm(NamedTuple):
    row: gr.Row
    text: gr.Markdown
    yes: gr.Button
    cancel: gr.Button
    pending: gr.State  # CLEAR or RESET while asking, else ""


def confirm_row() -> Confirm:
    with gr.Row(visible=False, elem_id="qa-confirm", equal_height=True) as row:
        text = gr.Markdown("", elem_id="qa-confirm-text")
        yes = gr.Button("Yes", variant="stop", size="sm", elem_id="qa-confirm-yes", min_width=0)
        cancel = gr.Button("Cancel", size="sm", elem_id="qa-confirm-no", min_width=0)
    return Confirm(row, text, yes, cancel, gr.State(""))


def asking(confirm: Confirm, action: str) -> dict:
    """The updates that show the question for ``action``."""
    return {
        confirm.row: gr.update(visible=True),
        confirm.text: QUESTIONS[action],
        confirm.pending: action,
    }


def answered(confirm: Confirm) -> dict:
    """The updates that hide the question again."""
    return {confirm.row: gr.update(visible=False), confirm.pending: ""}
