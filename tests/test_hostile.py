"""Hostile input (issue 16): the outside probe's reproducers, scaled to run in seconds.

Pages that made trafilatura run for minutes, the child process that reads pages with a
deadline, and (further down) sessions, routes, hosts and index folders.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qa.documents import CorpusError
from qa.extract import document_from_bytes
from qa.page_worker import PageReader

FIXTURES = Path(__file__).parent / "fixtures"


def spans_page(count: int, blocks: int = 1) -> bytes:
    """The probe's page: <p> blocks of ``count`` inline <span>s each (C1)."""
    block = b"<p>" + b"<span class=w>word</span> " * count + b"</p>"
    return b"<html><body><article><h1>T</h1>" + block * blocks + b"</article></body></html>"


@pytest.mark.parametrize(
    "page",
    [
        spans_page(15_000),  # 390 KB: 35 s before the fix
        spans_page(990, blocks=19),  # under the per-block limit: over 4 s before
        b"<html><body><article><h1>T</h1><p>" + b"word " * 15_000 + b"</p></article></body>",
    ],
    ids=["15k-spans", "19x990-spans", "75k-chars-one-p"],
)
def test_markup_heavy_pages_are_read_in_bounded_time(page):
    started = time.perf_counter()
    document = document_from_bytes(page, "p.html")
    assert time.perf_counter() - started < 2.0
    assert document.title == "T" and "word word" in document.paragraphs[1].text


def test_a_5mb_hostile_page_is_read_within_the_deadline():
    page = spans_page(190_000)  # 4.9 MB, inside the 5 MB limit: over 20 minutes before
    assert len(page) < 5_000_000
    started = time.perf_counter()
    document = document_from_bytes(page, "p.html")
    # ~1 s idle; the target is 10 s, and CI machines are busy
    assert time.perf_counter() - started < 8.0 and document.title == "T"


def test_an_ordinary_page_is_read_as_before_by_the_child():
    page = (FIXTURES / "news_page.html").read_bytes()
    reader = PageReader()
    try:
        assert reader.document(page, "page.html") == document_from_bytes(page, "page.html")
        with pytest.raises(CorpusError, match="looks binary"):
            reader.document(b"<p>\x00</p>", "x.html")  # refusals come back as messages
    finally:
        reader.close()


def test_a_page_past_its_deadline_is_refused_and_the_next_is_read():
    page = (FIXTURES / "news_page.html").read_bytes()
    reader = PageReader(seconds=0.01)  # the child cannot even start in time
    try:
        started = time.perf_counter()
        with pytest.raises(CorpusError, match="took over"):
            reader.document(page, "page.html")
        assert time.perf_counter() - started < 2.0  # killed, not waited for
        reader.seconds = 30
        assert reader.document(page, "page.html").title.startswith("Millbrook approves")
    finally:
        reader.close()


# --- the guard alone: routes, hosts, origins, bodies (no server) -------------------------


