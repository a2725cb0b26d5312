"""The neural reader end to end on a tiny model: train a few steps, resume, export to int8
ONNX, load it offline with its checksums, read seed passages with exact offsets; damaged
model files are refused with a clear message."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from qa.reading.neural import (
    NeuralReader,
    confidence_inputs,
    covering_text,
    near_chunks,
    paragraphs_to_read,
)
from qa.reading.span_models import MANIFEST, OnnxSpanModel, TransformersSpanModel, load_span_model
from qa.types import Chunk, Document, Passage

pytest.importorskip("onnx")
QUESTION = "Who directs the Carnegie Russia Eurasia Center?"


def passages_of(document: Document, numbers: list[int]) -> list[Passage]:
    out = []
    for n in numbers:
        p = document.paragraph(n)
        out.append(
            Passage(
                Chunk(n, document.id, n, p.start, p.end, p.text),
                p.text,
                p.start,
                rerank_score=1.0 / n,
                opens_article=document.opening is not None and document.opening.number == n,
            )
        )
    return out


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
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


def ten_examples(document: Document):
    from train.data import Example

    text = document.paragraph(10).text
    answer = "Alexander Gabuev"
    start = text.index(answer)
    return [
        Example(f"q{i}", "test", q, text, start, start + len(answer), (answer,))
        for i, q in enumerate([QUESTION, "Who is the director?", "Who said it?"] * 3 + ["Who?"])
    ]


@pytest.fixture(scope="module")
def tiny_trained(tiny_base: Path, seed_document: Document, tmp_path_factory) -> Path:
    """Three training steps, then a resumed run to five: the recipe's checkpoint path."""
    from transformers import BertForQuestionAnswering

    from qa.reading.span_models import load_tokenizer
    from train.run import Recipe, train

    out = tmp_path_factory.mktemp("run")
    recipe = Recipe(batch_size=4, max_length=64, overlap=16, eval_every=5, save_every=1)
    tokenizer = load_tokenizer(tiny_base / "tokenizer.json")
    examples = ten_examples(seed_document)

    def run(steps: int) -> Path:
        base = BertForQuestionAnswering.from_pretrained(tiny_base)
        return train(
            out, recipe, steps, base=base, tokenizer=tokenizer, examples=examples, dev=examples[:3]
        )

    run(3)
    final = run(5)
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5], "the second run resumed at step 4 from the checkpoint"
    last = json.loads((out / "log.jsonl").read_text().splitlines()[-1])
    assert {"dev_f1", "dev_em", "loss"} <= set(last)
    return final


def test_the_recipe_loads_the_base_tokenizer_by_default(seed_document) -> None:
    """With no tokenizer given, training tokenizes with the cross-encoder's own."""
    from train.run import Recipe, prepare

    examples = ten_examples(seed_document)
    tokenizer, batches, dev = prepare(Recipe(batch_size=4), None, examples, examples[:2])
    assert tokenizer.token_to_id("[CLS]") == 101
    assert sum(map(len, batches)) >= len(examples) and dev == examples[:2]


@pytest.fixture(scope="module")
def tiny_onnx(tiny_trained: Path, tiny_base: Path, tmp_path_factory) -> Path:
    from train.export import write_folder

    out = tmp_path_factory.mktemp("shipped") / "reader"
    work = tmp_path_factory.mktemp("work")
    return write_folder(tiny_trained, out, work)


def test_reader_reads_whole_paragraphs_with_exact_offsets(tiny_onnx: Path, seed_document):
    model = OnnxSpanModel(tiny_onnx)
    assert (model.max_length, model.overlap) == (64, 16)  # from the manifest
    reader = NeuralReader(model)
    passages = passages_of(seed_document, [10, 8, 10])
    found = reader.read(QUESTION, passages)
    assert found, "even a tiny model proposes spans"
    for cand in found:
        assert cand.passage.paragraph_text[cand.start : cand.end] == cand.text
        assert cand.text in cand.sentence and cand.sentence in cand.passage.paragraph_text
        assert cand.passage.chunk.paragraph in (10, 8)
    best = found[0]  # the answer's evidence: the sentence(s) its span touches
    assert best.sentence == covering_text(best.passage.paragraph_text, best.start, best.end)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert len({c.text.lower() for c in found}) == len(found)
    assert 0.0 <= reader.confidence(found) <= 1.0
    assert reader.read(QUESTION, []) == []


def test_onnx_and_torch_models_agree(tiny_onnx: Path, tiny_trained: Path, seed_document):
    """int8 ONNX and the fp32 model it came from pick the same best span on a paragraph."""
    torch_model = TransformersSpanModel.load(str(tiny_trained), max_length=64, overlap=16)
    passages = passages_of(seed_document, [10])
    a = NeuralReader(OnnxSpanModel(tiny_onnx)).read(QUESTION, passages)
    b = NeuralReader(torch_model).read(QUESTION, passages)
    assert a[0].text == b[0].text
    assert a[0].features["span_logp"] == pytest.approx(b[0].features["span_logp"], abs=0.25)


