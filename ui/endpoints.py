"""The public API endpoints: /answer, /conversation and /use_article (gradio_client, curl)."""

# No `from __future__ import annotations`: gr.api reads the endpoints' annotations at run time.

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from html import escape

import gradio as gr

from qa.answering import conversation_json
from qa.indexing import VectorStoreUnavailable
from qa.pool import PipelinePool
from qa.settings import Settings
from qa.shared import get_pipeline
from qa.types import Answer
from ui.session import OwnArticle, SessionArticles

# Each request holds one pipeline replica (qa.pool): its tokenizers are never shared between
# threads, so every model-bound event and endpoint shares this concurrency lane.
MODEL_LANE = "qa-models"
# Reading and indexing an own article runs in a lane of its own, one at a time: the page is
# read in a child process, and the embedder is leased a small batch at a time (ui.indexer),
# so a long article never holds the answers' lane (issue 16, C1).
ARTICLE_LANE = {"concurrency_id": "qa-articles", "concurrency_limit": 1}
# A conversation asks its questions one lease at a time, in a lane of its own: 20 long
# questions with k=100 once held the answers' lane for 42 s (issue 16, M4).
CONVERSATION_LANE = {"concurrency_id": "qa-conversations", "concurrency_limit": 1}
Serving = PipelinePool | OwnArticle
MakeArticle = Callable[[str, str | None, str], OwnArticle]


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
    """The session's own article if it gave one, else the corpus; ArticleGone (a ValueError)
    when its article was dropped, rather than silently answering from the corpus."""
    own = articles.get(request.session_hash if request else None)
    return own if own is not None else pool


def client_of(request: gr.Request | None) -> str:
    """The caller's address, for the per-client limit on own articles."""
    client = getattr(request, "client", None)
    return getattr(client, "host", "") or ""


def register_api(
    settings: Settings, pool: PipelinePool, articles: SessionArticles, make: MakeArticle
) -> None:
    """/answer, /conversation and /use_article, each in its concurrency lane."""
    lane = {"concurrency_id": MODEL_LANE, "concurrency_limit": pool.size}
    gr.api(_answer_endpoint(settings, pool, articles), api_name="answer", **lane)
    gr.api(
        _conversation_endpoint(settings, pool, articles),
        api_name="conversation",
        **CONVERSATION_LANE,
    )
    gr.api(_article_endpoint(articles, make), api_name="use_article", **ARTICLE_LANE)


# Gradio documents each endpoint from its function's signature and docstring.
def _answer_endpoint(settings: Settings, pool: PipelinePool, articles: SessionArticles):
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
        with _api_errors():
            serving = serving_for(pool, articles, request)
            return ask(question, history or [], k, settings, serving).to_dict()

    return answer


def _conversation_endpoint(settings: Settings, pool: PipelinePool, articles: SessionArticles):
    def conversation(questions: list[str], k: int = Settings.k, request: gr.Request = None) -> dict:
        """Ask questions in turn, each a follow-up of the ones before, and return the whole
        conversation as JSON: the same content as the UI's Markdown export.

        Args:
            questions: the questions, oldest first (at most 20).
            k: how many passages to read (1 to 100).
        """
        with _api_errors():
            serving = serving_for(pool, articles, request)
            return conversation_json(converse(questions, k, settings, serving))

    return conversation


def _article_endpoint(articles: SessionArticles, make: MakeArticle):
    def use_article(text: str, name: str = "", request: gr.Request = None) -> dict:
        """Give this session its own article; /answer and /conversation then answer about it.

        Args:
            text: the article's text, or a saved web page's HTML when name ends in .html.
            name: a name for it, e.g. "page.html" (optional).
        """
        with _api_errors():
            articles.check_room(request.session_hash, client_of(request))  # before the work
            article = make(text, None, name)
            articles.put(request.session_hash, article, client_of(request))
        document = article.docs[0]
        return {
            "doc_id": document.id,
            "title": document.title,
            "paragraphs": len(document.paragraphs),
        }

    return use_article


@contextmanager
def _api_errors() -> Iterator[None]:
    """Bad input becomes an error message for the caller (escaped: Gradio shows it as HTML)."""
    try:
        yield
    except (ValueError, VectorStoreUnavailable) as err:  # CorpusError included; Milvus down
        raise gr.Error(escape(str(err), quote=False), print_exception=False) from None


MAX_CONVERSATION = 20  # questions per /conversation call; bounds one caller's work
MAX_CONVERSATION_PASSAGES = 200  # questions x k: 20 questions at k=10, or 2 at k=100
YIELD_SECONDS = 0.005  # between questions: a waiting user's question takes the replica first


def converse(
    questions: Sequence[str], k: int, settings: Settings | None, pool: Serving | None
) -> list[Answer]:
    """Each question answered with the earlier ones as its history."""
    if isinstance(questions, str) or not isinstance(questions, Sequence) or not questions:
        raise ValueError("questions must be a non-empty list of questions, oldest first")
    if len(questions) > MAX_CONVERSATION:
        raise ValueError(f"at most {MAX_CONVERSATION} questions per conversation")
    if isinstance(k, int) and len(questions) * k > MAX_CONVERSATION_PASSAGES:
        raise ValueError(
            f"{len(questions)} questions with k={k} read {len(questions) * k} passages; "
            f"the limit is {MAX_CONVERSATION_PASSAGES} (ask fewer questions or lower k)"
        )
    turns: list[Answer] = []
    for number, question in enumerate(questions):
        turns.append(ask(question, list(questions[:number]), k, settings, pool))
        time.sleep(YIELD_SECONDS)  # each question leased a replica; let others have it now
    return turns
