"""Calls to Milvus with a deadline, and their failures as clear errors.

pymilvus 3.0 shares one gRPC channel per address, and once a call has failed to connect
that channel keeps failing at once, even after the server is back (tried: a cut relay,
then restored). So a ``Connection`` opens its own client (``dedicated``) and, after a
connection failure or a timeout, drops it: the next call opens a fresh one.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from qa.environment import MILVUS_TIMEOUT, Environment

# Creating, loading, inserting and flushing a large collection take minutes, not seconds:
# those calls wait at least this long, whatever the query timeout.
BUILD_TIMEOUT_S = 600.0
CONNECT_FAILED = 2  # pymilvus Status.CONNECT_FAILED
COLLECTION_NOT_FOUND = 100  # the server's code for a missing collection


class VectorStoreUnavailable(Exception):
    """The vector store did not answer: down, unreachable or too slow. Not a RuntimeError,
    so an index load never mistakes it for a damaged index and rebuilds."""


class CollectionMissing(VectorStoreUnavailable):
    """The collection an open index points at is gone (dropped behind the app's back, or
    replaced by another process's update)."""


def safe_uri(uri: str) -> str:
    """The URI without any user:password part, fit for messages and logs."""
    return re.sub(r"//[^/@]*@", "//", uri)


def is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def translate(err: BaseException, uri: str, timeout: float, action: str) -> Exception | None:
    """The clear error for a pymilvus or gRPC failure, or None when it is none of ours."""
    where = safe_uri(uri)
    code = getattr(err, "code", None)
    if callable(code):  # a grpc.RpcError: code() is a StatusCode
        name = getattr(code(), "name", "")
        if name == "DEADLINE_EXCEEDED":
            return VectorStoreUnavailable(
                f"Milvus at {where} did not answer within {timeout:g} s ({action}); "
                f"set {MILVUS_TIMEOUT} to wait longer"
            )
        if name == "UNAVAILABLE":
            return VectorStoreUnavailable(f"Milvus at {where} is unreachable ({action})")
        return None
    message = str(getattr(err, "message", "") or err)
    if "retry timeout" in message.lower():  # pymilvus gave up waiting within the deadline
        return VectorStoreUnavailable(
            f"Milvus at {where} did not answer within {timeout:g} s ({action}); "
            f"set {MILVUS_TIMEOUT} to wait longer"
        )
    if code == COLLECTION_NOT_FOUND or "collection not found" in message.lower():
        return CollectionMissing(
            f"the Milvus collection this index uses is gone from {where} ({action}); "
            "rebuild the index (qa index --rebuild)"
        )
    if code == CONNECT_FAILED:
        return VectorStoreUnavailable(
            f"cannot reach Milvus at {where} ({action}): is the server running?"
        )
    return None


class Connection:
    """A MilvusClient opened on first use, and again after a connection failure."""

    def __init__(self, uri: str, token: str = "", timeout: float | None = None) -> None:
        self.uri = uri
        self.token = token
        self.timeout = Environment.read().milvus_timeout if timeout is None else float(timeout)
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from pymilvus import MilvusClient

            options = {"dedicated": True} if is_server(self.uri) else {}
            try:
                self._client = MilvusClient(
                    uri=self.uri, token=self.token, timeout=self.timeout, **options
                )
            except Exception as err:
                failure = translate(err, self.uri, self.timeout, "connecting")
                if failure is None:
                    raise
                raise failure from err
        return self._client

    def call(self, action: str, method: str, *args: Any, build: bool = False, **kwargs: Any) -> Any:
        """``client.method(*args, **kwargs)`` with the deadline (``build``: a long one);
        failures made clear."""
        client = self.client
        timeout = max(self.timeout, BUILD_TIMEOUT_S) if build else self.timeout
        try:
            return getattr(client, method)(*args, timeout=timeout, **kwargs)
        except Exception as err:
            failure = translate(err, self.uri, timeout, action)
            if failure is None:
                raise
            if not isinstance(failure, CollectionMissing):
                self.close()  # a broken channel stays broken: reconnect on the next call
            raise failure from err

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            # Closing a dead connection may fail too; it is gone either way.
            with contextlib.suppress(Exception):
                client.close()


def check_reachable(uri: str, token: str = "") -> None:
    """VectorStoreUnavailable now, naming ``uri``, unless a Milvus server answers there; so a
    build fails before minutes of embedding, not after. Lite files are local: not checked."""
    if not is_server(uri):
        return
    connection = Connection(uri, token)
    try:
        connection.call("checking the server", "list_collections")
    finally:
        connection.close()
