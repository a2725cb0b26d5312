"""The distilled 6-layer cross-encoder (train.distill_reranker) and the shipped one it made."""

from __future__ import annotations

import numpy as np
import pytest

from qa.model_files import resolve_model
from qa.retrieval.rerankers import OnnxCrossEncoder, load_cross_encoder
from train.data import Example
from train.distill_reranker import KEPT_LAYERS, _closest, question_groups

TEACHER = "cross-encoder/ms-marco-MiniLM-L-12-v2"
STUDENT = "article-qa/reranker"

PARAGRAPHS = [
    "The council approved the floating solar farm on Tuesday by seven votes to four.",
    "Construction of the solar farm is expected to begin in April and take eight months.",
    "The library will close for repairs in the spring.",
    "Residents asked the council about the cost of the farm and who would pay for it.",
]


def example(question: str, context: str) -> Example:
    return Example("q", "nyt", question, context, 0, 1, ("x",), article=3)


def test_the_closest_paragraphs_share_the_question_s_words():
    ex = example("When will construction of the solar farm begin?", PARAGRAPHS[1])
    closest = _closest(ex, PARAGRAPHS)
    assert PARAGRAPHS[1] not in closest  # its own paragraph comes first, not among these
    assert closest[-1] == PARAGRAPHS[2]  # shares none of the question's words
    assert len(closest) == 3


def test_training_groups_hold_the_question_s_own_paragraph_first():
    from train.distill_reranker import Recipe

    groups = question_groups(Recipe(questions="nyt=12", cross_article=0.0))
    assert len(groups) == 12
    for question, passages in groups:  # NYT articles of one paragraph give one passage
        assert question and 1 <= len(passages) <= 4
        assert len(set(passages)) == len(passages)
    assert any(len(passages) == 4 for _, passages in groups)


def _torch_scores(model, question: str, passages: list[str]) -> np.ndarray:
    import torch
    from tokenizers import Tokenizer

    folder = resolve_model(TEACHER)
    tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encodings = tokenizer.encode_batch([(question, p) for p in passages])
    inputs = {
        "input_ids": torch.tensor([e.ids for e in encodings]),
        "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
        "token_type_ids": torch.tensor([e.type_ids for e in encodings]),
    }
    with torch.no_grad():
        return model(**inputs).logits.reshape(-1).numpy()


def test_a_student_keeping_every_layer_scores_as_the_teacher():
    """The layer mapping and the classifier are loaded right: all 12 layers kept, the fp32
    rebuild gives the int8 teacher's logits (up to its quantisation)."""
    pytest.importorskip("torch")
    from train.distill_reranker import student

    question = "When will construction of the solar farm begin?"
    teacher = OnnxCrossEncoder(resolve_model(TEACHER), TEACHER).score(question, PARAGRAPHS)
    rebuilt = _torch_scores(student(tuple(range(12))).eval(), question, PARAGRAPHS)
    assert np.argmax(rebuilt) == np.argmax(teacher) == 1
    assert np.max(np.abs(rebuilt - teacher)) < 1.0


def test_the_student_keeps_the_first_and_last_layers():
    pytest.importorskip("torch")
    from train.convert import cross_encoder_onnx, onnx_state_dict
    from train.distill_reranker import student

    model = student()
    assert model.config.num_hidden_layers == len(KEPT_LAYERS) == 6
    state = onnx_state_dict(cross_encoder_onnx())
    name = "attention.self.query.weight"
    for new, old in enumerate(KEPT_LAYERS):
        kept = model.bert.encoder.layer[new].state_dict()[name].numpy()
        assert np.array_equal(kept, state[f"bert.encoder.layer.{old}.{name}"])


@pytest.fixture(scope="module")
def shipped():
    if resolve_model(STUDENT) == STUDENT:
        pytest.fail("the distilled reranker is not packaged (qa/models/reranker)")
    return load_cross_encoder(STUDENT), load_cross_encoder(TEACHER)


def test_the_shipped_student_ranks_as_its_teacher(shipped, seed_document):
    """On the seed article's paragraphs, the student's first paragraph is the teacher's for
    nearly every reference question, and its logits stay on the teacher's scale (the
    confidence model and the cross-article margin read them)."""
    from eval.datasets import ARTICLE_FILE, read_jsonl

    student, teacher = shipped
    paragraphs = [p.text for p in seed_document.cited()]
    same, gaps = 0, []
    questions = [row["question"] for row in read_jsonl(ARTICLE_FILE)][:40]
    for question in questions:
        s, t = student.score(question, paragraphs), teacher.score(question, paragraphs)
        same += int(np.argmax(s) == np.argmax(t))
        gaps.append(float(np.max(s) - np.max(t)))
    assert same >= 0.9 * len(questions)
    assert abs(float(np.median(gaps))) < 1.5


def test_a_damaged_shipped_reranker_is_refused(shipped, tmp_path):
    """A flipped byte in the model is caught by the manifest's checksum on load, never used."""
    import shutil

    folder = tmp_path / "reranker"
    shutil.copytree(resolve_model(STUDENT), folder)
    model = folder / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        load_cross_encoder(str(folder))
