"""One pass (issue 15): a reader-ranker scores each window's relevance beside its spans, and
``retrieval="hybrid+reader"`` ranks the fused passages by it instead of a separate rerank.

A tiny reader-ranker is trained a few steps by the real recipe (train.run, with the
distillation term toward the shipped cross-encoder), exported by train.export to int8 ONNX
with its third output, and read by the runtime reader."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from qa.reading.neural import DEFAULT_CALIBRATION, NeuralReader, ranked_by_relevance
from qa.reading.span_models import OnnxSpanModel
from qa.types import Chunk, Document, Passage

pytest.importorskip("onnx")
QUESTION = "Who directs the Carnegie Russia Eurasia Center?"


def passages_of(document: Document, numbers: list[int]) -> list[Passage]:
    out = []
    for rank, n in enumerate(numbers):
        p = document.paragraph(n)
        chunk = Chunk(n, document.id, n, p.start, p.end, p.text)
        out.append(Passage(chunk, p.text, p.start, fused_score=1.0 / (rank + 1)))
    return out


def tiny_config(vocab_size: int):
    import transformers

    return transformers.BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )


@pytest.fixture(scope="module")
def tiny_ranker(tmp_path_factory: pytest.TempPathFactory, seed_text: str, seed_document) -> Path:
    """A two-layer reader-ranker, trained 3 steps with distillation, exported to int8 ONNX."""
    transformers = pytest.importorskip("transformers")
    import torch

    from qa.reading.span_models import load_tokenizer
    from train.data import Example
    from train.export import write_folder
    from train.model import BertReaderRanker
    from train.run import Recipe, train

    torch.manual_seed(0)
    base = tmp_path_factory.mktemp("tiny-ranker")
    words = sorted(set(re.findall(r"[a-z]+", seed_text.lower())))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    (base / "vocab.txt").write_text("\n".join(specials + words + list("’“”.,?!'")) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(base / "vocab.txt")).save_pretrained(base)
    config = tiny_config(len(specials) + len(words) + 8)
    text = seed_document.paragraph(10).text
    start = text.index("Alexander Gabuev")
    examples = [
        Example(f"q{i}", "test", QUESTION, text, start, start + 16, ("Alexander Gabuev",))
        for i in range(8)
    ]
    recipe = Recipe(batch_size=4, max_length=64, overlap=16, eval_every=50, save_every=50)
    run = tmp_path_factory.mktemp("run")
    final = train(
        run,
        recipe,
        3,
        base=BertReaderRanker(config),
        tokenizer=load_tokenizer(base / "tokenizer.json"),
        examples=examples,
        dev=examples[:2],
    )
    out = tmp_path_factory.mktemp("shipped") / "reader"
    return write_folder(final, out, tmp_path_factory.mktemp("work"))


def test_the_exported_reader_ranker_scores_every_window(tiny_ranker: Path, seed_document):
    model = OnnxSpanModel(tiny_ranker)
    assert model.has_relevance
    reader = NeuralReader(model, depth=3)
    reads = reader.run(QUESTION, passages_of(seed_document, [10, 8, 3]))
    assert reads and all(isinstance(r.relevance, float) for r in reads)
    start, end, relevance = model.scores([r.window for r in reads])
    assert relevance is not None and relevance.shape == (len(reads),)
    assert start.shape[0] == end.shape[0] == len(reads)


def test_one_pass_ranks_passages_by_relevance_and_feeds_it_to_the_span_score(
    tiny_ranker: Path, seed_document
):
    reader = NeuralReader(OnnxSpanModel(tiny_ranker), depth=3)
    passages = passages_of(seed_document, [10, 8, 3])
    candidates, ranked = reader.read_ranked(QUESTION, passages)
    reads = reader.run(QUESTION, passages)
    best = {}
    for r in reads:
        best[r.passage.chunk.paragraph] = max(
            best.get(r.passage.chunk.paragraph, -1e9), r.relevance
        )
    assert [p.chunk.paragraph for p in ranked] == sorted(best, key=lambda n: -best[n])
    assert all(np.isclose(p.rerank_score, best[p.chunk.paragraph]) for p in ranked)
    windows = {
        r.passage.chunk.paragraph: [
            x.relevance for x in reads if x.passage.chunk.paragraph == r.passage.chunk.paragraph
        ]
        for r in reads
    }
    for c in candidates:
        assert any(np.isclose(c.features["rerank"], v) for v in windows[c.passage.chunk.paragraph])
        assert c.passage.paragraph_text[c.start : c.end] == c.text


def test_one_pass_needs_the_neural_reader() -> None:
    from qa.settings import Settings, validate_settings

    with pytest.raises(ValueError, match="needs reader='neural'"):
        validate_settings(Settings(retrieval="hybrid+reader", reader="span"))


def test_passages_not_read_keep_their_order_after_the_ranked_ones(seed_document) -> None:
    passages = passages_of(seed_document, [10, 8, 3])
    assert ranked_by_relevance(passages, []) == passages


@pytest.mark.slow
def test_a_reader_without_a_relevance_head_cannot_run_one_pass(real_pipeline) -> None:
    """The shipped reader has the head; a span-only model is refused for one pass."""
    from qa.settings import Settings

    class SpanOnly:
        has_relevance = False

    models = real_pipeline.models
    models.span_models["test/span-only"] = SpanOnly()
    try:
        with pytest.raises(ValueError, match="relevance head"):
            models.reader(Settings(retrieval="hybrid+reader", reader_model="test/span-only"))
    finally:
        del models.span_models["test/span-only"]


@pytest.mark.slow
def test_the_shipped_reader_answers_in_one_pass(real_pipeline) -> None:
    result = real_pipeline.answer(QUESTION, retrieval="hybrid+reader")
    assert not result.abstained and result.citations


@pytest.mark.slow
def test_the_pipeline_answers_in_one_pass_without_the_cross_encoder(
    tiny_ranker: Path, real_pipeline, seed_document
) -> None:
    from dataclasses import replace

    from qa.pipeline import Pipeline

    calls: list[int] = []

    class Counting:
        def __init__(self, scorer) -> None:
            self.scorer = scorer

        def score(self, question, texts):
            calls.append(len(texts))
            return self.scorer.score(question, texts)

    settings = real_pipeline.settings.replace(
        reader_model=str(tiny_ranker), retrieval="hybrid+reader"
    )
    pipeline = Pipeline.from_parts(
        real_pipeline.models, [seed_document], real_pipeline.index, settings
    )
    pipeline.retriever = replace(pipeline.retriever, reranker=Counting(pipeline.retriever.reranker))
    result = pipeline.answer(QUESTION, abstain_threshold=0.0)
    assert calls == [], "one pass: no cross-encoder call"
    assert result.passages and [p.score for p in result.passages] == sorted(
        (p.score for p in result.passages), reverse=True
    )
    two_pass = pipeline.answer(QUESTION, retrieval="hybrid+rerank", abstain_threshold=0.0)
    assert calls, "the two-pass mode still reranks"
    assert two_pass.passages


def test_an_exported_reader_ranker_rebuilds_as_the_trainable_model(tiny_ranker: Path) -> None:
    """train.convert undoes the export (fused q/k/v, the wrapper's names, int8), so a later run
    can start from the shipped reader (``train.run --init``): same outputs, up to int8."""
    import torch

    from train.convert import onnx_state_dict
    from train.model import BertReaderRanker

    state = onnx_state_dict(tiny_ranker / "model.onnx")
    assert any(".attention.self.query.weight" in k for k in state)  # the fused kind
    vocab = state["bert.embeddings.word_embeddings.weight"].shape[0]
    model = BertReaderRanker(tiny_config(vocab)).eval()
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state.items()}, strict=False
    )
    assert not unexpected and all("position_ids" in k for k in missing)
    ids = np.array([[2, 7, 9, 11, 3, 12, 13, 14, 15, 3]])
    arrays = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    arrays["token_type_ids"] = np.array([[0] * 5 + [1] * 5])
    onnx_start, _, onnx_relevance = OnnxSpanModel(tiny_ranker).session.run(None, arrays)
    with torch.no_grad():
        out = model(**{k: torch.from_numpy(v) for k, v in arrays.items()})
    assert np.allclose(out.start_logits.numpy(), onnx_start, atol=0.05)
    assert np.allclose(out.relevance.numpy(), onnx_relevance, atol=0.05)


def fit(mode: str, threshold: float) -> dict:
    return {"rerank_weight": 0.1, "confidence": {"bias": 0.0, "weights": {"null_gap": 1.0}},
            "abstain_threshold": threshold, "fitted_in": mode}  # fmt: skip


def test_each_mode_keeps_its_own_calibration_in_the_manifest() -> None:
    from train.calibrate import placed

    two, one = fit("hybrid+rerank", 0.3), fit("hybrid+reader", 0.4)
    manifest = placed({"calibration": {}}, one, "hybrid+rerank")  # the first fit is the default
    assert manifest == {"calibration": one, "calibrations": {}}
    manifest = placed(manifest, two, "hybrid+rerank")  # the default mode's fit takes its place
    assert manifest == {"calibration": two, "calibrations": {"hybrid+reader": one}}
    again = fit("hybrid+reader", 0.5)
    assert placed(manifest, again, "hybrid+rerank") == {
        "calibration": two,
        "calibrations": {"hybrid+reader": again},
    }
    # with one pass as the default, its fit becomes the default and the other one is kept
    assert placed(manifest, again, "hybrid+reader") == {
        "calibration": again,
        "calibrations": {"hybrid+rerank": two},
    }


def test_the_reader_reads_with_the_calibration_of_its_mode(tiny_ranker: Path, tmp_path) -> None:
    import shutil

    from qa.bundle import Models
    from qa.settings import Settings
    from train.calibrate import write_calibration

    folder = tmp_path / "reader"
    shutil.copytree(tiny_ranker, folder)
    write_calibration(folder, fit("hybrid+rerank", 0.3))
    write_calibration(folder, fit("hybrid+reader", 0.4))
    models = Models(embedder=None, scorer=None)  # the neural reader needs neither
    thresholds = {
        mode: models.reader(Settings(reader_model=str(folder), retrieval=mode)).threshold
        for mode in ("hybrid+rerank", "hybrid+reader", "hybrid")
    }
    # a mode without its own fit (the ablation "hybrid") reads with the default mode's
    assert thresholds == {"hybrid+rerank": 0.3, "hybrid+reader": 0.4, "hybrid": 0.3}


def test_a_run_goes_on_from_an_earlier_runs_fp32_folder(tmp_path) -> None:
    """``train.run --init DIR/final``: the earlier run's weights, exactly (no int8 round trip)."""
    import torch

    from train.model import BertReaderRanker
    from train.run import initial_model

    torch.manual_seed(0)
    earlier = BertReaderRanker(tiny_config(64))
    earlier.save_pretrained(tmp_path / "final", safe_serialization=True)
    state, again = earlier.state_dict(), initial_model(str(tmp_path / "final")).state_dict()
    assert state.keys() == again.keys()
    assert all(torch.equal(state[k], again[k]) for k in state)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="neither a run's final folder nor a reader folder"):
        initial_model(str(tmp_path / "empty"))


