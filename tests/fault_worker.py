"""Run by tests/test_faults.py in a child process, where a crash cannot take pytest down.

python tests/fault_worker.py open CORPUS INDEX   -> prints JSON: how the index was opened
python tests/fault_worker.py build CORPUS INDEX  -> builds slowly (for SIGKILL tests)
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import FakeEmbedder

from qa.documents import load_documents
from qa.indexing.build import check_chunks, expected_manifest, open_index
from qa.indexing.folder import IndexLoadError, load_index
from qa.settings import Settings

SETTINGS = Settings(chunk_size=300, chunk_overlap=50, embed_batch_size=4)


class SlowEmbedder(FakeEmbedder):
    def embed(self, texts, is_query=False):
        time.sleep(0.015 * len(texts))  # a build long enough to be killed at several points
        return super().embed(texts, is_query)


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


def main(mode: str, corpus: str, index: str) -> None:
    if mode == "probe":
        probe(corpus, index)
        return
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("qa").addHandler(handler)
    embedder = SlowEmbedder() if mode == "build" else FakeEmbedder()
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
    main(*sys.argv[1:4])
