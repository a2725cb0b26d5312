"""The reader alone, on each question's gold paragraph (no retrieval): SQuAD EM / F1.

    python -m eval.gold --reader article-qa/reader --split test --limit 1000

``--split test`` is SQuAD dev articles 25-48 (reporting); ``--split heldout`` is articles 22-24,
held out from the reader's training, for model selection and the int8-vs-fp32 check.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from eval.datasets import sample, shared_data_dir
from eval.external import SQUAD_FILE, SquadArticle, load_squad
from eval.metrics import exact_match, f1_score
from qa.reading import NeuralReader, load_span_model
from qa.types import Chunk, Passage

SPLITS = {"test": range(25, 49), "heldout": range(22, 25)}


def gold_passage(context: str, number: int) -> Passage:
    """A whole SQuAD context as a retrieved passage (its paragraph and chunk at once)."""
    chunk = Chunk(0, "gold", number, 0, len(context), context)
    return Passage(chunk, context, 0, rerank_score=0.0)


def questions(articles: Sequence[SquadArticle], split: str) -> list[tuple[str, str, list[str]]]:
    """(question, context, gold answers) of the split's articles, in file order."""
    return [
        (qa["question"], article.contexts[index - 1], [a["text"] for a in qa["answers"]])
        for article in articles
        if article.number in SPLITS[split]
        for index, qa in article.questions
    ]


def score(reader: NeuralReader, rows: Sequence[tuple[str, str, list[str]]]) -> dict[str, float]:
    em, f1, times = [], [], []
    for question, context, golds in rows:
        started = time.perf_counter()
        found = reader.read(question, [gold_passage(context, 1)])
        times.append(time.perf_counter() - started)
        predicted = found[0].text if found else ""
        em.append(exact_match(predicted, golds))
        f1.append(f1_score(predicted, golds))
    return {
        "n": len(rows),
        "em": round(float(np.mean(em)), 4),
        "f1": round(float(np.mean(f1)), 4),
        "p50_ms": round(float(np.median(times)) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", default="article-qa/reader", help="model name or folder")
    parser.add_argument("--split", choices=sorted(SPLITS), default="test")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    rows = questions(load_squad(shared_data_dir() / SQUAD_FILE), args.split)
    rows = sample(rows, args.limit, args.seed)
    print(
        {
            "reader": args.reader,
            "split": args.split,
            **score(NeuralReader(load_span_model(args.reader)), rows),
        }
    )


if __name__ == "__main__":
    main()
