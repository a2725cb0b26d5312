"""Extractive question answering over news articles, with paragraph citations.

>>> from qa import answer
>>> print(answer("Who directs the Carnegie Russia Eurasia Center?"))
Alexander Gabuev [¶10]
"""

from qa.model_files import go_offline

go_offline()  # before any Hugging Face import: no hub calls, no telemetry

from qa.api import answer, search  # noqa: E402
from qa.pipeline import Pipeline  # noqa: E402
from qa.pool import PipelinePool  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.shared import get_pipeline  # noqa: E402
from qa.types import Alternative, Answer, Chunk, Citation, Document, Paragraph, Passage  # noqa: E402

__all__ = [
    "Alternative",
    "Answer",
    "Chunk",
    "Citation",
    "Document",
    "Paragraph",
    "Passage",
    "Pipeline",
    "PipelinePool",
    "Settings",
    "answer",
    "get_pipeline",
    "search",
]
