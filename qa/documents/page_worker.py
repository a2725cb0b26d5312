"""Saved pages read in a child process with a deadline (issue 16, C1), so that no page can hold
the server: the child is killed at the deadline and a fresh one started for the next page.

One long-lived child (``python -m qa.documents.page_worker``) reads pages one at a time; it is
niced, so the answers being served meanwhile win the CPU. A request is a JSON line (the file
name and the byte count) and the page's bytes; the reply is one JSON line, the article's text or the
reason it was refused. Text, not pickles, crosses the pipe: the parent rebuilds the Document
with ``qa.documents.extract.document_from_text``, the same as in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time

from qa.documents.corpus import CorpusError
from qa.types import Document

PAGE_SECONDS = 10.0  # a page not read by then is refused (the target of issue 16)


class PageReader:
    """The child process, started on first use (or by ``start``) and reused."""

    def __init__(self, seconds: float = PAGE_SECONDS) -> None:
        self.seconds = seconds
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()  # one page at a time through the one pipe

    def start(self) -> None:
        with self._lock:
            self._running()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def document(self, data: bytes, name: str) -> Document:
        """``qa.documents.extract.document_from_bytes(data, name)``, computed in the child;
        CorpusError when it is refused there or takes over ``seconds``."""
        from qa.documents.extract import document_from_text

        with self._lock:
            reply = self._ask(data, name)
        if "error" in reply:
            raise CorpusError(reply["error"])
        return document_from_text(reply["text"], name)

    def _running(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "qa.documents.page_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
        return self._child

    def _stop(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait(5)
            self._child = None

    def _ask(self, data: bytes, name: str) -> dict:
        child = self._running()
        deadline = time.monotonic() + self.seconds
        try:
            child.stdin.write(json.dumps({"name": name, "size": len(data)}).encode() + b"\n")
            child.stdin.write(data)
            child.stdin.flush()
            line = _read_line(child.stdout, deadline)
        except (OSError, ValueError):
            line = None
        if line is None:  # out of time, or the child died: it is replaced for the next page
            self._stop()
            return {
                "error": f"{name}: reading the page took over {self.seconds:.0f} s, so it "
                "was refused; paste the article's text instead"
            }
        return json.loads(line)


def _read_line(stream, deadline: float) -> bytes | None:
    """One line from ``stream`` (a pipe), or None when ``deadline`` passes first."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = os.read(stream.fileno(), 1 << 16)
            if not chunk:
                return None
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)


def _serve(stdin, stdout) -> None:
    """The child's loop: read a request, answer it, until the parent closes the pipe."""
    from qa.documents.extract import document_from_bytes

    while header := stdin.readline():
        request = json.loads(header)
        data = stdin.read(request["size"])
        try:
            reply = {"text": document_from_bytes(data, request["name"]).text}
        except CorpusError as err:
            reply = {"error": str(err)}
        except Exception as err:  # a library failure on a strange page: a message, not a crash
            reason = type(err).__name__
            reply = {"error": f"{request['name']}: the page could not be read ({reason})"}
        stdout.write(json.dumps(reply).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    with contextlib.suppress(OSError):
        os.nice(10)  # answers come first
    _serve(sys.stdin.buffer, sys.stdout.buffer)
