"""The persisted index: round trip, manifest checks, corruption and atomic saves (no models)."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

import qa.indexing.folder
from qa.documents import checksum
from qa.documents.chunking import chunk_documents, make_splitter
from qa.indexing.bm25 import BM25Index
from qa.indexing.folder import (
    BM25_DIR,
    CHUNKS_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    IndexLoadError,
    Manifest,
    corpus_hash,
    load_index,
    read_chunks,
    recover_backup,
    save_index,
)
from qa.indexing.vectors.faiss_store import build_store
from qa.retrieval import SearchOptions
from qa.settings import Settings
from qa.types import Chunk, Document

INDEX_FILES = sorted([FAISS_FILE, CHUNKS_FILE, BM25_DIR, MANIFEST_FILE])


def save(folder: Path, store, chunks, manifest: Manifest) -> Manifest:
    """save_index with the BM25 index of ``chunks``."""
    bm25 = BM25Index([getattr(c, "text", "") for c in chunks])
    return save_index(folder, store, chunks, bm25, manifest)


def load(folder: Path, manifest: Manifest):
    """(vectors, chunks, manifest) of load_index."""
    stored = load_index(folder, manifest)
    return stored.vectors, stored.chunks, stored.manifest


def make_manifest(documents: list[Document], embedder, chunk_count: int) -> Manifest:
    """The manifest the pipeline expects for these documents with 300/50 chunking."""
    from qa.indexing.build import expected_manifest

    settings = Settings(chunk_size=300, chunk_overlap=50)
    return expected_manifest(documents, settings, embedder, chunk_count)


@pytest.fixture
def built(seed_document: Document, fake_embedder):
    """(index, chunks, vectors, manifest) for the seed article with the fake embedder."""
    chunks = chunk_documents([seed_document], make_splitter(300, 50))
    vectors = fake_embedder.embed([c.text for c in chunks])
    manifest = make_manifest([seed_document], fake_embedder, len(chunks))
    return build_store(vectors), chunks, vectors, manifest


@pytest.fixture
def saved(tmp_path: Path, built):
    """A saved index folder, plus what was saved."""
    index, chunks, vectors, manifest = built
    folder = tmp_path / "index" / "seeds"
    save(folder, index, chunks, manifest)
    return folder, chunks, vectors, manifest


def reseal(folder: Path) -> None:
    """Recompute every checksum in the manifest after a file was damaged, so that the parse
    and dimension checks behind the checksum are what must refuse it."""
    from qa.checksums import file_sha256

    path = folder / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["checksums"] = {name: file_sha256(folder / name) for name in data["checksums"]}
    path.write_text(json.dumps(data))


def refused_past_checksum(folder: Path, manifest: Manifest, match: str) -> None:
    """The resealed index is refused by ``match``'s check, not by a checksum."""
    reseal(folder)
    with pytest.raises(IndexLoadError, match=match) as refused:
        load(folder, manifest)
    assert "fails its checksum" not in str(refused.value)


def stored_vectors(store) -> np.ndarray:
    return store.vectors(np.arange(len(store)))


# --- round trip ---------------------------------------------------------------------


def test_round_trip(saved) -> None:
    folder, chunks, vectors, manifest = saved
    index, loaded_chunks, loaded_manifest = load(folder, manifest)
    assert loaded_chunks == chunks
    assert len(index) == len(chunks) and index.dimension == vectors.shape[1]
    np.testing.assert_array_equal(stored_vectors(index), vectors)
    assert replace(loaded_manifest, created_at="", checksums={}) == manifest
    names = {"faiss.index", "chunks.jsonl", "bm25/vocab.index.json", "bm25/size.json"}
    assert names <= set(loaded_manifest.checksums)
    assert loaded_manifest.vector_kind == "flat"
    # Search gives the same neighbours as the vectors it was built from.
    assert index.search(vectors[3], 1)[0][0] == 3


def test_manifest_fields(saved, seed_document: Document) -> None:
    folder, chunks, _, _ = saved
    data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert data["format_version"] == FORMAT_VERSION
    assert data["embedding_model"] == "test/hashed-bag-of-words"
    assert data["dimension"] == 64
    assert data["chunk_count"] == len(chunks)
    assert data["files"] == {seed_document.id: checksum(seed_document.text)}
    assert data["corpus_sha256"] == corpus_hash(data["files"])
    assert len(data["corpus_sha256"]) == 64
    assert data["chunking"] == {"chunk_size": 300, "chunk_overlap": 50}
    created = time.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%S%z")
    assert abs(time.mktime(created) - time.time()) < 24 * 3600


