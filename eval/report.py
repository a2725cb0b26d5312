"""Writing an evaluation run: report.md, results.jsonl, summary.json and chart.png."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.charts import write_chart
from eval.plan import Plan
from eval.scoring import PASS_F1, Result
from eval.summary import by_condition
from eval.tables import (
    Row,
    ablation_table,
    corpus_table,
    curve_table,
    quality_table,
    reliability_table,
    stage_table,
    summaries_for,
    table,
)

__all__ = ["Row", "Stamp", "console_summary", "summaries_for", "write_report"]

CHART_FILE = "chart.png"


@dataclass(frozen=True)
class Stamp:
    """What the numbers depend on: code, index, settings, models, sample and date."""

    date: str
    commit: str
    dirty: bool
    fingerprint: str
    fingerprints: dict[str, str]
    settings: dict[str, Any]
    models: dict[str, str | None]
    samples: list[str]
    notes: list[str]
    command: str
    wall_s: float
    build_s: float


DEFINITIONS = f"""\
- **EM / F1**: SQuAD normalisation and token F1, max over the gold answers; answerable
  questions only, an abstention scoring 0.
- **Relevant paragraphs**: article set, every citable ¶ whose text contains a gold answer;
  SQuAD, the context paragraph of the question (one-corpus mode: that article *and* ¶);
  CoQA, the ¶(s) overlapping the rationale span.
- **cite@1**: the first citation names a relevant ¶. **cite@3**: one of the first three of
  (citations, then retrieved ¶s not cited) is relevant. Answerable questions that were answered.
- **article@1**: the first citation is in the question's article (any ¶ of it); answerable
  questions that were answered, like cite@1, which in one-corpus mode is **¶@1** (article and ¶
  both right). **retr. article@1**: the first retrieved passage is in the question's article;
  every answerable question, abstentions included.
- **R@k / MRR**: over the retrieved passages' ¶s (a ¶ counted once, best first);
  answerable questions.
- **Abstention**: precision = abstentions that were on unanswerable questions; recall =
  unanswerable questions abstained on (for cross-article negatives: the abstention rate);
  false abst. = answerable questions abstained on.
