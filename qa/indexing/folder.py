"""The persisted index: one folder with the vectors (faiss.index, or milvus.json pointing at
a Milvus collection), chunks.jsonl, the BM25 index (bm25/) and manifest.json.

Written to a temporary sibling folder and swapped in by rename, so a crash mid-build leaves
the previous index in place. Nothing is pickled: FAISS's own format, .npy, JSON and JSONL.
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

from qa.checksums import file_sha256
from qa.environment import Environment
from qa.indexing.bm25 import BM25Index
from qa.indexing.vectors.faiss_store import FaissStore, VectorStore
from qa.types import Chunk

# 2: paragraph ends trimmed, document ids relative to the corpus; 3: file checksums;
# 4: BM25 saved, vector index kind (flat, hnsw, milvus), checksums of every file
FORMAT_VERSION = 4
FAISS_FILE = FaissStore.FILE
MILVUS_FILE = "milvus.json"
CHUNKS_FILE = "chunks.jsonl"
BM25_DIR = "bm25"
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
    # sha256 of every file as written (path relative to the folder), checked before any is
    # read: a damaged vector file is refused even where FAISS would read it (random bytes).
    checksums: dict[str, str] = field(default_factory=dict)
    vector_index: str = "auto"  # the setting asked for: auto, flat or hnsw
    vector_kind: str = "flat"  # what was built: flat, hnsw or milvus

    # The fields an index must share with the settings to be reused as it is; the corpus
    # aside, the others must match for its vectors to be reused by an incremental update.
    REUSE_KEYS = ("format_version", "embedding_model", "dimension", "chunking")

    def matches(self, other: Manifest) -> list[str]:
        """Names of the fields that differ, ignoring the creation time and chunk count."""
        keys = (*self.REUSE_KEYS, "corpus_sha256", "vector_index")
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


def save_index(
    folder: Path,
    vectors: VectorStore,
    chunks: Sequence[Chunk],
    bm25: BM25Index,
    manifest: Manifest,
) -> Manifest:
    """Write the index to a temporary folder, then swap it in for ``folder``.

    Returns the manifest as written (with its creation time and checksums). Any failure is
    an OSError and leaves the previous index in place and no temporary folder behind.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(folder)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        names = [*vectors.save(tmp), CHUNKS_FILE]
        with open(tmp / CHUNKS_FILE, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        names += [f"{BM25_DIR}/{name}" for name in bm25.save(tmp / BM25_DIR)]
        stamped = replace(
            manifest,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            checksums={name: file_sha256(tmp / name) for name in sorted(names)},
            vector_kind=vectors.kind,
        )
        data = json.dumps(asdict(stamped), indent=2, sort_keys=True)
        (tmp / MANIFEST_FILE).write_text(data, encoding="utf-8")
        _swap_in(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stamped


INDEX_FILES = frozenset({FAISS_FILE, MILVUS_FILE, CHUNKS_FILE, BM25_DIR, MANIFEST_FILE})


def is_replaceable(folder: Path) -> bool:
    """Only a missing folder, an empty one, or an index of ours may be replaced: a mistyped
    index_dir (the corpus, a home folder) must never be moved aside and deleted.

    An index, even a damaged one, has at least two of its own entries and nothing else; a
    lone ``manifest.json`` or ``bm25/`` is as likely a user's own (issue 16, M8), and so is a
    ``bm25/`` holding anything but the flat .npy/.json files BM25 writes."""
    if not folder.exists():
        return True
    if not folder.is_dir() or folder.is_symlink():
        return False
    entries = list(folder.iterdir())
    if not entries:
        return True
    names = {p.name for p in entries}
    return names <= INDEX_FILES and len(names) >= 2 and _is_bm25_folder(folder / BM25_DIR)


def _is_bm25_folder(folder: Path) -> bool:
    if not folder.exists():
        return True
    if folder.is_symlink() or not folder.is_dir():
        return False
    return all(
        p.is_file() and not p.is_symlink() and p.suffix in (".npy", ".json")
        for p in folder.iterdir()
    )


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


def sweep_stale(folder: Path) -> None:
    """Delete what killed builds left next to ``folder`` (m3): temporary folders of processes
    that are gone, and a backup once the index it backed up is in place again."""
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        pid = tmp.name.rpartition("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
    if folder.is_dir():
        shutil.rmtree(_backup_path(folder), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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


@dataclass(frozen=True)
class StoredIndex:
    """An index as read from its folder, every file verified."""

    vectors: VectorStore
    chunks: list[Chunk]
    bm25: BM25Index
    manifest: Manifest


def read_current_manifest(folder: Path, recover: bool = True) -> Manifest:
    """The manifest of the index in ``folder``, of this format; IndexLoadError otherwise.

    ``recover=False`` for a process that only reads an index another one writes: between the
    writer's two renames the folder is briefly absent, and putting the backup back then
    would make the writer's second rename fail.
    """
    if recover:
        recover_backup(folder)
    manifest = read_manifest(folder)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(f"index format {manifest.format_version}, expected {FORMAT_VERSION}")
    return manifest


def load_index(
    folder: Path, expected: Manifest, reuse_only: bool = False, recover: bool = True
) -> StoredIndex:
    """The index in ``folder``; IndexLoadError unless it matches ``expected``.

    With ``reuse_only`` the corpus and vector index kind may differ (an incremental update
    reuses the vectors of unchanged files); the model and chunking must still match.
    ``recover``: see read_current_manifest.
    """
    manifest = read_current_manifest(folder, recover)
    keys = Manifest.REUSE_KEYS if reuse_only else None
    stale = [k for k in manifest.matches(expected) if keys is None or k in keys]
    if stale:
        raise IndexLoadError(f"index is out of date ({', '.join(stale)} changed)")
    verify_checksums(Path(folder), manifest)
    try:
        vectors = load_vectors(Path(folder), manifest)
        chunks = read_chunks(Path(folder) / CHUNKS_FILE)
        bm25 = BM25Index.load(Path(folder) / BM25_DIR)
    except (OSError, RuntimeError, ValueError, TypeError, KeyError) as err:
        raise IndexLoadError(f"corrupt index in {folder}: {err}") from err
    if vectors.dimension != manifest.dimension:  # same count: a vector file of another model
        raise IndexLoadError(
            f"corrupt index in {folder}: vectors of dimension {vectors.dimension}, "
            f"manifest says {manifest.dimension}"
        )
    if {len(vectors), len(chunks), len(bm25)} != {manifest.chunk_count}:
        raise IndexLoadError(
            f"corrupt index in {folder}: {len(vectors)} vectors, {len(chunks)} chunks, "
            f"{len(bm25)} BM25 rows, manifest says {manifest.chunk_count}"
        )
    return StoredIndex(vectors, chunks, bm25, manifest)


def load_vectors(folder: Path, manifest: Manifest) -> VectorStore:
    if manifest.vector_kind == "milvus":
        from qa.indexing.vectors.milvus_store import MilvusStore

        return MilvusStore.load(folder, token=Environment.read().milvus_token)
    return FaissStore.load(folder)


def verify_checksums(folder: Path, manifest: Manifest) -> None:
    """IndexLoadError unless every file is byte for byte as written."""
    required = {CHUNKS_FILE, FAISS_FILE if manifest.vector_kind != "milvus" else MILVUS_FILE}
    # m2: every BM25 file too; a manifest without their checksums once let edited scores in.
    bm25 = folder / BM25_DIR
    required |= {f"{BM25_DIR}/{p.name}" for p in bm25.iterdir()} if bm25.is_dir() else set()
    missing = required - set(manifest.checksums)
    if not any(name.startswith(f"{BM25_DIR}/") for name in manifest.checksums):
        missing.add(f"{BM25_DIR}/")
    if missing:
        raise IndexLoadError(f"corrupt index in {folder}: no checksum for {sorted(missing)}")
    for name, expected in manifest.checksums.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:  # only files of the folder
            raise IndexLoadError(f"corrupt index in {folder}: bad file name {name!r}")
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
