"""Shared fixtures: the seed article, a model-free fake embedder, and the real pipeline.

Unit tests use ``fake_embedder`` (hashed bag of words, no model files). Tests marked
``slow`` share one real pipeline per session, built into a temporary index folder so the
repository's ``index/`` is never touched.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from qa.documents import make_document
from qa.environment import PROJECT_ROOT
from qa.settings import Settings
from qa.types import Document

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

SEEDS_DIR = PROJECT_ROOT / "seeds"
SEED_NAME = "000_36ba9c20c5f9ac76.txt"
SEED_PATH = SEEDS_DIR / SEED_NAME

_TOKEN = re.compile(r"[^\W_]+")


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors, unit length; counts its work.

    Texts sharing words get a positive cosine similarity, so dense search behaves sensibly
    on toy corpora, and no model is loaded.
    """

    def __init__(self, dimension: int = 64, model_id: str = "test/hashed-bag-of-words") -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.calls = 0  # embed() calls
        self.texts = 0  # texts embedded, queries included

    def embed(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                digest = hashlib.sha256(token.encode()).digest()
                vectors[row, int.from_bytes(digest[:4], "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def make_embedder() -> type[FakeEmbedder]:
    """The FakeEmbedder class, for tests that need another dimension or model id."""
    return FakeEmbedder


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED_PATH


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_document(seed_text: str) -> Document:
    return make_document(SEED_NAME, seed_text)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of seeds/ that a test may edit."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, folder)
    return folder


# --- the real pipeline (slow tests only) ---------------------------------------------


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings with a temporary index folder (the repository's index/ stays as is)."""
    return Settings(index_dir=tmp_path_factory.mktemp("real-index") / "seeds")


@pytest.fixture(scope="session")
def real_pipeline(real_settings: Settings):
    """The packaged models over the seed article, loaded once per session.

    Built through get_pipeline(), so qa.answer(..., index_dir=...) and the CLI with
    --index-dir reuse this instance instead of loading the models again.
    """
    from qa.shared import get_pipeline

    return get_pipeline(real_settings)


# --- the browser tests (tests/test_browser*.py, which skip without Chromium) ------------


@pytest.fixture(scope="module")
def url(real_settings) -> Iterator[str]:
    """The app over the seed article on a free loopback port, for one test module."""
    from ui import app, serve

    demo = app.build_app(real_settings)
    yield serve.launch(demo, port=serve.free_port(), block=False)
    demo.close()


@pytest.fixture
def external_requests() -> list[str]:
    """URLs the page asked for from anywhere but the app itself."""
    return []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from ui.screenshot import chromium

    with chromium() as running:  # one Playwright per module: a second cannot start beside it
        yield running


@pytest.fixture
def page(browser: Browser, url: str, external_requests: list[str]) -> Iterator[Page]:
    """A new page, so a new session: no earlier test's chat or article."""
    from ui.screenshot import TIMEOUT_MS, VIEWPORT

    def record(request: Request) -> None:
        if not request.url.startswith(url):
            external_requests.append(request.url)

    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", record)
    page.goto(url)
    yield page
    page.close()


# A real Milvus server per session (tests/milvus_server.py), for the tests that ask for it.
from milvus_server import milvus_relay, milvus_server_uri  # noqa: E402, F401


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say at the end which tests did not run and why: a browser test file skipped at module
    level shows as "1 skipped" and hid its 14 tests (issue 18)."""
    skipped = terminalreporter.stats.get("skipped", [])
    reasons: dict[str, list[str]] = {}
    for report in skipped:
        path, _, reason = report.longrepr if isinstance(report.longrepr, tuple) else ("", 0, "")
        reason = str(reason).removeprefix("Skipped: ")
        reasons.setdefault(reason, []).append(_tests_in(report, path))
    if not reasons:
        return
    terminalreporter.section("tests not run", sep="-", yellow=True)
    for reason, where in sorted(reasons.items()):
        terminalreporter.write_line(f"NOT RUN ({_count(where)}): {reason}")


def _tests_in(report, path: str) -> str:
    """A module skipped whole stands for every test it defines; a test for itself."""
    if report.nodeid.endswith(".py") and path:
        file = Path(path)
        defined = len(re.findall(r"^def test_", file.read_text(encoding="utf-8"), re.M))
        return f"{file.name}:{defined}"
    return f"{report.nodeid.split('::')[0]}:1"


def _count(where: list[str]) -> str:
    total = sum(int(w.rsplit(":", 1)[1]) for w in where)
    files = sorted({w.rsplit(":", 1)[0].rsplit("/", 1)[-1] for w in where})
    return f"{total} test{'s' * (total != 1)} in {', '.join(files)}"
