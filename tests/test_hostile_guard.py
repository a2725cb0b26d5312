"""Hostile requests through the ASGI guard alone, on an echo app (issue 16): direct and
private routes, sessions, rebinding Hosts, foreign Origins, stalled, anonymous, nested and
budgeted bodies, uploads on disk, login guessing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

# --- the guard alone: routes, hosts, origins, bodies (no server) -------------------------


def guard_call(
    path, chunks=(b"",), headers=(), method="POST", app=None, stall=False, **guard_options
):
    """(status, body) of one request through RequestGuard in front of an echo app."""
    import asyncio

    from asgi_echo import echo

    from ui.guard import RequestGuard

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
