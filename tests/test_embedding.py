"""The shipped int8 ONNX embedder: same vectors as the model it was exported from, checked files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.model_files import resolve_model
from qa.retrieval.embedders import OnnxEmbedder, load_embedder, normalize_rows

SHIPPED = "article-qa/embedder"
TEXTS = [
    "Who directs the Carnegie Russia Eurasia Center?",
    "Alexander Gabuev, director of the Carnegie Russia Eurasia Center, believes that China's "
    "strongly worded statement was aimed at its domestic online audience.",
    "Grain",
    "Russia ended the Black Sea grain deal in July, and Ukraine shipped wheat through the "
    "Danube instead. " * 8,  # longer than the 128-token window: truncated, never an error
]


def test_normalize_rows_keeps_zero_rows() -> None:
    rows = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


def test_a_damaged_model_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "embedder"
    shutil.copytree(resolve_model(SHIPPED), folder)
    data = bytearray((folder / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"embedding model .*model\.onnx is missing or damaged"):
        OnnxEmbedder(str(folder), "damaged")


@pytest.mark.slow
def test_shipped_embedder_matches_the_model_it_came_from() -> None:
    onnx = load_embedder(SHIPPED)
    torch_model = load_embedder("sentence-transformers/all-MiniLM-L6-v2")
    assert isinstance(onnx, OnnxEmbedder) and onnx.dimension == torch_model.dimension == 384
    ours, theirs = onnx.embed(TEXTS), torch_model.embed(TEXTS)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.98  # int8 weights: near, not equal
    # The same neighbour for the question: the paragraph that answers it.
    assert int(np.argmax(ours[1:] @ ours[0])) == int(np.argmax(theirs[1:] @ theirs[0])) == 0


@pytest.mark.slow
def test_batching_barely_changes_a_vector() -> None:
    """Dynamic int8 scales activations per batch, so a text's vector depends a little on
    its batch-mates; the order of the input never matters."""
    embedder = load_embedder(SHIPPED, batch_size=2)
    together = embedder.embed(TEXTS)
    alone = np.concatenate([embedder.embed([t]) for t in TEXTS])
    assert (together * alone).sum(axis=1).min() > 0.98  # as close as int8 is to fp32
    np.testing.assert_array_equal(embedder.embed(TEXTS[::-1])[::-1], together)
    assert embedder.embed([]).shape == (0, 384)


class RecordingSession:
    """The embedder's ONNX session, recording each batch's token ids."""

    def __init__(self, session) -> None:
        self.session, self.batches = session, []

    def run(self, names, feeds):
        self.batches.append(feeds["input_ids"])
        return self.session.run(names, feeds)


def test_texts_are_batched_by_token_count_not_characters() -> None:
    """A long word is many tokens in few characters: batched by characters, the 11-token
    compound would share a batch with the 42-token text and be padded to its length."""
    texts = ["x " * 30, "antidisestablishmentarianism " * 2, "hi", "x " * 40]
    embedder = OnnxEmbedder(resolve_model(SHIPPED), SHIPPED, batch_size=2)
    lengths = sorted(len(e.ids) for e in embedder.tokenizer.encode_batch(texts))
    embedder.session = RecordingSession(embedder.session)
    vectors = embedder.embed(texts)
    widths = [batch.shape[1] for batch in embedder.session.batches]
    assert widths == [lengths[1], lengths[3]]  # each batch as wide as its longest text only
    padding = sum(int((batch == 0).sum()) for batch in embedder.session.batches)
    assert padding == (lengths[1] - lengths[0]) + (lengths[3] - lengths[2])
    assert vectors.shape == (4, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_a_hub_model_without_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default install is torch-free: a model that needs torch says how to get it."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(ValueError, match=r"needs torch; pip install 'article-qa\[torch\]'"):
        load_embedder("someone/another-embedder")
    from qa.reading.span_models import load_span_model
    from qa.retrieval.rerankers import load_cross_encoder

    with pytest.raises(ValueError, match="article-qa"):
        load_cross_encoder("someone/another-cross-encoder")
    with pytest.raises(ValueError, match="article-qa"):
        load_span_model("someone/another-reader")


# As in the default install: torch and the libraries on it cannot be imported (spaCy's thinc
# tries torch and goes on without it, as it does where torch is not installed).
WITHOUT_TORCH = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "transformers", "sentence_transformers"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, NoTorch())
from qa import answer
result = answer("How many points does Xi's peace blueprint have?", index_dir=sys.argv[1])
print(result)
"""


@pytest.mark.slow
def test_answering_needs_no_torch(tmp_path: Path) -> None:
    """The answer path runs on onnxruntime: indexing and answering work without torch."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("12") and "[¶6]" in run.stdout, run.stdout
