"""The values a plan is made of: conditions (items + per-call settings) and the plan itself.

Split from :mod:`eval.plan`, which re-exports them, so that the set builders there stay short.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.datasets import EvalItem
from qa.settings import FIELDS, choices
from qa.types import Document

# The earlier readers have no relevance head, so they read the cross-encoder's ranking.
TWO_PASS = {"retrieval": "hybrid+rerank"}
BASELINE = {"reader": "sentence", **TWO_PASS}
# Derived from the settings' choices: every retrieval variant but the default, and every
# reader but the default and the baseline.
ABLATIONS = tuple(v for v in choices("retrieval") if v != FIELDS["retrieval"].default)
READER_ABLATIONS = tuple(
    r for r in choices("reader") if r not in (FIELDS["reader"].default, BASELINE["reader"])
)
READER_NOTES = {"span": "spaCy candidates and a logistic span scorer (the earlier reader)"}


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


def missing(name: str, path: Path) -> Plan:
    """The plan of a set whose data is absent: nothing to ask, and a note saying why."""
    return Plan(notes=[f"{name}: skipped, {path} not found (set QA_SHARED_DATA to its folder)"])


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
    baseline = 'reader="sentence" over the reranked passages: the best sentence is the answer'
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
        ]
        made += [
            companion(
                primary,
                f"{reader} reader",
                "ablation",
                f'reader="{reader}": {READER_NOTES.get(reader, "another reader")}',
                items,
                {"reader": reader, **TWO_PASS},
            )
            for reader in READER_ABLATIONS
        ]
    return made
