"""The public API endpoints: /answer, /conversation and /use_article (gradio_client, curl)."""

# No `from __future__ import annotations`: gr.api reads the endpoints' annotations at run time.

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from html import escape

import gradio as gr

from qa.answering import conversation_json
from qa.indexing import VectorStoreUnavailable
from qa.pool import PipelinePool
from qa.settings import Settings
from qa.shared import get_pipeline
from qa.types import Answer
from ui.session import OwnArticle, SessionArticles, make_article

# Each request holds one pipeline replica (qa.pool): its tokenizers are never shared between
# threads, so every model-bound event and endpoint shares this concurrency lane.
MODEL_LANE = "qa-models"
Serving = PipelinePool | OwnArticle


def ask(
    question: str,
    history: Sequence[str],
    k: int,
    settings: Settings | None = None,
    pool: Serving | None = None,
    doc_ids: Sequence[str] | None = None,
) -> Answer:
    """What ``qa.answer(question, history, k=k, doc_ids=doc_ids)`` returns, for the UI's
    corpus (or a session's own article, when ``pool`` is one)."""
    # History goes through as given: answer() rejects a bare string instead of splitting it.
    serving = pool if pool is not None else get_pipeline(settings)
    return serving.answer(question, history or None, k=k, doc_ids=doc_ids)


def serving_for(
    pool: PipelinePool, articles: SessionArticles, request: gr.Request | None
) -> Serving:
    """The session's own article if it gave one, else the corpus."""
    own = articles.get(request.session_hash if request else None)
    return own if own is not None else pool


def register_api(settings: Settings, pool: PipelinePool, articles: SessionArticles) -> None:
    def answer(
        question: str,
        history: list[str] | None = None,
        k: int = Settings.k,
        request: gr.Request = None,
    ) -> dict:
        """Answer a question about the article (this session's own, if /use_article gave one).
        Returns qa.Answer.to_dict() as JSON.

        Args:
            question: the question, at most 2000 characters.
            history: earlier questions of the conversation, oldest first.
            k: how many passages to read (1 to 100).
        """
        serving = serving_for(pool, articles, request)
        with _api_errors():
            return ask(question, history or [], k, settings, serving).to_dict()

    def conversation(questions: list[str], k: int = Settings.k, request: gr.Request = None) -> dict:
        """Ask questions in turn, each a follow-up of the ones before, and return the whole
        conversation as JSON: the same content as the UI's Markdown export.

        Args:
            questions: the questions, oldest first (at most 20).
            k: how many passages to read (1 to 100).
        """
        serving = serving_for(pool, articles, request)
        with _api_errors():
            return conversation_json(converse(questions, k, settings, serving))

    def use_article(text: str, name: str = "", request: gr.Request = None) -> dict:
        """Give this session its own article; /answer and /conversation then answer about it.

        Args:
            text: the article's text, or a saved web page's HTML when name ends in .html.
            name: a name for it, e.g. "page.html" (optional).
        """
        with _api_errors():
            article = make_article(pool, text, None, name)
        articles.put(request.session_hash, article)
        document = article.docs[0]
        return {
            "doc_id": document.id,
            "title": document.title,
            "paragraphs": len(document.paragraphs),
        }

    lane = {"concurrency_id": MODEL_LANE, "concurrency_limit": pool.size}
    for endpoint in (answer, conversation, use_article):
        gr.api(endpoint, api_name=endpoint.__name__, **lane)


@contextmanager
def _api_errors() -> Iterator[None]:
    """Bad input becomes an error message for the caller (escaped: Gradio shows it as HTML)."""
    try:
        yield
    except (ValueError, VectorStoreUnavailable) as err:  # CorpusError included; Milvus down
        raise gr.Error(escape(str(err), quote=False), print_exception=False) from None


MAX_CONVERSATION = 20  # questions per /conversation call; bounds one caller's work


def converse(
    questions: Sequence[str], k: int, settings: Settings | None, pool: Serving | None
) -> list[Answer]:
    """Each question answered with the earlier ones as its history."""
    if isinstance(questions, str) or not isinstance(questions, Sequence) or not questions:
        raise ValueError("questions must be a non-empty list of questions, oldest first")
    if len(questions) > MAX_CONVERSATION:
        raise ValueError(f"at most {MAX_CONVERSATION} questions per conversation")
    turns: list[Answer] = []
    for number, question in enumerate(questions):
        turns.append(ask(question, list(questions[:number]), k, settings, pool))
    return turns
