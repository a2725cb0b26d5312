"""An ASGI guard in front of the Gradio app: bounded request bodies, a narrow upload route.

Every request body is bounded before any parsing: by Content-Length when given, else while
it streams. The upload route (a user's own article) takes one multipart body of at most
``MAX_UPLOAD_BYTES``; Gradio's progress stream for uploads is closed, and the stray files any
web page could post there (a multipart POST needs no CORS preflight) are deleted by Gradio's
cache sweep (ui.app), while the ones the app is handed are read and deleted at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from ui.policy import (
    Throttle,
    allowed_hosts,
    has_login,
    host_allowed,
    is_page_event,
    origin_allowed,
    route_refusal,
    unqueued_call_refusal,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A chat turn carries the conversation so far (HTML of earlier answers); 2 MB holds hundreds
# of turns and stops a 50 MB body before it is read into memory or parsed.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Before a login only a login form is expected; stalled bodies cannot pile up memory (M5).
MAX_ANONYMOUS_BYTES = 64 * 1024
BODY_SECONDS = 30.0  # a body (5 MB at 170 KB/s) not received by then is refused (M5, m13)
# Bodies held at once, all requests together: 300 stalled 2 MB bodies once held 573 MB.
MAX_BUFFERED_BYTES = 64 * 1024 * 1024
LOGINS_PER_MINUTE = 10  # login attempts per client address (m12: 117 guesses/s before)
# Uploads (M6): files waiting in Gradio's upload folder, and uploads being received at once.
MAX_UPLOAD_DISK_BYTES = 32 * 1024 * 1024
MAX_UPLOAD_FILES = 256
MAX_UPLOADS_IN_FLIGHT = 4
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
    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY_BYTES,
        hosts: frozenset[str] | None = None,
        body_seconds: float = BODY_SECONDS,
        max_buffered: int = MAX_BUFFERED_BYTES,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.hosts = allowed_hosts("127.0.0.1") if hosts is None else hosts
        self.body_seconds = body_seconds
        self.max_buffered = max_buffered
        self.buffered = 0  # bytes of bodies held right now, all requests together
        self.uploading = 0  # uploads being received right now
        self.logins = Throttle(LOGINS_PER_MINUTE, 60.0)  # per client address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await refuse(send, *refusal)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if is_upload(scope):
            await self.upload(scope, receive, send)
            return
        await self.bounded(scope, receive, send)

    async def upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An upload, when the files waiting on disk and those arriving stay within bounds:
        any page or client can post here, and a file stays until it is read or swept (M6)."""
        folder = getattr(scope.get("app"), "uploaded_file_dir", None)
        if self.uploading >= MAX_UPLOADS_IN_FLIGHT or (
            folder and over_budget(Path(folder), MAX_UPLOAD_DISK_BYTES, MAX_UPLOAD_FILES)
        ):
            await refuse(send, 503, "Too many uploads are waiting; try again in a minute.")
            return
        self.uploading += 1
        try:
            await self.bounded(scope, receive, send)
        finally:
            self.uploading -= 1

    async def bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.body_limit(scope)
        declared = header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse(send, 413, f"Request body over {limit:,} bytes.")
            return
        body = await self.read(receive, limit)
        if isinstance(body, tuple):
            await refuse(send, *body)
            return
        if is_page_event(scope.get("path", "").rstrip("/")):
            problem = check_page_event(scope, body)
            if problem:
                await refuse(send, 403, problem)
                return
        problem = check_api_call(scope, body)
        if problem:
            await refuse(send, 422, problem)
            return
        await self.app(scope, replay(body, receive), send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message) for a request refused on its headers alone, else None."""
        path = scope.get("path", "").rstrip("/")
        if not host_allowed(header(scope, b"host"), self.hosts):
            return 421, "Unknown Host: this server answers only under its own names."
        if scope.get("method") == "POST" and not origin_allowed(
            header(scope, b"origin"), self.hosts
        ):
            return 403, "Requests from other sites' pages are not served."
        if path.endswith("/upload_progress"):
            return 403, "Upload progress is not served."
        if path.endswith("/login") and scope.get("method") == "POST":
            client = (scope.get("client") or ("",))[0]
            if not self.logins.allow(client, time.monotonic()):
                return 429, "Too many login attempts; wait a minute."
        if path.endswith("/upload"):
            content_type = header(scope, b"content-type") or ""
            if scope.get("method") != "POST" or not content_type.startswith("multipart/form-data"):
                return 403, "Uploads are multipart POSTs of one article file."
        reason = route_refusal(path)
        return (403, reason) if reason else None

    def body_limit(self, scope: Scope) -> int:
        # Before any login, a body is a login form at most: nothing larger is held (M5).
        if not logged_in(scope):
            return MAX_ANONYMOUS_BYTES
        path = scope.get("path", "").rstrip("/")
        return MAX_UPLOAD_BYTES if path.endswith("/upload") else self.max_body

    async def read(self, receive: Receive, limit: int) -> list[Message] | tuple[int, str]:
        """The body, or (status, message): too large, too slow, or the server's share of
        memory for bodies in flight is taken (every request's bytes count while held)."""
        messages: list[Message] = []
        size, deadline = 0, time.monotonic() + self.body_seconds
        try:
            while True:
                left = deadline - time.monotonic()
                message = await asyncio.wait_for(receive(), timeout=max(left, 0.001))
                messages.append(message)
                if message["type"] != "http.request":
                    return messages
                chunk = len(message.get("body", b""))
                size += chunk
                self.buffered += chunk
                if size > limit:
                    return 413, f"Request body over {limit:,} bytes."
                if self.buffered > self.max_buffered:
                    return 503, "The server is busy receiving other requests; try again."
                if not message.get("more_body", False):
                    return messages
        except TimeoutError:
            return 408, f"Request body not received within {self.body_seconds:.0f} s."
        finally:
            self.buffered -= size


def is_upload(scope: Scope) -> bool:
    return scope.get("path", "").rstrip("/").endswith("/upload")


def over_budget(folder: Path, max_bytes: int, max_files: int) -> bool:
    """Whether the files under ``folder`` pass either bound; stops counting as soon as they do."""
    size = files = 0
    for root, _, names in os.walk(folder):
        for name in names:
            files += 1
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(root, name)).st_size
            if files > max_files or size > max_bytes:
                return True
    return False


