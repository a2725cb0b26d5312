"""Load benchmark on loopback: many gradio_client users, then a burst past the queue.

    python -m ui.load [--users 20] [--seconds 60]

Starts the app on a free loopback port (nothing else is ever contacted), then:
1. ``--users`` clients each ask real questions in a loop for ``--seconds``; every answer is
   compared with the serial answer to the same question (must be identical);
2. a burst of 3 x the queue size submitted at once: how many were served, how many refused
   (queue full), and how long until a new request is answered again.
Bounded in count and time; prints a table of medians, p95 and throughput.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ui.app import EXAMPLES, QUEUE_SIZE, build_app
from ui.serve import free_port, launch

MAX_REQUESTS_PER_USER = 500  # a hard bound on top of the time limit


def serial_answers(url: str) -> dict[str, str]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    return {q: client.predict(q, [], 5, api_name="/answer")["text"] for q in EXAMPLES}


def user(url: str, seconds: float, expected: dict[str, str], seed: int) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    latencies, errors, mismatches = [], collections.Counter(), 0
    stop = time.monotonic() + seconds
    for i in range(MAX_REQUESTS_PER_USER):
        if time.monotonic() > stop:
            break
        question = EXAMPLES[(seed + i) % len(EXAMPLES)]
        started = time.perf_counter()
        try:
            text = client.predict(question, [], 5, api_name="/answer")["text"]
        except Exception as err:  # a refused or failed request counts, it does not stop the user
            errors[error_kind(err)] += 1
            continue
        latencies.append(time.perf_counter() - started)
        mismatches += text != expected[question]
    return {"latencies": latencies, "errors": errors, "mismatches": mismatches}


def error_kind(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err)[:60]}"


def sustained(url: str, users: int, seconds: float, expected: dict[str, str]) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        results = list(pool.map(lambda i: user(url, seconds, expected, i), range(users)))
    wall = time.perf_counter() - started
    latencies = sorted(s for r in results for s in r["latencies"])
    return {
        "requests": len(latencies),
        "errors": sum((r["errors"] for r in results), collections.Counter()),
        "mismatches": sum(r["mismatches"] for r in results),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "per_s": len(latencies) / wall,
    }


def burst(url: str, size: int) -> dict:
    """``size`` requests at once from one client; then the time until one is served again."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    lock, outcome = threading.Lock(), {"served": 0, "refused": collections.Counter()}

    def one(_: int) -> None:
        try:
            client.submit(EXAMPLES[0], [], 5, api_name="/answer").result(timeout=300)
        except Exception as err:
            with lock:
                outcome["refused"][error_kind(err)] += 1
            return
        with lock:
            outcome["served"] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(size) as pool:
        list(pool.map(one, range(size)))
    outcome["burst_s"] = time.perf_counter() - started
    probe = time.perf_counter()
    client.predict(EXAMPLES[1], [], 5, api_name="/answer")
    outcome["recovered_ms"] = 1000 * (time.perf_counter() - probe)
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="pipelines serving at once")
    args = parser.parse_args()
    demo = build_app(workers=args.workers)
    try:
        url = launch(demo, port=free_port(), block=False)  # loopback only
        expected = serial_answers(url)
        load = sustained(url, args.users, args.seconds, expected)
        print(
            f"workers {args.workers}: {args.users} users for {args.seconds:.0f} s: "
            f"{load['requests']} answers "
            f"({load['per_s']:.2f}/s), errors {dict(load['errors']) or 0}, "
            f"{load['mismatches']} differing "
            f"from serial; latency p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms"
        )
        spike = burst(url, 3 * QUEUE_SIZE)
        print(
            f"burst of {3 * QUEUE_SIZE} at once: {spike['served']} served, refused "
            f"{dict(spike['refused']) or 0} in {spike['burst_s']:.1f} s; next request answered in "
            f"{spike['recovered_ms']:.0f} ms"
        )
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
