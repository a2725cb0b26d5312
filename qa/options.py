"""Settings from command-line options: shared by the CLI (qa.cli) and the UI server (ui.app),
so neither imports the other."""

from __future__ import annotations

import argparse
from pathlib import Path

from qa.settings import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings with the global --corpus, --index-dir, --vector-store and --milvus-uri options
    applied."""
    settings = Settings()
    if getattr(args, "corpus", None):
        settings = settings.replace(corpus_dir=Path(args.corpus))
    if getattr(args, "index_dir", None):
        settings = settings.replace(index_dir=Path(args.index_dir))
    if getattr(args, "vector_store", None):
        settings = settings.replace(vector_store=args.vector_store)
    if getattr(args, "milvus_uri", None):
        settings = settings.replace(milvus_uri=args.milvus_uri)
    return settings
