"""The events of a user's own articles: add (paste, file, link), suggested questions, pick
one of the list, remove one, and back to the default article (after a confirmation).

Handlers return dicts of updates ({component: value}), so each says only what it changes.
"""

# No `from __future__ import annotations`: Gradio inspects the handlers' signatures.

import logging
import time
from typing import Any, NamedTuple

import gradio as gr

from qa.answering import escape_markdown, keep_answered, suggestions_for
from qa.documents import CorpusError
from qa.pool import PipelinePool
from qa.reading import using
from qa.types import Document
from ui import article_view
from ui.article_panel import ArticlePanel
from ui.articles import ArticleMaker
from ui.assets import FOCUS_QUESTION_JS
from ui.confirm import answered
from ui.endpoints import ARTICLE_LANE, client_of
from ui.panels import (
    ALL_ARTICLES,
    EXAMPLES_PLACEHOLDER,
    OWN_PLACEHOLDER,
    PLACEHOLDER,
    ChatPanel,
    article_choices,
)
from ui.session import ArticleGone, OwnArticle, SessionArticles, article_status

log = logging.getLogger(__name__)

TEXT, FILE, LINK = "text", "file", "link"
READ_FAILED = "Sorry, something went wrong while reading the article. Please try another."


class Page(NamedTuple):
    top: gr.HTML  # names the article in use
    chat: ChatPanel
    pane: ArticlePanel
    pool: PipelinePool
    articles: SessionArticles
    maker: ArticleMaker


def shelf_choices(docs: tuple[Document, ...]) -> list[tuple[str, str]]:
    """The list of a session's articles: "All N articles" first when there are several."""
    choices = article_choices(docs)
    return choices if len(docs) > 1 else [(choices[1][0], ALL_ARTICLES)]


def view(page: Page, docs, own: bool, focus: str | None = None) -> dict:
    """The updates that show ``docs`` as the articles answered about now."""
    pane, chat = page.pane, page.chat
    return {
        page.top: article_view.current_html(list(docs), own),
        pane.article: article_view.article_html(docs, (), focus),
        pane.shelf_box: gr.update(visible=own),
        pane.shelf: gr.update(choices=shelf_choices(docs) if own else [], value=ALL_ARTICLES),
        pane.remove: gr.update(visible=False),
        pane.picker: gr.update(visible=not own and len(docs) > 1, value=ALL_ARTICLES),
        pane.scope: ALL_ARTICLES,
        chat.example_box: gr.update(visible=not own and chat.examples is not None),
        chat.suggest_box: gr.update(visible=False),
    }


def fresh_chat(chat: ChatPanel, placeholder: str | None = None) -> dict:
    """An empty chat (with a new placeholder, when given) and no history."""
    emptied = (
        gr.update(value=[]) if placeholder is None else gr.update(value=[], placeholder=placeholder)
    )
    return {
        chat.chat: emptied,
        chat.history: [],
        chat.turns: [],
        chat.box: "",
    }


def own_of(articles: SessionArticles, request: gr.Request) -> OwnArticle | None:
    try:
        return articles.get(request.session_hash)
    except ArticleGone:  # dropped while idle: a new article starts a new list
        return None


def read(page: Page, kind: str, value: Any) -> Document:
    if kind == LINK:
        return page.maker.read_link(value)
    if kind == FILE:
        return page.maker.read("", value)
    return page.maker.read(value, None)


def adder(page: Page, kind: str):
    """The handler that adds the pasted text, the uploaded file or the link's article."""
    pane, articles = page.pane, page.articles

    # Gradio finds the progress tracker by its default value, so it stays in the signature.
    def on_add(value, request: gr.Request, progress=gr.Progress()):  # noqa: B008
        progress(None, desc="Reading the article…")  # a spinner: no made-up percentage
        started, client = time.perf_counter(), client_of(request)

        def on_batch(done: int, total: int) -> None:  # a real bar, one step a batch
            progress((done, total), desc="Indexing the article", unit="passages")

        try:
            articles.check_room(request.session_hash, client)
            own = page.maker.add(own_of(articles, request), read(page, kind, value), on_batch)
            articles.put(request.session_hash, own, client)
        except CorpusError as err:
            return {pane.status: f"⚠️ {err}", pane.upload: None, pane.added: None}
        except Exception:  # a bug: logged, and the page says so without a traceback
            log.exception("adding an article failed")
            return {pane.status: f"⚠️ {READ_FAILED}", pane.upload: None, pane.added: None}
        return added_view(page, own, kind, time.perf_counter() - started)

    return on_add


