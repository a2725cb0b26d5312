"""Run by tests/test_faults.py in a child process, where a crash cannot take pytest down.

python tests/fault_worker.py open CORPUS INDEX         -> prints JSON: how the index was opened
python tests/fault_worker.py build CORPUS INDEX POINT  -> rebuilds, stopping at POINT (below)
python tests/fault_worker.py probe CORPUS INDEX        -> prints JSON: whether the index is valid

A build stops at POINT ("embed:1", "checksum:2", "rename:1", "renamed:2", ...: before the
n-th call of that step, or after it for "renamed")
and says so on stdout, then waits for the signal that kills it: the test kills it exactly
there, with no timing guesses.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import FakeEmbedder

import qa.indexing.folder
from qa.documents import load_documents
from qa.indexing.build import check_chunks, expected_manifest, open_index
from qa.indexing.folder import IndexLoadError, load_index
from qa.settings import Settings

SETTINGS = Settings(chunk_size=300, chunk_overlap=50, embed_batch_size=4)


def stop_at(point: str) -> None:
    """Wrap each build step so that its n-th call named by ``point`` reports and waits."""
    calls: Counter[str] = Counter()

    def reached(step: str) -> None:
        calls[step] += 1
        if f"{step}:{calls[step]}" == point:
            print(point, flush=True)
            signal.pause()  # until SIGKILL

    def checkpoint(step: str, function, after: str = ""):
        def wrapper(*args, **kwargs):
            reached(step)
            result = function(*args, **kwargs)
            if after:
                reached(after)
            return result

        return wrapper

    FakeEmbedder.embed = checkpoint("embed", FakeEmbedder.embed)
    folder = qa.indexing.folder
    folder.file_sha256 = checkpoint("checksum", folder.file_sha256)
    folder.os = type(os)("os_with_checkpoints")  # the folder module's renames only
    folder.os.__dict__.update(os.__dict__, rename=checkpoint("rename", os.rename, "renamed"))


def probe(corpus: str, index: str) -> None:
    documents = load_documents(Path(corpus))
    try:
        chunks = load_index(
            Path(index), expected_manifest(documents, SETTINGS, FakeEmbedder())
        ).chunks
        check_chunks(chunks, documents)
        print(json.dumps({"valid": True}))
    except IndexLoadError as err:
        print(json.dumps({"valid": False, "why": str(err)}))


def main(mode: str, corpus: str, index: str, point: str = "") -> None:
    if mode == "probe":
        probe(corpus, index)
        return
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("qa").addHandler(handler)
    if mode == "build":
        stop_at(point)
    embedder = FakeEmbedder()
    documents = load_documents(Path(corpus))
    stored, _ = open_index(documents, SETTINGS, embedder, Path(index), rebuild=mode == "build")
    chunks, manifest = stored.chunks, stored.manifest
    print(
        json.dumps(
            {
                "chunks": len(chunks),
                "corpus": manifest.corpus_sha256,
                "embedded": embedder.texts,
                "warnings": warnings,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
