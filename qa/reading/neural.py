"""The neural reader: a trained extractive QA model reads the retrieved passages' paragraphs.

Each distinct paragraph of the top passages is cut into question + context windows
(qa.reading.windows, exactly as in training); one batched model run gives start/end logits;
every window's logits are log-softmax normalised, so span scores (log P(start) + log P(end))
compare across windows and passages. A span never crosses a paragraph, is at most
``max_answer_tokens`` long, and its offsets are the tokenizer's, so ``paragraph_text[start:end]
== text`` always holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qa.documents import is_headline_sized
from qa.reading.calibration import LinearModel
from qa.reading.candidates import Candidate, Reading, Thresholded, dedupe
from qa.reading.nlp import sentence_spans
from qa.reading.span_models import SpanModel
from qa.reading.windows import Window, best_spans, encode_windows, log_softmax, word_edges
from qa.types import Passage

BATCH = 16  # windows per model run: bounds memory whatever the paragraphs' length
EVIDENCE_FOR = 4  # candidates given their evidence sentence: the answer and 3 alternatives
# Used when a model folder carries no fitted calibration: P(span) against P(no answer).
DEFAULT_CALIBRATION = {"confidence": {"bias": 0.0, "weights": {"null_gap": 1.0}}}


def covering_text(text: str, start: int, end: int) -> str:
    """The sentences of ``text`` that the span [start, end) touches (a span may cross one)."""
    touched = [(a, b) for a, b in sentence_spans(text) if a < end and start < b]
    if not touched:
        return text[start:end]
    return text[touched[0][0] : max(b for _, b in touched)]


@dataclass(frozen=True, slots=True)
class Read:
    """One window of one passage, and the model's normalised logits over it."""

    passage: Passage
    rank: int
    window: Window
    start_logp: np.ndarray
    end_logp: np.ndarray
    relevance: float | None = None  # the reader-ranker's score of this window (one pass)

    @property
    def null(self) -> float:
        return float(self.start_logp[0] + self.end_logp[0])


def with_evidence(candidate: Candidate) -> Candidate:
    text = candidate.passage.paragraph_text
    return replace(candidate, sentence=covering_text(text, candidate.start, candidate.end))


def is_headline(passage: Passage, max_words: int) -> bool:
    """The article's opening paragraph when it is short, as headlines are (the headline the
    gist cites: qa.documents.is_headline_sized)."""
    return passage.opens_article and is_headline_sized(passage.paragraph_text, max_words)


def paragraphs_to_read(
    passages: Sequence[Passage], depth: int, headline_words: int = 0
) -> list[tuple[Passage, list[tuple[int, int]]]]:
    """Each distinct paragraph among the top ``depth`` passages (its best-ranked passage), with
    the spans of its retrieved chunks, as offsets into the paragraph. The best-ranked headline
    (at most ``headline_words`` words; 0: none) is read without using up the depth: ranked
    first for a question that repeats it, it names the subject, and the answer is further
    down. So at most depth + 1 passages are read."""
    taken, counted, free = [], 0, 1  # one headline, the best-ranked, is read for free
    for p in passages:
        if counted >= depth:
            break
        taken.append(p)
        if free and is_headline(p, headline_words):
            free = 0
        else:
            counted += 1
    found: dict[tuple[str, int], tuple[Passage, list[tuple[int, int]]]] = {}
    for p in taken:
        key = (p.chunk.doc_id, p.chunk.paragraph)
        span = (p.chunk.start - p.paragraph_start, p.chunk.end - p.paragraph_start)
        found.setdefault(key, (p, []))[1].append(span)
    return list(found.values())


def near_chunks(windows: Sequence[Window], spans: Sequence[tuple[int, int]]) -> list[Window]:
    """The windows that overlap a retrieved chunk: a paragraph longer than a window is read
    around what retrieval found, which bounds the work on a huge one-paragraph file."""
    if len(windows) <= 1:
        return list(windows)
    kept = []
    for w in windows:
        inside = [o for o in w.offsets if o is not None]
        if inside and any(a < inside[-1][1] and inside[0][0] < b for a, b in spans):
            kept.append(w)
    return kept or list(windows[:1])


def ranked_by_relevance(passages: Sequence[Passage], reads: Sequence[Read]) -> list[Passage]:
    """The passages rescored by the relevance of their paragraph's best window and sorted, best
    first; passages whose paragraph was not read (or had no relevance) follow in their order."""
    best: dict[tuple[str, int], float] = {}
    for r in reads:
        if r.relevance is not None:
            key = (r.passage.chunk.doc_id, r.passage.chunk.paragraph)
            best[key] = max(best.get(key, r.relevance), r.relevance)
    scored, rest = [], []
    for p in passages:
        score = best.get((p.chunk.doc_id, p.chunk.paragraph))
        if score is None:
            rest.append(p)
        else:
            scored.append(replace(p, rerank_score=score))
    return sorted(scored, key=lambda p: -p.score) + rest


def calibration_for(model: SpanModel, retrieval: str | None) -> Mapping[str, Any]:
    """The model's calibration fitted in ``retrieval`` mode (``calibrations``, keyed by mode
    by train.calibrate), else its default one: a reader ranks and trusts its spans by the
    passage scores of the mode it reads in (the cross-encoder's, or in one pass its own
    relevance), so each mode has its own fit."""
    default = getattr(model, "calibration", None) or DEFAULT_CALIBRATION
    return (getattr(model, "calibrations", None) or {}).get(retrieval, default)