def added_view(page: Page, own: OwnArticle, kind: str, seconds: float) -> dict:
    pane = page.pane
    newest = own.docs[-1]
    updates = view(page, own.docs, True, newest.id)
    updates |= {pane.status: article_status(own, seconds), pane.upload: None, pane.added: newest.id}
    updates |= {pane.paste: ""} if kind == TEXT else {pane.link: ""} if kind == LINK else {}
    if len(own.docs) == 1:  # from the default article to one's own: a new conversation
        updates |= fresh_chat(page.chat, OWN_PLACEHOLDER)
    return updates


def suggester(page: Page):
    """Suggested questions for the article just added, each asked first (ui: ARTICLE_LANE,
    one answer lease at a time, so other users' questions go between them)."""
    chat = page.chat

    def on_suggest(added, request: gr.Request):
        own = own_of(page.articles, request)
        if not added or own is None or added not in own.documents:
            return {chat.suggest_box: gr.skip()}  # nothing was added: they stay as they are
        with using(own.parses):  # its parses are the session's, reused by the answers
            found = suggestions_for(own.documents[added])
        questions = keep_answered(found, lambda q: own.answer(q, doc_ids=[added]))
        updates: dict = {chat.suggest_box: gr.update(visible=bool(questions))}
        for index, button in enumerate(chat.suggestions):
            shown = index < len(questions)
            updates[button] = gr.update(value=questions[index] if shown else "", visible=shown)
        return updates

    return on_suggest


def wire_adding(page: Page) -> None:
    pane, chat = page.pane, page.chat
    outputs = [page.top, pane.status, pane.upload, pane.added, pane.paste, pane.link]
    outputs += list(view(page, (), False))
    outputs += [chat.chat, chat.history, chat.turns, chat.box]
    suggest_outputs = [chat.suggest_box, *chat.suggestions]
    for trigger, kind, source in (
        (pane.use_text.click, TEXT, pane.paste),
        (pane.paste.submit, TEXT, pane.paste),
        (pane.upload.upload, FILE, pane.upload),
        (pane.use_link.click, LINK, pane.link),
        (pane.link.submit, LINK, pane.link),
    ):
        event = trigger(
            adder(page, kind), [source], outputs, api_visibility="private", **ARTICLE_LANE
        )
        event = event.then(None, js=FOCUS_QUESTION_JS, api_visibility="private")
        event.then(
            suggester(page),
            [pane.added],
            suggest_outputs,
            api_visibility="private",
            **ARTICLE_LANE,
        )


def wire_list(page: Page) -> None:
    """Pick one article of the list (or all), remove one."""
    pane, articles = page.pane, page.articles

    def on_shelf(doc_id, request: gr.Request):
        own = own_of(articles, request)
        if own is None:
            return {pane.scope: gr.skip()}
        several = len(own.docs) > 1
        return {
            pane.scope: doc_id or ALL_ARTICLES,
            pane.remove: gr.update(visible=bool(doc_id) and several),
            pane.article: article_view.article_html(own.docs, (), doc_id or None),
        }

    def on_remove(doc_id, request: gr.Request):
        own = own_of(articles, request)
        if own is None or not doc_id or doc_id not in own.documents or len(own.docs) < 2:
            return {pane.status: gr.skip()}
        title = own.documents[doc_id].title
        kept = page.maker.remove(own, doc_id)
        articles.put(request.session_hash, kept, client_of(request))
        status = f"Removed **{escape_markdown(title[:120])}**; {len(kept.docs)} left."
        return view(page, kept.docs, True) | {pane.status: status}

    lane = {"api_visibility": "private", "queue": False}
    pane.shelf.input(on_shelf, [pane.shelf], [pane.scope, pane.remove, pane.article], **lane)
    outputs = [pane.status, *view(page, (), False)]
    pane.remove.click(on_remove, [pane.shelf], outputs, api_visibility="private", **ARTICLE_LANE)


def reset_view_outputs(page: Page) -> list:
    """Every component ``reset_view`` (and a cleared chat) may update."""
    chat = page.chat
    return [*view(page, (), False), chat.chat, chat.history, chat.turns, chat.box, page.pane.status]


def reset_view(page: Page, request: gr.Request) -> dict:
    """Back to the corpus: the session's articles dropped, a new chat."""
    page.articles.drop(request.session_hash)
    chat = page.chat
    placeholder = EXAMPLES_PLACEHOLDER if chat.examples is not None else PLACEHOLDER
    updates = view(page, tuple(page.pool.documents.values()), False)
    return updates | fresh_chat(chat, placeholder) | {page.pane.status: ""} | answered(chat.confirm)
