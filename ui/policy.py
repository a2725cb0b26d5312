"""What the guard (ui.guard) lets through, as pure functions: routes, hosts, origins, logins.

Issue 16: ``/gradio_api/run/*`` and ``/api/*`` ran outside the queue and without a session
key (every caller shared one article); private events were callable by name; a DNS-rebinding
page (``Host: rebind.evil.example``) got the whole API; a foreign page could post uploads.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict, deque
from collections.abc import Iterable
from urllib.parse import urlsplit

PUBLIC = frozenset({"answer", "conversation", "use_article"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Direct calls: /run/<name> and /api/<name> skip the queue (and its bound) and carry no
# session; /call/v2 is not documented and answers wrong arguments with a 500.
_DIRECT = re.compile(r"^(?:/gradio_api)?/(?:run|api|call/v2)(?:/|$)")
_CALL = re.compile(r"^(?:/gradio_api)?/call/([^/]+)(?:/[^/]+)?/?$")
# Gradio's login cookie: access-token-<id> (or -unsecure- over plain HTTP).
_TOKEN_COOKIE = re.compile(r"^access-token(?:-unsecure)?(?:-[\w-]+)?$")


# The page itself calls its unqueued events (clear, pick an article, examples) here, by
# fn_index; the guard lets through only those, for a session (unqueued_call_refusal).
_PAGE_EVENTS = re.compile(r"^(?:/gradio_api)?/run/predict$")


def is_page_event(path: str) -> bool:
    return bool(_PAGE_EVENTS.match(path))


def route_refusal(path: str) -> str | None:
    """Why ``path`` is not served (a 403 message), or None."""
    if is_page_event(path):
        return None  # decided on its body: unqueued_call_refusal
    if _DIRECT.match(path):
        return (
            "direct calls are not served: use gradio_client, or POST /gradio_api/call/<name> "
            "with a session_hash (answer, conversation, use_article)"
        )
    call = _CALL.match(path)
    if call and call.group(1) not in PUBLIC:
        return (
            f"no public endpoint {call.group(1)!r}; the endpoints are {', '.join(sorted(PUBLIC))}"
        )
    return None


def unqueued_call_refusal(body: object, unqueued: frozenset[int]) -> str | None:
    """Why a /run/predict body is refused, or None: it must name one of the ``unqueued``
    events (cheap UI updates, never the models) and a session of its own."""
    if not isinstance(body, dict):
        return "send a JSON object"
    fn_index, session = body.get("fn_index"), body.get("session_hash")
    if isinstance(fn_index, bool) or fn_index not in unqueued:
        return "only the page's own unqueued events are served here; use /gradio_api/call/<name>"
    if not isinstance(session, str) or not session:
        return "send the page's session_hash"
    return None


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses only (not ``127.evil.example``, m10)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Names a request's Host may carry: loopback names, the host served on, and ``extra``
    (``--allowed-host``/``$QA_ALLOWED_HOSTS``). IP literals are always allowed (host_allowed)."""
    names = {*LOOPBACK_NAMES, *(h.strip().lower() for h in extra if h.strip())}
    if bind_host and not is_ip(bind_host):
        names.add(bind_host.lower())
    return frozenset(names)


def host_name(value: str) -> str:
    """The name in a Host header or URL authority, without port or brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(host: str | None, allowed: frozenset[str]) -> bool:
    """A DNS-rebinding page reaches us under its own *name*; an IP literal cannot be one, and
    a request without Host is not from a browser."""
    if host is None:
        return True
    name = host_name(host)
    return name in allowed or is_ip(name)


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """Writes from a foreign page (a multipart POST needs no CORS preflight) are refused."""
    if origin is None:
        return True
    authority = urlsplit(origin).netloc
    return bool(authority) and host_allowed(authority, allowed)


def has_login(cookie_header: str | None, tokens: Iterable[str]) -> bool:
    """Whether the request carries one of Gradio's current login tokens."""
    if not cookie_header:
        return False
    valid = set(tokens)
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if _TOKEN_COOKIE.match(name) and value in valid:
            return True
    return False


class Throttle:
    """At most ``limit`` events per ``window`` seconds per key (m12: 117 login guesses/s).

    The clock is passed in, so the rule is tested without waiting; at most ``max_keys`` keys
    are remembered (the oldest forgotten), so many addresses cannot grow it without bound."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        allowed = len(events) < self.limit
        if allowed:
            events.append(now)
        self._events[key] = events
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return allowed
