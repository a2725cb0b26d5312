"""Paragraph-aware chunking with exact offsets (no models)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from qa.documents import make_document
from qa.documents.chunking import chunk_documents, locate_pieces, make_splitter, split_with_offsets
from qa.settings import Settings
from qa.types import Chunk, Document

REPEATED = "The talks resumed. " * 12
LONG_PARAGRAPH = " ".join(
    f"Sentence {i} says that China and Russia held talks, and that trade grew; nothing else."
    for i in range(25)
)


def synthetic_document() -> Document:
    text = "\n\n".join(
        [
            "A synthetic headline",
            LONG_PARAGRAPH,
            "Short one.",
            REPEATED.strip(),
            "Source link",
            "Line one of a block\nline two of the same block, which goes on for a while longer.",
            LONG_PARAGRAPH,  # the same text twice: offsets must land in the right paragraph
            "Comments are closed.",
        ]
    )
    return make_document("synthetic.txt", text)


def assert_chunk_invariants(documents: list[Document], chunks: list[Chunk]) -> None:
    by_id = {d.id: d for d in documents}
    assert [c.id for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        document = by_id[chunk.doc_id]
        paragraph = document.paragraph(chunk.paragraph)
        assert document.text[chunk.start : chunk.end] == chunk.text
        # Never crosses a paragraph boundary, never cites boilerplate.
        assert paragraph.start <= chunk.start < chunk.end <= paragraph.end
        assert not paragraph.boilerplate
        assert chunk.text == chunk.text.strip() and chunk.text


def assert_coverage(documents: list[Document], chunks: list[Chunk]) -> None:
    """Every non-space character of every citable paragraph is in some chunk, in order."""
    for document in documents:
        for paragraph in document.paragraphs:
            mine = [
                c for c in chunks if c.doc_id == document.id and c.paragraph == paragraph.number
            ]
            if paragraph.boilerplate:
                assert mine == []
                continue
            assert mine, f"¶{paragraph.number} has no chunk"
            starts = [c.start for c in mine]
            assert starts == sorted(starts) and len(set(starts)) == len(starts)
            covered = set()
            for c in mine:
                covered.update(range(c.start, c.end))
            missing = [
                i
                for i in range(paragraph.start, paragraph.end)
                if not document.text[i].isspace() and i not in covered
            ]
            assert missing == [], f"¶{paragraph.number}: {len(missing)} characters not chunked"


def test_seed_article_default_chunking(seed_document: Document) -> None:
    settings = Settings()
    chunks = chunk_documents(
        [seed_document], make_splitter(settings.chunk_size, settings.chunk_overlap)
    )
    assert_chunk_invariants([seed_document], chunks)
    assert_coverage([seed_document], chunks)
    assert {c.paragraph for c in chunks} == set(range(1, 11))  # ¶11-12 are boilerplate
    assert all(len(c.text) <= settings.chunk_size for c in chunks)


@pytest.mark.parametrize(("size", "overlap"), [(60, 0), (80, 20), (150, 40), (300, 100)])
def test_small_chunks_split_long_paragraphs(size: int, overlap: int) -> None:
    document = synthetic_document()
    chunks = chunk_documents([document], make_splitter(size, overlap))
    assert_chunk_invariants([document], chunks)
    assert_coverage([document], chunks)
    assert all(len(c.text) <= size for c in chunks)
    long_paragraphs = [p.number for p in document.paragraphs if p.text == LONG_PARAGRAPH]
    assert long_paragraphs == [2, 7]
    for number in long_paragraphs:
        assert sum(c.paragraph == number for c in chunks) > 1


def test_seed_article_with_small_chunks(seed_document: Document) -> None:
    chunks = chunk_documents([seed_document], make_splitter(120, 30))
    assert_chunk_invariants([seed_document], chunks)
    assert_coverage([seed_document], chunks)
    assert len(chunks) > 20


def test_short_paragraphs_are_not_merged() -> None:
    document = make_document("d.txt", "Title\n\nOne.\n\nTwo.\n\nThree.")
    chunks = chunk_documents([document], make_splitter(800, 100))
    assert [(c.paragraph, c.text) for c in chunks] == [
        (1, "Title"),
        (2, "One."),
        (3, "Two."),
        (4, "Three."),
    ]


def test_chunk_ids_run_across_documents(seed_document: Document) -> None:
    other = make_document("other.txt", "Other title\n\nOther body.")
    chunks = chunk_documents([seed_document, other], make_splitter(800, 100))
    assert_chunk_invariants([seed_document, other], chunks)
    assert [c.doc_id for c in chunks[-2:]] == ["other.txt", "other.txt"]


# --- locate_pieces ------------------------------------------------------------------


def test_locate_pieces_trusts_a_correct_start() -> None:
    text = "Alpha beta. Gamma delta."
    assert locate_pieces(text, [("Alpha beta.", 0), ("Gamma delta.", 12)]) == [(0, 11), (12, 24)]


def test_locate_pieces_searches_when_start_is_minus_one() -> None:
    text = "Alpha beta. Gamma delta."
    assert locate_pieces(text, [("Alpha beta.", -1), ("Gamma delta.", -1)]) == [(0, 11), (12, 24)]


def test_locate_pieces_corrects_a_wrong_start() -> None:
    text = "Alpha beta. Gamma delta."
    assert locate_pieces(text, [("Alpha beta.", 5), ("Gamma delta.", 3)]) == [(0, 11), (12, 24)]
    assert locate_pieces(text, [("Gamma delta.", 999)]) == [(12, 24)]


def test_locate_pieces_repeated_sentences_move_forward() -> None:
    text = "Yes. No. Yes. No. Yes. No."
    # A splitter that reports the first occurrence for every piece of a repeated text.
    spans = locate_pieces(text, [("Yes. No.", 0), ("Yes. No.", 0), ("Yes. No.", -1)])
    assert spans == [(0, 8), (9, 17), (18, 26)]
    assert all(text[s:e] == "Yes. No." for s, e in spans)


def test_locate_pieces_allows_overlap() -> None:
    text = "one two three four five"
    spans = locate_pieces(text, [("one two three", 0), ("three four five", -1)])
    assert spans == [(0, 13), (8, 23)]


def test_locate_pieces_drops_rewritten_and_blank_pieces() -> None:
    text = "Alpha  beta. Gamma delta."
    pieces = [("Alpha beta.", 0), ("   ", 5), ("Gamma delta.", 13)]  # whitespace collapsed
    assert locate_pieces(text, pieces) == [(13, 25)]


@dataclass
class _Doc:
    page_content: str
    metadata: dict = field(default_factory=dict)


class _FakeSplitter:
    """A splitter that reports no start_index and rewrites one piece."""

    def create_documents(self, texts: list[str]) -> list[_Doc]:
        (text,) = texts
        first, second = text.split(". ", 1)
        return [_Doc(first + "."), _Doc(second.upper()), _Doc(second, {"start_index": 0})]


def test_split_with_offsets_uses_only_verbatim_pieces() -> None:
    text = "First sentence. Second sentence."
    assert split_with_offsets(text, _FakeSplitter()) == [(0, 15), (16, 32)]


def test_chunk_documents_with_a_splitter_that_rewrites_text() -> None:
    document = make_document("d.txt", "Title here. Tail\n\nBody one. Body two.")
    chunks = chunk_documents([document], _FakeSplitter())
    assert_chunk_invariants([document], chunks)
    assert [c.text for c in chunks] == ["Title here.", "Tail", "Body one.", "Body two."]
