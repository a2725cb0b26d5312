"""The chat UI on Gradio 6: ``qa serve``, or ``ui.serve.launch(build_app())`` from code.

Only wiring lives here: ``ui.render`` turns answers into HTML, ``ui.session`` holds each
session's own article, ``ui.panels`` lays out the controls. The public endpoints are
``/answer`` (``Answer.to_dict()``) and ``/conversation`` (a whole conversation as JSON).
"""

# No `from __future__ import annotations` here: gr.api reads the endpoint's return annotation
# at run time to describe it, and a string would not do.

import logging
import time
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from qa.answering import conversation_markdown
from qa.documents import CorpusError, PageReader
from qa.indexing import VectorStoreUnavailable
from qa.pool import PipelinePool
from qa.settings import Settings
from qa.shared import get_pipeline
from qa.types import Answer
from qa.validation import validate_question
from ui import render
from ui.assets import DOWNLOAD_JS, SCROLL_TO_CITED_JS
from ui.endpoints import (
    ARTICLE_LANE,
    MODEL_LANE,
    Serving,
    ask,
    client_of,
    register_api,
    serving_for,
)
from ui.indexer import index_in_turns
from ui.panels import ALL_ARTICLES, ArticlePanel, ChatPanel, article_panel, chat_panel
from ui.session import ArticleGone, OwnArticle, SessionArticles, article_status, make_article

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
MODEL_CONCURRENCY = 1
QUEUE_SIZE = 32  # waiting requests beyond this are refused with "queue full", not piled up

HEADER = (
    "## Ask the article\n"
    "Answers are quoted word for word from the article, with ¶ citations. "
    "Follow-up questions may refer to earlier ones. Click a ¶ to find it in the article, "
    "or bring your own article below it."
)

# (textbox, chat, questions so far, article view, answers so far)
ChatTurn = tuple[str, list[render.Message], list[str], Any, list[Answer]]


def respond(
    message: str,
    chat: list[render.Message] | None,
    history: list[str] | None,
    k: int = Settings.k,
    show_alternatives: bool = True,
    settings: Settings | None = None,
    pool: Serving | None = None,
    *,
    turns: list[Answer] | None = None,
    doc_id: str = ALL_ARTICLES,
) -> ChatTurn:
    """One chat turn: (textbox, chat, history, article view, answers). Never raises.

    ``history`` holds the questions answered so far, oldest first; ``turns`` their answers
    (for the export); ``doc_id`` limits the question to one article of the corpus. A
    question that fails stays in the textbox to be fixed, the chat gets a friendly reply,
    and the article view is left as it is.
    """
    chat, history, turns = list(chat or []), list(history or []), list(turns or [])
    doc_ids = [doc_id] if doc_id else None
    try:
        # Checked here too, so a blank question is answered before any model loads.
        question = validate_question(message, (settings or Settings()).max_question_chars)
        result = ask(question, history, int(k), settings, pool, doc_ids)
    except ValueError as err:  # bad input: the message says what to fix
        reply = [*chat, render.error_message(str(err))]
        return message, reply, history, gr.skip(), turns
    except VectorStoreUnavailable as err:  # Milvus down or slow: say so; asking again may work
        log.warning("answering %r failed: %s", message, err)
        reply = [*chat, render.error_message(str(err))]
        return message, reply, history, gr.skip(), turns
    except Exception:  # a bug or a broken index: log it, never show a traceback
        log.exception("answering %r failed", message)
        reply = [*chat, render.error_message(render.UNEXPECTED_ERROR)]
        return message, reply, history, gr.skip(), turns
    turn = [render.user_message(question), *render.answer_messages(result, show_alternatives)]
    documents = (pool if pool is not None else get_pipeline(settings)).documents.values()
    article = render.article_html(documents, result.citations, doc_id or None)
    return "", chat + turn, [*history, question], article, [*turns, result]


def _ask_handler(settings: Settings, pool: PipelinePool, articles: SessionArticles):
    """The chat's submit handler: the session's own article, else the corpus."""

    def on_ask(message, chat_value, history, k, show, turns, doc_id, request: gr.Request):
        try:
            serving = serving_for(pool, articles, request)
        except ArticleGone as err:  # never answered from the corpus unannounced
            reply = [*(chat_value or []), render.error_message(str(err))]
            return message, reply, history, gr.skip(), turns
        scope = doc_id if serving is pool else ALL_ARTICLES
        return respond(
            message, chat_value, history, k, show, settings, serving, turns=turns, doc_id=scope
        )

    return on_ask


