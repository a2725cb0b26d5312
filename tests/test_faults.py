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


def reseal(folder: Path, name: str) -> None:
    """The damaged file's checksum recomputed in the manifest: the parse and consistency
    checks behind the checksum must refuse it."""
    from qa.checksums import file_sha256

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["checksums"][name] = file_sha256(folder / name)
    (folder / "manifest.json").write_text(json.dumps(manifest))


# FAISS reads a bit flip or random bytes inside its vectors as other vectors: only the
# checksum can catch those, so past it only the damage to its structure is tried.
PAST_CHECKSUM = [("faiss.index", how) for how in ("empty", "truncated", "reordered")]
PAST_CHECKSUM += [("chunks.jsonl", how) for how in DAMAGES if how != "missing"]


@pytest.mark.parametrize(("name", "how"), PAST_CHECKSUM)
def test_damage_under_a_fresh_checksum_is_rebuilt_never_used(built, tmp_path, name, how):
    corpus, good, fresh = built
    index = tmp_path / "seeds"
    shutil.copytree(good, index)
    damage(index / name, how)
    reseal(index, name)
    opened = run("open", corpus, index)
    assert opened["embedded"] > 0 and opened["chunks"] == fresh["chunks"]
    reasons = [w for w in opened["warnings"] if "rebuilding" in w]
    assert reasons and not any("fails its checksum" in w for w in reasons), reasons


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


# Each point of a rebuild over the old index: embedding, writing the new files (checksums),
# moving the old index aside, putting the new one in place (the old one moved aside), and
# once the new one is in place (the old one not yet deleted).
KILL_POINTS = ("embed:1", "checksum:1", "checksum:3", "rename:1", "rename:2", "renamed:2")


@pytest.mark.parametrize("point", KILL_POINTS)
def test_build_killed_mid_way_leaves_the_old_or_the_new_index(built, tmp_path, point):
    corpus, good, _ = built
    index = tmp_path / "seeds"
    shutil.copytree(good, index)
    changed = tmp_path / "corpus"
    shutil.copytree(corpus, changed)
    article = next(changed.iterdir())
    article.write_text(article.read_text() + "\n\nA new closing paragraph about the talks.\n")
    child = subprocess.Popen(
        [sys.executable, str(WORKER), "build", str(changed), str(index), point],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:  # the child says where it stopped, then waits there to be killed
        assert child.stdout.readline().strip() == point, "the build never reached the point"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    old = run("probe", corpus, index)["valid"]
    new = run("probe", changed, index)["valid"]
    assert old != new, "exactly one of the old and the new index is on disk"
    assert new is (point == "renamed:2"), "the new index is there once it was swapped in"