def logged_in(scope: Scope) -> bool:
    """True when the app needs no login or the request carries a valid login cookie."""
    app = scope.get("app")
    if app is None or getattr(app, "auth", None) is None:
        return True
    return has_login(header(scope, b"cookie"), getattr(app, "tokens", {}))


def check_page_event(scope: Scope, body: list[Message]) -> str | None:
    """What is wrong with a /run/predict call (an unqueued event of the page), or None."""
    blocks = getattr(scope.get("app"), "get_blocks", lambda: None)()
    fns = getattr(blocks, "fns", {})
    unqueued = frozenset(i for i, fn in fns.items() if not getattr(fn, "queue", True))
    try:
        parsed = json.loads(b"".join(m.get("body", b"") for m in body))
    except (ValueError, RecursionError):
        return "send a JSON body"
    return unqueued_call_refusal(parsed, unqueued)


def check_api_call(scope: Scope, body: list[Message]) -> str | None:
    """What is wrong with a raw call to a public endpoint, or None."""
    match = _API_CALL.search(scope.get("path", "").rstrip("/"))
    if scope.get("method") != "POST" or not match or match.group(1) not in API_PARAMETERS:
        return None
    names = API_PARAMETERS[match.group(1)]
    expected = f'{{"data": [{", ".join(names)}]}}'
    try:
        parsed = json.loads(b"".join(m.get("body", b"") for m in body))
        data, session = parsed["data"], parsed.get("session_hash")
    except RecursionError:  # a 100k-deep array (m6): refused, not a 500
        return f"send a JSON body {expected}, not one nested this deep"
    except (ValueError, KeyError, TypeError):
        return f"send a JSON body {expected}"
    if not isinstance(data, list) or len(data) != len(names):
        return f"send a JSON body {expected}: {len(names)} values, history may be null"
    if match.group(1) == "use_article" and not (isinstance(session, str) and session):
        # Without one, each call is its own session: the article could never be asked about.
        return (
            'send {"data": [text, name], "session_hash": "<yours>"}, then the same '
            "session_hash with /call/answer"
        )
    return None


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


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
