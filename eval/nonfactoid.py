"""``qa eval --set nonfactoid``: yes/no, why, how, opinion and gist questions, scored per kind.

``eval/data/nonfactoid.jsonl`` names its articles (the seed article's file, or the URL title
of a SQuADShifts NYT article in ../shared/data/train/). Gold evidence about the seed article is
quoted; about an NYT article it is given as character offsets into its paragraph
(``evidence_at``) and read from the article at run time, so no text of the shared data is
in the repository. Each NYT article is indexed alone (¶N = its N-th
paragraph), as the SQuAD sets are. Metrics, per kind and overall:

* evidence F1: SQuAD token F1 of ``Answer.text`` against the best gold evidence string;
  an abstention scores 0 (answerable questions only).
* ¶@1: the first citation is a gold paragraph (answered, answerable questions).
* answered: share of answerable questions not abstained on.
* echo: share of answers whose content words are all in the question.
* refused: share of on-topic unanswerable questions abstained on.
* verdict shown: share of answered yes/no questions with a gold verdict ("yes", "no" or
  "mixed", written for this set) whose Answer carries a verdict; verdict accuracy: the share
  of those shown that are right (None when none is shown).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from eval.datasets import read_jsonl, shared_data_dir
from eval.external import load_squad, squad_document
from eval.metrics import f1_score
from qa.answering import is_echo
from qa.settings import Settings
from qa.types import Answer, Document

NONFACTOID_FILE = Path(__file__).resolve().parent / "data" / "nonfactoid.jsonl"
NYT_FILE = "train/squadshifts_nyt_half_a.json"
KIND_ORDER = ("yes/no", "why", "how", "opinion", "gist")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    article: str  # the seed file's path, or an NYT article's URL title
    question: str
    kind: str
    evidence: tuple[str, ...]  # empty: the article does not answer it (or not yet read)
    paragraph: int | None
    evidence_at: tuple[tuple[int, int], ...] = ()  # offsets into the paragraph, read at run time
    verdict: str | None = None  # yes/no items: what the evidence settles (yes, no, mixed)

    @property
    def answerable(self) -> bool:
        return bool(self.evidence or self.evidence_at)

    def read(self, document: Document) -> Item:
        """The item with its evidence read from its article's paragraph (at the offsets)."""
        if not self.evidence_at or self.paragraph is None:
            return self
        text = document.paragraph(self.paragraph).text
        quoted = tuple(text[start:end] for start, end in self.evidence_at)
        return replace(self, evidence=quoted, evidence_at=())


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    kind: str
    question: str
    answerable: bool
    answer: str
    abstained: bool
    answered_kind: str
    f1: float
    para_at_1: float | None  # None: not scored (unanswerable, or abstained)
    echo: bool
    confidence: float
    gold_verdict: str | None = None
    verdict: str | None = None  # the Answer's


def load_items(path: Path = NONFACTOID_FILE) -> list[Item]:
    return [
        Item(
            r["id"], r["article"], r["question"], r["kind"], tuple(r.get("evidence", ())),
            r["paragraph"], tuple(tuple(span) for span in r.get("evidence_at", ())),
            r.get("verdict"),
        )
        for r in read_jsonl(path)
    ]  # fmt: skip


def nyt_documents(titles: Iterable[str], root: Path) -> dict[str, Document]:
    """The named NYT articles of the shared training file, one Document each."""
    wanted = set(titles)
    articles = load_squad(root / NYT_FILE)
    return {a.title: squad_document(a) for a in articles if a.title in wanted}


def check_gold(item: Item, document: Document) -> None:
    """Every gold string must be verbatim in its paragraph: the set quotes, never rewrites."""
    if item.paragraph is None:
        return
    text = document.paragraph(item.paragraph).text
    missing = [g for g in item.evidence if g not in text]
    if missing:
        raise ValueError(f"{item.id}: gold not verbatim in ¶{item.paragraph}: {missing[0]!r}")


def outcome(item: Item, answer: Answer) -> Outcome:
    answerable = bool(item.evidence)
    scored = answerable and not answer.abstained
    f1 = f1_score(answer.text, item.evidence) if scored else 0.0  # max over the golds
    para = None
    if answerable and not answer.abstained and answer.citations:
        para = float(answer.citations[0].paragraph == item.paragraph)
    echo = not answer.abstained and is_echo(answer.text, item.question)
    return Outcome(
        item.id, item.kind, item.question, answerable, answer.text, answer.abstained,
        answer.kind, f1, para, echo, answer.confidence, item.verdict,
        None if answer.abstained else answer.verdict,
    )  # fmt: skip


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summary(outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    answerable = [o for o in outcomes if o.answerable]
    answered = [o for o in answerable if not o.abstained]
    negatives = [o for o in outcomes if not o.answerable]
    given = [o for o in outcomes if not o.abstained]
    return {
        "n": len(outcomes),
        "answerable": len(answerable),
        "evidence_f1": mean([o.f1 for o in answerable]),
        "para_at_1": mean([o.para_at_1 for o in answered if o.para_at_1 is not None]),
        "answered": mean([0.0 if o.abstained else 1.0 for o in answerable]),
        "echo": mean([1.0 if o.echo else 0.0 for o in given]),
        "unanswerable": len(negatives),
        "refused": mean([1.0 if o.abstained else 0.0 for o in negatives]),
        "kind_recognised": mean([1.0 if o.answered_kind == o.kind else 0.0 for o in outcomes]),
        **verdict_summary(outcomes),
    }


def verdict_summary(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    judged = [o for o in outcomes if o.gold_verdict and not o.abstained]
    shown = [o for o in judged if o.verdict is not None]
    return {
        "verdict_shown": mean([1.0 if o.verdict is not None else 0.0 for o in judged]),
        "verdict_accuracy": mean([1.0 if o.verdict == o.gold_verdict else 0.0 for o in shown]),
    }


def table(outcomes: Sequence[Outcome]) -> str:
    cols = (
        "n", "evidence_f1", "para_at_1", "answered", "echo", "refused", "kind_recognised",
        "verdict_shown", "verdict_accuracy",
    )  # fmt: skip
    lines = ["| kind | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    groups = [(k, [o for o in outcomes if o.kind == k]) for k in KIND_ORDER]
    for name, group in [*groups, ("overall", list(outcomes))]:
        row = summary(group)
        cells = [_cell(row[c]) for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | int | None) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def run(
    out: Path, overrides: dict | None = None, settings: Settings | None = None
) -> tuple[list[Outcome], str]:
    """Ask every item of the set through the ordinary pipeline (``settings``: the command
    line's); write results.jsonl."""
    from qa import Pipeline, get_pipeline

    settings = settings or Settings()
    items = load_items()
    nyt = nyt_documents((i.article for i in items), shared_data_dir().parent)
    outcomes = []
    for article in dict.fromkeys(i.article for i in items):
        if article in nyt:
            pipeline = Pipeline([nyt[article]], settings, persist=False)
        else:
            pipeline = get_pipeline(settings)
        document = nyt.get(article) or next(iter(pipeline.documents.values()))
        for item in (i.read(document) for i in items if i.article == article):
            check_gold(item, document)
            outcomes.append(outcome(item, pipeline.answer(item.question, **(overrides or {}))))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for o in outcomes:
            f.write(json.dumps(asdict(o), ensure_ascii=False) + "\n")
    return outcomes, table(outcomes)


def run_cli(args: argparse.Namespace) -> int:
    from qa.flags import settings_from_args

    out = Path(args.out)
    _, text = run(out, settings=settings_from_args(args))
    print(text)
    print(f"\nresults: {out / 'results.jsonl'}")
    return 0
