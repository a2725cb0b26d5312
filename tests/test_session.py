"""A user's own article in the UI: per-session store, uploads read then deleted (no models)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa.documents import CorpusError
from ui.session import (
    ArticleGone,
    OwnArticle,
    SessionArticles,
    article_status,
    make_article,
    read_upload,
)

PAGE = Path(__file__).parent / "fixtures" / "news_page.html"


class FakeReplica:
    def __init__(self) -> None:
        self.indexed: list = []

    def index_documents(self, documents):
        self.indexed.append(list(documents))
        return f"index of {documents[0].id}"


class FakePool:
    def __init__(self) -> None:
        self.replica = FakeReplica()

    @contextmanager
    def lease(self):
        yield self.replica


def article(name: str) -> OwnArticle:
    from qa.documents import make_document

    return OwnArticle(FakePool(), (make_document(name, f"{name}\n\nBody."),), None)


# --- the per-session store ---------------------------------------------------------------


def test_each_session_sees_only_its_own_article() -> None:
    store = SessionArticles()
    store.put("alice", article("a.txt"))
    store.put("bob", article("b.txt"))
    assert list(store.get("alice").documents) == ["a.txt"]
    assert list(store.get("bob").documents) == ["b.txt"]
    assert store.get("carol") is None and store.get(None) is None
    store.drop("alice")  # the tab closed
    assert store.get("alice") is None and store.get("bob") is not None


def test_a_full_store_refuses_new_sessions_and_keeps_every_live_article() -> None:
    # Issue 16, M3: 64 cheap calls used to evict every user's article, unannounced.
    store = SessionArticles(max_sessions=2)
    store.put("a", article("a.txt"))
    store.put("b", article("b.txt"))
    with pytest.raises(CorpusError, match="holds 2 users' articles, its limit"):
        store.put("c", article("c.txt"))
    with pytest.raises(CorpusError, match="its limit"):
        store.check_room("c")
    store.put("a", article("a2.txt"))  # a session that holds one may replace its own
    assert len(store) == 2 and list(store.get("a").documents) == ["a2.txt"]
    assert store.get("b") is not None and store.get("c") is None


def test_one_client_cannot_fill_the_store() -> None:
    store = SessionArticles(max_sessions=10, per_client=2)
    store.put("a", article("a.txt"), client="10.0.0.1")
    store.put("b", article("b.txt"), client="10.0.0.1")
    with pytest.raises(CorpusError, match="this client already holds 2 articles"):
        store.put("c", article("c.txt"), client="10.0.0.1")
    store.put("d", article("d.txt"), client="10.0.0.2")  # another client still may
    store.drop("a")
    store.put("c", article("c.txt"), client="10.0.0.1")  # room again once one is dropped


@pytest.mark.parametrize("session", [None, ""])
def test_an_article_needs_a_session_key(session) -> None:
    # Issue 16, C2: /run calls carry no session hash, and all shared the key None.
    store = SessionArticles()
    with pytest.raises(CorpusError, match="needs a session"):
        store.put(session, article("a.txt"))
    assert len(store) == 0 and store.get(session) is None


def test_idle_articles_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.session

    now = [1000.0]
    monkeypatch.setattr(ui.session.time, "monotonic", lambda: now[0])
    store = SessionArticles(idle_seconds=60)
    store.put("a", article("a.txt"))
    now[0] += 59
    assert store.get("a") is not None  # and this use renews it
    now[0] += 59
    assert store.get("a") is not None
    now[0] += 61
    with pytest.raises(ArticleGone, match="dropped after an hour unused"):
        store.get("a")  # told, not silently answered from the corpus
    assert len(store) == 0
    store.drop("a")  # back to the default article: nothing more to tell
    assert store.get("a") is None


# --- making an article ---------------------------------------------------------------------


def test_pasted_text_is_indexed_with_the_pools_models() -> None:
    pool = FakePool()
    own = make_article(pool, "Floods close port\n\nThe port of Izmail closed.")
    assert own.docs[0].title == "Floods close port" and own.index == "index of pasted article"
    assert [[d.id for d in batch] for batch in pool.replica.indexed] == [["pasted article"]]
    assert "Floods close port" in article_status(own, 0.42) and "0.4 s" in article_status(own, 0.42)


def test_html_given_as_text_is_extracted_when_named_so() -> None:
    own = make_article(FakePool(), PAGE.read_text(encoding="utf-8"), None, "page.html")
    assert own.docs[0].title.startswith("Millbrook approves")
    assert "<p>" not in own.docs[0].text


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_nothing_given_is_a_clear_message(text: str) -> None:
    with pytest.raises(CorpusError, match="paste an article"):
        make_article(FakePool(), text)


def test_upload_is_read_then_deleted(tmp_path: Path) -> None:
    upload = tmp_path / "page.html"
    upload.write_bytes(PAGE.read_bytes())
    document = read_upload(upload)
    assert document.id == "page.html" and document.title.startswith("Millbrook approves")
    assert not upload.exists()  # no copy of the user's file stays on the server


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.pdf", b"%PDF-1.7", "cannot read .pdf files; use .txt, .md, .html"),
        ("blob.txt", b"\x00\x01\x02binary", "looks binary"),
        ("empty.txt", b"", "the article is empty"),
        ("nav.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article"),
    ],
)
def test_bad_uploads_are_refused_and_deleted(tmp_path: Path, name, data, reason) -> None:
    upload = tmp_path / name
    upload.write_bytes(data)
    with pytest.raises(CorpusError, match=f"^{re.escape(name)}: {re.escape(reason)}"):
        read_upload(upload)
    assert not upload.exists()


def test_a_vanished_upload_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"gone\.txt: cannot read the file"):
        read_upload(tmp_path / "gone.txt")
