"""A news article from a link: fetched with bounds, then reduced like a saved page.

Only http:// and https:// links are fetched. Every hop (the link and each redirect, at most
``max_redirects``) is checked before anything is sent: its host is resolved and refused when
any of its addresses is private, loopback, link-local, multicast, reserved or otherwise not
public, unless private addresses are allowed (the setting ``allow_private_urls``, turned on
by ``QA_ALLOW_PRIVATE_URLS=1``). The connection goes to the very address that was checked,
so a name that resolves differently a moment later (DNS rebinding) cannot slip through, and
proxies from the environment are not used for the same reason. The whole fetch has one
deadline (a watchdog closes the socket), the body is capped at 5 MB, and only HTML is taken;
the page is then reduced to its article by ``qa.documents.extract`` as an uploaded .html file is.

Standard library only (http.client, socket, ssl): pinning the checked address needs control
of the connection that urllib and httpx keep inside their transports.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

from qa.documents.corpus import CorpusError
from qa.documents.extract import MAX_HTML_BYTES, document_from_page
from qa.environment import Environment
from qa.settings import Settings
from qa.types import Document

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CHUNK = 64 * 1024
_USER_AGENT = "article-qa (+extractive question answering over one article)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class FetchError(CorpusError):
    """A link that could not be fetched; the message says why, for the person who gave it."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """The bounds of one fetch."""

    allow_private: bool = False  # the setting allow_private_urls
    timeout_s: float = 10.0  # for the whole fetch: every hop, headers and body
    max_bytes: int = MAX_HTML_BYTES  # the same cap as an uploaded page
    max_redirects: int = 5
    # Addresses reachable even when private ones are refused: (ip, port) of a known local
    # server (the tests' own). Empty by default.
    allowed_addresses: frozenset[tuple[str, int]] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # after redirects
    content_type: str
    charset: str | None
    body: bytes


def is_public(address: IPAddress) -> bool:
    """True only for a globally routable unicast address (an IPv4-mapped IPv6 address is
    judged as the IPv4 address it carries)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class _Hop:
    url: str
    https: bool
    host: str
    port: int
    target: str  # path and query, as sent in the request line


def _parse(url: str, where: str) -> _Hop:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise FetchError(f"{where}: not a valid link ({err})") from err
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        got = f"{scheme}:" if scheme else "no scheme"
        raise FetchError(f"{where}: only http:// and https:// links can be fetched, not {got}")
    if not parts.hostname:
        raise FetchError(f"{where}: not a valid link (no host name)")
    if parts.username is not None or parts.password is not None:
        raise FetchError(f"{where}: links with a user name or password are not fetched")
    https = scheme == "https"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Hop(url, https, parts.hostname, port or (443 if https else 80), target)


