"""End-to-end latency of one question through the UI's server, as a client sees it.

    python -m ui.bench [--runs 10]

Starts the app on a free loopback port, asks through gradio_client (HTTP, queue, JSON and
all) and prints the median and spread. The first call is a warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ui.app import EXAMPLES, build_app
from ui.serve import free_port, launch


def measure(url: str, questions: list[str]) -> list[float]:
    """Seconds per question, one after the other, each over a fresh HTTP round trip."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict(questions[0], api_name="/answer")  # warm-up: caches, first-call paths
    seconds = []
    for question in questions:
        start = time.perf_counter()
        client.predict(question, api_name="/answer")
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    questions = [EXAMPLES[i % len(EXAMPLES)] for i in range(args.runs)]
    demo = build_app()
    try:
        seconds = measure(launch(demo, port=free_port(), block=False), questions)
    finally:
        demo.close()
    ms = sorted(s * 1000 for s in seconds)
    print(
        f"end-to-end latency over {len(ms)} questions via gradio_client: "
        f"median {statistics.median(ms):.0f} ms (min {ms[0]:.0f}, max {ms[-1]:.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
