"""Training examples from the SQuAD-format files in ../shared/data (never copied into the repo).

Splits, fixed so that no score is ever reported on trained data:
- SQuAD v1.1 dev articles 1-21: training; articles 22-24: the held-out dev slice for model
  selection. Articles 25-48 are never read here (reporting only, in ``qa eval``).
- Reddit, Amazon, Quoref: a seeded 5% of passages held out as dev, the rest for training.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.environment import shared_data_dir

DATA_DIR = shared_data_dir()
SQUAD = "external/squad_v1.1_dev.json"
SQUAD_TRAIN_ARTICLES = range(0, 21)  # articles 1-21 (0-based)
SQUAD_DEV_ARTICLES = range(21, 24)  # articles 22-24
EXTRA = {
    "reddit": "train/squadshifts_reddit_v1.0.json",
    "amazon": "train/squadshifts_amazon_v1.0.json",
    "quoref": "train/quoref_ni.json",
}
DEV_SHARE = 0.05
SEARCH_RADIUS = 200  # Amazon's wrong offsets: look this far around the given start


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    source: str
    question: str
    context: str
    start: int  # char offsets of the first gold answer in context
    end: int
    answers: tuple[str, ...]  # every gold answer text, for scoring
    article: int = 0  # index of the article in its file: on-topic negatives come from it


def locate(context: str, text: str, start: int) -> int | None:
    """The gold answer's true start: as given, else the nearest occurrence within the radius."""
    if context[start : start + len(text)] == text:
        return start
    lo = max(0, start - SEARCH_RADIUS)
    hits = [i for i in _occurrences(context, text, lo, start + SEARCH_RADIUS + len(text))]
    return min(hits, key=lambda i: abs(i - start)) if hits else None


def _occurrences(context: str, text: str, lo: int, hi: int) -> Iterator[int]:
    i = context.find(text, lo, hi)
    while i >= 0:
        yield i
        i = context.find(text, i + 1, hi)


def read_squad(path: Path, source: str, articles: range | None = None) -> list[list[Example]]:
    """Examples grouped by passage (so splits never share a passage across train and dev)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    chosen = [data[i] for i in articles] if articles is not None else data
    groups = []
    for number, article in enumerate(chosen):
        for para in article["paragraphs"]:
            context = para["context"]
            group = [ex for qa in para["qas"] if (ex := _example(context, qa, source, number))]
            if group:
                groups.append(group)
    return groups


def _example(context: str, qa: dict, source: str, article: int) -> Example | None:
    answers = [a for a in qa.get("answers", []) if a.get("text", "").strip()]
    for gold in answers:
        text = gold["text"].strip()
        start = locate(context, text, gold["answer_start"] + gold["text"].find(text))
        if start is not None:
            texts = tuple(a["text"] for a in answers)
            question = qa["question"].strip()
            return Example(
                qa["id"], source, question, context, start, start + len(text), texts, article
            )
    return None


def splits(
    data_dir: Path = DATA_DIR, seed: int = 13
) -> tuple[dict[str, list[Example]], dict[str, list[Example]]]:
    """(train, dev) examples by source."""
    squad = data_dir / SQUAD
    train = {"squad": _flat(read_squad(squad, "squad", SQUAD_TRAIN_ARTICLES))}
    dev = {"squad": _flat(read_squad(squad, "squad", SQUAD_DEV_ARTICLES))}
    for name, rel in EXTRA.items():
        groups = read_squad(data_dir / rel, name)
        random.Random(seed).shuffle(groups)
        cut = max(1, int(len(groups) * DEV_SHARE))
        dev[name], train[name] = _flat(groups[:cut]), _flat(groups[cut:])
    return train, dev


def _flat(groups: list[list[Example]]) -> list[Example]:
    return [ex for group in groups for ex in group]