def _address(hop: _Hop, policy: FetchPolicy, resolver: Resolver, where: str, left: float) -> str:
    """The address to connect to, checked; FetchError when none may be used."""
    # getaddrinfo has no timeout of its own: it runs in a thread that is waited for only
    # until the deadline (and then left to finish on its own, never joined).
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(resolver, hop.host, hop.port)
    pool.shutdown(wait=False)
    try:
        found = future.result(timeout=max(left, 0.01))
    except FutureTimeout:
        raise FetchError(f"{where}: {hop.host} did not resolve in time") from None
    except (OSError, UnicodeError) as err:
        raise FetchError(f"{where}: {hop.host} could not be found ({err})") from err
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise FetchError(f"{where}: {hop.host} could not be found")
    if not policy.allow_private:
        for address in addresses:
            if not is_public(address) and (str(address), hop.port) not in policy.allowed_addresses:
                raise FetchError(
                    f"{where}: {hop.host} is a private or local address ({address}); such links"
                    " are refused unless the setting allow_private_urls is on"
                    " (QA_ALLOW_PRIVATE_URLS=1)"
                )
    return str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to an address already checked, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address already checked; the certificate is checked for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _abort(connection: http.client.HTTPConnection) -> None:
    """The watchdog: shut the socket so a blocked read returns at the deadline."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: nothing left to stop
            sock.shutdown(socket.SHUT_RDWR)


def fetch_page(
    url: str, policy: FetchPolicy = FetchPolicy(), resolver: Resolver = system_resolver
) -> Page:
    """The HTML page behind ``url`` after at most ``policy.max_redirects`` redirects."""
    deadline = time.monotonic() + policy.timeout_s
    hop = _parse(url.strip(), url)
    for _ in range(policy.max_redirects + 1):
        where = url if hop.url == url else f"{url} (redirected to {hop.url})"
        page_or_next = _request(hop, policy, resolver, where, deadline)
        if isinstance(page_or_next, Page):
            return page_or_next
        hop = _parse(page_or_next, where)
    raise FetchError(f"{url}: more than {policy.max_redirects} redirects")


def _request(
    hop: _Hop, policy: FetchPolicy, resolver: Resolver, where: str, deadline: float
) -> Page | str:
    """One hop: the page, or the next URL of a redirect."""
    address = _address(hop, policy, resolver, where, deadline - time.monotonic())
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(f"{where}: no answer within {policy.timeout_s:g} s")
    kind = _PinnedHTTPS if hop.https else _PinnedHTTP
    connection = kind(hop.host, hop.port, address, timeout=left)
    watchdog = threading.Timer(left, _abort, (connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        return _exchange(connection, hop, policy, where, deadline)
    except TimeoutError:
        raise FetchError(f"{where}: no answer within {policy.timeout_s:g} s") from None
    except ssl.SSLError as err:
        raise FetchError(f"{where}: the secure connection failed ({err.reason or err})") from err
    except (OSError, http.client.HTTPException) as err:
        if time.monotonic() >= deadline:
            raise FetchError(f"{where}: no answer within {policy.timeout_s:g} s") from None
        raise FetchError(f"{where}: the connection failed ({err or type(err).__name__})") from err
    finally:
        watchdog.cancel()
        connection.close()


def _exchange(
    connection: http.client.HTTPConnection,
    hop: _Hop,
    policy: FetchPolicy,
    where: str,
    deadline: float,
) -> Page | str:
    headers = {
        "User-Agent": _USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9",
        "Accept-Encoding": "gzip, identity",
    }
    connection.request("GET", hop.target, headers=headers)
    response = connection.getresponse()
    if response.status in _REDIRECTS:
        location = response.getheader("Location")
        if not location:
            raise FetchError(f"{where}: a redirect ({response.status}) without a Location")
        return urljoin(hop.url, location.strip())
    if response.status != 200:
        raise FetchError(f"{where}: the server answered {response.status} {response.reason}")
    content_type, charset = _content_type(response.getheader("Content-Type", ""))
    if content_type not in _HTML_TYPES:
        shown = content_type or "no content type"
        raise FetchError(f"{where}: the link gives {shown}, not a web page (HTML)")
    body = _read_body(response, policy, where, deadline)
    return Page(hop.url, content_type, charset, body)


def _content_type(header: str) -> tuple[str, str | None]:
    message = Message()
    message["Content-Type"] = header
    charset = message.get_param("charset")
    return message.get_content_type() if header else "", charset if isinstance(
        charset, str
    ) else None


def _read_body(
    response: http.client.HTTPResponse, policy: FetchPolicy, where: str, deadline: float
) -> bytes:
    """The body, at most ``policy.max_bytes`` (after decompression), read before the deadline."""
    too_big = FetchError(f"{where}: the page is over the {policy.max_bytes:,}-byte limit")
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > policy.max_bytes:
        raise too_big
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise FetchError(f"{where}: the page is sent with an unsupported encoding ({encoding})")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
    parts, size = [], 0
    while chunk := response.read1(_CHUNK):
        if time.monotonic() >= deadline:
            raise FetchError(f"{where}: no answer within {policy.timeout_s:g} s")
        if inflate is not None:  # bounded: a small gzip bomb cannot expand past the cap
            chunk = inflate.decompress(chunk, policy.max_bytes + 1 - size)
            if inflate.unconsumed_tail:
                raise too_big
        size += len(chunk)
        if size > policy.max_bytes:
            raise too_big
        parts.append(chunk)
    return b"".join(parts)


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The default bounds, with private addresses allowed only where the settings say."""
    allowed = settings.allow_private_urls or Environment.read().allow_private_urls
    return FetchPolicy(allow_private=allowed)


def document_from_url(
    url: str, policy: FetchPolicy = FetchPolicy(), resolver: Resolver = system_resolver
) -> Document:
    """The article behind a link, as ``qa.documents.extract`` reads a saved page; the id is
    the link."""
    page = fetch_page(url, policy, resolver)
    return document_from_page(page.body, url.strip(), page.charset)
