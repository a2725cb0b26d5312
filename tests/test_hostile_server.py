"""Hostile input against the real app on loopback (issue 16): every route kind with two
sessions, direct routes, a rebinding Host, a hostile page while another user asks, and the
eviction attempt. Slow: the models load once for the module."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from ui import app, serve

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(r"ignore:::gradio\.queueing")]

SECRET = "Launch notes\n\nThe launch code is 7391.\n\nThe launch was approved by Mara Lind."
QUESTION = "What is the launch code?"


@pytest.fixture(scope="module")
def server(real_settings) -> Iterator[str]:
    demo = app.build_app(real_settings)
    url = serve.launch(demo, port=serve.free_port(), block=False)
    yield url.rstrip("/")
    demo.close()


def call(server: str, name: str, data: list, session: str | None = None) -> tuple[str, object]:
    """One raw /gradio_api/call/<name>: ("complete" or "error", the data), within 60 s."""
    body: dict = {"data": data}
    if session is not None:
        body["session_hash"] = session
    posted = httpx.post(f"{server}/gradio_api/call/{name}", json=body, timeout=30)
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    url = f"{server}/gradio_api/call/{name}/{event_id}"
    with httpx.stream("GET", url, timeout=60) as reply:
        event = None
        for line in reply.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("complete", "error"):
                return event, json.loads(line[6:])
    raise AssertionError("the event stream ended without a result")


def said(result: tuple[str, object]) -> str:
    """The answer's text, or "" when the call failed or abstained."""
    event, data = result
    return data[0]["text"] if event == "complete" else ""


def test_direct_routes_are_refused_so_nobody_plants_an_article(server):
    # C2, the probe's reproducer: one /run/use_article was answered to every /run/answer.
    for route in ("run/use_article", "api/use_article", "run/answer", "call/v2/answer"):
        reply = httpx.post(f"{server}/gradio_api/{route}", json={"data": [SECRET, ""]}, timeout=30)
        assert reply.status_code == 403, route
    for name in ("on_load", "on_reset", "forget", "lambda"):  # M1: private events by name
        reply = httpx.post(f"{server}/gradio_api/call/{name}", json={"data": []}, timeout=30)
        assert reply.status_code == 403, name
    assert "7391" not in said(call(server, "answer", [QUESTION, None, 5]))


def test_two_sessions_through_call_run_and_gradio_client(server):
    from gradio_client import Client

    alice, bob = f"alice-{uuid.uuid4().hex}", f"bob-{uuid.uuid4().hex}"
    event, given = call(server, "use_article", [SECRET, ""], session=alice)
    assert event == "complete" and given[0]["paragraphs"] == 3
    assert "7391" in said(call(server, "answer", [QUESTION, None, 5], session=alice))
    assert "7391" not in said(call(server, "answer", [QUESTION, None, 5], session=bob))
    assert "7391" not in said(call(server, "answer", [QUESTION, None, 5]))  # no session
    carol = Client(server, verbose=False)
    assert "7391" not in carol.predict(QUESTION, api_name="/answer")["text"]
    conversation = call(server, "conversation", [[QUESTION], 5], session=bob)
    assert "7391" not in json.dumps(conversation[1])
    # Without a session_hash an article could never be asked about again: refused, said why.
    refused = httpx.post(
        f"{server}/gradio_api/call/use_article", json={"data": [SECRET, ""]}, timeout=30
    )
    assert refused.status_code == 422 and "session_hash" in refused.json()["error"]


@pytest.mark.parametrize("path", ["/config", "/gradio_api/info", "/"])
def test_a_rebinding_host_gets_nothing(server, path):
    # M7: /config holds the article text; a DNS-rebinding page names its own host.
    evil = {"host": "rebind.evil.example:7861", "origin": "http://rebind.evil.example:7861"}
    reply = httpx.get(f"{server}{path}", headers=evil, timeout=30)
    assert reply.status_code == 421 and "Unknown Host" in reply.text
    assert httpx.get(f"{server}{path}", timeout=30).status_code == 200


def hostile_page(count: int) -> str:
    return (
        "<html><body><article><h1>Hostile</h1><p>"
        + "<span class=w>word</span> " * count
        + "</p></article></body></html>"
    )


def test_a_hostile_article_never_holds_another_users_answer(server, capsys):
    from gradio_client import Client

    bob = Client(server, verbose=False)
    question = app.EXAMPLES[0]
    bob.predict(question, api_name="/answer")  # warm
    idle = statistics.median(timed(lambda: bob.predict(question, api_name="/answer"), 5))
    outcomes: list[tuple[float, str]] = []

    def attack() -> None:
        sentence = "The council met again on Tuesday to discuss the budget for the port. "
        for text, name in (
            (hostile_page(70_000), "page.html"),  # 1.8 MB, 15,000 spans took 35 s before
            (sentence * (990_000 // len(sentence)), ""),  # a 1 MB paste of prose
        ):
            started = time.perf_counter()
            event, _ = call(server, "use_article", [text, name], session=uuid.uuid4().hex)
            outcomes.append((time.perf_counter() - started, event))

    attacker = threading.Thread(target=attack)
    attacker.start()
    during: list[float] = []
    deadline = time.monotonic() + 60
    while attacker.is_alive() and time.monotonic() < deadline:
        during += timed(lambda: bob.predict(question, api_name="/answer"), 1)
    attacker.join(60)
    with capsys.disabled():
        print(
            f"\nidle answer {idle:.3f} s; during the attack: max {max(during):.3f} s, "
            f"median {statistics.median(during):.3f} s over {len(during)}; "
            f"hostile articles: {[(round(s, 1), e) for s, e in outcomes]}"
        )
    assert len(outcomes) == 2 and all(seconds < 12 for seconds, _ in outcomes)
    assert statistics.median(during) <= 1.5 * idle + 0.2
    assert max(during) <= idle + 1.0  # no answer held by more than ~1 s


def timed(fn, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def test_the_eviction_attempt_leaves_every_live_article(server):
    # M3: 64 cheap /call/use_article calls used to evict every user's article, silently.
    victim = f"victim-{uuid.uuid4().hex}"
    assert call(server, "use_article", [SECRET, ""], session=victim)[0] == "complete"
    refused = None
    for attempt in range(64):
        event, data = call(server, "use_article", ["Junk\n\nJunk text.", ""], uuid.uuid4().hex)
        if event == "error":
            refused = attempt
            break
    assert refused is not None and refused < 16, "one client filled the store"
    assert "limit" in json.dumps(data)
    assert "7391" in said(call(server, "answer", [QUESTION, None, 5], session=victim))


def test_with_a_login_nothing_large_is_held_before_it(real_settings):
    # M5: with --auth, 100 stalled unauthenticated uploads held +555 MB.
    demo = app.build_app(real_settings)
    url = serve.launch(demo, port=serve.free_port(), block=False, auth=("ann", "s3cret-pw"))
    try:
        base, big = url.rstrip("/"), b"x" * 200_000
        anonymous = httpx.post(f"{base}/gradio_api/queue/join", content=big, timeout=30)
        assert anonymous.status_code == 413
        with httpx.Client(base_url=base, timeout=30) as browser:
            login = browser.post("/login", data={"username": "ann", "password": "s3cret-pw"})
            assert login.status_code in (200, 302, 303)
            reply = browser.post("/gradio_api/queue/join", content=big)
            assert reply.status_code not in (401, 413)  # read, then judged by Gradio
    finally:
        demo.close()
