"""The distilled 6-layer cross-encoder (train.distill_reranker) and the shipped one it made."""

from __future__ import annotations

import json

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


def test_a_student_goes_on_from_a_shipped_student_folder():
    """``--init``: the int8 student rebuilt in fp32 scores as the folder's ONNX model does."""
    pytest.importorskip("torch")
    from train.distill_reranker import student

    question = "When will construction of the solar farm begin?"
    folder = resolve_model(STUDENT)
    shipped = OnnxCrossEncoder(folder, STUDENT).score(question, PARAGRAPHS)
    rebuilt = _torch_scores(student(init=str(folder)).eval(), question, PARAGRAPHS)
    assert np.argmax(rebuilt) == np.argmax(shipped) == 1
    assert np.max(np.abs(rebuilt - shipped)) < 1.0


def test_coqa_turns_are_resolved_and_read_in_their_rationale_s_paragraph(tmp_path):
    from train.data import COQA, coqa_turns

    story = "Tom Hale lives in Leeds.\n\nHe keeps two dogs, Rex and Fido.\n\nHe is a baker."
    turns = [
        ("Where does Tom Hale live?", "Leeds", story.index("Leeds")),
        ("How many dogs does he keep?", "two", story.index("two")),
        ("Is he married?", "unknown", -1),
        ("What is his job?", "baker", story.index("baker")),
    ]
    data = {"data": [{
        "id": "s1", "story": story,
        "questions": [{"input_text": q, "turn_id": i} for i, (q, _, _) in enumerate(turns)],
        "answers": [{"input_text": a, "span_start": at, "span_end": at + len(a) if at >= 0 else -1,
                     "span_text": a, "turn_id": i} for i, (_, a, at) in enumerate(turns)],
    }]}  # fmt: skip
    (tmp_path / COQA).parent.mkdir(parents=True)
    (tmp_path / COQA).write_text(json.dumps(data), encoding="utf-8")
    examples = coqa_turns(tmp_path)
    assert [ex.answers for ex in examples] == [("Leeds",), ("two",), ("baker",)]  # no "unknown"
    assert examples[1].question == "How many dogs does Tom Hale keep?"  # as the pipeline would
    assert examples[1].context == "He keeps two dogs, Rex and Fido."
    for ex in examples:
        assert ex.context[ex.start : ex.end] == ex.answers[0]
        assert ex.context in story.split("\n\n") and ex.article == 0


@pytest.mark.parametrize(
    "capability, bf16", [("AVX512", True), ("AVX2", False), ("DEFAULT", False)]
)
def test_training_autocasts_to_bf16_only_where_the_cpu_has_avx512(monkeypatch, capability, bf16):
    """On an AVX2-only CPU torch emulates bf16: a distillation step took 132 s, 10 s in fp32."""
    torch = pytest.importorskip("torch")
    from train.run import cpu_autocast

    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    with cpu_autocast():
        assert torch.is_autocast_enabled("cpu") is bf16


def test_teacher_scores_are_cached_per_mix_of_questions(tmp_path, monkeypatch):
    """Scores cached for one --questions mix are never read back as another mix's targets."""
    import qa.retrieval
    from train.distill_reranker import teacher_logits

    scored = []

    class Teacher:
        def __init__(self, *args):
            pass

        def score(self, question, passages):
            scored.append(question)
            return np.full(len(passages), float(len(question)), dtype=np.float32)

    monkeypatch.setattr(qa.retrieval, "OnnxCrossEncoder", Teacher)
    one = [("Who won?", ["a", "b"])]
    other = [("Where was it held?", ["a", "b"])]
    assert teacher_logits(one, tmp_path)[0].tolist() == [8.0, 8.0]
    assert teacher_logits(other, tmp_path)[0].tolist() == [18.0, 18.0]  # not one's scores
    assert teacher_logits(one, tmp_path)[0].tolist() == [8.0, 8.0]
    assert scored == ["Who won?", "Where was it held?"]  # the third call read its cache


def test_a_student_keeps_the_layers_its_recipe_names():
    pytest.importorskip("torch")
    from train.distill_reranker import Recipe, recipe_layers, student, teacher_layers

    eight = Recipe(layers="0,2,3,5,6,8,9,11")
    assert student(recipe_layers(eight)).config.num_hidden_layers == 8
    # Going on from a student keeps all of its layers, whatever the new recipe's default.
    assert student(init=str(resolve_model(STUDENT))).config.num_hidden_layers == 6
    # The manifest names the teacher's layers of the first run of a chain of continuations.
    chain = {"layers": "0,11", "init": "x", "continued_from": {"layers": "0,2,3,5,6,8,9,11"}}
    assert teacher_layers(chain) == [0, 2, 3, 5, 6, 8, 9, 11]
    assert teacher_layers({"questions": "nyt=1"}) == list(KEPT_LAYERS)  # recipes before layers


def test_chunked_groups_hold_the_chunk_of_the_answer_as_the_index_cuts_it():
    from qa.settings import Settings
    from train.distill_reranker import _as_chunks

    long = " ".join(f"Sentence {i} tells of the solar farm's part number {i}." for i in range(60))
    at = long.index("part number 41")
    ex = Example("q", "nyt", "What is part 41?", long, at, at + 14, ("part number 41",), 3)
    (moved,), chunked = _as_chunks([ex], {("nyt", 3): [long, PARAGRAPHS[2]]})
    assert moved.context[moved.start : moved.end] == "part number 41"
    assert moved.context in long and len(moved.context) <= Settings().chunk_size
    assert len(chunked[("nyt", 3)]) > 2 and PARAGRAPHS[2] in chunked[("nyt", 3)]
    assert all(len(c) <= Settings().chunk_size for c in chunked[("nyt", 3)])


def test_a_mistyped_passages_setting_is_refused_not_read_as_paragraphs():
    from train.distill_reranker import Recipe

    with pytest.raises(ValueError, match="'paragraphs' or 'chunks'"):
        question_groups(Recipe(passages="chunk"))
