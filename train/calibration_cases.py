"""The cases the reader's confidence is fitted on: held-out questions of every training source,
asked through the real pipeline (retrieve, then read, in the mode given), with three kinds of
negatives.

Sources (``train.data.splits``' dev side, never trained on): SQuAD dev articles 22-24, the held-out
NYT and new-Wikipedia articles, and held-out slices of Natural Questions, Reddit, Amazon, Quoref
and Disfl-QA (whose real, human-written unanswerable questions are one kind of negative). Each
article is indexed alone, as a user's article is; the kinds:

- ``positive``: the question asked of its article;
- ``on-topic``: the same question with its answer's paragraph hidden (on topic, does not say);
- ``cross-article``: the question asked of another article of the same source;
- ``unanswerable``: a Disfl-QA question written to have no answer in its article.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.bundle import search_depth
from qa.documents import BLANK_LINE, make_document
from qa.pipeline import Pipeline
from qa.settings import Settings
from qa.types import Document, Passage
from train.data import Example, splits

# NQ's and Reddit's held-out passages come as one "article" of hundreds of unrelated ones;
# past this many paragraphs each passage is its own article, as a reader would bring it.
MAX_PARAGRAPHS = 80
KINDS = ("positive", "on-topic", "cross-article", "unanswerable")
SOURCES = ("squad", "nyt", "new_wiki", "nq", "reddit", "amazon", "quoref", "disfl")


@dataclass(frozen=True)
class Case:
    source: str
    kind: str  # "positive", "on-topic", "cross-article" or "unanswerable"
    golds: list[str]
    candidates: list[tuple[str, dict[str, float]]]


@dataclass(frozen=True)
class Article:
    document: Document
    questions: list[tuple[Example, int]]  # each with its gold paragraph's number (0: none)


def articles_of(examples: Sequence[Example], source: str) -> list[Article]:
    """The source's held-out examples grouped into articles, ¶N its N-th distinct context."""
    grouped: dict[int | str, list[Example]] = {}
    for ex in examples:
        grouped.setdefault(ex.article, []).append(ex)
    for number in [n for n, g in grouped.items() if len({ex.context for ex in g}) > MAX_PARAGRAPHS]:
        for ex in grouped.pop(number):  # unrelated passages filed as one "article" (NQ, Reddit)
            grouped.setdefault(f"{number}.{ex.context[:40]}", []).append(ex)
    out = []
    for number, group in grouped.items():
        contexts = list(dict.fromkeys(ex.context for ex in group))
        cleaned = [BLANK_LINE.sub("\n", c.replace("\r", " ")).strip() for c in contexts]
        document = make_document(f"{source} article {number}", "\n\n".join(cleaned))
        if len(document.paragraphs) != len(contexts):  # a context that is not one paragraph
            continue
        where = {c: i + 1 for i, c in enumerate(contexts)}
        questions = [(ex, where[ex.context] if ex.start >= 0 else 0) for ex in group]
        out.append(Article(document, questions))
    return out


class CaseReader:
    """Asks one question of one article through ``base``'s models, in ``base``'s mode."""

    def __init__(self, base: Pipeline) -> None:
        self.base = base
        self.reader = base.reader()
        self.depth = search_depth(base.settings)  # as Pipeline.answer retrieves

    def over(self, article: Article) -> Pipeline:
        return self.base.with_documents([article.document])

    def candidates(
        self, pipeline: Pipeline, question: str, hidden: int = 0
    ) -> list[tuple[str, dict[str, float]]]:
        """The reader's candidates, best first; ``hidden``: a paragraph it must not see."""
        # With a paragraph hidden, every passage that may take its place is reranked too (no
        # early exit either), so no passage score on the fused scale stands among the
        # cross-encoder's.
        more = 3 if hidden else 0
        exit_off = {"rerank_exit_score": math.inf} if hidden else {}
        found = pipeline.search(
            question, self.depth + more, rerank_depth=self.depth + more, **exit_off
        )
        passages: list[Passage] = [p for p in found if p.chunk.paragraph != hidden][: self.depth]
        return [(c.text, dict(c.features or {})) for c in self.reader.read(question, passages)]


def cases_of(
    source: str, articles: list[Article], reader: CaseReader, limit: int
) -> Iterator[Case]:
    """Up to ``limit`` questions of the source, spread over its articles, each with negatives."""
    rng = random.Random(f"calibrate-{source}")
    asked = [(i, ex, para) for i, a in enumerate(articles) for ex, para in a.questions]
    rng.shuffle(asked)
    answerable = [row for row in asked if row[2] > 0][:limit]
    unanswerable = [row for row in asked if row[2] == 0][:limit]
    pipelines: dict[int, Pipeline] = {}

    def over(i: int) -> Pipeline:
        if i not in pipelines:
            pipelines[i] = reader.over(articles[i])
        return pipelines[i]

    for i, ex, para in answerable:
        golds = list(ex.answers)
        yield Case(source, "positive", golds, reader.candidates(over(i), ex.question))
        if len(articles[i].document.paragraphs) > 1:
            hidden = reader.candidates(over(i), ex.question, hidden=para)
            yield Case(source, "on-topic", [], hidden)
        if len(articles) > 1:
            other = (i + 1 + rng.randrange(len(articles) - 1)) % len(articles)
            yield Case(source, "cross-article", [], reader.candidates(over(other), ex.question))
    for i, ex, _ in unanswerable:
        yield Case(source, "unanswerable", [], reader.candidates(over(i), ex.question))


def collect(reader_dir: Path, retrieval: str, limit: int, read_depth: int) -> list[Case]:
    """Every source's cases, ``limit`` answerable questions each (and as many unanswerable),
    read as a pipeline with ``read_depth`` reads (in two passes)."""
    _, dev = splits()
    settings = Settings(retrieval=retrieval, reader_model=str(reader_dir), read_depth=read_depth)
    base = Pipeline([], settings, persist=False)
    reader = CaseReader(base)
    cases: list[Case] = []
    for source in SOURCES:
        cases += cases_of(source, articles_of(dev[source], source), reader, limit)
        counts = {k: sum(c.source == source and c.kind == k for c in cases) for k in KINDS}
        print(f"{source}: {counts}", flush=True)
    return cases
