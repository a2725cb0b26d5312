"""The held-out New York Times articles: news the reader was never trained on.

``qa eval --set nyt``: the questions of the 40 SQuADShifts NYT articles that
``train.data`` holds out of training (10% of the file's articles, by article), asked of each
article alone, of one index of all the file's articles (the 40 among the rest, which the
reader was trained on as text but which are never asked about), and of another held-out
article's index, where the right response is to abstain. The held-out questions tuned the
confidence threshold (with seven other sources'), so these figures are a check that news
reads as well as it calibrated, not a report on unseen data: that is SQuAD 25-48 and CoQA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from eval import external as ext
from eval.conditions import Condition, Plan, missing
from eval.datasets import EvalItem, sample, shared_data_dir
from qa.types import Document

NYT_FILE = "train/squadshifts_nyt_half_a.json"
ONE_CORPUS = "nyt/all"


def corpus_key(article: ext.SquadArticle) -> str:
    return f"nyt/{article.number:03d}"


def nyt_items(articles: Sequence[ext.SquadArticle], held: set[int]) -> list[EvalItem]:
    """Every question of the held-out articles (``held``: 1-based numbers)."""
    chosen = (a for a in articles if a.number in held)
    return [item for a in chosen for item in ext.article_items(a, "nyt", corpus_key(a))]


def documents_of(articles: Sequence[ext.SquadArticle]) -> dict[str, Document]:
    """Each article as a Document whose ¶N is its N-th context; one that does not map 1:1
    is left out (its questions could not be scored by paragraph)."""
    found = {}
    for article in articles:
        try:
            found[corpus_key(article)] = ext.squad_document(article)
        except ValueError:
            continue
    return found


def nyt_plan(limit: int | None, seed: int, held: set[int] | None = None) -> Plan:
    """Per article (primary), one corpus of every article, cross-article negatives."""
    root = shared_data_dir().parent  # shared/data: external/ and train/
    path = root / NYT_FILE
    if not path.is_file():
        return missing("nyt", path)
    if held is None:
        from train.data import held_out_nyt

        held = {n + 1 for n in held_out_nyt(root)}
    articles = ext.load_squad(path)
    documents = documents_of(articles)
    pool = [item for item in nyt_items(articles, held) if item.corpus in documents]
    items = sample(pool, limit, seed)
    negatives = ext.cross_article_negatives(items, seed, len(items) // 2)
    whole = tuple(replace(item, corpus=ONE_CORPUS) for item in items)
    primary = Condition("nyt/per-article", "nyt", "primary", "one index per article", tuple(items))
    conditions = [
        primary,
        Condition(
            "nyt/one-corpus",
            "nyt",
            "primary",
            f"one index of all {len(documents)} articles of the file",
            whole,
            compare_to=primary.name,
        ),
        Condition("nyt/negatives", "nyt", "primary", "another article's index", tuple(negatives)),
    ]
    used = {item.corpus for c in conditions for item in c.items}
    corpora: dict[str, list[Document] | None] = {k: [d] for k, d in documents.items() if k in used}
    if items:
        corpora[ONE_CORPUS] = list(documents.values())
    return Plan(
        conditions=conditions,
        corpora=corpora,
        samples=[
            f"nyt: a seeded sample (seed {seed}) of {len(items)} of the {len(pool)} questions of"
            f" the {len(held)} NYT articles held out of training; one corpus of all"
            f" {len(documents)} articles; {len(negatives)} cross-article negatives"
        ],
    )