def guard_call(
    path, chunks=(b"",), headers=(), method="POST", app=None, stall=False, **guard_options
):
    """(status, body) of one request through RequestGuard in front of an echo app."""
    import asyncio

    from ui.guard import RequestGuard

    async def echo(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    pending = [
        {"type": "http.request", "body": c, "more_body": stall or i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        if not pending:
            await asyncio.sleep(3600)  # a client that stalls mid-body
        return pending.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": method, "headers": list(headers)}
    if app is not None:
        scope["app"] = app
    guard = guard_options.pop("guard", None) or RequestGuard(echo, **guard_options)
    guard.app = echo
    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/run/answer",  # outside the queue, no session (C2, M1)
        "/gradio_api/run/predict",  # fn_index=10 in the body
        "/gradio_api/api/use_article",
        "/gradio_api/call/v2/answer",  # m7: a 500 on wrong arguments
        "/gradio_api/call/on_load",  # private events by name (M1)
        "/gradio_api/call/forget",
        "/gradio_api/call/lambda",
        "/gradio_api/call/on_reset/abc123",
    ],
)
def test_direct_and_private_routes_are_refused(path):
    status, body = guard_call(path, [b'{"data": []}'], method="POST", max_body=1000)
    assert status == 403 and b"error" in body


def test_use_article_by_call_needs_a_session_hash():
    body = b'{"data": ["The launch code is 7391.", ""]}'
    status, reply = guard_call("/gradio_api/call/use_article", [body], max_body=1000)
    assert status == 422 and b"session_hash" in reply
    keyed = b'{"data": ["The launch code is 7391.", ""], "session_hash": "s1"}'
    assert guard_call("/gradio_api/call/use_article", [keyed], max_body=1000) == (200, keyed)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        (b"rebind.evil.example:7861", 421),  # M7: a DNS-rebinding page
        (b"127.evil.example", 421),
        (b"localhost:7861", 200),
        (b"127.0.0.1:7861", 200),
        (b"[::1]:7861", 200),
        (b"192.0.2.7:7861", 200),  # an IP literal cannot be a rebinding name
    ],
)
def test_only_our_own_host_names_are_served(host, status):
    assert guard_call("/config", headers=[(b"host", host)], method="GET")[0] == status


def test_an_allowed_host_setting_adds_names():
    from ui.policy import allowed_hosts

    hosts = allowed_hosts("qa.internal", ["news.example"])
    for name in (b"qa.internal", b"news.example:80", b"localhost"):
        assert guard_call("/config", headers=[(b"host", name)], method="GET", hosts=hosts)[0] == 200
    assert guard_call("/config", headers=[(b"host", b"x.example")], hosts=hosts)[0] == 421


def test_posts_from_a_foreign_page_are_refused():
    headers = [(b"host", b"127.0.0.1:7861"), (b"origin", b"https://evil.example")]
    multipart = [*headers, (b"content-type", b"multipart/form-data; boundary=x")]
    assert guard_call("/gradio_api/upload", headers=multipart)[0] == 403  # M6
    assert guard_call("/gradio_api/queue/join", headers=headers)[0] == 403
    own = [(b"host", b"127.0.0.1:7861"), (b"origin", b"http://127.0.0.1:7861")]
    assert guard_call("/gradio_api/queue/join", [b"{}"], headers=own)[0] == 200


def test_a_stalled_body_is_dropped_at_its_deadline():
    started = time.perf_counter()
    status, body = guard_call("/gradio_api/queue/join", [b"{"], stall=True, body_seconds=0.3)
    assert status == 408 and b"not received within" in body  # M5, m13: never held forever
    assert time.perf_counter() - started < 2


def test_bodies_in_flight_share_one_memory_budget():
    status, _ = guard_call("/gradio_api/queue/join", [b"x" * 600], max_body=1000, max_buffered=500)
    assert status == 503


def login_app():
    """What the guard reads of Gradio's app when a login is required."""
    from types import SimpleNamespace

    return SimpleNamespace(auth=("ann", "s3cret-pw"), tokens={"tok-1": "ann"})


def test_before_a_login_no_request_holds_more_than_64_kb():
    from ui.guard import MAX_ANONYMOUS_BYTES

    big = [b"x" * 65536, b"x" * 65536]
    status, _ = guard_call(
        "/gradio_api/upload",
        big,
        app=login_app(),
        headers=[(b"content-type", b"multipart/form-data; boundary=x")],
    )
    assert status == 413 and MAX_ANONYMOUS_BYTES == 64 * 1024  # M5: login before buffering
    cookie = [(b"cookie", b"access-token-abc=tok-1"), (b"content-type", b"multipart/form-data")]
    assert guard_call("/gradio_api/upload", big, app=login_app(), headers=cookie)[0] == 200


