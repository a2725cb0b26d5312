"""Following an index that another process rewrites (several app servers, one index).

``qa index`` (or any writer) builds the new index beside the old, swaps the folder in by
rename and only then drops the replaced Milvus collection. A serving process checks the
manifest's ``stat`` on each request (one system call); when it changed and the manifest on
disk is not the one it holds, it reads the corpus and the new index, verifies them (every
checksum, the counts, every chunk quoting its document) and switches to them in one step.
A half-written index is never seen: the folder appears whole, by rename. A reader never
writes: it neither rebuilds nor puts a writer's backup back.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from qa.documents import CorpusError, load_documents
from qa.indexing.build import Embedder, check_chunks, expected_manifest
from qa.indexing.folder import (
    MANIFEST_FILE,
    IndexLoadError,
    Manifest,
    StoredIndex,
    load_index,
    read_manifest,
)
from qa.settings import Settings
from qa.types import Document

log = logging.getLogger(__name__)

Signature = tuple[int, int, int, int]  # device, inode, mtime in ns, size


def signature(folder: Path) -> Signature | None:
    """What changes whenever the manifest is replaced; None while there is none (the moment
    between a writer's two renames, or no index at all)."""
    try:
        info = os.stat(Path(folder) / MANIFEST_FILE)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def needs_look(seen: Signature | None, now: Signature | None, force: bool) -> bool:
    """Whether the manifest is worth reading: it exists and changed (or ``force``)."""
    return now is not None and (force or now != seen)


@dataclass
class IndexWatch:
    """The index folder a pipeline serves from, and the manifest signature last examined."""

    folder: Path
    seen: Signature | None = None

    def newer(self, current: Manifest, force: bool = False) -> Manifest | None:
        """The manifest on disk when it differs from ``current``, else None."""
        now = signature(self.folder)
        if not needs_look(self.seen, now, force):
            return None
        self.seen = now
        try:
            manifest = read_manifest(self.folder)
        except IndexLoadError:  # replaced again while we read it: the next request looks
            self.seen = None
            return None
        return None if manifest.fingerprint == current.fingerprint else manifest


def load_current(
    folder: Path, settings: Settings, embedder: Embedder
) -> tuple[list[Document], StoredIndex] | None:
    """The corpus and the index now in ``folder``, verified together; None (logged) when
    they do not match yet (the corpus changed again since, or a swap is under way)."""
    try:
        documents = load_documents(settings.corpus_dir)
        expected = expected_manifest(documents, settings, embedder)
        index = load_index(folder, expected, recover=False)
        check_chunks(index.chunks, documents)
    except (IndexLoadError, CorpusError) as err:
        log.warning("not switching to the new index in %s: %s", folder, err)
        return None
    return documents, index
