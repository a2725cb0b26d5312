"""Bad input and misuse: nothing is lost, nothing crashes, no wrong citation."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from qa import cli
from qa.checksums import file_sha256
from qa.documents import load_documents
from qa.indexing.build import open_index
from qa.indexing.folder import CHUNKS_FILE, MANIFEST_FILE, save_index
from qa.settings import Settings

SETTINGS = Settings(chunk_size=300, chunk_overlap=50)


def test_index_never_replaces_a_folder_of_other_files(corpus_dir: Path, fake_embedder, caplog):
    """A mistyped index_dir pointing at the corpus itself must not move it aside or delete it."""
    documents = load_documents(corpus_dir)
    before = sorted(p.name for p in corpus_dir.iterdir())
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        stored, _ = open_index(documents, SETTINGS, fake_embedder, corpus_dir)
    assert len(stored.vectors) == len(stored.chunks) > 0  # still answers, from memory
    assert sorted(p.name for p in corpus_dir.iterdir()) == before
    assert any("not an index" in r.getMessage() for r in caplog.records)
    assert not list(corpus_dir.parent.glob(".corpus*")), "no temporary or backup folder left"


def test_tampered_chunks_with_matching_counts_are_rebuilt(
    corpus_dir: Path, fake_embedder, tmp_path: Path, caplog
):
    documents = load_documents(corpus_dir)
    folder = tmp_path / "idx"
    open_index(documents, SETTINGS, fake_embedder, folder)
    rows = [json.loads(line) for line in (folder / CHUNKS_FILE).read_text().splitlines()]
    rows[0]["paragraph"] = 12  # "Comments are closed.": boilerplate, never citable
    rows[1]["text"] = rows[1]["text"].replace("China", "Japan")
    (folder / CHUNKS_FILE).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        open_index(documents, SETTINGS, fake_embedder, folder)
    assert any("fails its checksum" in r.getMessage() for r in caplog.records)
    # Edited with its checksum updated too, the chunks still fail the check against the text.
    (folder / CHUNKS_FILE).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["checksums"][CHUNKS_FILE] = file_sha256(folder / CHUNKS_FILE)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa.indexing.build"):
        chunks = open_index(documents, SETTINGS, fake_embedder, folder)[0].chunks
    assert any("does not match" in r.getMessage() for r in caplog.records)
    doc = documents[0]
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert all(not doc.paragraph(c.paragraph).boilerplate for c in chunks)


def test_save_refuses_then_cleans_up(tmp_path: Path, fake_embedder, seed_document):
    from qa.documents.chunking import chunk_documents, make_splitter
    from qa.indexing.bm25 import BM25Index
    from qa.indexing.build import expected_manifest
    from qa.indexing.vectors.faiss_store import build_store

    chunks = chunk_documents([seed_document], make_splitter(300, 50))
    manifest = expected_manifest([seed_document], SETTINGS, fake_embedder, len(chunks))
    target = tmp_path / "notes"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    index = build_store(fake_embedder.embed([c.text for c in chunks]))
    with pytest.raises(OSError, match="not an index"):
        save_index(target, index, chunks, BM25Index([c.text for c in chunks]), manifest)
    assert (target / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_hidden_folders_are_not_read(corpus_dir: Path):
    hidden = corpus_dir / ".ipynb_checkpoints"
    hidden.mkdir()
    (hidden / "copy.txt").write_text("A stale copy\n\nof an article.")
    assert [d.id for d in load_documents(corpus_dir)] == ["000_36ba9c20c5f9ac76.txt"]


def test_cli_reports_unexpected_errors_in_one_line(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "cmd_search", boom)  # build_parser() binds it at call time
    assert cli.main(["search", "grain"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: RuntimeError: disk on fire") and "Traceback" not in err


@pytest.mark.slow
def test_longest_allowed_question_is_answered(real_pipeline):
    question = ("Who directs the Carnegie Russia Eurasia Center? " * 50)[:1999]
    result = real_pipeline.answer(question)  # no tokenizer truncation error
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.slow
def test_per_call_settings_do_not_leak(real_pipeline):
    question = "Who directs the Carnegie Russia Eurasia Center?"
    assert real_pipeline.answer(question, abstain_threshold=1.0).abstained
    assert not real_pipeline.answer(question).abstained
    with pytest.raises(ValueError, match="cannot change per call"):
        real_pipeline.answer(question, chunk_size=10)
