"""Loading articles and numbering their paragraphs (no models)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import qa.documents.corpus
from qa.documents import (
    CorpusError,
    article_files,
    checksum,
    is_boilerplate,
    load_documents,
    make_document,
    read_document,
    split_paragraphs,
)
from qa.types import Document


def assert_offsets_hold(document: Document) -> None:
    """Every paragraph's offsets point at exactly its text, numbered 1, 2, 3, ... in order."""
    assert [p.number for p in document.paragraphs] == list(range(1, len(document.paragraphs) + 1))
    previous_end = 0
    for p in document.paragraphs:
        assert document.text[p.start : p.end] == p.text
        assert p.text == p.text.strip() and p.text
        assert p.start >= previous_end
        assert p.doc_id == document.id
        assert document.paragraph(p.number) is p
        previous_end = p.end


# --- the seed article ---------------------------------------------------------------


def test_seed_article_has_twelve_paragraphs(seed_document: Document) -> None:
    paragraphs = seed_document.paragraphs
    assert len(paragraphs) == 12
    assert paragraphs[0].text == "Is China distancing itself from Russia? Don\u2019t be so quick"
    assert paragraphs[1].text.startswith("China Expresses Strong Criticism of Russia")
    assert paragraphs[11].text == "Comments are closed."
    assert paragraphs[10].text == "Source link"
    assert_offsets_hold(seed_document)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (6, "12-point blueprint for peace"),
        (7, "grain exports through the Black Sea"),
        (8, "seventh bilateral military exercise"),
        (8, "Theresa Fallon"),
        (10, "Alexander Gabuev, director of the Carnegie Russia Eurasia Center"),
    ],
)
def test_seed_article_paragraph_contents(seed_document: Document, number: int, words: str) -> None:
    assert words in seed_document.paragraph(number).text
    others = [p.number for p in seed_document.paragraphs if words in p.text]
    assert others == [number]


def test_seed_title_is_first_block(seed_document: Document, seed_path: Path) -> None:
    assert seed_document.title == seed_document.paragraphs[0].text
    assert seed_document.id == seed_path.name


def test_seed_boilerplate_is_exactly_the_site_furniture(seed_document: Document) -> None:
    assert [p.number for p in seed_document.paragraphs if p.boilerplate] == [11, 12]


def test_read_document_matches_make_document(seed_document: Document, seed_path: Path) -> None:
    assert read_document(seed_path) == seed_document


def test_crlf_seed_numbers_the_same(seed_text: str, seed_document: Document) -> None:
    crlf = make_document(seed_document.id, seed_text.replace("\n", "\r\n"))
    assert [p.text for p in crlf.paragraphs] == [p.text for p in seed_document.paragraphs]
    assert "\r" not in crlf.text
    assert_offsets_hold(crlf)


# --- numbering edge cases -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Title\n\nFirst para.\n\nSecond para.",
        "Title\n\n\n\n\nFirst para.\n\n\n\nSecond para.\n\n\n",
        "Title\r\n\r\nFirst para.\r\n\r\n\r\nSecond para.\r\n",
        "Title\r\rFirst para.\r\rSecond para.",
        "\n\n  \t Title  \n \t \n   First para.\t\n\n\nSecond para.   \n\n  ",
        "Title\n   \nFirst para.\n\t\nSecond para.",  # whitespace-only lines separate blocks
        "\ufeffTitle\n\nFirst para.\n\nSecond para.",
    ],
    ids=["plain", "many-blank-lines", "crlf", "cr", "padded", "whitespace-lines", "bom"],
)
def test_numbering_ignores_blank_lines_and_whitespace(text: str) -> None:
    document = make_document("doc.txt", text)
    texts = [p.text for p in document.paragraphs]
    assert [t.lstrip("\ufeff") for t in texts] == ["Title", "First para.", "Second para."]
    assert document.title == document.paragraphs[0].text
    assert_offsets_hold(document)


def test_trailing_whitespace_does_not_leak_into_offsets() -> None:
    document = make_document("doc.txt", "  Headline  \n\n Body text.\t \n\nEnd  ")
    for p in document.paragraphs:
        assert document.text[p.start : p.end] == p.text
        assert not document.text[p.end - 1].isspace()


def test_single_newline_keeps_one_paragraph() -> None:
    document = make_document("doc.txt", "Title\n\nLine one\nline two\n  line three\n\nNext")
    assert [p.text for p in document.paragraphs] == [
        "Title",
        "Line one\nline two\n  line three",
        "Next",
    ]
    assert_offsets_hold(document)


def test_split_paragraphs_offsets_on_raw_text() -> None:
    text = "A\n\n\n  B b\n\nC"
    paragraphs = split_paragraphs("d", text)
    assert [(p.number, p.start, p.end, p.text) for p in paragraphs] == [
        (1, 0, 1, "A"),
        (2, 6, 9, "B b"),
        (3, 11, 12, "C"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\r\n"])
def test_make_document_without_text_raises(text: str) -> None:
    with pytest.raises(CorpusError, match="no text"):
        make_document("empty.txt", text)


# --- boilerplate --------------------------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        "Source link",
        "Comments are closed.",
        "  ADVERTISEMENT  ",
        "Read more",
        "Related articles:",
        "Share this article",
        "Share on Facebook",
        "Follow us on Twitter",
        "Sign up for our daily newsletter",
        "Subscribe now",
        "All rights reserved.",
        "Click here to read the full story",
        "\u00a9 2024 Example News",
        "Copyright 2023 Example Media",
        "Copyright Example News. All rights reserved.",
    ],
)
def test_boilerplate_positive(block: str) -> None:
    assert is_boilerplate(block)