- **Correct**: an answerable question answered with F1 ≥ {PASS_F1}, or an unanswerable one
  abstained on. **p(correct)** = `confidence` for an answer, `1 − confidence` for an abstention
  (confidence is the pipeline's belief that its answer is right). **Brier** = mean
  (p(correct) − correct)²; **ECE** over 10 equal-width bins.
- **Coverage–accuracy**: answering only when not abstained and confidence ≥ t; coverage =
  share of all questions answered, accuracy = their mean F1 (0 for an answered unanswerable).
- **Failing stage** (first that went wrong): retrieval (no gold ¶ retrieved) → abstention
  (abstained on an answerable, or answered an unanswerable) → reading (F1 < {PASS_F1}) →
  citation (right answer, first citation not a gold ¶) → ok.
- **Baseline**: the pipeline with `reader="sentence"` over the cross-encoder's ranking
  (`retrieval="hybrid+rerank"`): the best-ranked sentence is the answer.
"""


def stamp_section(stamp: Stamp) -> str:
    commit = stamp.commit + (" (with uncommitted changes)" if stamp.dirty else "")
    indexes = len(stamp.fingerprints)
    fingerprint = stamp.fingerprint + ("" if indexes == 1 else f" (hash over {indexes} indexes)")
    models = ", ".join(f"{k} `{v}`" for k, v in stamp.models.items())
    info = [
        ["date", stamp.date],
        ["command", f"`{stamp.command}`"],
        ["git commit", commit],
        ["index fingerprint", fingerprint],
        ["models", models],
        ["wall time", f"{stamp.wall_s:.1f} s (index builds {stamp.build_s:.1f} s)"],
    ]
    lines = [table(["", ""], info), "", "**Sample**", ""]
    lines += [f"- {s}" for s in stamp.samples] or ["- (nothing evaluated)"]
    lines += ["", *(f"> {n}" for n in stamp.notes)] if stamp.notes else []
    return "\n".join(lines)


def summary_sections(rows: Sequence[Row]) -> list[str]:
    parts = [
        "## Summary",
        "### Answers, citations and retrieval",
        quality_table(rows),
        "### Abstention, calibration and latency",
        reliability_table(rows),
        "### Failing stage (counts)",
        stage_table(rows),
    ]
    corpus = corpus_table(rows)
    if corpus:
        parts += ["### One corpus vs per article (¶@1 = cite@1)", corpus]
    ablations = ablation_table(rows)
    if ablations:
        parts += ["### Ablations: retrieval variants", ablations]
    parts += ["### Coverage–accuracy (coverage / F1 at confidence ≥ t)", curve_table(rows)]
    return parts


def _keys(keys: Sequence[Sequence[Any]], home: str | None) -> str:
    return " ".join(f"¶{p}" if doc == home else f"{doc} ¶{p}" for doc, p in keys) or "–"


def _clip(text: str, size: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


QUESTION_HEADERS = ("id", "type", "question", "gold", "prediction", "cited", "retrieved", "F1")


def single_doc(results: Sequence[Result]) -> str | None:
    """The one document every ¶ key of ``results`` names, if there is exactly one."""
    docs = {doc for r in results for doc, _ in (*r.relevant, *r.cited, *r.retrieved)}
    return next(iter(docs)) if len(docs) == 1 else None


def question_row(r: Result, home: str | None) -> list[str]:
    """One line of the per-question table; ¶s of ``home`` are written without the doc id."""
    if home is None:
        docs = {doc for doc, _ in r.relevant}
        home = next(iter(docs)) if len(docs) == 1 else None
    history = f"[after: {' / '.join(r.history)}] " if r.history else ""
    return [
        r.id,
        r.qtype,
        _clip(history + r.question),
        _clip(r.gold[0], 60) if r.gold else "(unanswerable)",
        "(abstained)" if r.abstained else _clip(r.prediction, 70),
        _keys(r.cited[:3], home),
        _keys(r.retrieved, home),
        f"{r.f1:.2f}",
        f"{r.confidence:.2f}",
        r.failing_stage,
    ]


def question_rows(results: Sequence[Result]) -> str:
    home = single_doc(results)
    return table([*QUESTION_HEADERS, "conf", "stage"], [question_row(r, home) for r in results])


def render_report(stamp: Stamp, plan: Plan, rows: Sequence[Row], results: Sequence[Result]) -> str:
    groups = by_condition(results)
    parts = ["# Evaluation report", stamp_section(stamp), *summary_sections(rows)]
    parts += [f"![coverage–accuracy, F1 by type, reliability]({CHART_FILE})", "## Definitions"]
    parts += [DEFINITIONS, "## Settings", f"```json\n{json.dumps(stamp.settings, indent=2)}\n```"]
    if len(stamp.fingerprints) > 1:
        parts.append(table(["index", "fingerprint"], sorted(stamp.fingerprints.items())))
    parts.append("## Per-question results")
    parts.append("Primary conditions only; every condition's records are in results.jsonl.")
    for condition in plan.conditions:
        if condition.role == "primary":
            found = groups.get(condition.name, [])
            parts += [f"### {condition.name} ({len(found)}): {condition.description}"]
            parts += [question_rows(found)]
    return "\n\n".join(parts) + "\n"


def result_record(result: Result) -> dict[str, Any]:
    """A results.jsonl line: the Result's fields, ¶ keys as [doc_id, paragraph] pairs."""
    return dataclasses.asdict(result)


def write_results(path: Path, results: Sequence[Result]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result_record(result), ensure_ascii=False) + "\n")


def summary_record(stamp: Stamp, rows: Sequence[Row]) -> dict[str, Any]:
    """summary.json: the stamp and each row's numbers (curves and bins included)."""
    return {
        "stamp": dataclasses.asdict(stamp),
        "rows": [
            {
                "label": r.label,
                "role": r.role,
                "set": r.set,
                "variant": r.variant,
                **dataclasses.asdict(r.summary),
            }
            for r in rows
        ],
    }


def write_report(
    out: Path, stamp: Stamp, plan: Plan, rows: Sequence[Row], results: Sequence[Result]
) -> dict[str, Path]:
    """Write report.md, results.jsonl, summary.json and chart.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("report.md", "results.jsonl", "summary.json")}
    write_results(paths["results.jsonl"], results)
    summary_json = json.dumps(summary_record(stamp, rows), ensure_ascii=False, indent=1)
    paths["summary.json"].write_text(summary_json, encoding="utf-8")
    if write_chart(out / CHART_FILE, rows):
        paths[CHART_FILE] = out / CHART_FILE
    paths["report.md"].write_text(render_report(stamp, plan, rows, results), encoding="utf-8")
    return paths


def console_summary(stamp: Stamp, plan: Plan, rows: Sequence[Row]) -> str:
    """What ``qa eval`` prints: the stamp line, the summary tables and the notes."""
    head = (
        f"commit {stamp.commit[:12]}{'+' if stamp.dirty else ''} · index {stamp.fingerprint}"
        f" · {stamp.date} · wall {stamp.wall_s:.1f} s"
    )
    parts = [head, *stamp.samples, *summary_sections(rows)[1:], *stamp.notes]
    return "\n\n".join(parts)