def test_a_deeply_nested_body_is_a_message_not_a_500():
    body = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, reply = guard_call("/gradio_api/call/answer", [body], max_body=1_000_000)
    assert status == 422 and b"nested" in reply  # m6


def test_loopback_means_loopback():
    from ui.policy import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("127.evil.example") and not is_loopback("0.0.0.0")  # m10


# --- index folders (M8) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "mine",
    [
        {"manifest.json": '{"manifest_version": 3}'},  # the probe's trap
        {"bm25/notes.txt": "my notes"},
        {"bm25/params.index.json": "{}"},  # a lone bm25/ is not an index either
        {"manifest.json": "{}", "bm25/deep/notes.txt": "mine"},
    ],
    ids=["lone-manifest", "bm25-of-notes", "lone-bm25", "bm25-with-a-folder"],
)
def test_an_index_dir_that_is_not_exactly_an_index_is_never_replaced(
    tmp_path: Path, corpus_dir: Path, fake_embedder, mine: dict
):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    folder = tmp_path / "x"
    for name, text in mine.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    stored, _ = open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    assert len(stored.chunks) > 0  # answered from memory
    for name, text in mine.items():
        assert (folder / name).read_text() == text  # the user's files are where they were
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "x"]


def test_a_damaged_index_is_still_replaced(tmp_path: Path, corpus_dir: Path, fake_embedder):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    documents, folder = load_documents(corpus_dir), tmp_path / "idx"
    open_index(documents, Settings(), fake_embedder, folder)
    (folder / "manifest.json").unlink()  # one entry gone: still an index, rebuilt
    open_index(documents, Settings(), fake_embedder, folder)
    assert (folder / "manifest.json").exists()


# --- bounded work for inputs within the limits (M4) ---------------------------------------


def test_a_1mb_paragraph_is_cut_into_paragraphs_spacy_reads_quickly():
    from qa.extract import document_from_text
    from qa.extract_guard import MAX_PARAGRAPH_CHARS

    sentence = "The harbour master said the ships would wait for three more days. "
    text = "Floods close port\n\n" + sentence * (1_000_000 // len(sentence) - 1)
    document = document_from_text(text)
    body = document.paragraphs[1:]
    assert len(body) > 100 and all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in body)
    assert all(p.text.endswith("days.") for p in body)  # cut at sentence ends
    assert " ".join(p.text for p in body) == text.split("\n\n", 1)[1].strip()  # nothing lost


def test_a_paste_of_a_hundred_thousand_tiny_paragraphs_is_refused_at_once():
    from qa.extract import document_from_text

    started = time.perf_counter()
    with pytest.raises(CorpusError, match="paragraphs; the limit is 3,000"):
        document_from_text("Title\n\n" + "word\n\n" * 150_000)  # 48 s to index before
    assert time.perf_counter() - started < 2


def test_a_conversation_is_bounded_in_questions_times_k():
    from ui.endpoints import converse

    with pytest.raises(ValueError, match="the limit is 200"):
        converse(["x" * 1995] * 20, 100, None, object())  # 42 s on the model lane before


# --- files that are not files (m9) ---------------------------------------------------------


def test_a_fifo_or_a_device_is_refused_not_waited_on(tmp_path: Path):
    import os

    from qa.extract import document_from_file

    fifo = tmp_path / "article.txt"
    os.mkfifo(fifo)  # nobody writes: reading it used to block forever
    started = time.perf_counter()
    with pytest.raises(CorpusError, match="not a regular file"):
        document_from_file(fifo)
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")  # size 0, endless bytes
    with pytest.raises(CorpusError, match="not a regular file"):
        document_from_file(link)
    assert time.perf_counter() - started < 2


# --- memory that belongs to a session (M2) ------------------------------------------------


