"""Speed figures: cold start to first answer, and answer() latency on the seed article.

    python -m eval.bench [--calls 50] [--retrieval hybrid+reader] [--reader-model DIR ...]

Any setting may be given as a flag (as for ``qa``), to compare variants such as the one-pass
and two-pass modes. Prints medians measured in this one run; the machine is noisy, so
compare runs made together.
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
from qa.flags import add_setting_flags, settings_from_args
from qa.settings import FIELDS, Settings

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


def warm_latency(calls: int, overrides: dict[str, Any]) -> list[float]:
    """Milliseconds per answer() call, cycling through the reference questions."""
    from qa import answer

    rows = read_jsonl(ARTICLE_FILE)
    answer(rows[0]["question"], **overrides)  # load models and parse caches outside the timing
    times = []
    for i in range(calls):
        row = rows[i % len(rows)]
        start = time.perf_counter()
        answer(row["question"], history=row.get("history") or None, **overrides)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--cold-runs", type=int, default=3)
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
    warm = warm_latency(args.calls, overrides)
    p95 = percentile(warm, 95)
    print(
        f"answer(): median {statistics.median(warm):.1f} ms, p95 {p95:.1f} ms, "
        f"over {len(warm)} calls (first pass includes spaCy parses of new paragraphs)"
    )


if __name__ == "__main__":
    main()
