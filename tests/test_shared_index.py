"""Two app processes, one Milvus collection, an update from a third process.

Two ``qa serve`` processes (two loopback ports) answer from one index folder whose vectors
are on a real Milvus server (tests/milvus_server.py); while they are asked questions,
``qa index`` in a third process updates the corpus. Every answer must come whole from the
old corpus or whole from the new one (never mixed, never an error), and every question
asked after the update has landed must be answered from the new one (README: "Past one
machine").
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.documents import make_document
from ui.serve import free_port

pytestmark = pytest.mark.slow  # the real models, in three processes

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who is the harbour master of Izmail?"
OLD, NEW = "Ivan Petrenko", "Olena Kovalenko"
PORT_V1 = (
    "Izmail port reopens\n\n"
    f"The harbour master of Izmail is {OLD}, who reopened the port on Monday.\n\n"
    "Grain barges queued on the Danube for three days before the reopening.\n"
)
PORT_V2 = PORT_V1.replace(OLD, NEW)
OTHERS = {
    "storm.txt": "Storm closes Odesa\n\nA storm closed the port of Odesa for two days.\n",
    "summit.txt": "Leaders meet in Kyiv\n\nThe summit in Kyiv discussed grain exports.\n",
}
# The update also adds articles, so that indexing takes a while to ask questions during.
ADDED = {
    f"extra{i}.txt": f"Report {i}\n\nFerry line {i} runs between Reni and Galati twice a day.\n"
    for i in range(40)
}
QUESTIONS, TIME_LIMIT_S = 200, 150.0


def paragraphs(files: dict[str, str]) -> set[str]:
    return {p.text for name, text in files.items() for p in make_document(name, text).paragraphs}


def version_of(answer: dict, old: set[str], new: set[str]) -> str:
    """'old' or 'new' when the answer and every paragraph it cites come from that corpus
    only; 'wrong' otherwise (a mixed, wrong or failed answer)."""
    cited = {c["text"] for c in [*answer.get("citations", ()), *answer.get("passages", ())]}
    text = answer.get("text", "")
    if OLD in text and NEW not in text and cited and cited <= old:
        return "old"
    if NEW in text and OLD not in text and cited and cited <= new:
        return "new"
    return "wrong"


def qa(*args: str, uri: str, corpus: Path, index: Path) -> list[str]:
    return [
        sys.executable, "-m", "qa.cli", "--corpus", str(corpus), "--index-dir", str(index),
        "--vector-store", "milvus", "--milvus-uri", uri, *args,
    ]  # fmt: skip


def write_corpus(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():  # each file whole, by rename
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)


def client_for(port: int, server: subprocess.Popen, deadline: float):
    from gradio_client import Client

    while time.monotonic() < deadline:
        assert server.poll() is None, f"qa serve on {port} exited with {server.returncode}"
        try:
            return Client(f"http://127.0.0.1:{port}/", verbose=False)
        except Exception:  # not listening yet: the models are loading
            time.sleep(1)
    raise AssertionError(f"qa serve on {port} did not start")


def test_two_servers_follow_an_update_from_a_third_process(milvus_server_uri, tmp_path):
    corpus, index = tmp_path / "news", tmp_path / "index"
    corpus.mkdir()
    v1 = {"port.txt": PORT_V1, **OTHERS}
    v2 = {"port.txt": PORT_V2, **OTHERS, **ADDED}
    write_corpus(corpus, v1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = {"uri": milvus_server_uri, "corpus": corpus, "index": index}
    subprocess.run(qa("index", **run), cwd=ROOT, env=env, check=True, capture_output=True)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            qa("serve", "--port", str(port), **run),
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for port in ports
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        clients = [client_for(port, s, deadline) for port, s in zip(ports, servers, strict=True)]
        answers = ask_during_update(clients, corpus, v2, qa("index", **run), env)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    check(answers, paragraphs(v1), paragraphs(v2))


def ask_during_update(clients, corpus, v2, index_command, env) -> list[tuple]:
    """(server, asked at, answered at, answer) for QUESTIONS questions (or TIME_LIMIT_S),
    one thread per server; the update starts after the first tenth and its end is
    recorded as the answer ('landed', end time)."""
    answers: list[tuple] = []
    lock, started = threading.Lock(), time.monotonic()

    def ask(number: int, client) -> None:
        while time.monotonic() - started < TIME_LIMIT_S:
            with lock:
                if len(answers) >= QUESTIONS:
                    return
            asked = time.monotonic()
            try:
                got = client.predict(QUESTION, [], 5, api_name="/answer")
            except Exception as err:  # an error is a wrong answer too
                got = {"error": str(err)}
            with lock:
                answers.append((number, asked, time.monotonic(), got))

    threads = [threading.Thread(target=ask, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    while len(answers) < QUESTIONS // 10:
        time.sleep(0.1)
    write_corpus(corpus, v2)
    update = subprocess.run(index_command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert update.returncode == 0, update.stderr[-2000:]
    answers.append(("landed", time.monotonic(), time.monotonic(), {}))
    for thread in threads:
        thread.join()
    return answers


def check(answers: list[tuple], old: set[str], new: set[str]) -> None:
    landed = next(a[1] for a in answers if a[0] == "landed")
    asked = [a for a in answers if a[0] != "landed"]
    seen = [(server, at, version_of(got, old, new), got) for server, at, _, got in asked]
    wrong = [s for s in seen if s[2] == "wrong"]
    assert not wrong, f"{len(wrong)} wrong or mixed answers of {len(seen)}: {wrong[:2]}"
    stale = [s for s in seen if s[1] > landed and s[2] == "old"]
    assert not stale, f"{len(stale)} answers from the old index after the update landed"
    assert any(s[2] == "old" for s in seen), "no answer came before the update landed"
    for server in (0, 1):
        assert any(s[0] == server and s[2] == "new" for s in seen), f"server {server} never updated"
    assert len(seen) >= QUESTIONS // 2, f"only {len(seen)} answers within {TIME_LIMIT_S} s"
    print(f"{len(seen)} answers, {sum(s[2] == 'old' for s in seen)} old, 0 wrong")
