"""SQuAD v1.1 and CoQA as evaluation items, read in place from the shared data folder.

SQuAD: one Document per article, its context paragraphs joined by blank lines, so ¶N is
the N-th context. Articles are numbered 1-48 in file order; the "dev" split (1-24) is for
tuning, the "test" split (25-48) for reporting.

CoQA: one Document per story (paragraphs are its blank-line blocks); each turn is asked
with the dialogue's earlier questions as history. "unknown" answers are unanswerable.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from eval.datasets import EvalItem, ParaKey, question_type, sample
from qa.documents import BLANK_LINE, make_document
from qa.types import Document

SQUAD_FILE = "squad_v1.1_dev.json"
COQA_FILE = "coqa_test.json"
SPLITS = {"dev": range(1, 25), "test": range(25, 49)}
ONE_CORPUS = "squad/all"
CNN_CORPUS = "coqa/cnn"  # CoQA's CNN stories in one index


# --- SQuAD ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SquadArticle:
    number: int  # 1-based position in the file
    title: str
    contexts: tuple[str, ...]
    questions: tuple[tuple[int, dict], ...]  # (context index from 1, the SQuAD "qas" entry)

    @property
    def corpus(self) -> str:
        return f"squad/{self.number:02d}"


def is_squad_format(data: object) -> bool:
    """Whether parsed JSON has SQuAD's shape, {"data": [{"paragraphs": [...]}, ...]} (a CoQA
    file's stories, which share train/, have no paragraphs)."""
    articles = data.get("data") if isinstance(data, dict) else None
    return isinstance(articles, list) and all(
        isinstance(a, dict) and isinstance(a.get("paragraphs"), list) for a in articles
    )


def load_squad(path: Path) -> list[SquadArticle]:
    """The articles of a SQuAD v1.1 JSON file, numbered from 1 in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return [
        SquadArticle(
            number=number,
            title=article["title"],
            contexts=tuple(p["context"] for p in article["paragraphs"]),
            questions=tuple(
                (index, qa) for index, p in enumerate(article["paragraphs"], 1) for qa in p["qas"]
            ),
        )
        for number, article in enumerate(data, 1)
    ]


def squad_document(article: SquadArticle) -> Document:
    """The article as one Document whose ¶N is its N-th context paragraph."""
    contexts = [BLANK_LINE.sub("\n", c.replace("\r", " ")).strip() for c in article.contexts]
    document = make_document(article.title, "\n\n".join(contexts))
    if len(document.paragraphs) != len(contexts) or any(p.boilerplate for p in document.paragraphs):
        raise ValueError(f"SQuAD article {article.title}: paragraphs do not map 1:1 to contexts")
    return document


def squad_items(articles: Sequence[SquadArticle], split: str = "test") -> list[EvalItem]:
    """Every question of the split's articles; the relevant ¶ is the question's context."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    chosen = (a for a in articles if a.number in SPLITS[split])
    return [item for article in chosen for item in article_items(article, "squad", article.corpus)]


def article_items(article: SquadArticle, name: str, corpus: str) -> list[EvalItem]:
    """The article's answerable questions as items of set ``name``, asked of ``corpus``; the
    relevant ¶ is the question's context."""
    return [
        EvalItem(
            id=qa["id"],
            set=name,
            question=qa["question"],
            golds=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
            relevant=frozenset({(article.title, index)}),
            corpus=corpus,
            qtype=question_type(qa["question"]),
        )
        for index, qa in article.questions
        if qa["answers"]
    ]


def one_corpus(items: Sequence[EvalItem], key: str = ONE_CORPUS) -> list[EvalItem]:
    """The same questions asked of one index (corpus ``key``) holding every article."""
    return [replace(item, corpus=key) for item in items]


def negative_pairs(corpora: Sequence[str], seed: int) -> dict[str, str]:
    """A seeded derangement: each corpus is paired with a different one (needs two or more)."""
    order = sorted(set(corpora))
    if len(order) < 2:
        return {}
    random.Random(seed).shuffle(order)
    return {order[i]: order[(i + 1) % len(order)] for i in range(len(order))}


def cross_article_negatives(items: Sequence[EvalItem], seed: int, limit: int) -> list[EvalItem]:
    """Questions asked of another article's index, where the right response is to abstain."""
    pairs = negative_pairs([item.corpus for item in items], seed)
    if not pairs:
        return []
    chosen = sample(list(items), limit, seed + 1)
    return [
        replace(
            item,
            id=f"{item.id}@{pairs[item.corpus]}",
            golds=(),
            relevant=frozenset(),
            corpus=pairs[item.corpus],
            qtype="unanswerable",
        )
        for item in chosen
    ]


# --- CoQA -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoqaStory:
    id: str
    source: str
    story: str
    questions: tuple[str, ...]
    answers: tuple[dict, ...]  # CoQA answer records: input_text, span_text, span_start/end


