"""Cross-encoder relevance scores for (question, text) pairs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.model_files import (
    MANIFEST,
    go_offline,
    is_onnx_folder,
    onnx_session,
    read_manifest,
    require_torch_models,
    resolve_model,
)

# The manifest format of a cross-encoder folder this project exports (train.distill_reranker).
RERANKER_FORMAT = 1


class Scorer(Protocol):
    model_id: str

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray: ...


class OnnxCrossEncoder:
    """A BERT cross-encoder exported to ONNX, run with onnxruntime and a fast tokenizer.

    Returns raw logits (higher = more relevant); ms-marco models put the decision boundary
    near 0 and useful answers mostly above it.
    """

    def __init__(
        self,
        folder: str,
        model_id: str,
        max_length: int = 320,
        batch_size: int = 16,
        threads: int = 0,
    ) -> None:
        from tokenizers import Tokenizer

        if (Path(folder) / MANIFEST).is_file():  # ours: a damaged file is refused, not used
            read_manifest(Path(folder), "reranker model", RERANKER_FORMAT)
        self.model_id = model_id
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
        # Passages here are short; 320 tokens covers a chunk plus question, and costs less than 512.
        # longest_first: a long question (up to max_question_chars) is cut too, never an error.
        self.tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(f"{folder}/model.onnx", threads)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per text. Texts are batched by length, so short sentences are not
        padded to the length of a long paragraph."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        scores = np.zeros(len(texts), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            batch = order[i : i + self.batch_size]
            scores[batch] = self._score_batch(query, [texts[j] for j in batch])
        return scores

    def _score_batch(self, query: str, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([(query, t) for t in texts])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        feeds = {name: value for name, value in feeds.items() if name in self._inputs}
        logits = self.session.run(None, feeds)[0]
        return np.asarray(logits, dtype=np.float32).reshape(len(texts), -1)[:, 0]


class SentenceTransformerCrossEncoder:
    """Any sentence-transformers CrossEncoder, by hub name or path."""

    def __init__(self, name: str, model_id: str) -> None:
        go_offline()
        from sentence_transformers import CrossEncoder

        self.model_id = model_id
        self.model = CrossEncoder(name, device="cpu")

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        # Raw logits, as the ONNX path gives, so one abstention threshold serves both.
        scores = self.model.predict([(query, t) for t in texts], activation_fn=None)
        return np.asarray(scores, dtype=np.float32).reshape(-1)


def load_cross_encoder(model_id: str, threads: int = 0) -> Scorer:
    """The packaged ONNX cross-encoder when available, else sentence-transformers."""
    location = resolve_model(model_id)
    if is_onnx_folder(location):
        return OnnxCrossEncoder(location, model_id, threads=threads)
    require_torch_models(model_id)
    return SentenceTransformerCrossEncoder(location, model_id)
