"""Command-line flags derived from the Settings fields: one flag per field, its type, choices,
default and help taken from the field's declaration (``qa.settings``), so a new setting is
a flag without a second declaration."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.settings import FIELDS, Settings

# Shorter names kept from before the flags were derived.
RENAMED = {"corpus_dir": "--corpus"}
DEST = "setting_"  # argparse destination prefix: what settings_from_args reads back


def flag(name: str) -> str:
    return RENAMED.get(name, "--" + name.replace("_", "-"))


def yes_no(text: str) -> bool:
    """A boolean flag's value: ``type=bool`` would read "false" and "0" as True."""
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no (true/false, 1/0), not {text!r}")


def value_type(name: str) -> Any:
    """What turns a setting's text on the command line into its value (``eval.bench`` too)."""
    default = FIELDS[name].default
    if isinstance(default, bool):
        return yes_no
    if name.endswith("_dir"):
        return Path
    if name == "abstain_threshold" or isinstance(default, float):
        return float
    return type(default)


def add_setting_flags(
    parser: argparse.ArgumentParser, names: Sequence[str], *, again: bool = False
) -> None:
    """A flag per Settings field in ``names``; unset flags leave the field as it is.

    ``again``: these flags are also the main parser's; a subcommand accepts them after its
    name too (``qa ask "…" --corpus DIR`` was "unrecognized arguments"), and leaves the value
    given before the name alone when they are not repeated (argparse copies a subcommand's
    defaults over the main parser's, so they must be absent, not None).
    """
    for name in names:
        meta, default = FIELDS[name].metadata, FIELDS[name].default
        shown = "the seed article" if name == "corpus_dir" else default
        # argparse %-formats help: a reason's "40%" must not be read as a format.
        reason = f"{meta['reason']} (default: {shown})".replace("%", "%%")
        parser.add_argument(
            flag(name),
            dest=DEST + name,
            type=value_type(name),
            choices=meta["choices"] or None,
            default=argparse.SUPPRESS if again else None,
            metavar=None if meta["choices"] else name.upper(),
            help=reason,
        )


def settings_from_args(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    """``base`` (default Settings()) with every setting flag given on the command line."""
    given = {
        key.removeprefix(DEST): value
        for key, value in vars(args).items()
        if key.startswith(DEST) and value is not None
    }
    return (base or Settings()).replace(**given)
