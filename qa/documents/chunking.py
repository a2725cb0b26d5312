"""Paragraph-aware chunking: a chunk never crosses a paragraph boundary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from qa.types import Chunk, Document


class TextSplitter(Protocol):
    """LangChain's splitter interface: documents whose metadata holds ``start_index``."""

    def create_documents(self, texts: list[str]) -> list: ...


def make_splitter(chunk_size: int, chunk_overlap: int) -> TextSplitter:
    """LangChain's recursive splitter, preferring sentence and clause boundaries."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
    )


def locate_pieces(text: str, pieces: Sequence[tuple[str, int]]) -> list[tuple[int, int]]:
    """Offsets in ``text`` of each (piece, reported start) pair, checked against the text.

    The splitter reports -1 when it cannot place a piece, and a wrong index is possible
    with repeated sentences, so a start is trusted only where the text there is the piece and
    it comes after the previous piece's start (pieces are in order); otherwise it is searched
    for after the previous piece. A piece that is not a substring (a splitter that rewrote
    text) is dropped rather than cited wrongly.
    """
    spans = []
    cursor = 0
    for piece, reported in pieces:
        start = reported if reported >= cursor and text.startswith(piece, reported) else -1
        if start < 0:
            start = text.find(piece, cursor)
        if start < 0:
            start = text.find(piece)
        if start < 0 or not piece.strip():
            continue
        spans.append((start, start + len(piece)))
        cursor = start + 1
    return spans


def split_with_offsets(text: str, splitter: TextSplitter) -> list[tuple[int, int]]:
    """Split ``text`` and return each piece's (start, end) offsets."""
    pieces = [
        (doc.page_content, int(doc.metadata.get("start_index", -1)))
        for doc in splitter.create_documents([text])
    ]
    return locate_pieces(text, pieces)


def chunk_documents(documents: Iterable[Document], splitter: TextSplitter) -> list[Chunk]:
    """Split every citable paragraph; chunk ids are consecutive from 0."""
    chunks: list[Chunk] = []
    for document in documents:
        for paragraph in document.paragraphs:
            if paragraph.boilerplate:
                continue
            for start, end in split_with_offsets(paragraph.text, splitter):
                begin = paragraph.start + start
                chunks.append(
                    Chunk(
                        id=len(chunks),
                        doc_id=document.id,
                        paragraph=paragraph.number,
                        start=begin,
                        end=paragraph.start + end,
                        text=document.text[begin : paragraph.start + end],
                    )
                )
    return chunks


def rows_by_document(chunks: Iterable[Chunk]) -> dict[str, list[int]]:
    """Each document's chunk rows (``Chunk.id``), in chunk order."""
    rows: dict[str, list[int]] = {}
    for chunk in chunks:
        rows.setdefault(chunk.doc_id, []).append(chunk.id)
    return rows
