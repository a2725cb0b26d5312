"""Loading articles from a folder and numbering their paragraphs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from qa.types import Document, Paragraph

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 5_000_000  # far above any article; bounds memory for a stray dump file

# A blank line holds only whitespace (a non-breaking space too); a block is a run of lines that
# each hold something else. Every reader of articles splits with these two, nowhere else.
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")

# Site furniture that scrapers keep: kept for numbering, never indexed or cited.
_BOILERPLATE = re.compile(
    r"(source link|comments are closed\.?|advertisement|read more\.?|related articles?:?"
    r"|share (this|on)\b.*|follow us\b.*|sign up\b.*newsletter.*|subscribe\b.*"
    r"|all rights reserved\.?|click here\b.*|(c|©) ?\d{4}\b.*"
    # A copyright notice, not any short sentence about copyright ("Copyright law changed.").
    r"|copyright ?(©|\(c\)|\d{4}\b).*|copyright\b.*\ball rights reserved\.?)",
    re.IGNORECASE,
)


class CorpusError(ValueError):
    """The corpus folder cannot give any usable document."""


def is_boilerplate(block: str) -> bool:
    """Whether a block is site furniture rather than article text."""
    return len(block) <= 120 and _BOILERPLATE.fullmatch(block.strip()) is not None


def is_headline_sized(text: str, max_words: int) -> bool:
    """At most ``max_words`` words (0: never): a headline's length, not a body paragraph's.
    An article's headline is its opening paragraph (Document.opening) when it is this short;
    the gist cites it, and the reader reads it without using up the read depth."""
    return max_words > 0 and len(text.split()) <= max_words


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) narrowed to exclude surrounding whitespace, so text[start:end] is stripped."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_paragraphs(doc_id: str, text: str) -> tuple[Paragraph, ...]:
    """Number the blank-line-separated blocks of ``text`` from 1, in order."""
    paragraphs = []
    for number, match in enumerate(_BLOCK.finditer(text), start=1):
        # Offsets bound the stripped text, so text[start:end] == paragraph.text always holds.
        start, end = strip_span(text, match.start(), match.end())
        stripped = text[start:end]
        paragraphs.append(
            Paragraph(
                doc_id=doc_id,
                number=number,
                start=start,
                end=end,
                text=stripped,
                boilerplate=is_boilerplate(stripped),
            )
        )
    return tuple(paragraphs)


def make_document(doc_id: str, text: str) -> Document:
    """A Document from text; newlines are normalised so offsets do not depend on the OS."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = split_paragraphs(doc_id, text)
    if not paragraphs:
        raise CorpusError(f"{doc_id}: the file holds no text")
    return Document(id=doc_id, title=paragraphs[0].text, text=text, paragraphs=paragraphs)


def read_document(path: Path, doc_id: str | None = None) -> Document:
    """Read one article file; raise CorpusError saying what is wrong with it.

    ``doc_id`` defaults to the file name.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(f"{path.name}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit")
    data = path.read_bytes()
    if b"\x00" in data:
        raise CorpusError(f"{path.name}: looks binary (NUL bytes), not a text article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        reason = f"{err.reason} at byte {err.start}"
        raise CorpusError(f"{path.name}: not UTF-8 text ({reason})") from err
    return make_document(doc_id or path.name, text)


def article_files(folder: Path) -> Iterator[Path]:
    """The article files under ``folder``, recursively, in a stable order.

    A file that resolves outside the folder (a symlink to /etc/passwd, say) is skipped with a
    warning: what the folder's owner put there is indexed, never what a link points at.
    """
    root = Path(folder).resolve()
    for path in sorted(Path(folder).rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if not path.is_file() or path.suffix.lower() not in ARTICLE_SUFFIXES or hidden:
            continue
        if not path.resolve().is_relative_to(root):
            log.warning("skipped %s: it links outside the corpus folder", path.name)
            continue
        yield path


def load_documents(folder: Path) -> list[Document]:
    """Every readable article under ``folder``; unreadable files are skipped with a warning.

    A document's id is its path relative to ``folder`` (the file name for a flat folder), so
    two files of the same name in different subfolders stay two documents.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    documents = []
    for path in article_files(folder):
        try:
            documents.append(read_document(path, path.relative_to(folder).as_posix()))
        except (CorpusError, OSError) as err:
            log.warning("skipped %s", err)
    if not documents:
        raise CorpusError(f"no readable .txt or .md article under {folder}")
    return documents
