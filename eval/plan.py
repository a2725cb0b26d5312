"""What an evaluation run asks: conditions (items + per-call settings) and the corpora they need.

Building a plan reads the data sets but loads no model, so it is cheap and testable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval import external as ext
from eval.conditions import (
    ABLATIONS,
    BASELINE,
    Condition,
    Plan,
    companion,
    companions,
    missing,
)
from eval.datasets import (
    ARTICLE_FILE,
    SEED_CORPUS,
    EvalItem,
    load_article_items,
    sample,
    shared_data_dir,
    subsample,
)
from eval.nyt import nyt_plan
from qa.documents import load_documents
from qa.settings import Settings
from qa.types import Document

__all__ = [
    "ABLATIONS",
    "BASELINE",
    "Condition",
    "Plan",
    "build_plan",
    "companion",
    "companions",
    "corpus_plan",
]

SETS = ("article", "squad", "coqa")  # what "all" runs
# Asked only by name: corpus repeats squad and coqa questions, and 300 a corpus took 39 min
# (index builds 10) on 2 busy shared cores; nyt asks calibration questions (eval/nyt.py).
EXTRA_SETS = ("corpus", "nyt")
DEFAULT_LIMITS: dict[str, int | None] = {
    "article": None,
    "squad": 1000,
    "coqa": 500,
    "corpus": 300,
    "nyt": 300,
}
# Extra conditions on the external sets (baseline, ablations, one-corpus, negatives) use
# a seeded AUX_FRACTION of the main sample, which keeps a 1,000-question run in budget.
AUX_FRACTION = 0.2


def article_plan(limit: int | None, seed: int, ablations: bool, path: Path = ARTICLE_FILE) -> Plan:
    """The seed-article reference set, asked of the default pipeline over seeds/."""
    everything = load_article_items(load_documents(Settings().corpus_dir), path)
    items = sample(everything, limit, seed)
    primary = Condition(
        "article", "article", "primary", "seed article, default settings", tuple(items)
    )
    answerable = sum(item.answerable for item in items)
    chosen = "all" if len(items) == len(everything) else f"a seeded sample (seed {seed}) of"
    return Plan(
        conditions=[primary, *companions(primary, items, ablations)],
        corpora={SEED_CORPUS: None},
        samples=[
            f"article: {chosen} {len(items)} of {len(everything)} items of eval/data/article.jsonl"
            f" ({answerable} answerable, {len(items) - answerable} unanswerable,"
            f" {sum(bool(i.history) for i in items)} follow-ups); baseline on the same items"
        ],
    )


def squad_plan(limit: int | None, seed: int, ablations: bool, split: str = "test") -> Plan:
    """SQuAD per-article (primary), one-corpus, cross-article negatives, baseline, ablations."""
    path = shared_data_dir() / ext.SQUAD_FILE
    if not path.is_file():
        return missing("squad", path)
    articles = ext.load_squad(path)
    pool = ext.squad_items(articles, split)
    items = sample(pool, limit, seed)
    aux = subsample(items, AUX_FRACTION, seed + 2)
    primary = Condition(
        "squad/per-article", "squad", "primary", "one index per article", tuple(items)
    )
    negatives = ext.cross_article_negatives(items, seed, len(aux))
    conditions = [
        primary,
        Condition(
            "squad/one-corpus",
            "squad",
            "primary",
            "one index of all 48 articles",
            tuple(ext.one_corpus(aux)),
            compare_to=primary.name,
        ),
        Condition(
            "squad/negatives",
            "squad",
            "primary",
            "asked of another article's index: must abstain",
            tuple(negatives),
        ),
        *companions(primary, aux, ablations),
    ]
    return Plan(
        conditions=conditions,
        corpora=_squad_corpora(articles, conditions),
        samples=[_squad_sample_text(split, seed, items, pool, aux, negatives)],
    )


def _squad_corpora(
    articles: Sequence[ext.SquadArticle], conditions: Sequence[Condition]
) -> dict[str, list[Document] | None]:
    """Documents for the corpora the conditions ask, and nothing more."""
    needed = {item.corpus for c in conditions for item in c.items}
    corpora: dict[str, list[Document] | None] = {}
    for article in articles:
        if article.corpus in needed:
            corpora[article.corpus] = [ext.squad_document(article)]
    if ext.ONE_CORPUS in needed:
        corpora[ext.ONE_CORPUS] = [ext.squad_document(a) for a in articles]
    return corpora


def _squad_sample_text(split, seed, items, pool, aux, negatives) -> str:
    numbers = ext.SPLITS[split]
    n_articles = len({item.corpus for item in items})
    return (
        f"squad: {split} split (articles {numbers[0]}-{numbers[-1]} of SQuAD v1.1 dev): a seeded"
        f" sample (seed {seed}) of {len(items)} of its {len(pool)} questions from {n_articles}"
        f" articles; one-corpus, baseline and ablations on a seeded {len(aux)} of these;"
        f" {len(negatives)} cross-article negatives (seeded pairing of articles)"
    )


def coqa_plan(limit: int | None, seed: int, ablations: bool, domain: str | None = None) -> Plan:
    """CoQA turns with their history (primary), without it, the baseline and ablations;
    ``domain`` ("cnn", "wikipedia", ...) keeps only the dialogues of that source."""
    path = shared_data_dir() / ext.COQA_FILE
    if not path.is_file():
        return missing("coqa", path)
    stories = ext.stories_of(ext.load_coqa(path), domain)
    items = ext.coqa_items(stories, limit, seed)
    aux = subsample(items, AUX_FRACTION, seed + 2)
    primary = Condition(
        "coqa/history",
        "coqa",
        "primary",
        "each turn with the earlier questions as history",
        tuple(items),
    )
    no_history = Condition(
        "coqa/no-history",
        "coqa",
        "primary",
        "each turn on its own",
        tuple(ext.without_history(items)),
        compare_to=primary.name,
    )
    keys = {item.corpus for item in items}
    used = [s for s in stories if f"coqa/{s.id}" in keys]
    unknown = sum(not item.answerable for item in items)
    return Plan(
        conditions=[primary, no_history, *companions(primary, aux, ablations)],
        corpora={key: [doc] for key, doc in ext.coqa_documents(used).items()},
        samples=[
            f"coqa: the first {len(items)} turns ({unknown} 'unknown') of {len(used)} whole"
            f" {domain + ' ' if domain else ''}dialogues in a seeded order (seed {seed});"
            f" baseline and ablations on a seeded {len(aux)} of these turns"
        ],
    )


def corpus_conditions(name: str, items: Sequence[EvalItem], key: str, what: str) -> list[Condition]:
    """The same items asked of one index of the whole corpus (``key``) and per article."""
    per_article = Condition(
        f"corpus/{name}/per-article",
        "corpus",
        "primary",
        "one index per article: only the question's article",
        tuple(items),
    )
    whole = Condition(
        f"corpus/{name}/one-corpus",
        "corpus",
        "primary",
        f"one index of {what}",
        tuple(ext.one_corpus(items, key)),
        compare_to=per_article.name,
    )
    return [whole, per_article]


def squad_corpus_plan(limit: int | None, seed: int, split: str = "test") -> Plan:
    """The split's questions asked of all 48 SQuAD articles in one index, and per article."""
    path = shared_data_dir() / ext.SQUAD_FILE
    if not path.is_file():
        return missing("corpus/squad", path)
    articles = ext.load_squad(path)
    pool = ext.squad_items(articles, split)
    items = sample(pool, limit, seed)
    what = f"all {len(articles)} SQuAD articles"
    conditions = corpus_conditions("squad", items, ext.ONE_CORPUS, what)
    return Plan(
        conditions=conditions,
        corpora=_squad_corpora(articles, conditions) if items else {},
        samples=[
            f"corpus/squad: a seeded sample (seed {seed}) of {len(items)} of the {len(pool)}"
            f" questions of the {split} split ({len({i.corpus for i in items})} articles),"
            f" asked of one index of {what} and of the question's article alone"
        ],
    )


