"""An ASGI guard in front of the Gradio app: bounded request bodies, a narrow upload route.

Every request body is bounded before any parsing: by Content-Length when given, else while
it streams. The upload route (a user's own article) takes one multipart body of at most
``MAX_UPLOAD_BYTES``; Gradio's progress stream for uploads is closed, and the stray files any
web page could post there (a multipart POST needs no CORS preflight) are deleted by Gradio's
cache sweep (ui.app), while the ones the app is handed are read and deleted at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A chat turn carries the conversation so far (HTML of earlier answers); 2 MB holds hundreds
# of turns and stops a 50 MB body before it is read into memory or parsed.
MAX_BODY_BYTES = 2 * 1024 * 1024
# A saved news page with its scripts and styles: qa.documents.extract.MAX_HTML_BYTES plus the
# multipart envelope.
MAX_UPLOAD_BYTES = 5_000_000 + 64 * 1024
# Public endpoints and their parameters: a raw call with a wrong count is refused with a
# message here (Gradio itself answers {"error": null}).
API_PARAMETERS = {
    "answer": ("question", "history", "k"),
    "conversation": ("questions", "k"),
    "use_article": ("text", "name"),
}
_API_CALL = re.compile(r"/gradio_api/(?:call|run)/(\w+)$")


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        if path.endswith("/upload_progress"):
            await refuse(send, 403, "Upload progress is not served.")
            return
        limit = self.max_body
        if path.endswith("/upload"):
            content_type = header(scope, b"content-type") or ""
            if scope.get("method") != "POST" or not content_type.startswith("multipart/form-data"):
                await refuse(send, 403, "Uploads are multipart POSTs of one article file.")
                return
            limit = MAX_UPLOAD_BYTES
        declared = header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse(send, 413, f"Request body over {limit:,} bytes.")
            return
        body = await read_bounded(receive, limit)
        if body is None:
            await refuse(send, 413, f"Request body over {limit:,} bytes.")
            return
        problem = check_api_call(scope, body)
        if problem:
            await refuse(send, 422, problem)
            return
        await self.app(scope, replay(body, receive), send)


def check_api_call(scope: Scope, body: list[Message]) -> str | None:
    """What is wrong with a raw call to a public endpoint, or None."""
    match = _API_CALL.search(scope.get("path", "").rstrip("/"))
    if scope.get("method") != "POST" or not match or match.group(1) not in API_PARAMETERS:
        return None
    names = API_PARAMETERS[match.group(1)]
    expected = f'{{"data": [{", ".join(names)}]}}'
    try:
        data = json.loads(b"".join(m.get("body", b"") for m in body))["data"]
    except (ValueError, KeyError, TypeError):
        return f"send a JSON body {expected}"
    if not isinstance(data, list) or len(data) != len(names):
        return f"send a JSON body {expected}: {len(names)} values, history may be null"
    return None


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def read_bounded(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, or None as soon as they pass ``limit`` bytes."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive() that gives back the buffered body first, then the live channel."""
    pending = list(messages)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again


async def refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