def span_score(features: Mapping[str, float], calibration: Mapping[str, Any]) -> float:
    """How the reader ranks spans across passages: span log-probability plus weighted rerank."""
    return features["span_logp"] + float(calibration.get("rerank_weight", 0.0)) * features["rerank"]


class NeuralReader(Thresholded):
    """Reads whole paragraphs with a span model; candidates best first, one per distinct text.
    ``abstain_threshold`` None: the one fitted with the model's calibration for ``retrieval``
    (the pipeline's mode; see ``calibration_for``)."""

    def __init__(
        self,
        model: SpanModel,
        depth: int = 5,
        max_answer_tokens: int = 30,
        per_window: int = 5,
        abstain_threshold: float | None = None,
        retrieval: str | None = None,
        headline_words: int = 0,
    ) -> None:
        self.model = model
        self.abstain_threshold = abstain_threshold
        self.depth = depth
        self.max_answer_tokens = max_answer_tokens
        self.per_window = per_window
        self.headline_words = headline_words
        self.calibration = calibration_for(model, retrieval)
        self.confidence_model = LinearModel.from_dict(self.calibration["confidence"])

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        return self.candidates_of(self.run(question, passages))

    def read_ranked(
        self, question: str, passages: Sequence[Passage]
    ) -> tuple[list[Candidate], list[Passage]]:
        """One pass: the candidates, and the passages ranked by the reader-ranker's relevance
        (the model must have a relevance head: ``has_relevance``)."""
        reads = self.run(question, passages)
        return self.candidates_of(reads), ranked_by_relevance(passages, reads)

    def ranked_reading(
        self, question: str, passages: Sequence[Passage]
    ) -> tuple[Reading, list[Passage]]:
        """``read_ranked`` as a Reading (candidates, confidence, threshold) and the passages."""
        candidates, ranked = self.read_ranked(question, passages)
        reading = Reading(tuple(candidates), self.confidence(candidates), self.threshold)
        return reading, ranked

    def candidates_of(self, reads: Sequence[Read]) -> list[Candidate]:
        found = dedupe(
            sorted((c for r in reads for c in self._candidates(r)), key=lambda c: -c.score)
        )
        # Sentence splitting parses the paragraph (spaCy); only the answer and the alternatives
        # that can be shown need their evidence sentence.
        return [with_evidence(c) for c in found[:EVIDENCE_FOR]] + found[EVIDENCE_FOR:]

    def run(self, question: str, passages: Sequence[Passage]) -> list[Read]:
        """One batched model run over every window of the paragraphs to read."""
        jobs = []
        to_read = paragraphs_to_read(passages, self.depth, self.headline_words)
        for rank, (passage, spans) in enumerate(to_read):
            windows = encode_windows(
                self.model.tokenizer,
                question,
                passage.paragraph_text,
                max_length=self.model.max_length,
                overlap=self.model.overlap,
            )
            jobs += [(passage, rank, w) for w in near_chunks(windows, spans)]
        reads = []
        for i in range(0, len(jobs), BATCH):
            batch = jobs[i : i + BATCH]
            start, end, relevance = self.model.scores([w for _, _, w in batch])
            for row, (p, rank, w) in enumerate(batch):
                n = len(w.input_ids)
                score = None if relevance is None else float(relevance[row])
                logp = log_softmax(start[row, :n]), log_softmax(end[row, :n])
                reads.append(Read(p, rank, w, *logp, score))
        return reads

    def _candidates(self, read: Read) -> list[Candidate]:
        text = read.passage.paragraph_text
        can_start, can_end = word_edges(read.window.offsets, text)
        out = []
        spans = best_spans(
            read.start_logp,
            read.end_logp,
            can_start,
            can_end,
            self.max_answer_tokens,
            self.per_window,
        )
        for s, e, logp in spans:
            start, end = read.window.offsets[s][0], read.window.offsets[e][1]  # type: ignore[index]
            features = {
                "span_logp": logp,
                "null_gap": logp - read.null,
                # One pass: the window's own relevance stands for the cross-encoder's score
                # (distilled toward it, so on its scale); two passes: the reranked passage's.
                "rerank": read.passage.score if read.relevance is None else read.relevance,
                "passage_rank": float(read.rank),
            }
            score = span_score(features, self.calibration)
            sentence = text[start:end]  # the evidence sentence is found for the top few only
            out.append(
                Candidate(
                    text[start:end],
                    read.passage,
                    start,
                    end,
                    sentence,
                    read.passage.score,
                    score,
                    features,
                )
            )
        return out

    @property
    def default_threshold(self) -> float:
        return float(self.calibration.get("abstain_threshold", 0.5))

    def confidence(self, candidates: Sequence[Candidate]) -> float:
        """Calibrated probability that the best candidate is right (fitted by train.calibrate)."""
        if not candidates:
            return 0.0
        inputs = confidence_inputs([c.score for c in candidates], candidates[0].features or {})
        return self.confidence_model.probability(inputs)


def confidence_inputs(scores: Sequence[float], best: Mapping[str, float]) -> dict[str, float]:
    """The confidence model's inputs: the winner's features and its lead over the runner-up.

    ``scores`` are the ranked candidates' scores (one per distinct text), best first.
    """
    features = {k: v for k, v in best.items() if k != "passage_rank"}
    features["margin"] = min(scores[0] - scores[1], 10.0) if len(scores) > 1 else 10.0
    features["span_prob"] = float(np.exp(best.get("span_logp", -50.0)))
    return features
