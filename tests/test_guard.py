"""The ASGI guard alone, on a tiny echo app: refusals happen before the app reads a byte."""

from __future__ import annotations

import asyncio

import pytest
from asgi_echo import echo

from ui.guard import RequestGuard


def call(path: str, chunks: list[bytes], headers=None, limit: int = 10, method: str = "POST"):
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "headers": headers or [], "method": method}
    asyncio.run(RequestGuard(echo, max_body=limit)(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_small_bodies_pass_through_whole() -> None:
    assert call("/gradio_api/queue/join", [b"abc", b"def"]) == (200, b"abcdef")


def test_streamed_body_over_the_limit_is_refused() -> None:
    status, body = call("/gradio_api/call/answer", [b"123456", b"789012"])
    assert status == 413 and b"over 10 bytes" in body


def test_declared_length_over_the_limit_is_refused_unread() -> None:
    status, _ = call("/x", [b""], headers=[(b"content-length", b"50000000")])
    assert status == 413
    status, _ = call("/x", [b""], headers=[(b"content-length", b"-1")])
    assert status == 413


MULTIPART = [(b"content-type", b"multipart/form-data; boundary=x")]


def test_upload_progress_and_non_multipart_uploads_are_refused() -> None:
    assert call("/gradio_api/upload_progress", [b"x"])[0] == 403
    for path in ("/gradio_api/upload", "/gradio_api/upload/", "/upload"):
        assert call(path, [b"x"])[0] == 403  # not multipart
        assert call(path, [b"x"], headers=MULTIPART, method="GET")[0] == 403


def test_an_upload_may_be_larger_than_a_chat_body_but_is_bounded() -> None:
    from ui.guard import MAX_UPLOAD_BYTES

    body = b"x" * 100  # over the 10-byte test limit for other routes
    assert call("/gradio_api/upload", [body], headers=MULTIPART) == (200, body)
    assert call("/gradio_api/call/answer", [body])[0] == 413
    declared = [*MULTIPART, (b"content-length", str(MAX_UPLOAD_BYTES + 1).encode())]
    status, reply = call("/gradio_api/upload", [b""], headers=declared)
    assert status == 413 and b"over" in reply


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": ["q"]}',
        b'{"data": []}',
        b'{"data": "q"}',
        b"{}",
        b"not json",
        b'{"data": [1,2,3,4]}',
    ],
)
def test_raw_api_calls_with_the_wrong_values_are_refused_with_a_message(body: bytes) -> None:
    status, reply = call("/gradio_api/call/answer", [body], limit=1000)
    assert status == 422 and b"question, history, k" in reply


def test_raw_conversation_call_needs_two_values() -> None:
    status, reply = call("/gradio_api/call/conversation", [b'{"data": ["q"]}'], limit=1000)
    assert status == 422 and b"questions, k" in reply
    body = b'{"data": [["q1", "q2"], 5]}'
    assert call("/gradio_api/call/conversation", [body], limit=1000) == (200, body)


def test_raw_api_call_with_three_values_passes() -> None:
    body = b'{"data": ["q", null, 5]}'
    assert call("/gradio_api/call/answer", [body], limit=1000) == (200, body)
    assert call("/gradio_api/call/other", [b"{}"], limit=1000)[0] == 403  # private: not by name