def test_save_returns_the_manifest_it_wrote(tmp_path: Path, built) -> None:
    index, chunks, _, manifest = built
    written = save(tmp_path / "idx", index, chunks, manifest)
    _, _, loaded = load(tmp_path / "idx", manifest)
    assert written == loaded and written.created_at
    assert written.fingerprint == loaded.fingerprint


def test_folder_holds_only_json_jsonl_and_faiss(saved) -> None:
    folder, chunks, _, _ = saved
    assert sorted(os.listdir(folder)) == INDEX_FILES
    siblings = sorted(p.name for p in folder.parent.iterdir())
    assert siblings == [folder.name]  # no temporary or backup folder left behind
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        assert path.suffix not in {".pkl", ".pickle"}
        assert not path.read_bytes().startswith(b"\x80")  # pickle protocol 2+ opcode
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # plain arrays, readable without pickle
    lines = (folder / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()
    assert [Chunk(**json.loads(line)) for line in lines] == chunks


def test_corpus_hash_is_order_independent_and_content_sensitive() -> None:
    a = corpus_hash({"a.txt": "1", "b.txt": "2"})
    assert a == corpus_hash({"b.txt": "2", "a.txt": "1"})
    assert a != corpus_hash({"a.txt": "1", "b.txt": "3"})
    assert a != corpus_hash({"a.txt": "1"})


def test_save_replaces_an_existing_index(saved, fake_embedder) -> None:
    folder, chunks, vectors, manifest = saved
    fewer = chunks[:3]
    new_manifest = replace(manifest, chunk_count=3)
    save(folder, build_store(vectors[:3]), fewer, new_manifest)
    index, loaded, _ = load(folder, manifest)
    assert loaded == fewer and len(index) == 3
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]


def test_empty_index_round_trip(tmp_path: Path, fake_embedder) -> None:
    manifest = make_manifest([], fake_embedder, 0)
    save(tmp_path / "idx", build_store(np.zeros((0, 64), dtype=np.float32)), [], manifest)
    index, chunks, _ = load(tmp_path / "idx", manifest)
    assert len(index) == 0 and chunks == []


# --- stale index --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"corpus_sha256": "0" * 64, "files": {"x.txt": "0" * 64}}, "corpus_sha256"),
        ({"embedding_model": "another/model"}, "embedding_model"),
        ({"dimension": 128}, "dimension"),
        ({"chunking": {"chunk_size": 800, "chunk_overlap": 100}}, "chunking"),
    ],
    ids=["corpus", "model", "dimension", "chunking"],
)
def test_mismatched_manifest_names_what_changed(saved, change: dict, named: str) -> None:
    folder, _, _, manifest = saved
    with pytest.raises(IndexLoadError, match=rf"out of date \({named} changed\)"):
        load(folder, replace(manifest, **change))


def test_edited_document_makes_index_stale(saved, seed_document: Document, fake_embedder) -> None:
    folder, _, _, _ = saved
    edited = replace(seed_document, text=seed_document.text + "\nOne more line.")
    with pytest.raises(IndexLoadError, match="corpus_sha256"):
        load(folder, make_manifest([edited], fake_embedder, 0))


def test_chunk_count_is_not_part_of_the_expectation(saved) -> None:
    folder, chunks, _, manifest = saved
    _, loaded, _ = load(folder, replace(manifest, chunk_count=0))
    assert loaded == chunks


def test_other_format_version(saved) -> None:
    folder, _, _, manifest = saved
    path = folder / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match="format"):
        load(folder, manifest)


# --- corruption: always IndexLoadError, never a crash --------------------------------


def test_missing_folder(tmp_path: Path, built) -> None:
    with pytest.raises(IndexLoadError, match="no index"):
        load(tmp_path / "nothing-here", built[3])


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage bytes " * 50, os.urandom(2048), b"IxFI" + os.urandom(300)],
    ids=["empty", "text", "random", "bad-header"],
)
def test_corrupt_faiss_file(saved, data: bytes) -> None:
    folder, _, _, manifest = saved
    (folder / FAISS_FILE).write_bytes(data)
    refused_past_checksum(folder, manifest, "corrupt index in .*: ")  # FAISS's own error


