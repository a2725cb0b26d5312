"""Documents: articles as numbered paragraphs with exact offsets.

``corpus`` reads a folder of articles, ``extract`` a user's own article (pasted text, a file,
a saved web page), ``chunking`` cuts paragraphs into the chunks that are indexed.
"""

from qa.documents.corpus import (
    MAX_FILE_BYTES,
    SUFFIXES,
    CorpusError,
    article_files,
    checksum,
    is_boilerplate,
    load_documents,
    make_document,
    read_document,
    split_paragraphs,
    strip_span,
)

__all__ = [
    "MAX_FILE_BYTES",
    "SUFFIXES",
    "CorpusError",
    "article_files",
    "checksum",
    "is_boilerplate",
    "load_documents",
    "make_document",
    "read_document",
    "split_paragraphs",
    "strip_span",
]
