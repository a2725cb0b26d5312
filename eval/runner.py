"""``qa eval``: ask every planned question through the ordinary pipeline, score, report.

Questions are grouped by corpus, so each index is built once and dropped before the next
(a SQuAD run touches up to 25 indexes). Nothing here knows how the reader works: it calls
``Pipeline.answer()`` with the condition's per-call settings and scores what comes back.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import hashlib
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from eval.datasets import EvalItem
from eval.plan import Condition, Plan, build_plan
from eval.report import Stamp, console_summary, summaries_for, write_report
from eval.scoring import Result, score
from eval.summary import error_notes
from qa.environment import PROJECT_ROOT
from qa.types import Answer, Document


class Answerer(Protocol):
    """The part of qa.Pipeline the runner uses."""

    settings: Any
    manifest: Any

    def answer(self, question: str, history: Sequence[str] | None = None, **kw: Any) -> Answer: ...


PipelineFactory = Callable[[str, "list[Document] | None"], Answerer]


@dataclasses.dataclass
class RunInfo:
    """What the run learned about the pipelines it built."""

    fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)
    settings: Any = None
    build_seconds: float = 0.0


def factory_for(settings: Any = None) -> PipelineFactory:
    """Pipelines with ``settings`` (``qa eval``'s setting flags; default Settings()): the seed
    pipeline (persisted index) for None, else an in-memory index of ``documents``."""

    def build(key: str, documents: list[Document] | None) -> Answerer:
        from qa import Pipeline, Settings, get_pipeline

        chosen = settings or Settings()
        if documents is None:
            return get_pipeline(chosen)
        return Pipeline(documents, chosen, persist=False)

    return build


default_factory = factory_for()


def calls_by_corpus(plan: Plan) -> dict[str, list[tuple[int, Condition, EvalItem]]]:
    """Every (position, condition, item), grouped by corpus in first-needed order."""
    groups: dict[str, list[tuple[int, Condition, EvalItem]]] = {}
    position = 0
    for condition in plan.conditions:
        for item in condition.items:
            groups.setdefault(item.corpus, []).append((position, condition, item))
            position += 1
    return groups


def ask(pipeline: Answerer, condition: Condition, item: EvalItem) -> Result:
    """One timed call of ``answer()``, scored; a rejected question scores as an abstention."""
    start = time.perf_counter()
    error = None
    try:
        answer = pipeline.answer(item.question, list(item.history), **condition.overrides)
    except ValueError as err:
        error = str(err)
        answer = Answer(item.question, "", True, 0.0)
    latency_ms = (time.perf_counter() - start) * 1000
    return score(item, condition.name, answer, latency_ms, error)


def execute(
    plan: Plan, factory: PipelineFactory = default_factory, progress: bool = True
) -> tuple[list[Result], RunInfo]:
    """Run the plan; results come back in plan order (condition by condition)."""
    from tqdm.auto import tqdm

    groups = calls_by_corpus(plan)
    info = RunInfo()
    slots: dict[int, Result] = {}
    total = sum(len(calls) for calls in groups.values())
    with tqdm(total=total, desc="eval", unit="q", disable=not progress, file=sys.stderr) as bar:
        for key, calls in groups.items():
            bar.set_postfix_str(key)
            pipeline = _build(key, plan.corpora.get(key), factory, info)
            for position, condition, item in calls:
                slots[position] = ask(pipeline, condition, item)
                bar.update()
            del pipeline
            gc.collect()  # one corpus's models and index at a time
    return [slots[i] for i in sorted(slots)], info


def _build(
    key: str, documents: list[Document] | None, factory: PipelineFactory, info: RunInfo
) -> Answerer:
    start = time.perf_counter()
    pipeline = factory(key, documents)
    info.build_seconds += time.perf_counter() - start
    info.fingerprints[key] = pipeline.manifest.fingerprint
    info.settings = info.settings or pipeline.settings
    return pipeline


# --- the stamp ------------------------------------------------------------------------------


def git_commit(root: Path = PROJECT_ROOT) -> tuple[str, bool]:
    """HEAD's hash and whether the tree has uncommitted changes; ("unknown", False) without git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
    if head.returncode != 0 or not head.stdout.strip():
        return "unknown", False
    return head.stdout.strip(), bool(status.stdout.strip())


def plain(value: Any) -> Any:
    """JSON-ready settings: paths as str, nested values converted."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf": JSON has no Infinity (jq, JSON.parse refuse it)
    return value


def settings_dict(settings: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` of the settings, paths as str."""
    fields = dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else vars(settings)
    return plain(dict(fields))


def combined_fingerprint(fingerprints: dict[str, str]) -> str:
    """The single index's fingerprint, or a short hash over several (key-sorted)."""
    if len(fingerprints) == 1:
        return next(iter(fingerprints.values()))
    joined = "\n".join(f"{k}\t{v}" for k, v in sorted(fingerprints.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:12] if joined else "none"


def make_stamp(
    plan: Plan,
    info: RunInfo,
    command: str,
    wall_s: float,
    code: tuple[str, bool] | None = None,
    notes: Sequence[str] = (),
) -> Stamp:
    """``code``: (commit, dirty) as the run started; a long run can outlive its HEAD;
    ``notes``: what the run found beside the plan's own notes (questions refused)."""
    settings = info.settings
    if settings is None:
        from qa.settings import Settings

        settings = Settings()
    commit, dirty = code or git_commit()
    return Stamp(
        date=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        commit=commit,
        dirty=dirty,
        fingerprint=combined_fingerprint(info.fingerprints),
        fingerprints=dict(info.fingerprints),
        settings=settings_dict(settings),
        models={
            "embedding_model": settings.embedding_model,
            "reranker_model": settings.reranker_model,
            "reader_model": settings.reader_model,
        },
        samples=list(plan.samples),
        notes=[*plan.notes, *notes],
        command=command,
        wall_s=wall_s,
        build_s=info.build_seconds,
    )


# --- the command ----------------------------------------------------------------------------


def command_line(args: argparse.Namespace) -> str:
    parts = ["qa eval", f"--set {args.set}", f"--seed {args.seed}", f"--out {args.out}"]
    if args.limit is not None:
        parts.append(f"--limit {args.limit}")
    if getattr(args, "split", None):
        parts.append(f"--split {args.split}")
    if args.ablations:
        parts.append("--ablations")
    if getattr(args, "domain", None):
        parts.append(f"--domain {args.domain}")
    return " ".join(parts)


def run(
    args: argparse.Namespace, factory: PipelineFactory | None = None, progress: bool = True
) -> tuple[Path, str]:
    """Plan, execute, write the report; returns the report folder and the console summary.
    Without ``factory``, pipelines take the settings given as flags (``qa --reader-model DIR
    eval``, ``qa eval --retrieval hybrid+reader``): they were ignored before."""
    from qa.flags import settings_from_args

    factory = factory or factory_for(settings_from_args(args))
    started = time.perf_counter()
    code = git_commit()  # before the run: the code it runs, even if HEAD moves meanwhile
    plan = build_plan(
        args.set,
        args.limit,
        args.seed,
        args.ablations,
        getattr(args, "split", None) or "test",
        getattr(args, "domain", None),
    )
    for note in plan.notes:
        print(note, file=sys.stderr)
    results, info = execute(plan, factory, progress)
    wall_s = time.perf_counter() - started
    stamp = make_stamp(plan, info, command_line(args), wall_s, code, error_notes(results))
    summaries = summaries_for(plan, results)
    out = Path(args.out)
    write_report(out, stamp, plan, summaries, results)
    return out, console_summary(stamp, plan, summaries)


def run_cli(args: argparse.Namespace) -> int:
    """Entry point of ``qa eval``; missing external data is a note, not a failure."""
    out, text = run(args)
    print(text)
    print(f"\nreport: {out / 'report.md'}  results: {out / 'results.jsonl'}")
    return 0
