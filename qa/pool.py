"""Serving several requests at once: a pool of independent pipelines over one corpus.

A pipeline's tokenizers and spaCy parser are not shared between threads, so concurrency
comes from whole replicas: each has its own models and tokenizers and serves one request at
a time; the index is read from the same folder. With ``size`` 1 this is the shared pipeline
of ``get_pipeline``. Answers are the same whichever replica serves them (same models, same
data, no state kept between calls).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from qa.pipeline import Pipeline
from qa.settings import Settings
from qa.shared import get_pipeline
from qa.types import Answer, Passage


class PipelinePool:
    def __init__(self, settings: Settings | None = None, size: int = 1) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 16:
            raise ValueError(f"pool size must be a whole number from 1 to 16, not {size!r}")
        settings = settings or Settings()
        if size > 1 and settings.onnx_threads == 0:
            # N replicas each spinning every core's worth of threads would fight; one each.
            settings = settings.replace(onnx_threads=1)
        first = get_pipeline(settings)
        documents = list(first.documents.values())
        self.replicas = [first] + [Pipeline(documents, first.settings) for _ in range(size - 1)]
        self._free: queue.Queue[Pipeline] = queue.Queue()
        for replica in self.replicas:
            self._free.put(replica)

    @property
    def size(self) -> int:
        return len(self.replicas)

    @property
    def documents(self) -> dict:
        return self.replicas[0].documents

    @contextmanager
    def lease(self) -> Iterator[Pipeline]:
        """A free replica for the duration of one request (waits while all are busy)."""
        replica = self._free.get()
        try:
            yield replica
        finally:
            self._free.put(replica)

    def answer(
        self, question: str, history: Sequence[str] | None = None, **overrides: Any
    ) -> Answer:
        with self.lease() as replica:
            return replica.answer(question, history, **overrides)

    def search(self, question: str, k: int | None = None, **overrides: Any) -> list[Passage]:
        with self.lease() as replica:
            return replica.search(question, k, **overrides)
