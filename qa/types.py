"""The core values: documents, chunks, passages, citations and answers.

Every value that holds text also holds the character offsets of that text in its source,
so an answer can always be traced back to its words in the article.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

ABSTAIN_MESSAGE = "The article doesn't say."
TITLE_CHARS = 60  # a headline longer than this is cut in a citation label


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of a document separated by blank lines; numbered from 1, headline included."""

    doc_id: str
    number: int
    start: int  # offsets into Document.text
    end: int
    text: str
    boilerplate: bool = False  # kept for numbering, never indexed or cited


@dataclass(frozen=True, slots=True)
class Document:
    id: str  # the file name
    title: str  # the first block
    text: str
    paragraphs: tuple[Paragraph, ...] = ()

    def paragraph(self, number: int) -> Paragraph:
        return self.paragraphs[number - 1]

    def cited(self) -> Iterator[Paragraph]:
        """The paragraphs that may be cited, in order: neither boilerplate nor blank."""
        return (p for p in self.paragraphs if not p.boilerplate and p.text.strip())

    @property
    def opening(self) -> Paragraph | None:
        """The first cited paragraph: where a news article has its headline."""
        return next(self.cited(), None)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of one paragraph; the unit that is embedded and retrieved."""

    id: int  # row in the vector index
    doc_id: str
    paragraph: int
    start: int  # offsets into Document.text
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its paragraph and the score each retrieval stage gave it."""

    chunk: Chunk
    paragraph_text: str
    paragraph_start: int  # offset of the paragraph in Document.text
    dense_score: float | None = None
    bm25_score: float | None = None
    fused_score: float = 0.0
    rerank_score: float | None = None
    title: str = ""  # the article's title
    opens_article: bool = False  # its paragraph is the article's opening (Document.opening)

    @property
    def score(self) -> float:
        return self.rerank_score if self.rerank_score is not None else self.fused_score

    def citation(self, start: int | None = None, end: int | None = None) -> Citation:
        return Citation(
            doc_id=self.chunk.doc_id,
            paragraph=self.chunk.paragraph,
            text=self.paragraph_text,
            start=start,
            end=end,
            score=self.score,
            title=self.title,
        )


@dataclass(frozen=True, slots=True)
class Citation:
    """A paragraph that supports an answer; start/end locate the answer inside ``text``."""

    doc_id: str
    paragraph: int
    text: str  # the whole paragraph
    start: int | None = None
    end: int | None = None
    score: float = 0.0
    title: str = ""  # the article's title (its first paragraph)

    @property
    def quote(self) -> str:
        return "" if self.start is None or self.end is None else self.text[self.start : self.end]

    def label(self, with_title: bool = False) -> str:
        """``[¶4]``, or ``[Article title ¶4]`` where several articles could be meant."""
        if not with_title:
            return f"[¶{self.paragraph}]"
        title = self.title or self.doc_id
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        return f"[{title} ¶{self.paragraph}]"

    def __str__(self) -> str:
        return self.label()


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another candidate answer, ranked below the chosen one."""

    text: str
    confidence: float
    citation: Citation


@dataclass(frozen=True, slots=True)
class Answer:
    """What ``answer()`` returns. An abstention is an ordinary Answer with ``abstained=True``."""

    question: str
    text: str  # verbatim from the article; "" when abstaining
    abstained: bool
    confidence: float  # in [0, 1]
    citations: tuple[Citation, ...] = ()  # best first; empty when abstaining
    evidence: str = ""  # the sentence the answer was taken from
    resolved_question: str = ""  # the question as understood after follow-up resolution
    alternatives: tuple[Alternative, ...] = ()
    conflict: bool = False  # the two best candidates disagree and both score high
    passages: tuple[Citation, ...] = field(default=(), repr=False)  # nearest passages, for context
    # The corpus holds several articles, so a citation names its article as well as its ¶.
    multi_article: bool = False
    # What the question asks for (qa.answering.kinds): factoid, yes/no, why, how, opinion, gist.
    kind: str = "factoid"
    # yes/no only: "yes", "no" or "mixed" where a measured verdict model says so; None: the
    # answer is the sentence that settles it, and the reader judges for themself.
    verdict: str | None = None

    @classmethod
    def withheld(
        cls,
        question: str,
        confidence: float,
        resolved: str,
        nearest: tuple[Citation, ...],
        multi_article: bool,
        kind: str = "factoid",
    ) -> Answer:
        """ "The article doesn't say": no text, the nearest passages for context."""
        return cls(
            question,
            "",
            True,
            confidence,
            resolved_question=resolved,
            passages=nearest,
            multi_article=multi_article,
            kind=kind,
        )

    def __str__(self) -> str:
        if self.abstained:
            return ABSTAIN_MESSAGE
        if self.kind == "gist" and len(self.citations) > 1:  # headline and lede, in order
            parts = sorted(self.citations, key=lambda c: (c.doc_id, c.paragraph))
            return " ".join(f"{c.quote} {c.label(self.multi_article)}" for c in parts)
        refs = "".join(c.label(self.multi_article) for c in self.citations[:1])
        return f"{self.text} {refs}".strip()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rendered"] = str(self)
        return data
