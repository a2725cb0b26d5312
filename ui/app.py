"""The chat UI on Gradio 6: ``qa serve``, or ``ui.serve.launch(build_app())`` from code.

Only the chat's wiring lives here: ``ui.render`` turns answers into HTML, ``ui.session``
holds each session's own articles (``ui.articles`` reads and lists them, ``ui.own_events``
wires them), ``ui.panels`` and ``ui.article_panel`` lay out the controls. The public endpoints are
``/answer`` (``Answer.to_dict()``) and ``/conversation`` (a whole conversation as JSON).
"""

# No `from __future__ import annotations` here: gr.api reads the endpoint's return annotation
# at run time to describe it, and a string would not do.

import logging
import time
from pathlib import Path
from typing import Any

import gradio as gr

from qa.answering import conversation_markdown, suggestions_for
from qa.indexing import VectorStoreUnavailable
from qa.pool import PipelinePool
from qa.settings import Settings
from qa.shared import get_pipeline
from qa.types import Answer
from qa.validation import validate_question
from ui import article_view, render
from ui.article_panel import article_panel
from ui.articles import ArticleMaker
from ui.assets import DOWNLOAD_JS, SCROLL_TO_CITED_JS
from ui.confirm import CLEAR, RESET, answered, asking
from ui.endpoints import MODEL_LANE, Serving, ask, register_api, serving_for
from ui.own_events import Page, fresh_chat, reset_view, reset_view_outputs, wire_adding, wire_list
from ui.panels import ALL_ARTICLES, chat_panel
from ui.session import ArticleGone, SessionArticles

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
    "Answers are quoted word for word from the article, with ¶ citations. Bring your own "
    "article (paste it, drop a file or give a link, on the right), then ask; follow-up "
    "questions may refer to earlier ones."
)
WARM_UP_QUESTION = "Who is it about?"

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

    ``history`` holds the questions answered so far, oldest first; ``turns`` their answers,
    which the pipeline is given as the history (so it does not answer them again) when
    there is one for every question; ``doc_id`` limits the question to one article. A
    question that fails stays in the textbox to be fixed, the chat gets a friendly reply,
    and the article view is left as it is.
    """
    chat, history, turns = list(chat or []), list(history or []), list(turns or [])
    doc_ids = [doc_id] if doc_id else None
    earlier: list[str | Answer] = list(turns) if len(turns) == len(history) else list(history)
    try:
        # Checked here too, so a blank question is answered before any model loads.
        question = validate_question(message, (settings or Settings()).max_question_chars)
        result = ask(question, earlier, int(k), settings, pool, doc_ids)
    except ValueError as err:  # bad input: the message says what to fix
        return _unanswered(message, chat, history, turns, str(err))
    except VectorStoreUnavailable as err:  # Milvus down or slow: say so; asking again may work
        log.warning("answering %r failed: %s", message, err)
        return _unanswered(message, chat, history, turns, str(err))
    except Exception:  # a bug or a broken index: log it, never show a traceback
        log.exception("answering %r failed", message)
        return _unanswered(message, chat, history, turns, render.UNEXPECTED_ERROR)
    turn = [render.user_message(question), *render.answer_messages(result, show_alternatives)]
    documents = (pool if pool is not None else get_pipeline(settings)).documents.values()
    article = article_view.article_html(documents, result.citations, doc_id or None)
    return "", chat + turn, [*history, question], article, [*turns, result]


def _unanswered(
    message: str, chat: list, history: list[str], turns: list[Answer], why: str
) -> ChatTurn:
    """The question left in the textbox, the reason in the chat, the article view as it is."""
    return message, [*chat, render.error_message(why)], history, gr.skip(), turns


def without_pending(chat: list[render.Message] | None) -> list[render.Message]:
    """The chat without the question and "Reading…" that ``show_question`` put there."""
    chat = list(chat or [])
    if chat and render.PENDING in str(chat[-1].get("content")):  # a str, or Gradio's parts
        return chat[:-2]
    return chat


def show_question(message: str, chat: list[render.Message] | None):
    """The question in the chat at once, with "Reading the article…" until it is answered;
    (textbox, chat, the question to answer). A blank one goes straight to its message."""
    if not isinstance(message, str) or not message.strip():
        return gr.skip(), gr.skip(), message
    shown = [*(chat or []), render.user_message(message), render.pending_message()]
    return "", shown, message


def _ask_handler(settings: Settings, pool: PipelinePool, articles: SessionArticles):
    """The chat's submit handler: the session's own articles, else the corpus."""

    def on_ask(message, chat_value, history, k, show, turns, doc_id, request: gr.Request):
        chat_value = without_pending(chat_value)
        try:
            serving = serving_for(pool, articles, request)
        except ArticleGone as err:  # never answered from the corpus unannounced
            reply = [*chat_value, render.error_message(str(err))]
            return message, reply, history, gr.skip(), turns
        known = serving.documents
        scope = doc_id if doc_id in known else ALL_ARTICLES
        return respond(
            message, chat_value, history, k, show, settings, serving, turns=turns, doc_id=scope
        )

    return on_ask


def _wire_chat(page: Page, settings: Settings) -> None:
    chat, pane = page.chat, page.pane
    on_ask = _ask_handler(settings, page.pool, page.articles)
    asked = gr.State("")
    inputs = [asked, chat.chat, chat.history, chat.k, chat.show_alternatives, chat.turns]
    inputs.append(pane.scope)
    outputs = [chat.box, chat.chat, chat.history, pane.article, chat.turns]
    lane = {"concurrency_id": MODEL_LANE, "concurrency_limit": page.pool.size}
    private = {"api_visibility": "private"}
    sources = [(chat.box.submit, chat.box)]
    if chat.examples is not None:
        sources.append((chat.examples.load_input_event.then, chat.box))
    sources += [(button.click, button) for button in chat.suggestions]
    for trigger, source in sources:
        shown = trigger(
            show_question, [source, chat.chat], [chat.box, chat.chat, asked], queue=False, **private
        )
        event = shown.then(on_ask, inputs, outputs, **private, **lane)
        event.then(None, js=SCROLL_TO_CITED_JS, **private)
    _wire_wipes(page)

    def on_pick(doc_id: str, request: gr.Request):  # show the chosen article; keep the chat
        documents = _documents_for(page.pool, page.articles, request)
        return article_view.article_html(documents, (), doc_id or None), doc_id or ALL_ARTICLES

    pane.picker.change(on_pick, [pane.picker], [pane.article, pane.scope], queue=False, **private)
    chat.export.click(
        lambda turns: conversation_markdown(turns),
        [chat.turns],
        [chat.export_text],
        queue=False,
        **private,
    ).then(None, [chat.export_text], None, js=DOWNLOAD_JS, **private)


def _wire_wipes(page: Page) -> None:
    """Clear and back-to-the-default: asked for confirmation first when the chat has turns."""
    chat, pane, confirm = page.chat, page.pane, page.chat.confirm

    def cleared(scope: str, request: gr.Request) -> dict:
        documents = _documents_for(page.pool, page.articles, request)
        view = article_view.article_html(documents, (), scope or None)
        return fresh_chat(chat) | {pane.article: view} | answered(confirm)

    def on_clear(chat_value, scope, request: gr.Request):
        return asking(confirm, CLEAR) if chat_value else cleared(scope, request)

    def on_reset(chat_value, request: gr.Request):
        return asking(confirm, RESET) if chat_value else reset_view(page, request)

    def on_yes(pending, scope, request: gr.Request):
        if pending == RESET:
            return reset_view(page, request)
        return cleared(scope, request) if pending == CLEAR else answered(confirm)

    outputs = [*reset_view_outputs(page), confirm.row, confirm.text, confirm.pending]
    private = {"api_visibility": "private", "queue": False}
    chat.clear.click(on_clear, [chat.chat, pane.scope], outputs, **private)
    pane.reset.click(on_reset, [chat.chat], outputs, **private)
    confirm.yes.click(on_yes, [confirm.pending, pane.scope], outputs, **private)
    confirm.cancel.click(lambda: answered(confirm), None, outputs, **private)
    # Its trash icon is hidden (ui.assets); should it be used, the history goes with the chat.
    chat.chat.clear(lambda: fresh_chat(chat), None, outputs, **private)


def _documents_for(pool: PipelinePool, articles: SessionArticles, request: gr.Request):
    try:
        return serving_for(pool, articles, request).documents.values()
    except ArticleGone:  # dropped: the corpus is what the next question will be told about
        return pool.documents.values()


def examples_for(settings: Settings) -> tuple[str, ...]:
    """The example questions: they are about the seed article, so only for that corpus."""
    default = Path(Settings().corpus_dir).resolve()
    return EXAMPLES if Path(settings.corpus_dir).resolve() == default else ()


def warm_up(pool: PipelinePool) -> None:
    """Every model used once now, at launch, so the first user's answer is as quick as the
    rest: each replica answers a question (embedder, reranker, reader), and spaCy loads for
    the follow-up rules and the suggested questions."""
    started = time.perf_counter()
    documents = list(pool.documents.values())
    for replica in pool.replicas:
        replica.answer(WARM_UP_QUESTION, [WARM_UP_QUESTION])
    if documents:
        suggestions_for(documents[0])
    log.info("models warmed up in %.1f s", time.perf_counter() - started)


def build_app(settings: Settings | None = None, workers: int = MODEL_CONCURRENCY) -> gr.Blocks:
    """The UI over ``settings``' corpus (the seed article by default); models load and are
    warmed up now, before the first question.

    ``workers`` pipelines serve that many requests at once (qa.pool).
    """
    settings = settings or Settings()
    pool = PipelinePool(settings, workers)  # load once, before any question
    warm_up(pool)
    articles = SessionArticles()
    maker = ArticleMaker(pool, settings)
    # Cached files (uploads) older than 5 minutes are deleted every minute: an upload is read
    # at once, so only a stray one (never handed to us) lingers; the guard bounds them (M6).
    blocks = {"title": "Ask the article", "analytics_enabled": False, "delete_cache": (60, 300)}
    documents = list(pool.documents.values())
    with gr.Blocks(**blocks) as demo:
        gr.Markdown(HEADER, elem_id="qa-header")
        top = gr.HTML(article_view.current_html(documents, False), elem_id="qa-top")
        with gr.Row(equal_height=False, elem_id="qa-layout"):
            with gr.Column(scale=3, min_width=320):
                status = gr.Markdown("", elem_id="qa-status")  # beside the chat, in view
                chat = chat_panel(settings, examples_for(settings), MAX_K)
            with gr.Column(scale=2, min_width=320):
                pane = article_panel(documents, status)
        page = Page(top, chat, pane, pool, articles, maker)
        _wire_chat(page, settings)
        wire_adding(page)
        wire_list(page)
        register_api(settings, pool, articles, maker.make)

        def forget(request: gr.Request) -> None:  # the tab closed: its articles go too
            articles.drop(request.session_hash)

        demo.unload(forget)
    demo.queue(default_concurrency_limit=pool.size, max_size=QUEUE_SIZE)
    return demo
