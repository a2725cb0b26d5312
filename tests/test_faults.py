"""Fault injection: every index file damaged every way, each opened in a child process; and
builds killed with SIGKILL at several points. The index is rebuilt with a warning, never
used damaged, and a killed build leaves exactly the old or exactly the new index."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("fault_worker.py")
FILES = ("faiss.index", "chunks.jsonl", "manifest.json")
DAMAGES = ("missing", "empty", "truncated", "random", "bitflip", "reordered")


def run(mode: str, corpus: Path, index: Path, timeout: float = 120) -> dict:
    done = subprocess.run(
        [sys.executable, str(WORKER), mode, str(corpus), str(index)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"child crashed ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    rng = random.Random(7)
    if how == "missing":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "random":
        path.write_bytes(data[:100] + bytes(rng.randrange(256) for _ in range(len(data) - 100)))
    elif how == "bitflip":
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x04
        path.write_bytes(bytes(flipped))
    elif how == "reordered":
        lines = data.splitlines(keepends=True)
        if len(lines) > 1:
            path.write_bytes(b"".join(reversed(lines)))
        else:  # a binary file: swap its halves
            path.write_bytes(data[len(data) // 2 :] + data[: len(data) // 2])


@pytest.fixture(scope="module")
def built(tmp_path_factory, seed_path: Path) -> tuple[Path, Path, dict]:
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(seed_path, corpus / seed_path.name)
    index = tmp_path_factory.mktemp("index") / "seeds"
    return corpus, index, run("open", corpus, index)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_file_is_rebuilt_never_used(built, tmp_path: Path, name: str, how: str):
    corpus, good, fresh = built
    index = tmp_path / "seeds"
    shutil.copytree(good, index)
    assert run("open", corpus, index)["embedded"] == 0  # intact: loaded, nothing embedded
    damage(index / name, how)
    opened = run("open", corpus, index)
    assert opened["chunks"] == fresh["chunks"] and opened["corpus"] == fresh["corpus"]
    assert opened["embedded"] > 0, "the damaged index was rebuilt"
    assert any("rebuilding" in w for w in opened["warnings"])
    assert run("open", corpus, index)["embedded"] == 0  # and the rebuild was saved


@pytest.mark.parametrize("field", ["embedding_model", "format_version", "dimension"])
def test_index_from_another_model_or_a_newer_format_is_rebuilt(built, tmp_path, field):
    corpus, good, fresh = built
    index = tmp_path / "seeds"
    shutil.copytree(good, index)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest[field] = {"embedding_model": "other/model", "format_version": 99, "dimension": 768}[
        field
    ]
    (index / "manifest.json").write_text(json.dumps(manifest))
    opened = run("open", corpus, index)
    assert opened["embedded"] > 0 and opened["chunks"] == fresh["chunks"]


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.2, 1.6, 2.5, 6.0])
def test_build_killed_mid_way_leaves_the_old_or_the_new_index(built, tmp_path, delay):
    corpus, good, _ = built
    index = tmp_path / "seeds"
    shutil.copytree(good, index)
    changed = tmp_path / "corpus"
    shutil.copytree(corpus, changed)
    article = next(changed.iterdir())
    article.write_text(article.read_text() + "\n\nA new closing paragraph about the talks.\n")
    child = subprocess.Popen(
        [sys.executable, str(WORKER), "build", str(changed), str(index)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    old = run("probe", corpus, index)["valid"]
    new = run("probe", changed, index)["valid"]
    assert old != new, "exactly one of the old and the new index is on disk"