def test_parses_belong_to_their_owner_and_are_freed_with_it(monkeypatch):
    from qa import nlp

    parsed = []
    monkeypatch.setattr(nlp, "get_nlp", lambda: lambda text: parsed.append(text) or object())
    assert not hasattr(nlp.parse, "cache_info")  # was a process-wide lru_cache(4096)
    nlp.parse("A paragraph of a user's article.")
    nlp.parse("A paragraph of a user's article.")
    assert len(parsed) == 2  # no cache active: kept by nobody
    mine, corpus = nlp.ParseCache(max_chars=100), nlp.ParseCache()
    with nlp.using(mine), nlp.using(corpus):  # the session's cache wins over the pipeline's
        first = nlp.parse("x" * 40)
        assert nlp.parse("x" * 40) is first and len(mine) == 1 and len(corpus) == 0
        nlp.parse("y" * 40)
        nlp.parse("z" * 40)  # past 100 characters: the oldest goes
        nlp.parse("a question?", keep=False)
    assert mine.chars <= 100 and len(mine) == 2 and len(corpus) == 0
    nlp.parse("x" * 40)
    assert len(parsed) == 7  # outside the block nothing is reused


def test_an_own_article_carries_its_own_parse_cache():
    from qa.documents import make_document
    from ui.session import OwnArticle

    one = OwnArticle(None, (make_document("a.txt", "A\n\nB."),), None)
    two = OwnArticle(None, (make_document("a.txt", "A\n\nB."),), None)
    assert one.parses is not two.parses  # dropped with its session, shared with nobody


def test_uploads_stop_when_the_upload_folder_is_full(tmp_path: Path):
    from types import SimpleNamespace

    from ui.guard import MAX_UPLOAD_FILES

    app = SimpleNamespace(uploaded_file_dir=str(tmp_path))
    multipart = [(b"content-type", b"multipart/form-data; boundary=x")]
    assert guard_call("/gradio_api/upload", [b"--x--"], headers=multipart, app=app)[0] == 200
    for number in range(MAX_UPLOAD_FILES + 1):  # strays nobody read (M6: 279 MB/s before)
        (tmp_path / f"stray-{number}.txt").write_bytes(b"x")
    status, body = guard_call("/gradio_api/upload", [b"--x--"], headers=multipart, app=app)
    assert status == 503 and b"uploads are waiting" in body


# --- minor items ---------------------------------------------------------------------------


def test_what_killed_builds_left_behind_is_swept(tmp_path: Path, corpus_dir: Path, fake_embedder):
    import subprocess
    import sys

    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".idx.tmp-{gone}"  # a SIGKILLed build's temporary folder (m3)
    stale.mkdir()
    (stale / "chunks.jsonl").write_text("half written")
    folder = tmp_path / "idx"
    open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    (tmp_path / ".idx.old").mkdir()  # a backup left after its index came back
    open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder, rebuild=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "idx"]


def test_an_unsaved_index_is_reported_as_a_failure(tmp_path: Path, corpus_dir: Path, fake_embedder):
    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")  # not an index: the save is refused
    _, report = open_index(load_documents(corpus_dir), Settings(), fake_embedder, folder)
    assert "not an index" in report.save_error  # qa index exits 1 on it (m4)


@pytest.mark.parametrize("text", [123, None, b"bytes", ["list"]])
def test_an_article_that_is_not_text_is_a_clear_error(text):
    from qa.extract import document_from_text

    with pytest.raises(CorpusError, match="must be text"):  # m5: an AttributeError before
        document_from_text(text)


@pytest.mark.slow
def test_the_index_dir_trap_through_the_command_line(tmp_path: Path, capsys):
    # The probe's M8 reproducer: mkdir x && echo '{"manifest_version":3}' > x/manifest.json
    # && qa --index-dir x index. The folder was deleted and replaced, and qa said 0.
    from qa import cli

    trap = tmp_path / "x"
    trap.mkdir()
    (trap / "manifest.json").write_text('{"manifest_version":3}')
    code = cli.main(["--index-dir", str(trap), "index"])
    assert code == 1 and "not saved" in capsys.readouterr().err  # m4
    assert sorted(p.name for p in trap.iterdir()) == ["manifest.json"]
    assert (trap / "manifest.json").read_text() == '{"manifest_version":3}'


