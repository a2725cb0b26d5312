"""Summary rows (one per condition) and the Markdown tables built from them (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.plan import Condition, Plan
from eval.scoring import STAGES, Result
from eval.summary import Summary, by_condition, restrict, summarize
from qa.settings import Settings

CURVE_THRESHOLDS = (0.0, 0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Row:
    """One line of the summary tables."""

    label: str
    role: str  # "primary", "baseline", "ablation" or "subset" (a primary on fewer items)
    set: str
    description: str
    summary: Summary
    variant: str | None = None  # the retrieval variant, for the ablation table


def _variant(condition: Condition) -> str:
    return str(condition.overrides.get("retrieval", Settings().retrieval))


def _subset_row(condition: Condition, groups: dict[str, list[Result]], primary: Condition) -> Row:
    ids = {item.id for item in condition.items}
    label = f"{primary.name} [same {len(ids)}]"
    summary = summarize(label, restrict(groups.get(primary.name, []), ids))
    return Row(
        label, "subset", primary.set, "the primary on the same items", summary, _variant(primary)
    )


def summaries_for(plan: Plan, results: Sequence[Result]) -> list[Row]:
    """A row per condition, plus the primary restricted to the items of smaller companions."""
    groups = by_condition(results)
    named = {c.name: c for c in plan.conditions}
    rows: list[Row] = []
    for condition in plan.conditions:
        primary = named.get(condition.compare_to or "")
        if primary and {i.id for i in condition.items} != {i.id for i in primary.items}:
            subset = _subset_row(condition, groups, primary)
            if subset.label not in {r.label for r in rows}:
                rows.append(subset)
        summary = summarize(condition.name, groups.get(condition.name, []))
        rows.append(
            Row(
                condition.name,
                condition.role,
                condition.set,
                condition.description,
                summary,
                _variant(condition),
            )
        )
    return rows


def fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; cells are escaped so a | or newline cannot break it."""

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def quality_table(rows: Sequence[Row]) -> str:
    headers = [
        "condition",
        "n",
        "answerable",
        "EM",
        "F1",
        "cite@1",
        "cite@3",
        "R@1",
        "R@3",
        "R@5",
        "MRR",
    ]
    body = [
        [
            r.label,
            str(s.n),
            str(s.n_answerable),
            fmt(s.em),
            fmt(s.f1),
            fmt(s.cite_at_1),
            fmt(s.cite_at_3),
            fmt(s.recall_at_1),
            fmt(s.recall_at_3),
            fmt(s.recall_at_5),
            fmt(s.mrr),
        ]
        for r in rows
        for s in [r.summary]
    ]
    return table(headers, body)


def reliability_table(rows: Sequence[Row]) -> str:
    headers = [
        "condition",
        "unanswerable",
        "abst. rate",
        "abst. precision",
        "abst. recall",
        "false abst.",
        "Brier",
        "ECE",
        "p50 ms",
        "p95 ms",
    ]
    body = [
        [
            r.label,
            str(s.n_unanswerable),
            fmt(s.abstention_rate),
            fmt(s.abstention_precision),
            fmt(s.abstention_recall),
            fmt(s.false_abstention_rate),
            fmt(s.brier),
            fmt(s.ece),
            f"{s.latency_p50:.0f}",
            f"{s.latency_p95:.0f}",
        ]
        for r in rows
        for s in [r.summary]
    ]
    return table(headers, body)


def stage_table(rows: Sequence[Row]) -> str:
    body = [[r.label, *(str(r.summary.stages.get(s, 0)) for s in STAGES)] for r in rows]
    return table(["condition", *STAGES], body)


CORPUS_SET = "corpus"  # Condition.set of the one-corpus vs per-article conditions


def corpus_table(rows: Sequence[Row]) -> str:
    """One index of the whole corpus against one per article, for the corpus set's rows."""
    chosen = [r for r in rows if r.set == CORPUS_SET]
    headers = ["condition", "n", "answerable", "article@1", "retr. article@1", "¶@1", "F1", "EM"]
    headers += ["abst. rate", "p50 ms", "p95 ms"]
    body = [
        [
            r.label,
            str(s.n),
            str(s.n_answerable),
            fmt(s.article_at_1),
            fmt(s.retrieved_article_at_1),
            fmt(s.cite_at_1),
            fmt(s.f1),
            fmt(s.em),
            fmt(s.abstention_rate),
            f"{s.latency_p50:.0f}",
            f"{s.latency_p95:.0f}",
        ]
        for r in chosen
        for s in [r.summary]
    ]
    return table(headers, body) if chosen else ""


def ablation_table(rows: Sequence[Row]) -> str:
    """Retrieval variants side by side, for each set that ran ablations."""
    wanted = {r.set for r in rows if r.role == "ablation"}
    chosen = [r for r in rows if r.set in wanted and r.role in ("ablation", "primary", "subset")]
    chosen = [r for r in chosen if r.role != "primary" or _same_items_as_ablations(r, rows)]
    headers = ["condition", "retrieval", "n", "R@1", "R@3", "R@5", "MRR", "F1", "p50 ms", "p95 ms"]
    body = [
        [
            r.label,
            r.variant or "",
            str(s.n),
            fmt(s.recall_at_1),
            fmt(s.recall_at_3),
            fmt(s.recall_at_5),
            fmt(s.mrr),
            fmt(s.f1),
            f"{s.latency_p50:.0f}",
            f"{s.latency_p95:.0f}",
        ]
        for r in chosen
        for s in [r.summary]
    ]
    return table(headers, body) if wanted else ""


def _same_items_as_ablations(row: Row, rows: Sequence[Row]) -> bool:
    """A primary belongs in the ablation table when its ablations ran on all of its items."""
    ablations = [r for r in rows if r.role == "ablation" and r.label.startswith(row.label + " · ")]
    return bool(ablations) and all(a.summary.n == row.summary.n for a in ablations)


def curve_table(rows: Sequence[Row]) -> str:
    headers = ["condition", *(f"≥{t:.1f} cov / F1" for t in CURVE_THRESHOLDS)]
    body = []
    for r in rows:
        points = {round(p.threshold, 2): p for p in r.summary.curve}
        cells = [points.get(round(t, 2)) for t in CURVE_THRESHOLDS]
        body.append(
            [r.label, *(f"{p.coverage:.2f} / {p.accuracy:.2f}" if p else "–" for p in cells)]
        )
    return table(headers, body)
