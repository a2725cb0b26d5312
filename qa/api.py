"""The public functions: ``answer()`` and ``search()`` over the shared pipelines.

The corpus pipeline comes from ``qa.shared.get_pipeline``; an article given as ``text``
gets a pipeline of its own that shares the corpus pipeline's models (``qa.shared`` keeps a
few, most recent first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any

from qa import shared
from qa.pipeline import Pipeline
from qa.settings import PER_CALL_FIELDS, Settings
from qa.types import Answer, Document, Passage


def _split_overrides(overrides: dict[str, Any]) -> Settings:
    names = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}; see qa.Settings")
    return Settings().replace(**overrides)


def answer(
    question: str,
    history: Sequence[str] | None = None,
    *,
    doc_ids: Collection[str] | None = None,
    text: str | None = None,
    url: str | None = None,
    **overrides: Any,
) -> Answer:
    """Answer ``question`` about the corpus (the seed article by default).

    ``history`` holds the earlier user questions, oldest first. ``doc_ids`` restricts the
    answer to some articles of the corpus; ``text`` answers about that article instead
    (pasted text; see ``qa.documents.extract`` for files and web pages), and ``url`` about
    the article at that link (fetched on each call; see ``qa.documents.fetch``). Keyword
    overrides are Settings fields, e.g. ``answer(q, k=3)`` or ``answer(q, corpus_dir="articles/")``.
    """
    pipeline = _pipeline_for(overrides, text, url)
    return pipeline.answer(question, history, doc_ids=doc_ids, **_per_call(overrides))


def search(
    question: str,
    k: int | None = None,
    *,
    doc_ids: Collection[str] | None = None,
    text: str | None = None,
    url: str | None = None,
    **overrides: Any,
) -> list[Passage]:
    """The k best passages for ``question``, each with its citation and stage scores."""
    pipeline = _pipeline_for(overrides, text, url)
    return pipeline.search(question, k, doc_ids=doc_ids, **_per_call(overrides))


def _pipeline_for(overrides: dict[str, Any], text: str | None, url: str | None) -> Pipeline:
    """The shared pipeline for these settings, or one over ``text`` (or the article at
    ``url``) sharing its models."""
    settings = _split_overrides(overrides)
    if text is not None and url is not None:
        raise ValueError("give either text or url, not both")
    document = _given_document(text, url, settings)  # before the models: a bad link fails fast
    base = shared.get_pipeline(settings)
    return base if document is None else shared.text_pipeline(base, document)


def _given_document(text: str | None, url: str | None, settings: Settings) -> Document | None:
    if url is not None:
        from qa.documents.fetch import document_from_url, fetch_policy

        if not isinstance(url, str) or not url.strip():
            raise ValueError("url must be a link (http:// or https://), not an empty value")
        return document_from_url(url, fetch_policy(settings))
    if text is None:
        return None
    from qa.documents.extract import document_from_text

    return document_from_text(text)


def _per_call(overrides: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in overrides.items() if k in PER_CALL_FIELDS}
