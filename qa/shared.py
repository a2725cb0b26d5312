"""The process-wide pipelines: one per corpus and model choice, and a few over articles given
as text, each built once and shared by every caller (thread-safe)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from qa.documents import checksum
from qa.pipeline import Pipeline
from qa.settings import INDEX_FIELDS, Settings, validate_settings
from qa.types import Document

TEXT_PIPELINES = 8  # articles given as text kept indexed, most recent first

_pipelines: dict[tuple, Pipeline] = {}
_views: dict[tuple, Pipeline] = {}  # (key, settings) -> the shared pipeline with those defaults
_texts: OrderedDict[tuple, Pipeline] = OrderedDict()
_lock = threading.Lock()


def get_pipeline(
    settings: Settings | None = None,
    *,
    persist: bool = True,
    progress: bool = False,
    rebuild: bool = False,
) -> Pipeline:
    """A shared pipeline per corpus and model choice, built once (thread-safe), answering with
    ``settings``' per-call fields (k, thresholds, reader, ...) as its defaults.

    ``rebuild`` rebuilds the index even when a pipeline is cached (and replaces it).
    """
    settings = validate_settings(settings or Settings())
    key = (*(getattr(settings, name) for name in INDEX_FIELDS), persist)
    with _lock:
        if rebuild or key not in _pipelines:
            base = Settings(**{name: getattr(settings, name) for name in INDEX_FIELDS})
            _pipelines[key] = Pipeline.from_settings(
                base, persist=persist, progress=progress, rebuild=rebuild
            )
            for stale in [view for view in _views if view[0] == key]:
                del _views[stale]
        shared = _pipelines[key]
        if settings == shared.settings:
            return shared
        if (key, settings) not in _views:
            _views[(key, settings)] = shared.with_settings(settings)
        return _views[(key, settings)]


def text_pipeline(base: Pipeline, document: Document) -> Pipeline:
    """A pipeline over ``document`` (an article given as text) sharing ``base``'s models; the
    most recent few are kept, so asking about one article again does not re-embed it."""
    key = (id(base), checksum(document.text))
    with _lock:
        if key in _texts:
            _texts.move_to_end(key)
            return _texts[key]
    derived = base.with_documents([document])  # embedded outside the lock: other callers go on
    with _lock:
        _texts[key] = derived
        while len(_texts) > TEXT_PIPELINES:
            _texts.popitem(last=False)
    return derived
