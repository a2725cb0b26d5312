"""Serving the UI: secure launch defaults, the login rule off loopback, and ``qa serve``."""

# No `from __future__ import annotations`: kept like ui.app, which Gradio inspects at run time.

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from qa.environment import Environment
from qa.flags import settings_from_args
from ui.app import DEFAULT_HOST, DEFAULT_PORT, MODEL_CONCURRENCY, build_app
from ui.assets import CSS, ON_LOAD_JS, THEME
from ui.guard import RequestGuard
from ui.policy import allowed_hosts, is_loopback

log = logging.getLogger(__name__)

# Secure defaults: no share tunnel, no server-side rendering (Node), the upload route closed
# and request bodies bounded (ui.guard), no run history kept in the browser, no monitoring or
# MCP endpoints.
LAUNCH_OPTIONS: dict[str, Any] = {
    "share": False,
    "ssr_mode": False,
    "max_file_size": "5mb",  # a saved news page; text is capped at 1 MB (qa.documents.extract)
    "show_error": False,
    "footer_links": ["api"],
    "run_history": False,
    "enable_monitoring": False,
    "mcp_server": False,
    "pwa": False,
    # Gradio's own lines include "To create a public link, set `share=True`", the opposite of
    # this app's advice (issue 18); qa serve prints its own address line instead.
    "quiet": True,
    "theme": THEME,
    "css": CSS,
    "js": ON_LOAD_JS,
}


def launch(
    demo: gr.Blocks,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    block: bool = True,
    auth: tuple[str, str] | None = None,
    allowed: Sequence[str] = (),
) -> str:
    """Start the server with the secure defaults; returns its local URL.

    Requests must name this server in their Host: a loopback name, ``host``, or one of
    ``allowed`` (DNS rebinding, issue 16 M7). With ``block=False`` it returns at once (for
    tests); stop it with ``demo.close()``.
    """
    hosts = allowed_hosts(host, allowed)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        auth=auth,
        app_kwargs={"middleware": [Middleware(RequestGuard, hosts=hosts)]},
        **LAUNCH_OPTIONS,
    )
    return url


AUTH_ENV = "QA_AUTH"  # "user:password", the same as --auth
MIN_PASSWORD = 8  # m12: a 1-character password was accepted


def allowed_from(args: argparse.Namespace) -> list[str]:
    """--allowed-host values and $QA_ALLOWED_HOSTS."""
    names = list(getattr(args, "allowed_host", None) or [])
    return names + list(Environment.read().allowed_hosts)


def serving_auth(host: str, auth: str | None, no_auth: bool) -> tuple[str, str] | None:
    """The login to require: none on loopback; elsewhere --auth / $QA_AUTH, or an explicit
    --no-auth (warned about). ValueError when a non-loopback host has neither."""
    auth = auth or Environment.read().auth
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("--auth must be user:password")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"--auth: use a password of at least {MIN_PASSWORD} characters")
        return user, password
    if is_loopback(host) or no_auth:
        if not is_loopback(host):
            print(f"warning: serving on {host} without a login (--no-auth)", file=sys.stderr)
        return None
    raise ValueError(
        f"serving on {host} exposes the app to your network: pass --auth user:password "
        f"(or set {AUTH_ENV}), or --no-auth to serve without a login"
    )


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port nobody listens on right now, for tests and one-off servers."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_cli(args: argparse.Namespace) -> int:
    """``qa serve``: build the UI over the chosen corpus and serve until interrupted."""
    settings = settings_from_args(args)
    host = getattr(args, "host", DEFAULT_HOST)
    port = getattr(args, "port", DEFAULT_PORT)
    auth = serving_auth(host, getattr(args, "auth", None), getattr(args, "no_auth", False))
    print("Loading the index and models…", flush=True)
    demo = build_app(settings, getattr(args, "workers", MODEL_CONCURRENCY))
    try:
        url = launch(demo, host, port, block=False, auth=auth, allowed=allowed_from(args))
    except OSError as err:  # most often: the port is taken
        log.debug("launch failed: %s", err)
        print(
            f"error: cannot serve on {host}:{port} (in use?); pick another with --port",
            file=sys.stderr,
        )
        return 1
    print(f"Serving on {url} (no share link; {_reach(host, auth)}); Ctrl+C stops", flush=True)
    demo.block_thread()
    return 0


def _reach(host: str, auth: tuple[str, str] | None) -> str:
    if is_loopback(host):
        return "reachable from this machine only"
    return "reachable from your network" + (", behind the login" if auth else ", no login")
