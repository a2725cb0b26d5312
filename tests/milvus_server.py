"""A real Milvus standalone server for the tests (``pip install milvus==2.3.5``), and a
loopback TCP relay in front of it that a test can cut or slow down.

The ``milvus`` package ships the server binary with embedded etcd and local storage. The
session fixture ``milvus_server_uri`` starts one on loopback in its own temporary folder and
stops it at the end. Where it cannot start, the tests that need it are skipped with the
reason; with ``QA_REQUIRE_MILVUS=1`` (set by ``.ci/run``) that is an error instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.milvus_local import start_server

REQUIRE_ENV = "QA_REQUIRE_MILVUS"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"Milvus server required ({REQUIRE_ENV} is set): {reason}", pytrace=False)
    pytest.skip(f"no Milvus server: {reason}")


@pytest.fixture(scope="session")
def milvus_server_uri() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a real Milvus server, for the whole session."""
    try:
        import milvus  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError as err:
        _unavailable(f"{err.name} is not installed (pip install -e '.[test]')")
    folder = Path(tempfile.mkdtemp(prefix="qa-milvus-"))
    try:
        server = start_server(folder)
    except Exception as err:  # a missing binary, a port, a timeout: all mean "cannot start"
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"the server did not start ({type(err).__name__}: {err})")
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class Relay:
    """A TCP relay on a loopback port to ``target``: ``cut()`` closes every connection and
    refuses new ones (the server going away), ``restore()`` opens it again, and ``delay``
    holds each chunk of data that long (a slow server)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.delay = 0.0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0
        self.restore()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for sock in [*sockets, *([listener] if listener else [])]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # cut() closed the listener
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def milvus_relay(milvus_server_uri: str) -> Iterator[Relay]:
    """A relay to the session's server, for fault tests; closed afterwards."""
    relay = Relay(int(milvus_server_uri.rsplit(":", 1)[1]))
    yield relay
    relay.close()