def load_coqa(path: Path) -> list[CoqaStory]:
    """The dialogues of a CoQA JSON file, in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return [
        CoqaStory(
            id=entry["id"],
            source=entry.get("source", ""),
            story=entry["story"],
            questions=tuple(q["input_text"] for q in entry["questions"]),
            answers=tuple(entry["answers"]),
        )
        for entry in data
    ]


def story_text(story: str) -> tuple[str, list[int]]:
    """The story with paragraphs at blank lines, or at every newline when it has no blank line.

    Also returns, for each original offset, its offset in the returned text.
    """
    story = story.replace("\r\n", " \n").replace("\r", "\n")  # keeps every offset in place
    if BLANK_LINE.search(story) or "\n" not in story:
        return story, list(range(len(story) + 1))
    shift, mapping = 0, []
    for char in story:
        mapping.append(len(mapping) + shift)
        shift += char == "\n"
    mapping.append(len(story) + shift)
    return story.replace("\n", "\n\n"), mapping


def coqa_document(story: CoqaStory) -> tuple[Document, list[int]]:
    text, mapping = story_text(story.story)
    return make_document(f"coqa-{story.id}", text), mapping


def is_unknown(answer: dict) -> bool:
    return answer["input_text"].strip().lower().rstrip(".") == "unknown" or answer["span_start"] < 0


def rationale_paragraphs(
    document: Document, mapping: list[int], answer: dict
) -> frozenset[ParaKey]:
    """Citable paragraphs overlapping the answer's rationale span, whitespace trimmed."""
    text = answer["span_text"]
    start = answer["span_start"] + (len(text) - len(text.lstrip()))
    end = answer["span_end"] - (len(text) - len(text.rstrip()))
    if start >= end:
        return frozenset()
    lo, hi = mapping[start], mapping[end]
    return frozenset(
        (document.id, p.number)
        for p in document.paragraphs
        if p.start < hi and p.end > lo and not p.boilerplate
    )


def coqa_golds(answer: dict) -> tuple[str, ...]:
    """The free-form answer, then the rationale span; empty for "unknown"."""
    if is_unknown(answer):
        return ()
    golds = (answer["input_text"].strip(), answer["span_text"].strip())
    return tuple(dict.fromkeys(g for g in golds if g))


def coqa_story_items(story: CoqaStory) -> list[EvalItem]:
    """Every turn of one dialogue, each with the earlier questions as history."""
    document, mapping = coqa_document(story)
    items = []
    for turn, (question, answer) in enumerate(zip(story.questions, story.answers, strict=True)):
        golds = coqa_golds(answer)
        items.append(
            EvalItem(
                id=f"{story.id}#{turn + 1}",
                set="coqa",
                question=question,
                golds=golds,
                relevant=rationale_paragraphs(document, mapping, answer) if golds else frozenset(),
                corpus=f"coqa/{story.id}",
                history=tuple(story.questions[:turn]),
                qtype=question_type(question) if golds else "unanswerable",
            )
        )
    return items


def coqa_sample(stories: Sequence[CoqaStory], limit: int | None, seed: int) -> list[CoqaStory]:
    """Whole dialogues in a seeded order, until they hold ``limit`` turns (the last is cut)."""
    order = list(stories)
    random.Random(seed).shuffle(order)
    chosen, turns = [], 0
    for story in order:
        if limit is not None and turns >= limit:
            break
        chosen.append(story)
        turns += len(story.questions)
    return chosen


def coqa_items(stories: Sequence[CoqaStory], limit: int | None, seed: int) -> list[EvalItem]:
    """The first ``limit`` turns of seeded-shuffled whole dialogues."""
    items = [
        item for story in coqa_sample(stories, limit, seed) for item in coqa_story_items(story)
    ]
    return items if limit is None else items[:limit]


def stories_of(stories: Sequence[CoqaStory], domain: str | None) -> list[CoqaStory]:
    """The dialogues whose source is ``domain`` (all when None); an unknown one is an error."""
    if domain is None:
        return list(stories)
    known = sorted({story.source for story in stories})
    if domain not in known:
        raise ValueError(f"unknown CoQA domain {domain!r}; choose from {', '.join(known)}")
    return [story for story in stories if story.source == domain]


def cnn_stories(stories: Sequence[CoqaStory]) -> list[CoqaStory]:
    """The dialogues about CNN news stories, in file order."""
    return [story for story in stories if story.source == "cnn"]


def spread(sizes: Sequence[int], limit: int, seed: int) -> list[int]:
    """How many to take of each group: ``limit`` in all (at most every one), as evenly as the
    sizes allow; which groups get one more when it does not divide evenly is seeded."""
    order = list(range(len(sizes)))
    random.Random(seed).shuffle(order)
    quotas = [0] * len(sizes)
    left = min(max(limit, 0), sum(sizes))
    while left:  # one round gives each group that still has some one more
        for i in order:
            if left and quotas[i] < sizes[i]:
                quotas[i] += 1
                left -= 1
    return quotas


def coqa_turn_sample(stories: Sequence[CoqaStory], limit: int | None, seed: int) -> list[EvalItem]:
    """``limit`` seeded turns spread evenly over the stories, each keeping its whole history.

    Unlike :func:`coqa_items` (whole dialogues), this reaches every story of a small sample,
    so a one-corpus run asks about every article in it.
    """
    per_story = [coqa_story_items(story) for story in stories]
    if limit is None:
        return [item for items in per_story for item in items]
    rng = random.Random(seed)
    quotas = spread([len(items) for items in per_story], limit, seed)
    return [
        items[i]
        for items, quota in zip(per_story, quotas, strict=True)
        for i in sorted(rng.sample(range(len(items)), quota))
    ]


def without_history(items: Sequence[EvalItem]) -> list[EvalItem]:
    return [replace(item, history=()) for item in items]


def coqa_documents(stories: Sequence[CoqaStory]) -> dict[str, Document]:
    """Corpus key -> Document for each story."""
    return {f"coqa/{story.id}": coqa_document(story)[0] for story in stories}
