"""A user's own article (pasted text, .txt, .md or a saved .html page) as a Document.

Whatever the source, the result is what ``make_document`` builds from a folder: the headline
is ¶1 and each later blank-line-separated block is one numbered paragraph.
"""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path, PurePath

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from qa.documents.corpus import BLANK_LINE, CorpusError, is_boilerplate, make_document
from qa.documents.extract_guard import (
    TRAFILATURA_SECONDS,
    bounded_blocks,
    bounded_extract,
    read_regular_file,
)
from qa.types import Document

# A long feature is ~60 kB of text; 1 MB is far above any article and keeps a paste that
# is really a data dump from tying up the embedder for minutes.
MAX_TEXT_BYTES = 1_000_000
# Saved pages carry inline scripts, styles and JSON, often ten times the article's text.
MAX_HTML_BYTES = 5_000_000
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm")
_HTML_SUFFIXES = (".html", ".htm")

# As in qa.validation: lone surrogates cannot be encoded and control characters other than
# tab and newlines are never part of an article.
_BAD_CHARS = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The charset a page declares, in <meta charset=...> or <meta http-equiv ... charset=...>.
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Browsers read pages labelled latin-1 or ASCII as windows-1252 (the WHATWG encoding
# standard), and such pages do use its curly quotes at 0x91-0x94.
_BROWSER_CODECS = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# The block elements of trafilatura's output tree; a list gives one paragraph per item.
_BLOCK_TAGS = ("head", "p", "quote", "code", "item")

# Failures are reported as CorpusError; trafilatura's own "discarding data" warnings would
# only repeat them in the log. Left alone where the application configured these loggers.
for _name in ("trafilatura", "htmldate"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.ERROR)


def _check_text(text: str, name: str) -> None:
    """Raise CorpusError when ``text`` is too large, empty or holds a bad character."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise CorpusError(
            f"{name}: the article is {size:,} bytes; the limit is {MAX_TEXT_BYTES:,} bytes"
        )
    if not text.strip():
        raise CorpusError(f"{name}: the article is empty")
    bad = _BAD_CHARS.search(text)
    if bad:
        raise CorpusError(
            f"{name}: the article holds an invalid character (U+{ord(bad.group()):04X} at "
            f"position {bad.start()}); send plain text"
        )


def document_from_text(text: str, name: str = "pasted article") -> Document:
    """A Document from plain text or Markdown; the first block is the title.

    Text copied from a web page often arrives with one line per paragraph and no blank lines.
    When there is no blank line at all but several lines, each non-empty line is taken as a
    paragraph. Text with any blank line is split on blank lines only, as files are.
    """
    if not isinstance(text, str):  # m5: answer(q, text=123) raised AttributeError
        raise CorpusError(f"{name}: the article must be text (a str), not {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_text(text, name)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1 and not BLANK_LINE.search(text):
        text = "\n\n".join(lines)
    return make_document(name, bounded_blocks(text, name, BLANK_LINE))


def _one_line(text: str) -> str:
    """``text`` on one line, whitespace runs as single spaces, control characters removed."""
    # Control characters are invisible in a browser; in a page they are noise, not content.
    return " ".join(_BAD_CHARS.sub(" ", text).split())


def _block_text(element: etree._Element) -> str:
    for line_break in element.iter("lb"):  # <br> inside a paragraph: a space, not a new block
        line_break.tail = " " + (line_break.tail or "")
    return _one_line("".join(element.itertext()))


def _blocks(body: etree._Element) -> list[str]:
    """The non-empty blocks of trafilatura's output tree, in document order."""
    blocks = []
    for element in body.iter(_BLOCK_TAGS):
        # A block inside another (a <p> in a <quote>) is part of the outer block's text.
        if any(parent.tag in _BLOCK_TAGS for parent in element.iterancestors()):
            continue
        text = _block_text(element)
        if text:
            blocks.append(text)
    return blocks


def _parse(html: str) -> lxml_html.HtmlElement | None:
    """The page's tree, or None when it holds no element at all."""
    # Bytes with the encoding given: a str with an <?xml encoding=...?> line is refused by
    # lxml, and the text is already decoded, so any charset the page declares is moot.
    parser = lxml_html.HTMLParser(encoding="utf-8")
    try:
        return lxml_html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def document_from_html(html: str, name: str) -> Document:
    """The article in a saved web page: ¶1 is the headline, then the article's paragraphs.

    Navigation, ads, share bars, comments and footers are left out by trafilatura; blocks that
    still look like site furniture (qa.documents.is_boilerplate) are dropped too.
    """
    if len(html.encode("utf-8", "surrogatepass")) > MAX_HTML_BYTES:
        raise CorpusError(f"{name}: the page is over the {MAX_HTML_BYTES:,}-byte limit")
    bad = re.search(r"[\ud800-\udfff\x00]", html)
    if bad:
        raise CorpusError(
            f"{name}: the page holds an invalid character (U+{ord(bad.group()):04X} at "
            f"position {bad.start()}); it may not be a web page"
        )
    no_article = CorpusError(f"{name}: no article text found in this HTML page")
    tree = _parse(html)
    # Bounded in time: trafilatura is far too slow on some pages (qa.documents.extract_guard).
    extracted = None if tree is None else bounded_extract(tree, _extract, TRAFILATURA_SECONDS)
    if tree is None or extracted is None:
        raise no_article
    # trafilatura's title (og:title, JSON-LD, <h1> or <title> less the site name), else <title>
    title = _one_line(extracted.title or "") or _one_line(tree.findtext(".//title") or "")
    blocks = [b for b in _blocks(extracted.body) if not is_boilerplate(b)]
    if not title and blocks:
        title = blocks.pop(0)
    if blocks and blocks[0].casefold() == title.casefold():
        blocks.pop(0)  # the <h1> is the title already
    if not blocks:
        raise no_article
    return document_from_text("\n\n".join([title, *blocks]), name)


def _extract(tree: lxml_html.HtmlElement) -> trafilatura.settings.Document | None:
    """trafilatura's main-text extraction, tuned for a news article."""
    return trafilatura.bare_extraction(
        tree,
        favor_precision=True,  # a missing sentence costs less than a cited ad or comment
        include_comments=False,
        include_tables=False,  # tables become run-on text that no answer can quote well
        include_images=False,
        include_links=False,
        include_formatting=False,  # plain text: no Markdown markers inside the article
        deduplicate=False,  # its cache is process-wide: a second upload would come back empty
        with_metadata=True,  # for the title
        # The date is not used; skip htmldate's slow whole-page search.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def _decode_html(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), else the charset the page declares in a <meta> tag."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        utf8_error = err
    declared = _META_CHARSET.search(data[:4096])
    if declared is None:
        raise CorpusError(f"{name}: not UTF-8 text and the page declares no charset")
    label = declared.group(1).decode("ascii")
    try:
        codec = codecs.lookup(label).name
        return data.decode(_BROWSER_CODECS.get(codec, codec))
    except (LookupError, UnicodeDecodeError) as err:
        raise CorpusError(
            f"{name}: not UTF-8 text ({utf8_error.reason} at byte {utf8_error.start}) nor "
            f"valid {label} as the page declares"
        ) from err


def document_from_page(data: bytes, name: str, charset: str | None = None) -> Document:
    """A Document from a fetched page's bytes: decoded by the charset its server gave, else
    as a saved page is (UTF-8, else the charset its <meta> declares)."""
    if len(data) > MAX_HTML_BYTES:
        raise CorpusError(f"{name}: {len(data):,} bytes is over the {MAX_HTML_BYTES:,}-byte limit")
    if b"\x00" in data:
        raise CorpusError(f"{name}: looks binary (NUL bytes), not a web page")
    if charset:
        try:
            codec = codecs.lookup(charset).name
            return document_from_html(data.decode(_BROWSER_CODECS.get(codec, codec)), name)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong header is common; the page's own declaration may be right
    return document_from_html(_decode_html(data, name), name)


def _byte_limit(name: str) -> int:
    """The size limit for a file of this name; CorpusError for a type that cannot be read."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        raise CorpusError(f"{name}: cannot read {kind}; use {', '.join(UPLOAD_SUFFIXES)}")
    return MAX_HTML_BYTES if suffix in _HTML_SUFFIXES else MAX_TEXT_BYTES


def document_from_bytes(data: bytes, name: str) -> Document:
    """A Document from an uploaded file's bytes; the suffix of ``name`` says how to read it."""
    limit = _byte_limit(name)
    is_html = PurePath(name).suffix.lower() in _HTML_SUFFIXES
    if len(data) > limit:
        raise CorpusError(f"{name}: {len(data):,} bytes is over the {limit:,}-byte limit")
    if b"\x00" in data:
        raise CorpusError(f"{name}: looks binary (NUL bytes), not a text article")
    if is_html:
        return document_from_html(_decode_html(data, name), name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        reason = f"{err.reason} at byte {err.start}"
        raise CorpusError(f"{name}: not UTF-8 text ({reason})") from err
    return document_from_text(text, name)


def document_from_file(path: Path) -> Document:
    """A Document from a .txt, .md, .html or .htm file; its id is the file name."""
    path = Path(path)
    limit = _byte_limit(path.name)  # before reading: a .pdf is refused unread
    try:
        # stat first: a huge file is refused without reading it into memory
        size = path.stat().st_size
    except OSError as err:
        raise CorpusError(f"{path.name}: cannot read the file ({err.strerror})") from err
    if size > limit:
        raise CorpusError(f"{path.name}: {size:,} bytes is over the {limit:,}-byte limit")
    return document_from_bytes(read_regular_file(path, limit), path.name)
