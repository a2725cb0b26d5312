"""Hostile index folders (issue 16): a user's folder as --index-dir, killed builds, unsaved
indexes and BM25 files without checksums."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- index folders (M8) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "mine",
    [
        {"manifest.json": '{"manifest_version": 3}'},  # the probe's trap
        {"bm25/notes.txt": "my notes"},
        {"bm25/params.index.json": "{}"},  # a lone bm25/ is not an index either
        {"manifest.json": "{}", "bm25/deep/notes.txt": "mine"},
    ],
    ids=["lone-manifest", "bm25-of-notes", "lone-bm25", "bm25-with-a-folder"],
)
def test_an_index_dir_that_is_not_exactly_an_index_is_never_replaced(
    tmp_path: Path, corpus_dir: Path, fake_embedder, mine: dict
):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    folder = tmp_path / "x"
    for name, text in mine.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    stored, _ = open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    assert len(stored.chunks) > 0  # answered from memory
    for name, text in mine.items():
        assert (folder / name).read_text() == text  # the user's files are where they were
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "x"]


def test_a_damaged_index_is_still_replaced(tmp_path: Path, corpus_dir: Path, fake_embedder):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    documents, folder = load_documents(corpus_dir), tmp_path / "idx"
    open_index(documents, Settings(), fake_embedder, folder)
    (folder / "manifest.json").unlink()  # one entry gone: still an index, rebuilt
    open_index(documents, Settings(), fake_embedder, folder)
    assert (folder / "manifest.json").exists()


# --- minor items ---------------------------------------------------------------------------


def test_what_killed_builds_left_behind_is_swept(tmp_path: Path, corpus_dir: Path, fake_embedder):
    import subprocess
    import sys

    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".idx.tmp-{gone}"  # a SIGKILLed build's temporary folder (m3)
    stale.mkdir()
    (stale / "chunks.jsonl").write_text("half written")
    folder = tmp_path / "idx"
    open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    (tmp_path / ".idx.old").mkdir()  # a backup left after its index came back
    open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder, rebuild=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "idx"]


def test_an_unsaved_index_is_reported_as_a_failure(tmp_path: Path, corpus_dir: Path, fake_embedder):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")  # not an index: the save is refused
    _, report = open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    assert "not an index" in report.save_error  # qa index exits 1 on it (m4)


@pytest.mark.slow
def test_the_index_dir_trap_through_the_command_line(tmp_path: Path, capsys):
    # The probe's M8 reproducer: mkdir x && echo '{"manifest_version":3}' > x/manifest.json
    # && qa --index-dir x index. The folder was deleted and replaced, and qa said 0.
    from qa import cli

    trap = tmp_path / "x"
    trap.mkdir()
    (trap / "manifest.json").write_text('{"manifest_version":3}')
    code = cli.main(["--index-dir", str(trap), "index"])
    assert code == 1 and "not saved" in capsys.readouterr().err  # m4
    assert sorted(p.name for p in trap.iterdir()) == ["manifest.json"]
    assert (trap / "manifest.json").read_text() == '{"manifest_version":3}'


def test_bm25_files_without_checksums_are_not_used(
    tmp_path: Path, corpus_dir: Path, fake_embedder, caplog
):
    import json
    import logging

    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    documents, folder = load_documents(corpus_dir), tmp_path / "idx"
    open_index(documents, Settings(), fake_embedder, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["checksums"] = {k: v for k, v in manifest["checksums"].items() if "bm25" not in k}
    (folder / "manifest.json").write_text(json.dumps(manifest))  # m2: then edit the scores
    with caplog.at_level(logging.WARNING, logger="qa.indexing"):
        _, report = open_index(documents, Settings(), fake_embedder, folder)
    assert not report.loaded and any("no checksum" in r.getMessage() for r in caplog.records)
