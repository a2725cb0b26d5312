"""The chat UI on Gradio 6: ``qa serve``, or ``launch(build_app())`` from code.

Only wiring lives here; ``ui.render`` turns answers into HTML and can be tested without a
server. The one public endpoint is ``/answer``, which returns ``Answer.to_dict()``.
"""

# No `from __future__ import annotations` here: gr.api reads the endpoint's return annotation
# at run time to describe it, and a string would not do.

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from html import escape
from typing import Any, NamedTuple

import gradio as gr
from starlette.middleware import Middleware

from qa.options import settings_from_args
from qa.pipeline import get_pipeline
from qa.pool import PipelinePool
from qa.settings import Settings
from qa.types import Answer
from qa.validation import validate_question
from ui import render
from ui.assets import CSS, ON_LOAD_JS, SCROLL_TO_CITED_JS, THEME
from ui.guard import RequestGuard

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # loopback only; expose it deliberately with --host 0.0.0.0
DEFAULT_PORT = 7860
# Questions the seed article answers clearly (tests/test_ui.py checks that none abstains).
EXAMPLES = (
    "Who directs the Carnegie Russia Eurasia Center?",
    "How many points does Xi's peace blueprint have?",
    "Where is Raffaello Pantucci a senior fellow?",
    "Who founded the Center for China and Globalization?",
    "Where is the Centre for Russia Europe Asia Studies based?",
)
MAX_K = 20
# Each request holds one pipeline replica (qa.pool): its tokenizers are never shared between
# threads. One replica by default; `qa serve --workers 2` serves two at once (README: load).
MODEL_LANE = "qa-models"
MODEL_CONCURRENCY = 1
QUEUE_SIZE = 32  # waiting requests beyond this are refused with "queue full", not piled up

HEADER = (
    "## Ask the article\n"
    "Answers are quoted word for word from the article, with ¶ citations. "
    "Follow-up questions may refer to earlier ones. Click a ¶ to find it in the article."
)

# Secure defaults: no share tunnel, no server-side rendering (Node), the upload route closed
# and request bodies bounded (ui.guard), no run history kept in the browser, no monitoring or
# MCP endpoints.
LAUNCH_OPTIONS: dict[str, Any] = {
    "share": False,
    "ssr_mode": False,
    "max_file_size": "1mb",
    "show_error": False,
    "footer_links": ["api"],
    "run_history": False,
    "enable_monitoring": False,
    "mcp_server": False,
    "pwa": False,
    "theme": THEME,
    "css": CSS,
    "js": ON_LOAD_JS,
    "app_kwargs": {"middleware": [Middleware(RequestGuard)]},
}

ChatTurn = tuple[str, list[render.Message], list[str], Any]


def ask(
    question: str,
    history: Sequence[str],
    k: int,
    settings: Settings | None = None,
    pool: PipelinePool | None = None,
) -> Answer:
    """What ``qa.answer(question, history, k=k)`` returns, for the UI's corpus."""
    # History goes through as given: answer() rejects a bare string instead of splitting it.
    serving = pool if pool is not None else get_pipeline(settings)
    return serving.answer(question, history or None, k=k)


def respond(
    message: str,
    chat: list[render.Message] | None,
    history: list[str] | None,
    k: int = Settings.k,
    show_alternatives: bool = True,
    settings: Settings | None = None,
    pool: PipelinePool | None = None,
) -> ChatTurn:
    """One chat turn: (textbox, chat, history, article view). Never raises.

    ``history`` holds the questions answered so far, oldest first. A question that fails
    stays in the textbox to be fixed, the chat gets a friendly reply, and the article view
    is left as it is.
    """
    chat, history = list(chat or []), list(history or [])
    try:
        # Checked here too, so a blank question is answered before any model loads.
        question = validate_question(message, (settings or Settings()).max_question_chars)
        result = ask(question, history, int(k), settings, pool)
    except ValueError as err:  # bad input: the message says what to fix
        return message, [*chat, render.error_message(str(err))], history, gr.skip()
    except Exception:  # a bug or a broken index: log it, never show a traceback
        log.exception("answering %r failed", message)
        return message, [*chat, render.error_message(render.UNEXPECTED_ERROR)], history, gr.skip()
    turn = [render.user_message(question), *render.answer_messages(result, show_alternatives)]
    documents = (pool if pool is not None else get_pipeline(settings)).documents.values()
    return (
        "",
        chat + turn,
        [*history, question],
        render.article_html(documents, result.citations),
    )


class ChatPanel(NamedTuple):
    chat: gr.Chatbot
    box: gr.Textbox
    examples: gr.Examples
    clear: gr.Button
    k: gr.Slider
    show_alternatives: gr.Checkbox
    history: gr.State


def _chat_panel(settings: Settings) -> ChatPanel:
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
    examples = gr.Examples(
        [[q] for q in EXAMPLES],
        inputs=[box],
        label="Examples",
        elem_id="qa-examples",
        api_visibility="private",
    )
    with gr.Accordion("Settings", open=False):
        k = gr.Slider(
            1, MAX_K, value=settings.k, step=1, precision=0, label="Passages retrieved (k)"
        )
        show_alternatives = gr.Checkbox(True, label="Show alternative answers")
    clear = gr.Button("Clear chat", variant="secondary", size="sm")
    return ChatPanel(chat, box, examples, clear, k, show_alternatives, gr.State([]))