def _wire_chat(
    chat: ChatPanel, pane: ArticlePanel, settings: Settings, pool: PipelinePool, articles
) -> None:
    on_ask = _ask_handler(settings, pool, articles)

    def on_clear(doc_id: str, request: gr.Request):
        documents = _documents_for(pool, articles, request)
        return "", [], [], render.article_html(documents, (), doc_id or None), []

    inputs = [chat.box, chat.chat, chat.history, chat.k, chat.show_alternatives, chat.turns]
    inputs.append(pane.picker)
    outputs = [chat.box, chat.chat, chat.history, pane.article, chat.turns]
    lane = {"concurrency_id": MODEL_LANE, "concurrency_limit": pool.size}
    triggers = [chat.box.submit]
    if chat.examples is not None:
        triggers.append(chat.examples.load_input_event.then)
    for trigger in triggers:
        event = trigger(on_ask, inputs, outputs, api_visibility="private", **lane)
        event.then(None, js=SCROLL_TO_CITED_JS, api_visibility="private")
    # The chatbot's own trash icon clears the messages only; reset the history with them.
    for trigger in (chat.clear.click, chat.chat.clear):
        trigger(on_clear, [pane.picker], outputs, api_visibility="private", queue=False)

    def on_pick(doc_id: str, request: gr.Request):  # show the chosen article; keep the chat
        documents = _documents_for(pool, articles, request)
        return render.article_html(documents, (), doc_id or None)

    pane.picker.change(
        on_pick, [pane.picker], [pane.article], api_visibility="private", queue=False
    )
    chat.export.click(
        lambda turns: conversation_markdown(turns),
        [chat.turns],
        [chat.export_text],
        api_visibility="private",
        queue=False,
    ).then(None, [chat.export_text], None, js=DOWNLOAD_JS, api_visibility="private")


def _documents_for(pool: PipelinePool, articles: SessionArticles, request: gr.Request):
    try:
        return serving_for(pool, articles, request).documents.values()
    except ArticleGone:  # dropped: the corpus is what the next question will be told about
        return pool.documents.values()


def _wire_own_article(
    chat: ChatPanel, pane: ArticlePanel, pool: PipelinePool, articles: SessionArticles, make
) -> None:
    # Gradio finds the progress tracker by its default value, so the call stays in the signature.
    def on_load(text: str, upload: str | None, request: gr.Request, progress=gr.Progress()):  # noqa: B008
        progress(0.1, desc="Reading the article")
        started = time.perf_counter()
        client = client_of(request)
        try:
            articles.check_room(request.session_hash, client)
            article = make(text, upload, "")
            articles.put(request.session_hash, article, client)
        except CorpusError as err:
            return (f"⚠️ {err}", gr.skip(), None, *([gr.skip()] * 6))
        status = article_status(article, time.perf_counter() - started)
        view = render.article_html(article.documents.values())
        hide = gr.update(visible=False)
        return status, view, None, hide, hide, "", [], [], []

    def on_reset(request: gr.Request):
        articles.drop(request.session_hash)
        view = render.article_html(pool.documents.values())
        picker = gr.update(visible=len(pool.documents) > 1)
        examples = gr.update(visible=chat.examples is not None)
        return "", view, None, picker, examples, "", [], [], []

    outputs = [pane.status, pane.article, pane.upload, pane.picker, chat.example_box]
    outputs += [chat.box, chat.chat, chat.history, chat.turns]
    inputs = [pane.paste, pane.upload]
    for trigger in (pane.use_text.click, pane.upload.upload):
        trigger(on_load, inputs, outputs, api_visibility="private", **ARTICLE_LANE)
    pane.reset.click(on_reset, None, outputs, api_visibility="private", queue=False)


def article_maker(pool: PipelinePool):
    """``make(text, upload, name)``: an own article, its page read in a child process with a
    deadline (qa.documents.page_worker) and indexed in turns with the answers (ui.indexer),
    the whole within ``PAGE_SECONDS``."""
    reader = PageReader()
    reader.start()  # the child imports the extractor now, not on the first page

    def make(text: str, upload: str | None, name: str) -> OwnArticle:
        started = time.monotonic()
        index = partial(index_in_turns, pool, started=started)
        return make_article(pool, text, upload, name, read_page=reader.document, index=index)

    return make


def examples_for(settings: Settings) -> tuple[str, ...]:
    """The example questions: they are about the seed article, so only for that corpus."""
    default = Path(Settings().corpus_dir).resolve()
    return EXAMPLES if Path(settings.corpus_dir).resolve() == default else ()


def build_app(settings: Settings | None = None, workers: int = MODEL_CONCURRENCY) -> gr.Blocks:
    """The UI over ``settings``' corpus (the seed article by default); models load now.

    ``workers`` pipelines serve that many requests at once (qa.pool).
    """
    settings = settings or Settings()
    pool = PipelinePool(settings, workers)  # load once, before any question
    articles = SessionArticles()
    make = article_maker(pool)
    # Cached files (uploads) older than 5 minutes are deleted every minute: an upload is read
    # at once, so only a stray one (never handed to us) lingers; the guard bounds them (M6).
    blocks = {"title": "Ask the article", "analytics_enabled": False, "delete_cache": (60, 300)}
    with gr.Blocks(**blocks) as demo:
        gr.Markdown(HEADER)
        with gr.Row(equal_height=False, elem_id="qa-layout"):
            with gr.Column(scale=3, min_width=320):
                chat = chat_panel(settings, examples_for(settings), MAX_K)
            with gr.Column(scale=2, min_width=320):
                pane = article_panel(pool.documents.values())
        _wire_chat(chat, pane, settings, pool, articles)
        _wire_own_article(chat, pane, pool, articles, make)
        register_api(settings, pool, articles, make)

        def forget(request: gr.Request) -> None:  # the tab closed: its article goes too
            articles.drop(request.session_hash)

        demo.unload(forget)
    demo.queue(default_concurrency_limit=pool.size, max_size=QUEUE_SIZE)
    return demo
