"""The persisted index: one folder with the FAISS file, chunks.jsonl and manifest.json.

Written to a temporary sibling folder and swapped in by rename, so a crash mid-build leaves
the previous index in place. Nothing is pickled: FAISS's own format, JSON and JSONL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.types import Chunk

# 2: paragraph ends trimmed, document ids relative to the corpus; 3: file checksums
FORMAT_VERSION = 3
FAISS_FILE = "faiss.index"
CHUNKS_FILE = "chunks.jsonl"
MANIFEST_FILE = "manifest.json"


class IndexLoadError(RuntimeError):
    """The index on disk is missing, corrupt or built for other data; rebuild it."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedding_model: str
    dimension: int
    chunk_count: int
    corpus_sha256: str
    files: dict[str, str]  # document id -> sha256 of its text
    chunking: dict[str, int]
    created_at: str = ""
    # sha256 of the FAISS and chunk files as written, checked before either is read: a damaged
    # vector file is refused even where FAISS would read it (random bytes, zeroed vectors).
    checksums: dict[str, str] = field(default_factory=dict)

    def matches(self, other: Manifest) -> list[str]:
        """Names of the fields that differ, ignoring the creation time and chunk count."""
        keys = ("format_version", "embedding_model", "dimension", "corpus_sha256", "chunking")
        return [k for k in keys if getattr(self, k) != getattr(other, k)]

    @property
    def fingerprint(self) -> str:
        """A short hash of the manifest, stamped on evaluation reports."""
        data = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(data).hexdigest()[:12]


def corpus_hash(files: dict[str, str]) -> str:
    """One hash over every (document id, checksum) pair, independent of order."""
    joined = "\n".join(f"{name}\t{digest}" for name, digest in sorted(files.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def save_index(folder: Path, index: Any, chunks: Sequence[Chunk], manifest: Manifest) -> Manifest:
    """Write the three files to a temporary folder, then swap it in for ``folder``.

    Returns the manifest as written (with its creation time). Any failure is an OSError and
    leaves the previous index in place and no temporary folder behind.
    """
    import faiss

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        try:
            faiss.write_index(index, str(tmp / FAISS_FILE))
        except RuntimeError as err:  # FAISS reports a full disk or an I/O error this way
            raise OSError(f"could not write {tmp / FAISS_FILE}: {err}") from err
        with open(tmp / CHUNKS_FILE, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        stamped = replace(
            manifest,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            checksums={name: file_sha256(tmp / name) for name in (FAISS_FILE, CHUNKS_FILE)},
        )
        data = json.dumps(asdict(stamped), indent=2, sort_keys=True)
        (tmp / MANIFEST_FILE).write_text(data, encoding="utf-8")
        _swap_in(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stamped


INDEX_FILES = frozenset({FAISS_FILE, CHUNKS_FILE, MANIFEST_FILE})


def is_replaceable(folder: Path) -> bool:
    """Only a missing folder, an empty one, or an index of ours may be replaced: a mistyped
    index_dir (the corpus, a home folder) must never be moved aside and deleted."""
    if not folder.exists():
        return True
    return folder.is_dir() and {p.name for p in folder.iterdir()} <= INDEX_FILES


def _swap_in(tmp: Path, folder: Path) -> None:
    # A directory cannot be replaced in one rename, so the old one is moved aside first;
    # recover_backup() restores it if we die between the two renames.
    if not is_replaceable(folder):
        shutil.rmtree(tmp, ignore_errors=True)
        raise OSError(f"{folder} holds files that are not an index; refusing to replace it")
    backup = _backup_path(folder)
    shutil.rmtree(backup, ignore_errors=True)
    if folder.exists():
        os.rename(folder, backup)
    os.rename(tmp, folder)
    shutil.rmtree(backup, ignore_errors=True)


def _backup_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.old"


def recover_backup(folder: Path) -> None:
    """Put back the previous index if a swap was interrupted."""
    backup = _backup_path(Path(folder))
    if not Path(folder).exists() and backup.is_dir():
        os.rename(backup, folder)


def read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError as err:
        raise IndexLoadError(f"no index at {folder}") from err
    except (OSError, ValueError, TypeError) as err:
        raise IndexLoadError(f"unreadable manifest in {folder}: {err}") from err


def load_index(folder: Path, expected: Manifest) -> tuple[Any, list[Chunk], Manifest]:
    """The FAISS index and chunks in ``folder``; IndexLoadError unless they match ``expected``."""
    import faiss

    recover_backup(folder)
    manifest = read_manifest(folder)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(f"index format {manifest.format_version}, expected {FORMAT_VERSION}")
    stale = manifest.matches(expected)
    if stale:
        raise IndexLoadError(f"index is out of date ({', '.join(stale)} changed)")
    verify_checksums(Path(folder), manifest)
    try:
        index = faiss.read_index(str(Path(folder) / FAISS_FILE))
        chunks = read_chunks(Path(folder) / CHUNKS_FILE)
    except (OSError, RuntimeError, ValueError, TypeError, KeyError) as err:
        raise IndexLoadError(f"corrupt index in {folder}: {err}") from err
    if not (index.ntotal == len(chunks) == manifest.chunk_count and index.d == manifest.dimension):
        raise IndexLoadError(
            f"corrupt index in {folder}: {index.ntotal} vectors, {len(chunks)} chunks, "
            f"manifest says {manifest.chunk_count}"
        )
    return index, chunks, manifest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksums(folder: Path, manifest: Manifest) -> None:
    """IndexLoadError unless the FAISS and chunk files are byte for byte as written."""
    for name in (FAISS_FILE, CHUNKS_FILE):
        expected = manifest.checksums.get(name)
        try:
            actual = file_sha256(folder / name)
        except OSError as err:
            raise IndexLoadError(f"corrupt index in {folder}: {name}: {err}") from err
        if actual != expected:
            raise IndexLoadError(f"corrupt index in {folder}: {name} fails its checksum")


def read_chunks(path: Path) -> list[Chunk]:
    chunks = []
    with open(path, encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            chunk = Chunk(**json.loads(line))
            if chunk.id != row:
                raise ValueError(f"chunk on line {row + 1} has id {chunk.id}")
            chunks.append(chunk)
    return chunks


def build_faiss(vectors: np.ndarray) -> Any:
    """Exact inner-product search over normalised vectors (cosine similarity)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index