def test_bm25_files_without_checksums_are_not_used(
    tmp_path: Path, corpus_dir: Path, fake_embedder, caplog
):
    import json
    import logging

    from qa.documents import load_documents
    from qa.indexing import open_index
    from qa.settings import Settings

    documents, folder = load_documents(corpus_dir), tmp_path / "idx"
    open_index(documents, Settings(), fake_embedder, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["checksums"] = {k: v for k, v in manifest["checksums"].items() if "bm25" not in k}
    (folder / "manifest.json").write_text(json.dumps(manifest))  # m2: then edit the scores
    with caplog.at_level(logging.WARNING, logger="qa.indexing"):
        _, report = open_index(documents, Settings(), fake_embedder, folder)
    assert not report.loaded and any("no checksum" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("char", ["\u0085", "\u009b", "\ufffe", "\uffff", "\u202e", "\u2066"])
def test_invisible_and_reordering_characters_are_refused(char):
    from qa.validation import validate_history, validate_question

    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):  # m8: accepted before
        validate_question(f"Who {char}is it?", 2000)
    with pytest.raises(ValueError, match=r"^history item 2 holds"):  # was reported as "question"
        validate_history(["Who?", f"And {char}then?"], 2000)
    assert validate_question("Qui est-ce\u200f ?", 2000)  # a right-to-left mark is text


def test_login_guesses_are_throttled_per_client():
    from ui.policy import Throttle

    throttle = Throttle(limit=3, window=60)
    assert [throttle.allow("10.0.0.1", t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert throttle.allow("10.0.0.2", 3)  # another client
    assert throttle.allow("10.0.0.1", 61)  # a minute later
    from ui.guard import RequestGuard

    guard = RequestGuard(None)
    status = [guard_call("/login", [b"user=a&pw=b"], guard=guard)[0] for _ in range(11)]
    assert status == [200] * 10 + [429]  # through the guard: 117 guesses/s before (m12)


def test_a_long_cited_paragraph_is_shown_in_part_so_the_chat_stays_small():
    from qa.types import Citation
    from ui import render

    text = "word " * 80_000 + "Ivan Petrenko said so. " + "word " * 80_000  # 800 KB
    start = text.index("Ivan Petrenko")
    citation = Citation("a.txt", 3, text, start, start + len("Ivan Petrenko"), 1.0)
    html = render.source_html(citation)
    assert len(html) < 3 * render.SOURCE_CHARS  # m1: the whole paragraph, every turn, before
    assert "<mark>Ivan Petrenko</mark>" in html and html.count("…") == 2
    short = Citation("a.txt", 1, "Ivan Petrenko said so.", 0, 13, 1.0)
    assert "<mark>Ivan Petrenko</mark> said so." in render.source_html(short)


def test_the_pages_own_unqueued_events_are_the_only_run_calls():
    from types import SimpleNamespace

    fns = {3: SimpleNamespace(queue=False), 10: SimpleNamespace(queue=True)}  # 10: the models
    app = SimpleNamespace(get_blocks=lambda: SimpleNamespace(fns=fns))

    def run(body: bytes) -> int:
        return guard_call("/gradio_api/run/predict", [body], app=app, max_body=1000)[0]

    assert run(b'{"fn_index": 3, "data": [], "session_hash": "s1"}') == 200  # clear, pick, ...
    assert run(b'{"fn_index": 10, "data": [], "session_hash": "s1"}') == 403  # M1: fn_index=10
    assert run(b'{"fn_index": 3, "data": []}') == 403  # C2: no session, one shared key
    assert run(b'{"fn_index": true, "data": [], "session_hash": "s1"}') == 403
