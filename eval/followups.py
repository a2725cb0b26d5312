"""The follow-up set: conversations whose last question must be rewritten exactly as written.

Each line of ``tests/data/followups.jsonl`` holds an article name, the earlier questions
(oldest first), optionally the answer each got (verbatim from the article, or null), the
follow-up, and the rewrite expected ("unchanged": left as asked). Resolution runs exactly as
in the pipeline, with the article's names (``qa.answering.names_in``) and each earlier answer
turned into a mention from its paragraph; only the answers come from the file instead of the
reader, so the set tests resolution alone and needs no model.

    python -m eval.followups            # share resolved as written, and every miss
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qa.answering import AnswerOf, Mention, Turn, answer_mention, names_in, resolve
from qa.documents import make_document
from qa.environment import PROJECT_ROOT

CASES_FILE = PROJECT_ROOT / "tests" / "data" / "followups.jsonl"
ARTICLES = {
    "seed": PROJECT_ROOT / "seeds" / "000_36ba9c20c5f9ac76.txt",
    **{p.stem: p for p in sorted((PROJECT_ROOT / "tests" / "data" / "articles").glob("*.txt"))},
}
UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    article: str
    history: tuple[str, ...]
    question: str
    expected: str  # the rewrite, or the question itself for "unchanged"
    answers: tuple[str | None, ...] = ()
    issue: bool = False  # one of the misfires reported in issue 18
    heldout: bool = False  # written after the rules were settled, first run reported as is


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    cases = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expected = row["question"] if row["expected"] == UNCHANGED else row["expected"]
        cases.append(
            Case(
                row["id"],
                row["article"],
                tuple(row["history"]),
                row["question"],
                expected,
                tuple(row.get("answers") or ()),
                bool(row.get("issue")),
                bool(row.get("heldout")),
            )
        )
    return cases


@cache
def article_text(name: str) -> str:
    return ARTICLES[name].read_text(encoding="utf-8")


def _answers_from(case: Case) -> AnswerOf:
    """Each earlier answer found in the article's paragraphs and made a mention, as the
    pipeline does with its citation's offsets."""
    document = make_document(case.article, article_text(case.article))
    names = names_in(document.text)

    def answer_of(turn: Turn) -> Mention | None:
        answer = case.answers[turn.index] if turn.index < len(case.answers) else None
        if not answer:
            return None
        for paragraph in document.paragraphs:
            at = paragraph.text.find(answer)
            if at >= 0:
                return answer_mention(answer, paragraph.text, at, at + len(answer), names)
        raise ValueError(f"{case.id}: the answer {answer!r} is not in {case.article}")

    return answer_of


def resolve_case(case: Case) -> str:
    names = names_in(article_text(case.article))
    return resolve(case.question, list(case.history), _answers_from(case), names)


def misses(cases: Sequence[Case]) -> list[tuple[Case, str]]:
    """The cases not resolved as written, each with what came out."""
    found = [(case, resolve_case(case)) for case in cases]
    return [(case, got) for case, got in found if got != case.expected]


def main() -> int:
    cases = load_cases()
    missed = misses(cases)
    right = len(cases) - len(missed)
    articles = len({c.article for c in cases})
    print(
        f"follow-up set: {right}/{len(cases)} resolved as written ({right / len(cases):.1%}),"
        f" {articles} articles, {sum(c.issue for c in cases)} cases from issue 18"
    )
    held = [c for c in cases if c.heldout]
    held_right = len(held) - sum(c.heldout for c, _ in missed)
    print(f"  of which written after the rules were settled: {held_right}/{len(held)}")
    for case, got in missed:
        print(f"  {case.id}: {case.question!r}")
        print(f"    expected {case.expected!r}\n    got      {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
