"""Articles from links (qa/fetch.py), against a real HTTP server on 127.0.0.1.

The server runs in a thread of the test process, on loopback only, and every request loop
is bounded. Addresses that are not loopback (169.254.169.254, 10.0.0.1) appear only as
redirect targets that must be refused before any connection is made.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qa.documents import CorpusError
from qa.documents.fetch import (
    FetchError,
    FetchPolicy,
    document_from_url,
    fetch_page,
    fetch_policy,
    is_public,
)
from qa.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = (FIXTURES / "news_page.html").read_bytes()
EXPECTED = (FIXTURES / "news_page.expected.txt").read_text(encoding="utf-8").splitlines()


class Handler(BaseHTTPRequestHandler):
    """Routes for each behaviour under test; ``server.hits`` counts requests by path."""

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass

    def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8", **extra):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if "Content_Length" not in extra:
            self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.server.hits.append((self.path, self.headers.get("Host")))
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self._send(404, b"not here", "text/plain")
        else:
            route(self)


def _drip(handler: Handler) -> None:
    """Headers at once, then one byte every 0.2 s for up to 3 s: only a deadline stops it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for _ in range(15):
        try:
            handler.wfile.write(b"<")
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.2)


def _slow(handler: Handler) -> None:
    time.sleep(2.0)  # longer than the test's timeout, bounded
    handler._send(200, PAGE)


