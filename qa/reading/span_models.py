"""Span models: (windows) -> start and end logits. ONNX (the shipped default) or transformers.

The shipped reader is an int8 ONNX model run with plain onnxruntime + tokenizers (no torch on
the answer path). Its folder holds ``manifest.json`` with the sha256 of every file, verified on
load, so a damaged model is refused with a clear message instead of giving wrong answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.model_files import (
    MANIFEST,
    go_offline,
    is_onnx_folder,
    onnx_session,
    padded_inputs,
    require_torch_models,
    resolve_model,
)
from qa.model_files import read_manifest as read_folder_manifest
from qa.reading.windows import Window

READER_FORMAT = 1


Scores = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]  # start, end, relevance or None


class SpanModel(Protocol):
    tokenizer: Any  # a tokenizers.Tokenizer without padding or truncation
    max_length: int
    overlap: int
    has_relevance: bool  # a reader-ranker: it also scores each window's relevance

    def scores(self, windows: Sequence[Window]) -> Scores: ...


def batch_arrays(windows: Sequence[Window]) -> dict[str, np.ndarray]:
    """Right-padded input_ids / attention_mask / token_type_ids for a batch of windows."""
    return padded_inputs([w.input_ids for w in windows], [w.token_type_ids for w in windows])


def read_manifest(folder: Path) -> dict[str, Any]:
    """The reader folder's manifest, every listed file's checksum verified."""
    return read_folder_manifest(folder, "reader model", READER_FORMAT)


def load_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class OnnxSpanModel:
    """An extractive QA model exported to ONNX (inputs as BERT's, outputs start/end logits,
    and for a reader-ranker a ``relevance`` logit per window: train.model)."""

    def __init__(self, folder: str | Path, threads: int = 0) -> None:
        folder = Path(folder)
        manifest = read_manifest(folder) if (folder / MANIFEST).exists() else {}
        self.max_length = int(manifest.get("max_length", 384))
        self.overlap = int(manifest.get("overlap", 128))
        self.calibration = manifest.get("calibration", {})
        self.calibrations = manifest.get("calibrations", {})  # other modes' fits, by mode
        self.tokenizer = load_tokenizer(folder / "tokenizer.json")
        try:
            self.session = onnx_session(folder / "model.onnx", threads)
        except Exception as exc:  # onnxruntime raises its own types for a bad graph
            raise ValueError(f"reader model {folder}: cannot load model.onnx ({exc})") from None
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.has_relevance = "relevance" in {o.name for o in self.session.get_outputs()}

    def scores(self, windows: Sequence[Window]) -> Scores:
        """Start and end logits, and each window's relevance logit where the model has one:
        one pass of the network."""
        feeds = {k: v for k, v in batch_arrays(windows).items() if k in self._inputs}
        names = ["start_logits", "end_logits"] + (["relevance"] if self.has_relevance else [])
        outputs = [np.asarray(o, dtype=np.float32) for o in self.session.run(names, feeds)]
        return outputs[0], outputs[1], outputs[2].reshape(-1) if self.has_relevance else None


class TransformersSpanModel:
    """A transformers extractive QA model run in torch: one loaded by ``load`` (hub name or
    path), or one in memory, such as the model being trained (train.evaluate)."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 384, overlap: int = 128):
        self.model = model
        self.tokenizer = tokenizer  # a tokenizers.Tokenizer without padding or truncation
        self.max_length = max_length
        self.overlap = overlap
        self.calibration: dict[str, Any] = {}
        self.calibrations: dict[str, dict[str, Any]] = {}
        self.has_relevance = hasattr(model, "classifier") and hasattr(model, "qa_outputs")

    @classmethod
    def load(cls, name: str, max_length: int = 384, overlap: int = 128) -> TransformersSpanModel:
        go_offline()
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name).backend_tokenizer
        tokenizer.no_padding()
        tokenizer.no_truncation()
        model = AutoModelForQuestionAnswering.from_pretrained(
            name,
            use_safetensors=True,  # never unpickle a .bin file
        ).eval()
        return cls(model, tokenizer, max_length, overlap)

    def scores(self, windows: Sequence[Window]) -> Scores:
        import torch

        arrays = batch_arrays(windows)
        if self.model.config.model_type in {"distilbert", "roberta"}:
            arrays.pop("token_type_ids")
        with torch.no_grad():
            out = self.model(**{k: torch.from_numpy(v) for k, v in arrays.items()})
        relevance = getattr(out, "relevance", None) if self.has_relevance else None
        return (
            out.start_logits.float().numpy(),
            out.end_logits.float().numpy(),
            None if relevance is None else relevance.float().numpy().reshape(-1),
        )


def load_span_model(name: str, threads: int = 0) -> SpanModel:
    """The packaged or on-disk ONNX reader when ``name`` is one, else a transformers model."""
    location = resolve_model(name)
    if is_onnx_folder(location):
        return OnnxSpanModel(location, threads)
    require_torch_models(name)
    return TransformersSpanModel.load(location)
