"""The optional transformers reader: span search, and loading a model saved on disk."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from qa.neural_reader import TransformersReader, best_span, span_probability
from qa.types import Chunk, Document, Passage


def test_best_span_respects_order_length_and_context() -> None:
    start = np.array([0.0, 5.0, 1.0, 0.0, 9.0])
    end = np.array([0.0, 0.0, 4.0, 9.0, 0.0])
    allowed = np.array([False, True, True, True, True])
    # Token 0 is the question: never used. Start 4 has the top start logit, but the best
    # end after it scores 0 (total 9); start 1 with end 3 gives 5 + 9 = 14.
    assert best_span(start, end, allowed, max_tokens=5) == (1, 3, 14.0)
    # With at most two tokens, 1..3 is too long: 2..3 gives 1 + 9 = 10, 1..2 only 5 + 4 = 9.
    assert best_span(start, end, allowed, max_tokens=2) == (2, 3, 10.0)
    assert best_span(start, end, np.zeros(5, dtype=bool), 5) == (-1, -1, float("-inf"))


def test_span_probability_is_the_product_of_softmaxes() -> None:
    logits = np.log(np.array([0.25, 0.75]))
    assert span_probability(logits, logits, 1, 1) == pytest.approx(0.75 * 0.75)


@pytest.fixture(scope="module")
def tiny_qa_model(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    """A randomly initialised two-layer BERT QA model and its word-piece tokenizer."""
    transformers = pytest.importorskip("transformers")
    import torch

    torch.manual_seed(0)  # the same random model every run
    folder = tmp_path_factory.mktemp("tiny-qa")
    words = sorted(set(re.findall(r"[a-z]+", seed_text.lower())))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    (folder / "vocab.txt").write_text("\n".join(specials + words + list("’“”.,?!'")) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    transformers.BertForQuestionAnswering(config).save_pretrained(folder)
    return folder


def test_tiny_model_answers_with_exact_offsets(tiny_qa_model: Path, seed_document: Document):
    reader = TransformersReader(str(tiny_qa_model))
    passages = []
    for n in (10, 8):
        p = seed_document.paragraph(n)
        passages.append(
            Passage(
                Chunk(n, seed_document.id, n, p.start, p.end, p.text),
                p.text,
                p.start,
                rerank_score=1.0,
            )
        )
    found = reader.read("Who directs the Carnegie Russia Eurasia Center?", passages)
    assert found, "a random model still proposes some span"
    for cand in found:
        assert cand.passage.paragraph_text[cand.start : cand.end] == cand.text
        assert cand.text in cand.sentence
    assert 0.0 <= reader.confidence(found) <= 1.0
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


@pytest.mark.slow
def test_reader_model_setting_replaces_the_span_picker(tiny_qa_model: Path, real_pipeline):
    result = real_pipeline.answer(
        "Who directs the Carnegie Russia Eurasia Center?",
        reader_model=str(tiny_qa_model),
        abstain_threshold=0.0,
    )
    assert not result.abstained
    assert f"model:{tiny_qa_model}" in real_pipeline.readers  # the neural reader answered
    citation = result.citations[0]
    assert citation.text[citation.start : citation.end] == result.text