def _unsized(handler: Handler) -> None:
    """A body larger than the test's cap, with no Content-Length to refuse it by."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    handler.wfile.write(b"<p>" + b"x" * 60_000 + b"</p>")


ROUTES = {
    "/article": lambda h: h._send(200, PAGE),
    "/gzip": lambda h: h._send(200, gzip.compress(PAGE), Content_Encoding="gzip"),
    "/bomb": lambda h: h._send(200, gzip.compress(b" " * 20_000_000), Content_Encoding="gzip"),
    "/redirect": lambda h: h._redirect("/hop?n=1"),
    "/hop": lambda h: h._redirect("/article", 301),
    "/loop": lambda h: h._redirect("/loop"),
    "/to-metadata": lambda h: h._redirect("http://169.254.169.254/latest/meta-data/"),
    "/to-private": lambda h: h._redirect("http://10.0.0.1/admin"),
    "/to-file": lambda h: h._redirect("file:///etc/passwd"),
    "/huge": lambda h: h._send(200, b"<p>x</p>", Content_Length="6000000"),
    "/unsized": _unsized,
    "/slow": _slow,
    "/drip": _drip,
    "/pdf": lambda h: h._send(200, b"%PDF-1.4", "application/pdf"),
    "/json": lambda h: h._send(200, json.dumps({"a": 1}).encode(), "application/json"),
    "/latin1": lambda h: h._send(
        200, PAGE.decode("utf-8").replace("’", "'").encode("cp1252"), "text/html; charset=cp1252"
    ),
    "/empty-page": lambda h: h._send(200, b"<html><body><nav>Home</nav></body></html>"),
}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hangs up on purpose (a refused body, a timeout) is expected


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.hits = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def only_this_server(server: ThreadingHTTPServer, **kw) -> FetchPolicy:
    """Private addresses refused, as by default, except the test server itself."""
    return FetchPolicy(allowed_addresses=frozenset({("127.0.0.1", server.server_address[1])}), **kw)


LOCAL = FetchPolicy(allow_private=True, timeout_s=5)


def test_a_page_is_fetched_and_reduced_to_its_article(server) -> None:
    document = document_from_url(url(server, "/article"), LOCAL)
    assert [p.text for p in document.paragraphs] == EXPECTED  # as a saved page is read
    assert document.id == url(server, "/article")


def test_gzip_pages_are_read_and_a_gzip_bomb_is_capped(server) -> None:
    assert document_from_url(url(server, "/gzip"), LOCAL).title == EXPECTED[0]
    with pytest.raises(FetchError, match="over the 5,000,000-byte limit"):
        fetch_page(url(server, "/bomb"), LOCAL)


def test_the_servers_charset_decodes_the_page(server) -> None:
    assert document_from_url(url(server, "/latin1"), LOCAL).title == EXPECTED[0]


def test_redirects_are_followed_and_bounded(server) -> None:
    page = fetch_page(url(server, "/redirect"), LOCAL)
    assert page.url == url(server, "/article") and page.body == PAGE
    before = len(server.hits)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_page(url(server, "/loop"), LOCAL)
    assert len(server.hits) - before == 6  # the link and five redirects, then it stops


@pytest.mark.parametrize(
    ("path", "address"), [("/to-metadata", "169.254.169.254"), ("/to-private", "10.0.0.1")]
)
def test_a_redirect_to_a_private_address_is_refused(server, path: str, address: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_page(url(server, path), only_this_server(server))
    message = str(caught.value)
    assert f"redirected to http://{address}" in message and f"({address})" in message
    assert "allow_private_urls" in message and "QA_ALLOW_PRIVATE_URLS=1" in message


def test_a_redirect_to_another_scheme_is_refused(server) -> None:
    with pytest.raises(FetchError, match=r"only http:// and https:// links .* not file:"):
        fetch_page(url(server, "/to-file"), LOCAL)


def test_loopback_is_refused_when_the_setting_is_off(server) -> None:
    before = len(server.hits)
    for link in (url(server, "/article"), f"http://localhost:{server.server_address[1]}/"):
        with pytest.raises(FetchError, match="private or local address"):
            document_from_url(link, FetchPolicy())
    assert len(server.hits) == before  # refused before anything was sent


def test_the_checked_address_is_the_one_connected_to(server) -> None:
    """A host name resolved once, checked, and connected to at that address (no second
    lookup that could answer differently); the request still names the host."""
    port = server.server_address[1]
    lookups: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    page = fetch_page(f"http://news.test:{port}/article", only_this_server(server), resolver)
    assert page.body == PAGE and lookups == ["news.test"]
    assert server.hits[-1] == ("/article", f"news.test:{port}")


def test_oversize_bodies_are_refused(server) -> None:
    with pytest.raises(FetchError, match="over the 5,000,000-byte limit"):
        fetch_page(url(server, "/huge"), LOCAL)  # by its Content-Length
    with pytest.raises(FetchError, match="over the 10,000-byte limit"):
        fetch_page(url(server, "/unsized"), FetchPolicy(allow_private=True, max_bytes=10_000))


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_server_times_out_within_the_bound(server, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no answer within 0.5 s"):
        fetch_page(url(server, path), FetchPolicy(allow_private=True, timeout_s=0.5))
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("path", "kind"), [("/pdf", "application/pdf"), ("/json", "application/json")]
)
def test_other_content_types_are_refused(server, path: str, kind: str) -> None:
    with pytest.raises(FetchError, match=f"the link gives {kind}, not a web page"):
        fetch_page(url(server, path), LOCAL)


def test_http_errors_and_pages_without_an_article_are_clear(server) -> None:
    with pytest.raises(FetchError, match="the server answered 404 Not Found"):
        fetch_page(url(server, "/missing"), LOCAL)
    with pytest.raises(CorpusError, match="no article text found"):
        document_from_url(url(server, "/empty-page"), LOCAL)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("ftp://127.0.0.1/article.html", "only http:// and https:// links .* not ftp:"),
        ("file:///etc/passwd", "not file:"),
        ("javascript:alert(1)", "not javascript:"),
        ("127.0.0.1/article", "not no scheme"),
        ("http:///article", "no host name"),
        ("http://user:secret@127.0.0.1/", "user name or password"),
        ("http://127.0.0.1:99999/", "not a valid link"),
    ],
)
def test_links_that_are_not_http_are_refused_unsent(link: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetch_page(link, LOCAL)


def test_an_unknown_host_is_a_clear_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(FetchError, match=r"nowhere\.test could not be found"):
        fetch_page("https://nowhere.test/story", FetchPolicy(), resolver)


def test_a_slow_name_lookup_is_bounded_too() -> None:
    def resolver(host: str, port: int) -> list[str]:
        time.sleep(2.0)
        return ["127.0.0.1"]

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"slow\.test did not resolve in time"):
        fetch_page("http://slow.test/", FetchPolicy(timeout_s=0.3), resolver)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
    ],
)
def test_which_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_the_setting_and_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_ALLOW_PRIVATE_URLS", raising=False)
    assert Settings().allow_private_urls is False
    assert fetch_policy(Settings()).allow_private is False
    monkeypatch.setenv("QA_ALLOW_PRIVATE_URLS", "1")
    assert fetch_policy(Settings()).allow_private is True
    with pytest.raises(ValueError, match="allow_private_urls must be True or False"):
        from qa.settings import validate_settings

        validate_settings(Settings(allow_private_urls="yes"))


def test_cli_refuses_a_bad_link_before_loading_models(server, capsys, monkeypatch) -> None:
    import qa.shared
    from qa.cli import main

    monkeypatch.delenv("QA_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.setattr(qa.shared, "get_pipeline", lambda *a: pytest.fail("models loaded"))
    assert main(["ask", "--url", url(server, "/article"), "Who?"]) == 2
    assert "private or local address (127.0.0.1)" in capsys.readouterr().err
    assert main(["ask", "--url", "ftp://example.org/x", "Who?"]) == 2
    assert "only http:// and https://" in capsys.readouterr().err
    assert main(["ask", "--url", url(server, "/a"), "--file", "x.html", "Who?"]) == 2
    assert "not both" in capsys.readouterr().err


def test_answer_refuses_text_and_url_together() -> None:
    from qa import answer

    with pytest.raises(ValueError, match="either text or url"):
        answer("Who?", text="An article.", url="https://example.org/")


@pytest.mark.slow
def test_answer_and_cli_about_a_fetched_page(server, real_pipeline, real_settings, capsys) -> None:
    from qa import answer
    from qa.cli import main

    link = url(server, "/redirect")
    question = "How many panels will the array have?"
    result = answer(question, url=link, index_dir=real_settings.index_dir, allow_private_urls=True)
    assert result.text == "26,000" and result.citations[0].paragraph == 3
    assert result.citations[0].doc_id == link
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_ALLOW_PRIVATE_URLS", "1")
        argv = ["--index-dir", str(real_settings.index_dir), "ask", "--url", link, question]
        assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "26,000" and data["citations"][0]["title"].startswith("Millbrook")
