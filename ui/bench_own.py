"""Paste → first answer, as a user of the running app sees it (models warm).

    python -m ui.bench_own [--runs 10] [--words 1000]

Starts the app on a free loopback port. Each run is a new browser-like session
(gradio_client): it gives the app an article of about ``--words`` words through
``/use_article`` (extraction and indexing, the same code as the paste box) and asks its
first question through ``/answer``; the time is from sending the article to the answer.
Articles are SQuAD articles 25-48 (../shared/data; only their text and first question are
used, no scores), their paragraphs taken up to about ``--words`` words (CoQA's CNN stories
are news, but about 300 words each, too short); without the data, the seed article and the
test page are joined instead. One warm-up run is not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from eval.metrics import percentile
from qa.environment import PROJECT_ROOT, shared_data_dir
from ui.app import build_app
from ui.serve import free_port, launch

SQUAD = shared_data_dir() / "external" / "squad_v1.1_dev.json"


def cut(text: str, words: int) -> str:
    """The leading paragraphs of ``text`` holding about ``words`` words (at least one)."""
    kept, count = [], 0
    for paragraph in (p for p in text.split("\n") if p.strip()):
        if kept and count + len(paragraph.split()) > words * 1.1:
            break
        kept.append(paragraph.strip())
        count += len(paragraph.split())
    return "\n\n".join(kept)


def articles(words: int, runs: int) -> list[tuple[str, str]]:
    """(article text, first question) pairs, the longest news stories first."""
    if SQUAD.exists():
        pairs = []
        for article in json.loads(SQUAD.read_text("utf-8"))["data"][24:]:  # articles 25-48
            contexts = "\n".join(p["context"] for p in article["paragraphs"])
            text = f"{article['title'].replace('_', ' ')}\n{contexts}"
            pairs.append((cut(text, words), article["paragraphs"][0]["qas"][0]["question"]))
        return pairs[:runs]
    seed = next((PROJECT_ROOT / "seeds").glob("*.txt")).read_text("utf-8")
    page = (PROJECT_ROOT / "tests" / "fixtures" / "news_page.expected.txt").read_text("utf-8")
    text = cut(seed + "\n" + page, words)
    return [
        (f"{text}\n\nUpdate {n}.", "Who directs the Carnegie Russia Eurasia Center?")
        for n in range(runs)
    ]


def paste_then_ask(url: str, text: str, question: str) -> float:
    from gradio_client import Client

    client = Client(url, verbose=False)  # a new session, as a new browser tab
    start = time.perf_counter()
    client.predict(text, "", api_name="/use_article")
    client.predict(question, api_name="/answer")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--words", type=int, default=1000)
    args = parser.parse_args()
    demo = build_app()
    url = launch(demo, port=free_port(), block=False)
    try:
        pairs = articles(args.words, args.runs + 1)
        paste_then_ask(url, *pairs[0])  # warm-up
        seconds = [paste_then_ask(url, text, q) for text, q in pairs[1:]]
    finally:
        demo.close()
    sizes = [len(text.split()) for text, _ in pairs[1:]]
    print(
        f"articles: {len(seconds)}, words median {statistics.median(sizes):.0f} "
        f"(min {min(sizes)}, max {max(sizes)})"
    )
    print(
        f"paste -> first answer: median {statistics.median(seconds):.2f} s, "
        f"p95 {percentile(seconds, 95):.2f} s, max {max(seconds):.2f} s (target <= 2 s)"
    )


if __name__ == "__main__":
    main()
