"""The seed-article reference set (eval/data/article.jsonl) is well-formed and verbatim.

Paragraph numbers are checked against the project's own numbering
(qa.documents.load_documents on seeds/), so a change to either side is caught here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa.documents import load_documents
from qa.environment import PROJECT_ROOT
from qa.types import Document

ARTICLE_FILE = PROJECT_ROOT / "eval" / "data" / "article.jsonl"
SEED_FILE = "000_36ba9c20c5f9ac76.txt"
TYPES = {"who", "what", "where", "when", "how many", "why", "how", "which", "yes-no"}
FIELDS = {"id", "question", "answers", "paragraph", "type", "history"}


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [json.loads(line) for line in _lines(ARTICLE_FILE)]


@pytest.fixture(scope="module")
def seed() -> Document:
    documents = {doc.id: doc for doc in load_documents(PROJECT_ROOT / "seeds")}
    return documents[SEED_FILE]


def test_every_line_parses_to_an_object_with_the_documented_fields() -> None:
    for number, line in enumerate(_lines(ARTICLE_FILE), 1):
        row = json.loads(line)
        assert isinstance(row, dict), f"line {number}"
        assert set(row) == FIELDS, f"line {number}: fields {sorted(row)}"


def test_field_types(items: list[dict]) -> None:
    for row in items:
        assert isinstance(row["id"], str) and row["id"], row
        assert isinstance(row["question"], str) and row["question"].strip(), row
        assert isinstance(row["answers"], list), row
        assert all(isinstance(a, str) and a.strip() for a in row["answers"]), row
        assert all(isinstance(h, str) and h.strip() for h in row["history"]), row
        assert row["type"] in TYPES | {"unanswerable"}, row


def test_ids_are_unique(items: list[dict]) -> None:
    duplicates = [i for i, n in Counter(row["id"] for row in items).items() if n > 1]
    assert not duplicates


def test_counts(items: list[dict]) -> None:
    single = [row for row in items if not row["history"]]
    assert sum(bool(row["answers"]) for row in single) >= 60
    assert sum(not row["answers"] for row in items) >= 15
    assert sum(bool(row["history"]) for row in items) >= 10


def test_unanswerable_items_have_no_paragraph(items: list[dict]) -> None:
    for row in items:
        if not row["answers"]:
            assert row["paragraph"] is None, row["id"]
            assert row["type"] == "unanswerable", row["id"]


def test_answerable_items_name_a_type_and_a_paragraph(items: list[dict]) -> None:
    for row in items:
        if row["answers"]:
            assert row["type"] in TYPES, row["id"]
            assert isinstance(row["paragraph"], int), row["id"]


def test_every_gold_answer_is_verbatim_in_its_paragraph(items: list[dict], seed: Document) -> None:
    for row in items:
        if not row["answers"]:
            continue
        assert 1 <= row["paragraph"] <= len(seed.paragraphs), row["id"]
        text = seed.paragraph(row["paragraph"]).text
        for answer in row["answers"]:
            assert answer in text, f"{row['id']}: {answer!r} not in ¶{row['paragraph']}"


def test_evidence_paragraphs_are_not_boilerplate(items: list[dict], seed: Document) -> None:
    for row in items:
        if row["answers"]:
            assert not seed.paragraph(row["paragraph"]).boilerplate, row["id"]


def test_follow_up_history_does_not_repeat_the_question(items: list[dict]) -> None:
    for row in items:
        assert row["question"] not in row["history"], row["id"]
