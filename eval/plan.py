"""What an evaluation run asks: conditions (items + per-call settings) and the corpora they need.

Building a plan reads the data sets but loads no model, so it is cheap and testable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import external as ext
from eval.datasets import (
    ARTICLE_FILE,
    SEED_CORPUS,
    EvalItem,
    load_article_items,
    sample,
    shared_data_dir,
    subsample,
)
from qa.documents import load_documents
from qa.settings import Settings
from qa.types import Document

SETS = ("article", "squad", "coqa")
DEFAULT_LIMITS: dict[str, int | None] = {"article": None, "squad": 1000, "coqa": 500}
# Extra conditions on the external sets (baseline, ablations, one-corpus, negatives) use
# a seeded AUX_FRACTION of the main sample, which keeps a 1,000-question run in budget.
AUX_FRACTION = 0.2
BASELINE = {"reader": "sentence"}
ABLATIONS = ("dense", "bm25", "hybrid", "hybrid+rerank")


@dataclass(frozen=True)
class Condition:
    """Items asked under one set of per-call settings."""

    name: str
    set: str
    role: str  # "primary", "baseline" or "ablation"
    description: str
    items: tuple[EvalItem, ...]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    compare_to: str | None = None  # the primary condition whose items these are drawn from


@dataclass
class Plan:
    conditions: list[Condition] = field(default_factory=list)
    # Corpus key -> its documents; None means the default persisted pipeline (qa.get_pipeline()).
    corpora: dict[str, list[Document] | None] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)  # how each set was sampled, in words
    notes: list[str] = field(default_factory=list)  # e.g. sets skipped for missing data

    def extend(self, other: Plan) -> None:
        self.conditions += other.conditions
        self.corpora.update(other.corpora)
        self.samples += other.samples
        self.notes += other.notes


def companion(
    primary: Condition,
    suffix: str,
    role: str,
    description: str,
    items: Sequence[EvalItem],
    overrides: Mapping[str, Any],
) -> Condition:
    """A condition asking (some of) ``primary``'s items with extra per-call settings."""
    return Condition(
        name=f"{primary.name} · {suffix}",
        set=primary.set,
        role=role,
        description=description,
        items=tuple(items),
        overrides={**primary.overrides, **overrides},
        compare_to=primary.name,
    )


def companions(primary: Condition, items: Sequence[EvalItem], ablations: bool) -> list[Condition]:
    """The baseline, and with ``ablations`` one condition per retrieval variant, on ``items``."""
    baseline = 'reader="sentence": the best-ranked sentence is the answer'
    made = [companion(primary, "baseline", "baseline", baseline, items, BASELINE)]
    if ablations:
        made += [
            companion(
                primary,
                variant,
                "ablation",
                f'retrieval="{variant}"',
                items,
                {"retrieval": variant},
            )
            for variant in ABLATIONS
            if variant != Settings().retrieval
        ]
        made.append(
            companion(
                primary,
                "span reader",
                "ablation",
                'reader="span": spaCy candidates and a logistic span scorer (the earlier reader)',
                items,
                {"reader": "span"},
            )
        )
    return made


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


def _missing(name: str, path: Path) -> Plan:
    return Plan(notes=[f"{name}: skipped, {path} not found (set QA_SHARED_DATA to its folder)"])


def squad_plan(limit: int | None, seed: int, ablations: bool, split: str = "test") -> Plan:
    """SQuAD per-article (primary), one-corpus, cross-article negatives, baseline, ablations."""
    path = shared_data_dir() / ext.SQUAD_FILE
    if not path.is_file():
        return _missing("squad", path)
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


def coqa_plan(limit: int | None, seed: int, ablations: bool) -> Plan:
    """CoQA turns with their history (primary), without it, the baseline and ablations."""
    path = shared_data_dir() / ext.COQA_FILE
    if not path.is_file():
        return _missing("coqa", path)
    stories = ext.load_coqa(path)
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
            f" dialogues in a seeded order (seed {seed}); baseline and ablations on a seeded"
            f" {len(aux)} of these turns"
        ],
    )


def build_plan(
    which: str, limit: int | None, seed: int, ablations: bool, split: str = "test"
) -> Plan:
    """The plan for ``which`` ("article", "squad", "coqa" or "all")."""
    names = SETS if which == "all" else (which,)
    plan = Plan()
    for name in names:
        n = limit if limit is not None else DEFAULT_LIMITS[name]
        if name == "article":
            plan.extend(article_plan(n, seed, ablations))
        elif name == "squad":
            plan.extend(squad_plan(n, seed, ablations, split))
        elif name == "coqa":
            plan.extend(coqa_plan(n, seed, ablations))
        else:
            raise ValueError(f"unknown evaluation set {name!r}; choose from {', '.join(SETS)}")
    return plan