def _wire_chat(panel: ChatPanel, article: gr.HTML, settings: Settings, pool: PipelinePool) -> None:
    def on_ask(message: str, chat: list, history: list, k: int, show: bool) -> ChatTurn:
        return respond(message, chat, history, k, show, settings, pool)

    def on_clear() -> ChatTurn:
        return "", [], [], render.article_html(pool.documents.values())

    inputs = [panel.box, panel.chat, panel.history, panel.k, panel.show_alternatives]
    outputs = [panel.box, panel.chat, panel.history, article]
    lane = {"concurrency_id": MODEL_LANE, "concurrency_limit": pool.size}
    triggers = [panel.box.submit, panel.examples.load_input_event.then]
    for trigger in triggers:
        event = trigger(on_ask, inputs, outputs, api_visibility="private", **lane)
        event.then(None, js=SCROLL_TO_CITED_JS, api_visibility="private")
    # The chatbot's own trash icon clears the messages only; reset the history with them.
    for trigger in (panel.clear.click, panel.chat.clear):
        trigger(on_clear, None, outputs, api_visibility="private", queue=False)


def _register_api(settings: Settings, pool: PipelinePool) -> None:
    def answer(question: str, history: list[str] | None = None, k: int = Settings.k) -> dict:
        """Answer a question about the article. Returns qa.Answer.to_dict() as JSON.

        Args:
            question: the question, at most 2000 characters.
            history: earlier questions of the conversation, oldest first.
            k: how many passages to read (1 to 100).
        """
        try:
            return ask(question, history or [], k, settings, pool).to_dict()
        except ValueError as err:
            # Gradio renders an Error's message as HTML in the browser's modal.
            raise gr.Error(escape(str(err), quote=False), print_exception=False) from None

    gr.api(answer, api_name="answer", concurrency_id=MODEL_LANE, concurrency_limit=pool.size)


def build_app(settings: Settings | None = None, workers: int = MODEL_CONCURRENCY) -> gr.Blocks:
    """The UI over ``settings``' corpus (the seed article by default); models load now.

    ``workers`` pipelines serve that many requests at once (qa.pool).
    """
    settings = settings or Settings()
    pool = PipelinePool(settings, workers)  # load once, before any question
    documents = pool.documents.values()
    with gr.Blocks(title="Ask the article", analytics_enabled=False) as demo:
        gr.Markdown(HEADER)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                panel = _chat_panel(settings)
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Article")
                article = gr.HTML(
                    render.article_html(documents), elem_id="qa-article", js_on_load=None
                )
        _wire_chat(panel, article, settings, pool)
        _register_api(settings, pool)
    demo.queue(default_concurrency_limit=pool.size, max_size=QUEUE_SIZE)
    return demo


def launch(
    demo: gr.Blocks,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    block: bool = True,
    auth: tuple[str, str] | None = None,
) -> str:
    """Start the server with the secure defaults; returns its local URL.

    With ``block=False`` it returns at once (for tests); stop it with ``demo.close()``.
    """
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        auth=auth,
        **LAUNCH_OPTIONS,
    )
    return url


AUTH_ENV = "QA_AUTH"  # "user:password", the same as --auth


def is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


def serving_auth(host: str, auth: str | None, no_auth: bool) -> tuple[str, str] | None:
    """The login to require: none on loopback; elsewhere --auth / $QA_AUTH, or an explicit
    --no-auth (warned about). ValueError when a non-loopback host has neither."""
    auth = auth or os.environ.get(AUTH_ENV)
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("--auth must be user:password")
        return user, password
    if is_loopback(host) or no_auth:
        if not is_loopback(host):
            print(f"warning: serving on {host} without a login (--no-auth)", file=sys.stderr)
        return None
    raise ValueError(
        f"serving on {host} exposes the app to your network: pass --auth user:password "
        f"(or set {AUTH_ENV}), or --no-auth to serve without a login"
    )


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port nobody listens on right now, for tests and one-off servers."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_cli(args: argparse.Namespace) -> int:
    """``qa serve``: build the UI over the chosen corpus and serve until interrupted."""
    settings = settings_from_args(args)
    host = getattr(args, "host", DEFAULT_HOST)
    port = getattr(args, "port", DEFAULT_PORT)
    auth = serving_auth(host, getattr(args, "auth", None), getattr(args, "no_auth", False))
    print("Loading the index and models…", flush=True)
    demo = build_app(settings, getattr(args, "workers", MODEL_CONCURRENCY))
    try:
        launch(demo, host, port, auth=auth)
    except OSError as err:  # most often: the port is taken
        log.debug("launch failed: %s", err)
        print(
            f"error: cannot serve on {host}:{port} (in use?); pick another with --port",
            file=sys.stderr,
        )
        return 1
    return 0
