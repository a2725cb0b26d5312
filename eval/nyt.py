"""The held-out New York Times articles: news the reader was never trained on.

``qa eval --set nyt``: the questions of the 40 SQuADShifts NYT articles that
``train.data`` holds out of training (10% of the file's articles, by article), asked of each
article alone, of one index of all the file's articles (the 361 others were trained on as
text and are never asked about), and of another held-out article's index, where the right
response is to abstain. The held-out questions tuned the confidence threshold (with seven
other sources'), so these figures are a check that news reads as well as it calibrated, not
a report on unseen data: that is SQuAD 25-48 and CoQA. No baseline or ablations: those run on
the reporting sets.
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
    """Per article (primary), one corpus of every article, cross-article negatives;
    ``held``: the 1-based numbers of the articles to ask (default: those held out)."""
    root = shared_data_dir().parent  # shared/data: external/ and train/
    path = root / NYT_FILE
    if not path.is_file():
        return missing("nyt", path)
    if held is None:
        from train.data import held_out_nyt

        held = {n + 1 for n in held_out_nyt(root)}  # 0-based in train.data, 1-based here
    articles = ext.load_squad(path)
    documents = documents_of(articles)
    pool = [item for item in nyt_items(articles, held) if item.corpus in documents]
    items = sample(pool, limit, seed)
    conditions = nyt_conditions(items, ext.cross_article_negatives(items, seed, len(items) // 2))
    dropped = len(articles) - len(documents)
    return Plan(
        conditions=conditions,
        corpora=nyt_corpora(documents, conditions),
        samples=[
            f"nyt: a seeded sample (seed {seed}) of {len(items)} of the {len(pool)} questions of"
            f" the {len(held)} NYT articles held out of training; one corpus of all"
            f" {len(documents)} articles ({dropped} left out: paragraphs not 1:1 with contexts);"
            f" {len(conditions[2].items)} cross-article negatives"
        ],
    )


def nyt_conditions(items: Sequence[EvalItem], negatives: Sequence[EvalItem]) -> list[Condition]:
    primary = Condition("nyt/per-article", "nyt", "primary", "one index per article", tuple(items))
    whole = tuple(replace(item, corpus=ONE_CORPUS) for item in items)
    return [
        primary,
        Condition("nyt/one-corpus", "nyt", "primary", "one index of every article", whole,
                  compare_to=primary.name),
        Condition("nyt/negatives", "nyt", "primary", "another article's index", tuple(negatives)),
    ]  # fmt: skip


def nyt_corpora(
    documents: dict[str, Document], conditions: Sequence[Condition]
) -> dict[str, list[Document] | None]:
    """The articles the conditions ask of, each alone, and all of them as one corpus."""
    used = {item.corpus for c in conditions for item in c.items}
    corpora: dict[str, list[Document] | None] = {k: [d] for k, d in documents.items() if k in used}
    if ONE_CORPUS in used:
        corpora[ONE_CORPUS] = list(documents.values())
    return corpora