def test_paragraphs_are_read_once_in_rank_order(seed_document) -> None:
    passages = passages_of(seed_document, [10, 8, 10, 3])
    chosen = paragraphs_to_read(passages, depth=3)
    assert [p.chunk.paragraph for p, _ in chosen] == [10, 8]
    length = len(seed_document.paragraph(10).text)
    assert chosen[0][1] == [(0, length), (0, length)]  # both chunks of ¶10, paragraph offsets


def test_a_headline_ranked_first_does_not_use_up_the_read_depth(seed_document) -> None:
    """¶1 of the seed article is its headline (9 words): read, and the next paragraph too."""
    passages = passages_of(seed_document, [1, 3, 5])
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read(passages, 1, 20)] == [1, 3]
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read(passages, 1, 5)] == [1]  # long
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read(passages, 1)] == [1]  # no rule
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read(passages[1:], 1, 20)] == [3]


def test_only_one_headline_is_read_for_free(seed_document) -> None:
    """In a corpus every article's ¶1 may be a headline: only the best-ranked one is free (a
    second counts as a paragraph), so depth d reads at most d + 1 passages' paragraphs."""
    other = Document(
        id="other", title="Harbour reopens", text="", paragraphs=seed_document.paragraphs
    )
    mine = passages_of(seed_document, [1, 3])
    theirs = passages_of(other, [1])[0]
    chosen = paragraphs_to_read([mine[0], theirs, mine[1]], 1, 20)
    assert [(p.chunk.doc_id, p.chunk.paragraph) for p, _ in chosen] == [
        (seed_document.id, 1),
        ("other", 1),
    ]
    assert len(paragraphs_to_read([mine[0], theirs, mine[1]], 2, 20)) == 3


def test_a_headline_after_boilerplate_is_still_the_headline() -> None:
    """The headline is the article's opening paragraph, as the gist's is: a boilerplate ¶1
    ("Advertisement") is skipped, and a short ¶1 that is not the opening is no headline."""
    from qa.documents import document_from_text

    text = "Advertisement\n\nHarbour reopens after storm\n\n" + "The harbour reopened. " * 9
    document = document_from_text(text, "harbour.txt")
    passages = passages_of(document, [2, 3])
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read(passages, 1, 20)] == [2, 3]
    stray = replace(passages[0], opens_article=False)  # e.g. a subheading further down
    assert [p.chunk.paragraph for p, _ in paragraphs_to_read([stray, passages[1]], 1, 20)] == [2]


def test_a_long_paragraph_is_read_around_its_retrieved_chunks() -> None:
    from qa.reading.windows import Window

    def window(a: int, b: int) -> Window:
        return Window((1, 2, 3), (0, 0, 1), (None, (a, b), None), 0, 1)

    windows = [window(0, 100), window(80, 200), window(180, 300), window(280, 400)]
    assert near_chunks(windows, [(190, 250)]) == windows[1:3]
    assert near_chunks(windows, [(0, 10), (390, 400)]) == [windows[0], windows[3]]
    assert near_chunks(windows[:1], [(500, 600)]) == windows[:1]  # one window: always read


def test_confidence_inputs_margin_and_probability() -> None:
    inputs = confidence_inputs([-1.0, -3.0], {"span_logp": -1.0, "passage_rank": 2.0})
    assert inputs["margin"] == 2.0 and "passage_rank" not in inputs
    assert inputs["span_prob"] == pytest.approx(0.3679, abs=1e-3)
    assert confidence_inputs([-1.0], {"span_logp": -1.0})["margin"] == 10.0


@pytest.mark.parametrize("damage", ["flip", "truncate", "missing", "manifest", "format"])
def test_damaged_model_is_refused_with_a_clear_error(tiny_onnx: Path, tmp_path: Path, damage):
    import shutil

    folder = tmp_path / "reader"
    shutil.copytree(tiny_onnx, folder)
    model = folder / "model.onnx"
    if damage == "flip":
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model.write_bytes(bytes(data))
    elif damage == "truncate":
        model.write_bytes(model.read_bytes()[:1000])
    elif damage == "missing":
        model.unlink()
        (folder / "model.onnx").mkdir()
    elif damage == "manifest":
        (folder / MANIFEST).write_text("{not json")
    else:
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["format"] = 99
        (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="reader model"):
        OnnxSpanModel(folder)


def test_load_span_model_picks_onnx_or_transformers(tiny_onnx: Path, tiny_base: Path) -> None:
    assert isinstance(load_span_model(str(tiny_onnx)), OnnxSpanModel)
    assert isinstance(load_span_model(str(tiny_base)), TransformersSpanModel)


def test_padding_in_a_batch_does_not_change_a_paragraph_s_reading(tiny_onnx, seed_document):
    """Read alone or batched with a longer paragraph (so padded), the same spans score alike."""
    reader = NeuralReader(OnnxSpanModel(tiny_onnx))
    alone = reader.read(QUESTION, passages_of(seed_document, [10]))
    batched = reader.read(QUESTION, passages_of(seed_document, [10, 5]))
    in_batch = {c.text: c.features["span_logp"] for c in batched if c.passage.chunk.paragraph == 10}
    shared = [c for c in alone if c.text in in_batch]
    assert shared
    for c in shared:
        assert in_batch[c.text] == pytest.approx(c.features["span_logp"], abs=1e-3)