def test_truncated_faiss_file(saved) -> None:
    folder, _, _, manifest = saved
    path = folder / FAISS_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    refused_past_checksum(folder, manifest, "corrupt index in .*: ")


def test_missing_faiss_file(saved) -> None:
    folder, _, _, manifest = saved
    (folder / FAISS_FILE).unlink()
    with pytest.raises(IndexLoadError):
        load(folder, manifest)


@pytest.mark.parametrize("name", ["vocab.index.json", "data.csc.index.npy", "size.json"])
def test_damaged_bm25_file_is_refused(saved, name: str) -> None:
    folder, _, _, manifest = saved
    path = folder / BM25_DIR / name
    path.write_bytes(path.read_bytes()[:-3] + b"xyz")
    with pytest.raises(IndexLoadError, match="fails its checksum"):
        load(folder, manifest)


def test_checksum_names_outside_the_folder_are_refused(saved) -> None:
    folder, _, _, manifest = saved
    path = folder / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["checksums"]["../../etc/passwd"] = "0" * 64
    path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match="bad file name"):
        load(folder, manifest)


def _cut_mid_line(text: str) -> str:
    return text[: len(text) // 2]


def _drop_last_line(text: str) -> str:
    return "".join(text.splitlines(keepends=True)[:-1])


def _swap_first_two_lines(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join([lines[1], lines[0], *lines[2:]])


def _missing_field(text: str) -> str:
    first, *rest = text.splitlines(keepends=True)
    row = json.loads(first)
    del row["text"]
    return "".join([json.dumps(row) + "\n", *rest])


@pytest.mark.parametrize(
    "corrupt",
    [
        _cut_mid_line,
        _drop_last_line,
        _swap_first_two_lines,
        _missing_field,
        lambda text: "",
        lambda text: "not json at all\n" + text,
        lambda text: "[1, 2, 3]\n" + text,
        lambda text: text + "\n",
    ],
    ids=[
        "truncated",
        "count-mismatch",
        "ids-out-of-order",
        "missing-field",
        "empty",
        "garbage-line",
        "json-list",
        "blank-line",
    ],
)
def test_corrupt_chunks_file(saved, corrupt) -> None:
    folder, _, _, manifest = saved
    path = folder / CHUNKS_FILE
    path.write_text(corrupt(path.read_text(encoding="utf-8")), encoding="utf-8")
    refused_past_checksum(folder, manifest, "corrupt index in ")


def test_binary_chunks_file(saved) -> None:
    folder, _, _, manifest = saved
    (folder / CHUNKS_FILE).write_bytes(b"\xff\xfe\x00garbage")
    refused_past_checksum(folder, manifest, "corrupt index in .*codec can't decode")


@pytest.mark.parametrize(
    "data",
    [b"", b"{not json", b"[]", b"{}", b'"text"', b'{"format_version": 1}', b"\xff\xfe\x00"],
    ids=["empty", "broken", "list", "empty-object", "string", "missing-fields", "binary"],
)
def test_garbage_manifest(saved, data: bytes) -> None:
    folder, _, _, manifest = saved
    (folder / MANIFEST_FILE).write_bytes(data)
    with pytest.raises(IndexLoadError, match="unreadable manifest"):
        load(folder, manifest)


def test_manifest_chunk_count_disagrees_with_files(saved) -> None:
    folder, chunks, _, manifest = saved
    path = folder / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["chunk_count"] = len(chunks) + 1
    path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match="corrupt index"):
        load(folder, manifest)


def test_vectors_of_another_dimension(saved, fake_embedder) -> None:
    folder, chunks, _, manifest = saved
    build_store(np.ones((len(chunks), 8), dtype=np.float32)).save(folder)  # as many rows
    refused_past_checksum(folder, manifest, "vectors of dimension 8, manifest says 64")


def test_read_chunks_checks_ids(tmp_path: Path) -> None:
    path = tmp_path / CHUNKS_FILE
    row = {"id": 1, "doc_id": "d", "paragraph": 1, "start": 0, "end": 1, "text": "x"}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="line 1 has id 1"):
        read_chunks(path)


# --- atomic save --------------------------------------------------------------------


def _assert_intact(folder: Path, chunks, vectors, manifest) -> None:
    index, loaded, _ = load(folder, manifest)
    assert loaded == chunks
    np.testing.assert_array_equal(stored_vectors(index), vectors)


