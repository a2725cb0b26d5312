"""The earlier readers, for ablations: the best sentence (``SentenceReader``) and spaCy span
candidates scored by a logistic model (``SpanReader``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.reading.baselines.spacy_spans import content_lemmas, sentence_candidates, span_features
from qa.reading.calibration import LinearModel, confidence_features, fitted_threshold, load_models
from qa.reading.candidates import Candidate, Thresholded, dedupe
from qa.reading.nlp import parse, sentence_spans
from qa.reading.question import analyse
from qa.retrieval.rerankers import Scorer
from qa.types import Passage


@dataclass(frozen=True, slots=True)
class Sentence:
    passage: Passage
    start: int  # offsets inside passage.paragraph_text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.paragraph_text[self.start : self.end]


def passage_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Sentences of the paragraph that overlap the passage's chunk."""
    lo = passage.chunk.start - passage.paragraph_start
    hi = passage.chunk.end - passage.paragraph_start
    return [(s, e) for s, e in sentence_spans(passage.paragraph_text) if s < hi and e > lo]


def rank_sentences(
    question: str, passages: Sequence[Passage], scorer: Scorer, depth: int
) -> list[Sentence]:
    """Sentences of the top ``depth`` passages, scored by the cross-encoder, best first.

    Overlapping chunks of one paragraph share sentences; each is scored once.
    """
    spans, seen = [], set()
    for p in passages[:depth]:
        for s, e in passage_sentences(p):
            key = (p.chunk.doc_id, p.chunk.paragraph, s, e)
            if key not in seen:
                seen.add(key)
                spans.append((p, s, e))
    if not spans:
        return []
    scores = scorer.score(question, [p.paragraph_text[s:e] for p, s, e in spans])
    ranked = [Sentence(p, s, e, float(x)) for (p, s, e), x in zip(spans, scores, strict=True)]
    return sorted(ranked, key=lambda sent: -sent.score)


class CalibratedConfidence(Thresholded):
    """Readers whose candidates carry qa.reading.baselines.spacy_spans features share the
    fitted confidence model and threshold."""

    @property
    def default_threshold(self) -> float:
        return fitted_threshold()

    def confidence(self, candidates: Sequence[Candidate]) -> float:
        if not candidates:
            return 0.0
        features = confidence_features([c.score for c in candidates], candidates[0].features or {})
        return load_models()["confidence"].probability(features)


class SentenceReader(CalibratedConfidence):
    """Baseline reader: the best-ranked sentence is the answer."""

    def __init__(
        self, scorer: Scorer, depth: int = 3, abstain_threshold: float | None = None
    ) -> None:
        self.scorer = scorer
        self.depth = depth
        self.abstain_threshold = abstain_threshold

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        return [
            Candidate(s.text, s.passage, s.start, s.end, s.text, s.score, s.score)
            for s in rank_sentences(question, passages, self.scorer, self.depth)
        ]


class SpanReader(CalibratedConfidence):
    """Short answer spans: the best sentences, then the best phrase inside them."""

    def __init__(
        self,
        scorer: Scorer,
        model: LinearModel | None = None,
        depth: int = 3,
        sentences: int = 3,
        abstain_threshold: float | None = None,
    ) -> None:
        self.scorer = scorer
        self.abstain_threshold = abstain_threshold
        self.model = model or load_models()["span"]
        self.depth = depth
        self.sentences = sentences

    def read(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        ranked = rank_sentences(question, passages, self.scorer, self.depth)
        if not ranked:
            return []
        found = sorted(self.candidates(question, ranked), key=lambda c: -c.score)
        return dedupe(found) or [_sentence_candidate(ranked[0])]

    def candidates(self, question: str, ranked: Sequence[Sentence]) -> list[Candidate]:
        """Every span candidate of the top sentences, scored, in no particular order."""
        qdoc = parse(question, keep=False)
        info = analyse(question, qdoc)
        qlemmas = content_lemmas(qdoc)
        found: list[Candidate] = []
        for rank, sentence in enumerate(ranked[: self.sentences]):
            found += self._spans(sentence, rank, ranked[0].score, info, qlemmas)
        return found

    def _spans(self, sentence, rank, best, info, qlemmas) -> list[Candidate]:
        text = sentence.passage.paragraph_text
        doc = parse(text)
        sent = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
        if sent is None:
            return []
        matched = [t.i for t in sent if t.lemma_.lower() in qlemmas]
        out = []
        for cand in sentence_candidates(doc, sent):
            feats = span_features(doc, cand, sent, info, qlemmas, matched)
            feats["sentence"] = sentence.score - best
            feats["sentence_abs"] = sentence.score
            feats["passage"] = sentence.passage.score
            feats["sentence_rank"] = float(rank)
            score = self.model.score(feats)
            start = doc[cand.first].idx
            end = doc[cand.last - 1].idx + len(doc[cand.last - 1])
            out.append(
                Candidate(
                    text[start:end],
                    sentence.passage,
                    start,
                    end,
                    sentence.text,
                    sentence.score,
                    score,
                    feats,
                )
            )
        return out


def _sentence_candidate(sentence: Sentence) -> Candidate:
    return Candidate(
        sentence.text,
        sentence.passage,
        sentence.start,
        sentence.end,
        sentence.text,
        sentence.score,
        sentence.score,
    )
