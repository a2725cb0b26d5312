"""Training examples from the SQuAD-format files in ../shared/data (never copied into the repo).

Splits, fixed so that no score is ever reported on trained data:
- SQuAD v1.1 dev articles 1-21: training; articles 22-24: the held-out dev slice for model
  selection. Articles 25-48 are never read here (reporting only, in ``qa eval``).
- Reddit, Amazon, Quoref, Natural Questions: a seeded 5% of passages held out as dev.
- NYT and new Wikipedia: a seeded 10% of *articles* held out (no article in both).
- Disfl-QA (rewrites of SQuAD dev 1-24 questions, 1,052 unanswerable): the article of the
  SQuAD dev slice (Geology, article 22) held out, the rest for training.
Natural Questions' text is whitespace-tokenised (``Phineas 's``); it is detokenised first.
"""

from __future__ import annotations

import json
import random
import re
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
    "nq": "train/nq_knowledge_conflicts.json",
}
BY_ARTICLE = {
    "nyt": "train/squadshifts_nyt_half_a.json",
    "new_wiki": "train/squadshifts_new_wiki_v1.0.json",
}
DISFL = "train/disflqa_articles_1_24.json"
DISFL_DEV_TITLES = {"Geology", "Newcastle_upon_Tyne", "Victoria_and_Albert_Museum"}
DETOKENISE = {"nq"}
DEV_SHARE = 0.05
ARTICLE_DEV_SHARE = 0.10
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


_SPACED = [
    (re.compile(r" (['’]s|n't|'re|'ve|'ll|'d|'m)\b"), r"\1"),
    (re.compile(r" ([,.;:!?%)\]])"), r"\1"),
    (re.compile(r"([(\[$]) "), r"\1"),
    (re.compile(r"`` ?| ?''"), '"'),
    (re.compile(r" - "), "-"),
]


def detokenise(text: str) -> str:
    """Natural Questions' whitespace-tokenised text as written: "Phineas 's" -> "Phineas's"."""
    for pattern, repl in _SPACED:
        text = pattern.sub(repl, text)
    return text


def read_squad(
    path: Path, source: str, articles: range | None = None, unanswerable: bool = False
) -> list[list[Example]]:
    """Examples grouped by passage (so splits never share a passage across train and dev).
    ``unanswerable`` keeps questions without an answer (Disfl-QA's) as [CLS] targets."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    chosen = [data[i] for i in articles] if articles is not None else data
    groups = []
    for number, article in enumerate(chosen):
        for para in article["paragraphs"]:
            group = _passage(para, source, number, unanswerable)
            if group:
                groups.append(group)
    return groups


def _passage(para: dict, source: str, article: int, unanswerable: bool) -> list[Example]:
    context, qas = para["context"], para["qas"]
    if source in DETOKENISE:
        context = detokenise(context)
        qas = [_detokenised(qa) for qa in qas]
    group = [ex for qa in qas if (ex := _example(context, qa, source, article))]
    if unanswerable:
        group += [
            Example(qa["id"], source, qa["question"].strip(), context, -1, -1, (), article)
            for qa in qas
            if qa.get("is_impossible") and not qa.get("answers")
        ]
    return group


def _detokenised(qa: dict) -> dict:
    # The answer's offset is only a hint after detokenising: locate() searches around it.
    answers = [
        {"text": detokenise(a["text"]), "answer_start": int(a["answer_start"] * 0.97)}
        for a in qa.get("answers", [])
    ]
    return {**qa, "question": detokenise(qa["question"]), "answers": answers}


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
    for name, rel in BY_ARTICLE.items():
        examples = _flat(read_squad(data_dir / rel, name))
        held = held_out_articles(examples, seed)
        dev[name] = [ex for ex in examples if ex.article in held]
        train[name] = [ex for ex in examples if ex.article not in held]
    train["disfl"], dev["disfl"] = _disfl(data_dir / DISFL)
    return train, dev


def held_out_articles(examples: list[Example], seed: int = 13) -> set[int]:
    """The articles (0-based, in file order) of a by-article source held out from training."""
    numbers = sorted({ex.article for ex in examples})
    cut = max(1, int(len(numbers) * ARTICLE_DEV_SHARE))
    return set(random.Random(seed).sample(numbers, cut))


def held_out_nyt(data_dir: Path = DATA_DIR, seed: int = 13) -> set[int]:
    """The NYT articles never trained on (0-based), as ``splits`` with ``seed`` (the recipe's
    default, the shipped reader's) holds them out."""
    return held_out_articles(_flat(read_squad(data_dir / BY_ARTICLE["nyt"], "nyt")), seed)


def _disfl(path: Path) -> tuple[list[Example], list[Example]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    held = [i for i, article in enumerate(data) if article["title"] in DISFL_DEV_TITLES]
    rest = [i for i in range(len(data)) if i not in held]
    groups = read_squad(path, "disfl", unanswerable=True)
    by = {g[0].article: [] for g in groups}
    for g in groups:
        by[g[0].article] += g
    return (
        [ex for i in rest for ex in by.get(i, [])],
        [ex for i in held for ex in by.get(i, [])],
    )


def _flat(groups: list[list[Example]]) -> list[Example]:
    return [ex for group in groups for ex in group]


COQA = "train/coqa_wikipedia_gutenberg.json"


def coqa_turns(data_dir: Path = DATA_DIR) -> list[Example]:
    """CoQA's training dialogues (its wikipedia and gutenberg stories) as single questions, each
    turn made self-contained from the earlier ones as the pipeline resolves a follow-up
    (``qa.answering.resolve_conversation``), in the story's paragraph holding its rationale,
    paragraphed as ``qa eval --set coqa`` paragraphs a story. Short, elliptical questions ("for
    what?", "Was he troubled by ghosts") that the other sources hardly hold; "unknown" turns
    are left out."""
    from eval.external import is_unknown, story_text
    from qa.answering import resolve_conversation
    from qa.documents import split_paragraphs

    data = json.loads((data_dir / COQA).read_text(encoding="utf-8"))["data"]
    examples = []
    for number, story in enumerate(data):
        asked = [q["input_text"] for q in story["questions"]]
        history, last = resolve_conversation(asked[:-1], asked[-1])
        text, mapping = story_text(story["story"])
        paragraphs = split_paragraphs(story["id"], text)
        pairs = zip([*history, last], story["answers"], strict=True)
        for turn, (question, answer) in enumerate(pairs):
            if is_unknown(answer):
                continue
            start, end = mapping[answer["span_start"]], mapping[answer["span_end"]]
            p = next((p for p in paragraphs if p.start <= start < p.end), None)
            if p is None:
                continue
            examples.append(
                Example(f"coqa-{story['id']}-{turn}", "coqa", question, p.text,
                        start - p.start, min(end, p.end) - p.start, (answer["input_text"],),
                        number)
            )  # fmt: skip
    return examples