def test_crash_while_writing_keeps_previous_index(saved, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, chunks, vectors, manifest = saved

    def fail(*args, **kwargs):
        raise RuntimeError("simulated: No space left on device")

    monkeypatch.setattr(faiss, "write_index", fail)
    with pytest.raises(OSError, match="No space left"):
        save(folder, build_store(vectors[:2]), chunks[:2], replace(manifest, chunk_count=2))
    _assert_intact(folder, chunks, vectors, manifest)
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # no temp folder


def test_crash_writing_chunks_keeps_previous_index(saved) -> None:
    folder, chunks, vectors, manifest = saved

    bad = [*chunks[:1], object()]  # the second "chunk" cannot be serialised
    with pytest.raises(TypeError):
        save(folder, build_store(vectors[:2]), bad, replace(manifest, chunk_count=2))
    _assert_intact(folder, chunks, vectors, manifest)
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]


def test_crash_between_renames_is_recovered(saved, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old folder has been moved aside, then the process dies before the new one is in."""
    folder, chunks, vectors, manifest = saved
    real_rename = os.rename
    renames = []

    def rename(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        if len(renames) == 2:  # the second rename puts the new folder in place
            raise OSError("simulated crash")
        real_rename(src, dst)

    monkeypatch.setattr(qa.indexing.folder.os, "rename", rename)
    with pytest.raises(OSError, match="simulated crash"):
        save(folder, build_store(vectors[:2]), chunks[:2], replace(manifest, chunk_count=2))
    monkeypatch.setattr(qa.indexing.folder.os, "rename", real_rename)

    assert renames[0] == (folder.name, f".{folder.name}.old")
    assert not folder.exists()
    assert (folder.parent / f".{folder.name}.old").is_dir()
    _assert_intact(folder, chunks, vectors, manifest)  # load_index recovers the backup
    assert not (folder.parent / f".{folder.name}.old").exists()


def test_recover_backup(saved) -> None:
    folder, chunks, vectors, manifest = saved
    backup = folder.parent / f".{folder.name}.old"
    os.rename(folder, backup)
    recover_backup(folder)
    assert folder.is_dir() and not backup.exists()
    _assert_intact(folder, chunks, vectors, manifest)


def test_recover_backup_keeps_a_complete_index(saved, tmp_path: Path) -> None:
    """A leftover backup never replaces an index that is in place."""
    folder, chunks, vectors, manifest = saved
    backup = folder.parent / f".{folder.name}.old"
    backup.mkdir()
    (backup / MANIFEST_FILE).write_text("{}")
    recover_backup(folder)
    _assert_intact(folder, chunks, vectors, manifest)


def test_recover_backup_without_anything_is_a_no_op(tmp_path: Path) -> None:
    recover_backup(tmp_path / "idx")
    assert list(tmp_path.iterdir()) == []


# --- open_index: build once, then load; rebuild only when needed ----------------------


@pytest.fixture
def corpus(corpus_dir: Path):
    from qa.documents import load_documents

    return corpus_dir, load_documents(corpus_dir)


def _open(documents, embedder, folder: Path, **kwargs):
    from qa.indexing.build import open_index
    from qa.settings import Settings

    settings = Settings(chunk_size=300, chunk_overlap=50)
    stored, _report = open_index(documents, settings, embedder, folder, **kwargs)
    return stored.vectors, stored.chunks, stored.manifest


def test_open_index_builds_then_loads(corpus, fake_embedder, tmp_path: Path, caplog) -> None:
    _, documents = corpus
    folder = tmp_path / "idx"
    index, chunks, manifest = _open(documents, fake_embedder, folder)
    assert fake_embedder.texts == len(chunks) > 0
    assert sorted(os.listdir(folder)) == INDEX_FILES
    assert manifest.chunk_count == len(chunks) == len(index)

    calls = fake_embedder.calls
    caplog.clear()
    index2, chunks2, manifest2 = _open(documents, fake_embedder, folder)
    assert fake_embedder.calls == calls  # loaded, not rebuilt
    assert not [r for r in caplog.records if r.levelno >= 30]
    assert chunks2 == chunks
    np.testing.assert_array_equal(stored_vectors(index2), stored_vectors(index))
    assert manifest2 == manifest  # the same fingerprint whether built or loaded


def test_open_index_updates_after_an_edit(
    corpus, fake_embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from qa.documents import load_documents

    corpus_dir, documents = corpus
    folder = tmp_path / "idx"
    _, _, manifest = _open(documents, fake_embedder, folder)
    path = next(corpus_dir.iterdir())
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n")
    edited = load_documents(corpus_dir)

    calls = fake_embedder.calls
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        _, new_chunks, new_manifest = _open(edited, fake_embedder, folder)
    assert fake_embedder.calls > calls
    assert not caplog.records  # an update is routine, not a warning
    assert new_chunks[-1].text == "A new closing paragraph."
    assert new_manifest.corpus_sha256 != manifest.corpus_sha256
    # And the updated index is what is on disk now.
    _, on_disk, _ = load(folder, new_manifest)
    assert on_disk == new_chunks


def test_open_index_rebuilds_for_another_model(corpus, make_embedder, tmp_path: Path) -> None:
    _, documents = corpus
    first = make_embedder()
    _open(documents, first, tmp_path / "idx")
    other = make_embedder(dimension=32, model_id="test/other-model")
    index, _, manifest = _open(documents, other, tmp_path / "idx")
    assert other.calls > 0
    assert index.dimension == 32 and manifest.embedding_model == "test/other-model"


def test_open_index_rebuilds_a_corrupt_index(
    corpus, fake_embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, documents = corpus
    folder = tmp_path / "idx"
    _, chunks, _ = _open(documents, fake_embedder, folder)
    (folder / FAISS_FILE).write_bytes(b"garbage" * 100)
    calls = fake_embedder.calls
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        index, rebuilt, manifest = _open(documents, fake_embedder, folder)
    assert fake_embedder.calls > calls
    assert any("corrupt index" in r.getMessage() for r in caplog.records)
    assert rebuilt == chunks and len(index) == len(chunks)
    load(folder, manifest)  # repaired on disk


def test_open_index_rebuild_flag(corpus, fake_embedder, tmp_path: Path) -> None:
    _, documents = corpus
    _open(documents, fake_embedder, tmp_path / "idx")
    calls = fake_embedder.calls
    _open(documents, fake_embedder, tmp_path / "idx", rebuild=True)
    assert fake_embedder.calls > calls


def test_open_index_unwritable_folder_answers_in_memory(
    corpus, fake_embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from qa.retrieval.hybrid import BM25Index, Retriever

    _, documents = corpus
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # a folder cannot be created below a file, even as root
    folder = blocker / "idx"
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        index, chunks, _ = _open(documents, fake_embedder, folder)
    assert any("could not save" in r.getMessage() for r in caplog.records)
    assert len(index) == len(chunks) > 0
    retriever = Retriever(
        documents={d.id: d for d in documents},
        chunks=chunks,
        vectors=index,
        embedder=fake_embedder,
        bm25=BM25Index([c.text for c in chunks]),
        reranker=None,
    )
    question = "Who is the director of the Carnegie Russia Eurasia Center?"
    top = retriever.search(question, 3, SearchOptions.of(Settings()))
    assert top[0].chunk.paragraph == 10


def test_open_index_when_faiss_cannot_write(
    corpus, fake_embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """FAISS reports a full disk as RuntimeError; that must not stop answering either."""
    _, documents = corpus

    def fail(*args, **kwargs):
        raise RuntimeError("simulated: No space left on device")

    monkeypatch.setattr(faiss, "write_index", fail)
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        index, chunks, _ = _open(documents, fake_embedder, tmp_path / "idx")
    assert len(index) == len(chunks)
    assert any("could not save" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no half-written folder


@pytest.mark.parametrize("damage", ["random-body", "zero-vectors", "reversed-rows", "chunk-edit"])
def test_damage_that_faiss_would_read_is_refused_by_checksum(saved, damage: str) -> None:
    folder, _chunks, vectors, manifest = saved
    path = folder / "faiss.index"
    if damage == "random-body":
        data = path.read_bytes()
        noise = np.random.default_rng(0).integers(0, 256, len(data) - 100, dtype=np.uint8)
        path.write_bytes(data[:100] + noise.tobytes())
    elif damage == "chunk-edit":
        text = (folder / "chunks.jsonl").read_text(encoding="utf-8")
        (folder / "chunks.jsonl").write_text(text.replace("a", "b", 1), encoding="utf-8")
    else:
        changed = np.zeros_like(vectors) if damage == "zero-vectors" else vectors[::-1].copy()
        build_store(changed).save(folder)
    with pytest.raises(IndexLoadError, match="fails its checksum"):
        load(folder, manifest)
