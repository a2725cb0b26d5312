"""An ASGI app that answers 200 with the request body it read: what the guard tests put
behind ui.guard.RequestGuard to see what it lets through."""

from __future__ import annotations


async def echo(scope, receive, send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
