"""Settings from command-line options: shared by the CLI (qa.cli) and the UI server (ui.app),
so neither imports the other."""

from __future__ import annotations

import argparse
from pathlib import Path

from qa.settings import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings with the global --corpus and --index-dir options applied."""
    settings = Settings()
    if getattr(args, "corpus", None):
        settings = settings.replace(corpus_dir=Path(args.corpus))
    if getattr(args, "index_dir", None):
        settings = settings.replace(index_dir=Path(args.index_dir))
    return settings