@pytest.mark.parametrize(
    "block",
    [
        # A long paragraph that happens to start like site furniture is article text.
        "Share prices of Chinese exporters fell on Monday after Beijing criticised Moscow over"
        " the treatment of its citizens at a border checkpoint, analysts said in a note.",
        "Share this article with anyone who doubts that the relationship is complex: the"
        " two countries held seven military exercises this year alone, a record number.",
        "Share prices fell.",
        "Comments are closed to the public at the embassy, officials said.",
        "The source link between the two reports was never established.",
        "Subscribers to the service rose by a fifth.",
        "Copyright law was the focus of the hearing.",
        "Alexander Gabuev directs the Carnegie Russia Eurasia Center.",
    ],
)
def test_boilerplate_negative(block: str) -> None:
    assert not is_boilerplate(block)


def test_boilerplate_paragraph_is_flagged_in_document() -> None:
    document = make_document("d.txt", "Title\n\nReal text here.\n\nAdvertisement\n\nMore text.")
    assert [p.boilerplate for p in document.paragraphs] == [False, False, True, False]


# --- reading a folder ---------------------------------------------------------------


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


GOOD = b"Good title\n\nA good paragraph about trade.\n"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "no text"),
        ("blank.txt", b"  \n\n\t \r\n", "no text"),
        ("binary.txt", b"Title\n\n\x00\x01\x02 binary junk", "binary"),
        ("latin1.txt", "Caf\u00e9 title\n\nna\u00efve text".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_file_is_skipped_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, data: bytes, reason: str
) -> None:
    _write(tmp_path, "good.txt", GOOD)
    _write(tmp_path, name, data)
    with caplog.at_level(logging.WARNING, logger="qa.documents"):
        documents = load_documents(tmp_path)
    assert [d.id for d in documents] == ["good.txt"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert name in warnings[0] and reason in warnings[0]


def test_oversize_file_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa.documents.corpus, "MAX_FILE_BYTES", 100)
    _write(tmp_path, "good.txt", GOOD)
    _write(tmp_path, "huge.txt", b"Title\n\n" + b"word " * 100)
    with caplog.at_level(logging.WARNING, logger="qa.documents"):
        documents = load_documents(tmp_path)
    assert [d.id for d in documents] == ["good.txt"]
    assert any("huge.txt" in r.getMessage() and "limit" in r.getMessage() for r in caplog.records)


def test_read_document_errors_name_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.txt", b"\xff\xfe\xfa not utf-8")
    with pytest.raises(CorpusError, match=r"bad\.txt: not UTF-8"):
        read_document(path)


def test_folder_without_readable_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path, "empty.txt", b"")
    _write(tmp_path, "binary.md", b"\x00\x00")
    _write(tmp_path, "notes.json", b'{"not": "an article"}')
    with (
        caplog.at_level(logging.WARNING, logger="qa.documents"),
        pytest.raises(CorpusError, match=r"no readable \.txt or \.md article"),
    ):
        load_documents(tmp_path)
    assert len(caplog.records) == 2  # the two unreadable articles; notes.json is not one


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no readable"):
        load_documents(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    with pytest.raises(CorpusError, match="corpus folder not found") as info:
        load_documents(missing)
    assert str(missing) in str(info.value)


def test_folder_is_read_recursively_in_stable_order(tmp_path: Path) -> None:
    _write(tmp_path, "b.txt", GOOD)
    _write(tmp_path, "a.md", GOOD)
    _write(tmp_path, "sub/c.TXT", GOOD)
    _write(tmp_path, ".hidden.txt", GOOD)
    _write(tmp_path, "image.png", b"\x89PNG")
    names = [p.relative_to(tmp_path).as_posix() for p in article_files(tmp_path)]
    assert names == ["a.md", "b.txt", "sub/c.TXT"]
    assert [d.id for d in load_documents(tmp_path)] == ["a.md", "b.txt", "sub/c.TXT"]


def test_same_name_in_two_subfolders_gives_two_documents(tmp_path: Path) -> None:
    _write(tmp_path, "2023/article.txt", b"Old title\n\nOld body.")
    _write(tmp_path, "2024/article.txt", b"New title\n\nNew body.")
    documents = load_documents(tmp_path)
    assert [d.id for d in documents] == ["2023/article.txt", "2024/article.txt"]
    assert [d.title for d in documents] == ["Old title", "New title"]
    assert all(p.doc_id == d.id for d in documents for p in d.paragraphs)


def test_checksum_is_sha256_of_text() -> None:
    assert checksum("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert checksum("abc") != checksum("abd")


def test_links_that_leave_the_corpus_folder_are_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write(corpus, "a.txt", GOOD)
    _write(tmp_path, "secret.txt", b"Secret\n\nroot:x:0:0")
    (corpus / "x.txt").symlink_to(tmp_path / "secret.txt")
    (corpus / "inside.txt").symlink_to(corpus / "a.txt")  # a link within the folder is fine
    names = [p.name for p in article_files(corpus)]
    assert names == ["a.txt", "inside.txt"]
    assert all("root:x" not in d.text for d in load_documents(corpus))