def cnn_corpus_plan(limit: int | None, seed: int) -> Plan:
    """CoQA's CNN stories as one news corpus, and per story; turns keep their history."""
    path = shared_data_dir() / ext.COQA_FILE
    if not path.is_file():
        return missing("corpus/cnn", path)
    stories = ext.cnn_stories(ext.load_coqa(path))
    items = ext.coqa_turn_sample(stories, limit, seed)
    documents = ext.coqa_documents(stories)
    used = {item.corpus for item in items}
    corpora: dict[str, list[Document] | None] = {
        key: [doc] for key, doc in documents.items() if key in used
    }
    if items:
        corpora[ext.CNN_CORPUS] = list(documents.values())
    unknown = sum(not item.answerable for item in items)
    return Plan(
        conditions=corpus_conditions("cnn", items, ext.CNN_CORPUS, f"{len(stories)} CNN stories"),
        corpora=corpora,
        samples=[
            f"corpus/cnn: {len(items)} of the {sum(len(s.questions) for s in stories)} turns"
            f" ({unknown} 'unknown') of CoQA's {len(stories)} CNN dialogues, spread evenly over"
            f" {len(used)} of them (seed {seed}), each with the dialogue's earlier questions"
            " as history"
        ],
    )


def corpus_plan(limit: int | None, seed: int, split: str = "test") -> Plan:
    """Each news corpus asked as one index and per article: SQuAD's 48, CoQA's 100 CNN."""
    plan = squad_corpus_plan(limit, seed, split)
    plan.extend(cnn_corpus_plan(limit, seed))
    return plan


def build_plan(
    which: str,
    limit: int | None,
    seed: int,
    ablations: bool,
    split: str = "test",
    domain: str | None = None,
) -> Plan:
    """The plan for ``which``: one of SETS or EXTRA_SETS, or "all" (every one of SETS);
    ``domain`` restricts CoQA to one source of stories."""
    names = SETS if which == "all" else (which,)
    plan = Plan()
    for name in names:
        if name not in DEFAULT_LIMITS:
            known = ", ".join((*SETS, *EXTRA_SETS, "all"))
            raise ValueError(f"unknown evaluation set {name!r}; choose from {known}")
        n = limit if limit is not None else DEFAULT_LIMITS[name]
        if name == "article":
            plan.extend(article_plan(n, seed, ablations))
        elif name == "squad":
            plan.extend(squad_plan(n, seed, ablations, split))
        elif name == "coqa":
            plan.extend(coqa_plan(n, seed, ablations, domain))
        elif name == "nyt":
            plan.extend(nyt_plan(n, seed))
        else:
            plan.extend(corpus_plan(n, seed, split))
    return plan
