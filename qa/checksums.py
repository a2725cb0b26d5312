"""sha256 digests of texts and files: how an index and a model folder prove they are intact."""

from __future__ import annotations

import hashlib
from pathlib import Path


def checksum(text: str) -> str:
    """The sha256 of ``text`` as UTF-8 (a document's identity in an index manifest)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
