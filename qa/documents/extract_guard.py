"""Bounded extraction of a saved page (issue 16, C1): in time, and off the serving process.

trafilatura's main-text extraction grows roughly cubically on pages with long runs of inline
markup (15,000 ``<span>`` in one ``<p>``: 35 s) and badly on one huge block even without it.
Two defences, both needed:

- ``bounded_extract``: a cheap, linear pre-pass measures the page; a page too large or too
  markup-heavy for trafilatura, or one trafilatura does not finish within
  ``TRAFILATURA_SECONDS``, is read by ``simple_extract`` (linear: headings, paragraphs and list
  items of the ``<article>``/``<main>``/``<body>``, without scripts, navigation, footers).
- ``qa.documents.page_worker``: the server runs the whole extraction in a child process,
  niced so that answers win the CPU, and kills it at a deadline, so no page can hold the
  server, whatever the reason (lxml's C code cannot be interrupted by the alarm).
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from qa.documents.corpus import CorpusError

TRAFILATURA_SECONDS = 4.0  # then the simple extraction takes over, with time to spare
# Past these trafilatura's run time explodes (measured: 15,000 inline elements in one block
# 35 s, 19 blocks of 990 over 4 s, 75,000 characters in one <p> 6.6 s); news pages stay far
# below them. The alarm cannot interrupt lxml's C code; the child's deadline can.
MAX_ELEMENTS = 20_000
MAX_INLINE_PER_BLOCK = 1_000
MAX_INLINE_TOTAL = 5_000  # inline elements inside all blocks together
MAX_BLOCK_CHARS = 20_000
_BLOCKS = ("p", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6")
_FURNITURE = tuple(
    "script style noscript nav header footer aside form template svg iframe button select".split()
)


@dataclass(frozen=True)
class Extracted:
    """What qa.documents.extract reads from trafilatura's result: a title and a tree of blocks."""

    title: str
    body: etree._Element


def too_heavy(tree: etree._Element) -> bool:
    """True when trafilatura would take too long on ``tree``: one linear pass over it."""
    elements = sum(1 for _ in tree.iter())
    inline = 0
    for block in tree.iter(_BLOCKS):
        inside = sum(1 for _ in block.iterdescendants())
        inline += inside
        text = len(block.text or "") + sum(len(e.tail or "") for e in block)
        if inside > MAX_INLINE_PER_BLOCK or text > MAX_BLOCK_CHARS:
            return True
    return elements > MAX_ELEMENTS or inline > MAX_INLINE_TOTAL


def simple_extract(tree: etree._Element) -> Extracted:
    """The page's headings, paragraphs and list items, in order; linear in the page's size.

    Used only where trafilatura would be too slow: it keeps less furniture out (no scoring of
    link density or text blocks), so qa.documents.is_boilerplate still filters its blocks.
    """
    for element in list(tree.iter(_FURNITURE)):
        if element.getparent() is not None:
            element.drop_tree()  # lxml.html: the element goes, the text after it stays
    root = next(tree.iter("article", "main"), None)
    if root is None:
        root = next(tree.iter("body"), tree)
    body = etree.Element("body")
    for block in root.iter(_BLOCKS):
        if any(parent.tag in _BLOCKS for parent in block.iterancestors()):
            continue  # a <p> inside an <li> is part of the item's text
        etree.SubElement(body, "head" if block.tag[0] == "h" else "p").text = "".join(
            block.itertext()
        )
    heading = root.find(".//h1")
    title = "".join(heading.itertext()) if heading is not None else ""
    return Extracted(title or tree.findtext(".//title") or "", body)


class _OutOfTime(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """SIGALRM after ``seconds``, where signals can be used (the main thread of a process)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded_extract(
    tree: etree._Element, extract: Callable[[etree._Element], Any], seconds: float
) -> Any:
    """``extract(tree)`` (trafilatura) when the page suits it and it finishes within
    ``seconds``; else ``simple_extract(tree)``. None when there is no article."""
    if too_heavy(tree):
        return simple_extract(tree)
    backup = copy.deepcopy(tree)  # for the fallback: trafilatura may edit the tree it reads
    try:
        with _alarm(seconds):
            return extract(tree)
    except _OutOfTime:
        return simple_extract(backup)


# --- bounded text (M4) ---------------------------------------------------------------------

# spaCy parses a cited paragraph whole: one 1 MB paragraph took 45 s to answer the first
# question about. Longer paragraphs are cut at a sentence end (else a space) near this size.
MAX_PARAGRAPH_CHARS = 5_000
# 1 MB of one-word paragraphs took 48 s and 170 MB to index; no article has this many.
MAX_PARAGRAPHS = 3_000
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


def cut_paragraph(block: str, limit: int = MAX_PARAGRAPH_CHARS) -> list[str]:
    """``block`` in pieces of at most ``limit`` characters, cut after a sentence if one ends
    in the second half of a piece, else at a space, else anywhere."""
    pieces = []
    while len(block) > limit:
        window = block[:limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > limit // 2]
        cut = ends[-1] if ends else (window.rfind(" ") + 1 or limit)
        pieces.append(block[:cut].strip())
        block = block[cut:].strip()
    return [*pieces, block] if block else pieces


def bounded_blocks(text: str, name: str, blank_line: re.Pattern) -> str:
    """``text`` with every over-long paragraph cut (``cut_paragraph``); CorpusError when it
    has more than ``MAX_PARAGRAPHS`` paragraphs."""
    blocks = [b for b in blank_line.split(text) if b.strip()]
    if len(blocks) > MAX_PARAGRAPHS:
        raise CorpusError(
            f"{name}: the article has {len(blocks):,} paragraphs; the limit is "
            f"{MAX_PARAGRAPHS:,} (is it an article?)"
        )
    if all(len(b) <= MAX_PARAGRAPH_CHARS for b in blocks):
        return text
    return "\n\n".join(piece for b in blocks for piece in cut_paragraph(b.strip()))


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; CorpusError otherwise.

    A FIFO made ``qa ask --file`` wait forever and a link to /dev/zero read at 2.5 GB/s (m9):
    only a regular file is opened, without blocking, and never more than ``limit`` + 1 bytes
    are read, whatever its size says."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise CorpusError(f"{path.name}: cannot read the file ({err.strerror})") from err
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise CorpusError(f"{path.name}: not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CorpusError(f"{path.name}: over the {limit:,}-byte limit")
    return data
