"""A user's own article from pasted text, a .txt/.md file or a saved web page (no models)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.documents import CorpusError
from qa.documents.extract import (
    MAX_HTML_BYTES,
    MAX_TEXT_BYTES,
    UPLOAD_SUFFIXES,
    document_from_bytes,
    document_from_file,
    document_from_html,
    document_from_text,
)
from qa.types import Document

FIXTURES = Path(__file__).parent / "fixtures"
NEWS_PAGE = FIXTURES / "news_page.html"
EXPECTED = FIXTURES / "news_page.expected.txt"

# Text that stands on the news page outside the article: none of it may reach the Document.
FURNITURE = [
    "Priya Hollins",  # byline
    "Environment Reporter",
    "5.42pm",  # date line
    "cookie",
    "Accept all",
    "Valley Courier",  # site header and footer
    "Subscribe from",
    "What's On",  # nav menu
    "Share on Facebook",
    "Email this story",
    "Advertisement",
    "Winter tyres",  # ad image text
    "Kingsford wind turbine plan withdrawn",  # "Related:" teaser
    "Related",
    "morning briefing",  # newsletter signup
    "Sign up",
    "RiverWatcher72",  # comments
    "My bills have doubled",
    "decided before the meeting started",
    "counting the goldeneye every month",
    "Comments (3)",
    "Most read",
    "Bypass opening delayed",
    "All rights reserved",
    "Privacy policy",
    "Photo: Courier archive",  # image caption
    "Planning",  # tag links ("planning documents" in the text is lower case)
]

STORY = [
    f"Paragraph {i} of the story says that the river rose by {i} metres overnight, and residents"
    " of the lower town were moved to the school hall while engineers checked the old bridge."
    for i in range(1, 6)
]


def article_page(*, title: str = "Flood warning | Gazette", inside: str = "") -> str:
    """A minimal article page; ``inside`` is inserted after its second paragraph."""
    first, rest = (
        "".join(f"<p>{p}</p>" for p in STORY[:2]),
        "".join(f"<p>{p}</p>" for p in STORY[2:]),
    )
    head = f"<head><title>{title}</title></head>" if title else "<head></head>"
    return (
        f"<html>{head}<body><article><h1>Flood warning for the lower town</h1>"
        f"{first}{inside}{rest}</article></body></html>"
    )


def assert_offsets_hold(document: Document) -> None:
    assert [p.number for p in document.paragraphs] == list(range(1, len(document.paragraphs) + 1))
    for p in document.paragraphs:
        assert document.text[p.start : p.end] == p.text


# --- the saved news page ----------------------------------------------------------------


@pytest.fixture(scope="module")
def news_document() -> Document:
    return document_from_html(NEWS_PAGE.read_text(encoding="utf-8"), "news_page.html")


def test_news_page_gives_exactly_the_headline_and_article_paragraphs(news_document: Document):
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    assert len(expected) == 9
    assert [p.text for p in news_document.paragraphs] == expected
    assert news_document.title == expected[0]
    assert news_document.id == "news_page.html"
    assert_offsets_hold(news_document)
    assert not any(p.boilerplate for p in news_document.paragraphs)


def test_news_page_paragraphs_are_blank_line_blocks(news_document: Document):
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    assert news_document.text == "\n\n".join(expected)


def test_inline_markup_and_entities_become_plain_text(news_document: Document):
    paragraph = news_document.paragraph(4).text
    assert "Severn & Ash Water" in paragraph
    assert "called the decision “a turning point for the valley” and said" in paragraph
    assert "would be the largest community-owned floating solar project in England when" in (
        paragraph
    )
    assert "<" not in news_document.text and "&amp;" not in news_document.text


@pytest.mark.parametrize("words", FURNITURE)
def test_page_furniture_never_reaches_the_document(news_document: Document, words: str):
    assert words not in news_document.text


def test_extraction_is_repeatable(news_document: Document):
    # trafilatura's deduplication cache would make a second identical upload come back empty.
    again = document_from_html(NEWS_PAGE.read_text(encoding="utf-8"), "news_page.html")
    assert again == news_document


def test_file_and_bytes_give_the_same_document(news_document: Document):
    assert document_from_file(NEWS_PAGE) == news_document
    upper = document_from_bytes(NEWS_PAGE.read_bytes(), "NEWS.HTM")
    assert upper.id == "NEWS.HTM"
    assert upper.text == news_document.text


# --- other pages ------------------------------------------------------------------------


def test_page_without_an_article_is_refused():
    page = (
        "<html><head><title>Home | Gazette</title></head><body>"
        "<header><a href='/'>The Gazette</a></header>"
        "<nav><ul><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li>"
        "<li><a href='/business'>Business</a></li></ul></nav>"
        "<footer><a href='/about'>About us</a><p>© 2024 Gazette Media.</p></footer>"
        "</body></html>"
    )
    with pytest.raises(CorpusError, match=r"home\.html: no article text found"):
        document_from_html(page, "home.html")


@pytest.mark.parametrize("page", ["", "   \n", "<html><body></body></html>", "just words"])
def test_empty_or_bodiless_page_is_refused(page: str):
    with pytest.raises(CorpusError, match="no article text"):
        document_from_html(page, "blank.html")


def test_furniture_inside_the_article_body_is_dropped():
    inside = "<p>Read more</p><p>Advertisement</p><p>Share this article</p>"
    document = document_from_html(article_page(inside=inside), "flood.html")
    assert [p.text for p in document.paragraphs] == ["Flood warning for the lower town", *STORY]


def test_title_falls_back_to_the_h1_and_br_becomes_a_space():
    page = article_page(title="").replace("overnight, and", "overnight,<br>and", 1)
    document = document_from_html(page, "flood.html")
    assert document.title == "Flood warning for the lower town"
    assert [p.text for p in document.paragraphs[1:]] == STORY  # the <h1> is not repeated


def test_page_without_any_title_takes_its_first_paragraph_as_title():
    page = article_page(title="").replace("<h1>Flood warning for the lower town</h1>", "")
    document = document_from_html(page, "flood.html")
    assert document.title == STORY[0]
    assert [p.text for p in document.paragraphs] == STORY


@pytest.mark.parametrize(("bad", "code"), [("\x00", "U+0000"), ("\udc80", "U+DC80")])
def test_page_text_with_nul_or_lone_surrogate_is_refused(bad: str, code: str):
    with pytest.raises(CorpusError, match=re.escape(f"invalid character ({code} at position 8)")):
        document_from_html(f"<p>Words{bad}</p>", "odd.html")


def test_oversized_page_text_is_refused():
    with pytest.raises(CorpusError, match="over the 5,000,000-byte limit"):
        document_from_html("<p>" + "a" * MAX_HTML_BYTES + "</p>", "big.html")


def test_xml_declaration_in_a_decoded_page_is_accepted():
    page = '<?xml version="1.0" encoding="iso-8859-1"?>\n' + article_page()
    assert document_from_html(page, "flood.xhtml").paragraphs[1].text == STORY[0]


def test_latin1_page_is_read_by_its_meta_charset():
    page = article_page().replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    )
    page = page.replace("Flood warning for", "Café “flood” warning for")
    page = page.replace("school hall", "café at £2 a night")
    # Browsers read latin-1 pages as windows-1252, whose curly quotes are bytes 0x93 and 0x94.
    data = page.encode("cp1252")
    assert b"\x93" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    document = document_from_bytes(data, "flood.html")
    assert document.title == "Café “flood” warning for the lower town"
    assert "moved to the café at £2 a night" in document.paragraph(2).text


def test_utf8_bom_page_is_read():
    data = "\ufeff".encode() + article_page().encode("utf-8")
    assert document_from_bytes(data, "flood.html").paragraph(2).text == STORY[0]


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (b"<html><body>\xe9t\xe9</body></html>", "not UTF-8 text and the page declares no charset"),
        (b'<meta charset="klingon-8"><p>\xe9t\xe9</p>', "nor valid klingon-8"),
    ],
)
def test_undecodable_page_is_refused(page: bytes, message: str):
    with pytest.raises(CorpusError, match=message):
        document_from_bytes(page, "page.html")


# --- bytes and files --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.pdf", "notes.docx", "README", "page.html.zip"])
def test_unsupported_file_type_is_refused(name: str):
    with pytest.raises(CorpusError) as caught:
        document_from_bytes(b"Title\n\nBody text.", name)
    message = str(caught.value)
    assert message.startswith(f"{name}: cannot read")
    assert all(suffix in message for suffix in UPLOAD_SUFFIXES)


def test_text_and_markdown_files_are_read():
    document = document_from_bytes("\ufeffTitle\r\n\r\nFirst *part*.\r\n".encode(), "a.md")
    assert [p.text for p in document.paragraphs] == ["Title", "First *part*."]
    assert document.id == "a.md"


@pytest.mark.parametrize(
    ("name", "limit"), [("big.txt", MAX_TEXT_BYTES), ("big.html", MAX_HTML_BYTES)]
)
def test_oversized_bytes_are_refused_before_decoding(name: str, limit: int):
    data = b"\xff" * (limit + 1)  # not UTF-8 either: the size must be the first complaint
    with pytest.raises(CorpusError, match=f"{limit + 1:,} bytes is over the {limit:,}-byte limit"):
        document_from_bytes(data, name)


def test_bytes_at_the_limit_are_accepted():
    data = b"Title\n\n" + b"x" * (MAX_TEXT_BYTES - 7)
    document = document_from_bytes(data, "edge.txt")
    # Accepted whole; the one huge paragraph is cut in pieces spaCy parses quickly (M4).
    assert document.title == "Title"
    assert "".join(p.text for p in document.paragraphs[1:]) == "x" * (MAX_TEXT_BYTES - 7)


@pytest.mark.parametrize("name", ["bin.txt", "bin.html"])
def test_binary_bytes_are_refused(name: str):
    with pytest.raises(CorpusError, match="looks binary"):
        document_from_bytes(b"Title\n\nBody\x00\x01\x02", name)


def test_non_utf8_text_file_is_refused():
    with pytest.raises(CorpusError, match=r"old\.txt: not UTF-8 text \(invalid .* at byte 10\)"):
        document_from_bytes(b"Title\n\ncaf\xe9 au lait", "old.txt")


def test_file_is_refused_by_size_before_reading(tmp_path: Path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: the size is real but nothing is written
        handle.truncate(MAX_TEXT_BYTES + 1)
    with pytest.raises(CorpusError, match=r"huge\.txt: 1,000,001 bytes is over"):
        document_from_file(path)


def test_missing_file_and_wrong_type_file(tmp_path: Path):
    with pytest.raises(CorpusError, match=r"gone\.txt: cannot read the file"):
        document_from_file(tmp_path / "gone.txt")
    with pytest.raises(CorpusError, match=r"scan\.pdf: cannot read \.pdf files"):
        document_from_file(tmp_path / "scan.pdf")  # refused by name, never opened


def test_text_file_is_read(tmp_path: Path):
    path = tmp_path / "story.txt"
    path.write_text("Headline\n\nFirst paragraph.\n\nSecond paragraph.\n", encoding="utf-8")
    document = document_from_file(path)
    assert document.id == "story.txt"
    assert [p.text for p in document.paragraphs] == [
        "Headline",
        "First paragraph.",
        "Second paragraph.",
    ]


# --- pasted text ------------------------------------------------------------------------


def test_pasted_lines_without_blank_lines_become_paragraphs():
    document = document_from_text("Headline\r\nFirst paragraph.\r\n  Second one.  \n")
    assert [p.text for p in document.paragraphs] == ["Headline", "First paragraph.", "Second one."]
    assert document.id == "pasted article"
    assert_offsets_hold(document)


def test_a_whitespace_only_line_is_a_blank_line():
    document = document_from_text("Headline\n \t\nA paragraph\nwrapped.")
    assert [p.text for p in document.paragraphs] == ["Headline", "A paragraph\nwrapped."]


def test_pasted_text_with_blank_lines_keeps_its_blocks():
    document = document_from_text("Headline\n\nA paragraph\nwrapped over two lines.\n\nEnd.")
    assert [p.text for p in document.paragraphs] == [
        "Headline",
        "A paragraph\nwrapped over two lines.",
        "End.",
    ]
    assert_offsets_hold(document)


def test_single_line_paste_is_one_paragraph():
    document = document_from_text("  Just one line of text.  ", "note")
    assert [p.text for p in document.paragraphs] == ["Just one line of text."]
    assert document.title == "Just one line of text."


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "\r\n"])
def test_empty_paste_is_refused(text: str):
    with pytest.raises(CorpusError, match="pasted article: the article is empty"):
        document_from_text(text)


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("Title\n\nBad\x00byte", "U+0000", 10),
        ("Title\x07", "U+0007", 5),
        ("Title\n\nA\x1bB", "U+001B", 8),
        ("Title\n\nlone \ud800 surrogate", "U+D800", 12),
    ],
)
def test_invalid_characters_are_named_with_their_position(text: str, code: str, position: int):
    with pytest.raises(
        CorpusError, match=re.escape(f"invalid character ({code} at position {position})")
    ):
        document_from_text(text)


def test_tabs_and_newlines_are_allowed():
    document = document_from_text("Title\n\nCol\tumn\r\nnext")
    assert document.paragraph(2).text == "Col\tumn\nnext"


def test_oversized_paste_is_refused_with_size_and_limit():
    text = "é" * (MAX_TEXT_BYTES // 2 + 1)  # two bytes each in UTF-8
    with pytest.raises(CorpusError, match=r"1,000,002 bytes; the limit is 1,000,000 bytes"):
        document_from_text(text)
