"""Documents: articles as numbered paragraphs with exact offsets.

``corpus`` reads a folder of articles and numbers their paragraphs, ``extract`` turns a user's
own article (pasted text, a file, a saved web page) into the same Document, ``fetch`` reads
an article at a link, ``chunking`` cuts paragraphs into the chunks that are indexed.
"""

from __future__ import annotations

from qa.checksums import checksum
from qa.documents.chunking import (
    TextSplitter,
    chunk_documents,
    locate_pieces,
    make_splitter,
    rows_by_document,
    split_with_offsets,
)
from qa.documents.corpus import (
    ARTICLE_SUFFIXES,
    BLANK_LINE,
    MAX_FILE_BYTES,
    CorpusError,
    article_files,
    is_boilerplate,
    is_headline_sized,
    load_documents,
    make_document,
    read_document,
    split_paragraphs,
    strip_span,
)
from qa.documents.page_worker import PageReader

# Extraction needs trafilatura and lxml: imported on first use, not with the package.
_LAZY = {
    "MAX_HTML_BYTES": "qa.documents.extract",
    "MAX_TEXT_BYTES": "qa.documents.extract",
    "UPLOAD_SUFFIXES": "qa.documents.extract",
    "document_from_bytes": "qa.documents.extract",
    "document_from_file": "qa.documents.extract",
    "document_from_text": "qa.documents.extract",
    "MAX_PARAGRAPH_CHARS": "qa.documents.extract_guard",
    "read_regular_file": "qa.documents.extract_guard",
    "FetchError": "qa.documents.fetch",
    "fetch_page": "qa.documents.fetch",
    "fetch_policy": "qa.documents.fetch",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARTICLE_SUFFIXES",
    "BLANK_LINE",
    "MAX_FILE_BYTES",
    "MAX_HTML_BYTES",
    "MAX_PARAGRAPH_CHARS",
    "MAX_TEXT_BYTES",
    "UPLOAD_SUFFIXES",
    "CorpusError",
    "FetchError",
    "PageReader",
    "TextSplitter",
    "article_files",
    "checksum",
    "chunk_documents",
    "document_from_bytes",
    "document_from_file",
    "document_from_text",
    "fetch_page",
    "fetch_policy",
    "is_boilerplate",
    "is_headline_sized",
    "load_documents",
    "locate_pieces",
    "make_document",
    "make_splitter",
    "read_document",
    "read_regular_file",
    "rows_by_document",
    "split_paragraphs",
    "split_with_offsets",
    "strip_span",
]