def test_a_run_goes_on_from_a_shipped_reader_folder(tmp_path, monkeypatch) -> None:
    """``--init qa/models/reader`` starts from the folder's int8 export, as ``--init
    qa/models/reader/model.onnx`` does (train.convert rebuilds it)."""
    import train.convert
    from train.run import initial_model

    given = []
    monkeypatch.setattr(train.convert, "reader_ranker_from_cross_encoder", given.append)
    (tmp_path / "model.onnx").write_bytes(b"an export")
    initial_model(str(tmp_path))
    initial_model("")
    assert given == [tmp_path / "model.onnx", None]  # None: the cross-encoder


def test_a_reader_calibrated_before_modes_reads_with_its_one_fit_in_every_mode() -> None:
    from types import SimpleNamespace

    legacy = {"confidence": {"bias": 0.0, "weights": {}}, "abstain_threshold": 0.3}  # no mode
    model = SimpleNamespace(calibration=legacy)  # and no calibrations
    for mode in ("hybrid+rerank", "hybrid+reader", None):
        assert NeuralReader(model, retrieval=mode).threshold == 0.3
    uncalibrated = NeuralReader(SimpleNamespace(calibration={}), retrieval="hybrid+rerank")
    assert uncalibrated.calibration == DEFAULT_CALIBRATION
