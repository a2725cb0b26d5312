"""Speed figures: cold start to first answer, and answer() latency on the seed article.

    python -m eval.bench [--calls 50] [--retrieval hybrid+reader] [--reader-model DIR ...]

Any setting may be given as a flag (as for ``qa``). To compare variants, give each other one
as ``--against NAME=VALUE[,...]`` (per-call settings, e.g. ``--against read_depth=3 --against
retrieval=hybrid+reader``): their calls alternate question by question with the first's, in
one process, so a noisy machine's drift falls on all alike, and each median is printed with
its ratio to the first's. Separate runs of a noisy machine are not comparable.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eval.datasets import ARTICLE_FILE, read_jsonl
from eval.metrics import percentile
from qa.flags import add_setting_flags, settings_from_args, value_type
from qa.settings import FIELDS, PER_CALL_FIELDS, Settings, validate_settings

COLD = (
    "import sys, time; t = time.perf_counter(); from qa import answer; "
    "a = answer('Who directs the Carnegie Russia Eurasia Center?', **eval(sys.argv[1])); "
    "print(time.perf_counter() - t, a)"
)


def cold_start(runs: int, overrides: dict[str, Any]) -> list[float]:
    """Seconds from a fresh interpreter's import to its first answer (index already built)."""
    command = [sys.executable, "-c", COLD, repr(overrides)]
    subprocess.run(command, check=True, capture_output=True)  # builds the index
    times = []
    for _ in range(runs):
        out = subprocess.run(command, check=True, capture_output=True)
        times.append(float(out.stdout.split()[0]))
    return times


def warm_latency(calls: int, variants: list[dict[str, Any]]) -> list[list[float]]:
    """Milliseconds per answer() call for each variant (per-call settings), cycling through the
    reference questions; with several variants their calls alternate question by question, so
    a noisy machine's drift falls on every variant alike."""
    from qa import answer

    rows = read_jsonl(ARTICLE_FILE)
    for overrides in variants:  # load models and parse caches outside the timing
        answer(rows[0]["question"], **overrides)
    times: list[list[float]] = [[] for _ in variants]
    for i in range(calls):
        row = rows[i % len(rows)]
        # Who goes first on a question pays its paragraphs' first parse: each variant in turn.
        for v in ((i + j) % len(variants) for j in range(len(variants))):
            start = time.perf_counter()
            answer(row["question"], history=row.get("history") or None, **variants[v])
            times[v].append((time.perf_counter() - start) * 1000)
    return times


def variant(text: str) -> dict[str, Any]:
    """'read_depth=3,k=4' as per-call settings, each value of its field's type."""
    out: dict[str, Any] = {}
    for pair in text.split(","):
        name, _, value = pair.partition("=")
        name = name.strip()
        if name not in PER_CALL_FIELDS or not value:
            raise SystemExit(
                f"--against {text!r}: expected NAME=VALUE with a per-call setting's name "
                "(index and model settings need a run of their own)"
            )
        try:
            out[name] = value_type(name)(value.strip())  # as its flag reads it
        except (argparse.ArgumentTypeError, ValueError) as err:
            raise SystemExit(f"--against {text!r}: {err}") from None
    try:
        validate_settings(Settings().replace(**out))  # out of its bounds: refused, with why
    except (TypeError, ValueError) as err:
        raise SystemExit(f"--against {text!r}: {err}") from None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        type=variant,
        metavar="NAME=VALUE[,...]",
        help="also time this variant of the per-call settings, its calls alternating with the "
        "first's (repeatable); each is printed with its ratio to the first",
    )
    add_setting_flags(parser, list(FIELDS))
    args = parser.parse_args()
    given = settings_from_args(args)
    overrides = {
        name: str(value) if isinstance(value, Path) else value
        for name in FIELDS
        if (value := getattr(given, name)) != getattr(Settings(), name)
    }
    if overrides:
        print(f"settings: {overrides}")
    cold = cold_start(args.cold_runs, overrides)
    print(
        f"cold start to first answer: median {statistics.median(cold):.2f} s "
        f"over {len(cold)} runs ({', '.join(f'{t:.2f}' for t in cold)})"
    )
    variants = [overrides, *({**overrides, **v} for v in args.against)]
    print_warm([overrides, *args.against], warm_latency(args.calls, variants))


def print_warm(shown: list[dict[str, Any]], timings: list[list[float]]) -> None:
    """Each variant's median and p95; with several, labelled and with the ratio to the first."""
    base = statistics.median(timings[0])
    for i, (given, warm) in enumerate(zip(shown, timings, strict=True)):
        label = f"[{', '.join(f'{k}={v}' for k, v in given.items()) or 'default'}] "
        ratio = f", {statistics.median(warm) / base:.2f}x the first's" if i else ""
        print(
            f"{label * (len(shown) > 1)}answer(): median {statistics.median(warm):.1f} ms, p95 "
            f"{percentile(warm, 95):.1f} ms, over {len(warm)} calls{ratio} (first pass "
            "includes spaCy parses of new paragraphs)"
        )


if __name__ == "__main__":
    main()
