"""The chat UI: pure rendering, the chat handler as a plain function, and the /answer API.

Rendering tests build Answer and Citation values by hand; handler tests use a fake pipeline.
Only the tests marked ``slow`` load the models and start a server (once per module).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from qa.answering import NO_VERDICT_NOTE
from qa.types import ABSTAIN_MESSAGE, Alternative, Answer, Citation, Document, Paragraph
from ui import app, article_view, endpoints, render, serve

# Gradio's queue statistics use a pandas option that pandas 3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings(r"ignore:::gradio\.queueing")

DOC = "article.txt"
PARAGRAPH = "Ultimately, Alexander Gabuev, director of the Center, spoke."
SPAN = (12, 28)  # "Alexander Gabuev"


def cite(paragraph: int = 10, text: str = PARAGRAPH, span=SPAN, score: float = 7.69) -> Citation:
    start, end = span if span else (None, None)
    return Citation(DOC, paragraph, text, start, end, score)


def make_answer(**changes) -> Answer:
    values = dict(
        question="Who directs the Center?",
        text="Alexander Gabuev",
        abstained=False,
        confidence=0.93,
        citations=(cite(),),
        resolved_question="Who directs the Center?",
        passages=(cite(span=None),),
    )
    return Answer(**(values | changes))


def document(*texts: str, boilerplate: Sequence[int] = ()) -> Document:
    paragraphs = tuple(
        Paragraph(DOC, n, 0, 0, t, n in boilerplate) for n, t in enumerate(texts, start=1)
    )
    return Document(DOC, texts[0], "\n\n".join(texts), paragraphs)


# --- pure rendering ------------------------------------------------------------------


def test_highlight_marks_exactly_the_offsets():
    assert render.highlight(PARAGRAPH, *SPAN) == (
        "Ultimately, <mark>Alexander Gabuev</mark>, director of the Center, spoke."
    )


def test_highlight_escapes_html_inside_and_around_the_mark():
    text = "A <b>bold</b> & <script>x</script> claim"
    start = text.index("<b>")
    html = render.highlight(text, start, start + len("<b>bold</b>"))
    assert html == (
        "A <mark>&lt;b&gt;bold&lt;/b&gt;</mark> &amp; &lt;script&gt;x&lt;/script&gt; claim"
    )


@pytest.mark.parametrize("span", [(None, None), (5, 5), (9, 3), (-1, 4), (0, 999)])
def test_highlight_without_usable_offsets_marks_nothing(span):
    assert render.highlight("plain <i>text</i>", *span) == "plain &lt;i&gt;text&lt;/i&gt;"


def test_user_question_is_escaped():
    assert render.user_message("Is 2 <b>3</b>?") == {
        "role": "user",
        "content": "Is 2 &lt;b&gt;3&lt;/b&gt;?",
    }


def test_line_breaks_never_leave_a_blank_line_in_a_message():
    assert render.text_html("one\n\ntwo") == "one<br><br>two"


@pytest.mark.parametrize(
    ("confidence", "level"), [(0.99, "high"), (0.85, "high"), (0.6, "medium"), (0.2, "low")]
)
def test_confidence_in_words(confidence, level):
    assert render.confidence_level(confidence) == level


def test_answer_reads_with_inline_citation_and_confidence():
    main, _ = render.answer_messages(make_answer())
    assert main["role"] == "assistant"
    assert (
        '<strong>Alexander Gabuev</strong> <a class="qa-cite qa-at-12-28-60" '
        'href="#qa-article-txt-p10"' in (main["content"])
    )
    assert ">[¶10]</a>" in main["content"]
    assert "high confidence" in main["content"]
    assert 'title="confidence 0.93"' in main["content"]
    assert "Understood as" not in main["content"]
    assert "\n" not in main["content"]  # one HTML block: Markdown leaves it alone


@pytest.mark.parametrize("verdict,word", [("yes", "Yes"), ("no", "No"), ("mixed", "Mixed")])
def test_a_verdict_shows_as_a_badge_before_its_evidence(verdict, word):
    main, _ = render.answer_messages(make_answer(kind="yes/no", verdict=verdict))
    badge = f'<span class="qa-verdict qa-verdict-{verdict}">{word}</span> '
    assert f'<div class="qa-text">{badge}<strong>Alexander Gabuev</strong>' in main["content"]
    assert NO_VERDICT_NOTE not in main["content"]


def test_a_yes_no_answer_without_a_verdict_shows_the_evidence_alone_and_says_so():
    main, _ = render.answer_messages(make_answer(kind="yes/no"))
    assert "qa-verdict" not in main["content"]
    assert '<div class="qa-text"><strong>Alexander Gabuev</strong>' in main["content"]
    assert NO_VERDICT_NOTE in main["content"]
    factoid, _ = render.answer_messages(make_answer())
    assert NO_VERDICT_NOTE not in factoid["content"]


def test_an_unknown_verdict_string_is_never_rendered():
    main, _ = render.answer_messages(make_answer(kind="yes/no", verdict="<b>maybe</b>"))
    assert "maybe" not in main["content"] and "qa-verdict" not in main["content"]


def test_sources_block_is_collapsible_with_confidence_in_words_and_marked_span():
    _, sources = render.answer_messages(make_answer())
    assert sources["metadata"] == {"title": "Sources", "log": "1 paragraph", "status": "done"}
    assert ">¶10</a>" in sources["content"]
    assert "the answer, high confidence</span>" in sources["content"]
    assert ">score 7.69" not in sources["content"]  # a raw reranker score: tooltip only
    assert 'title="relevance score 7.69"' in sources["content"]
    assert "<mark>Alexander Gabuev</mark>" in sources["content"]
    nearest = render.sources_message("Nearest passages", [cite(span=None)])
    assert "confidence" not in nearest["content"]  # no answer there: nothing to be sure of


def test_citation_links_carry_their_own_answer_span():
    link = render.cite_link(cite())
    assert f'class="qa-cite qa-at-12-28-{len(PARAGRAPH)}"' in link
    assert 'class="qa-cite"' in render.cite_link(cite(span=None))
    assert 'class="qa-cite"' in render.cite_link(cite(span=(5, 999)))  # unusable offsets


def test_cited_paragraph_with_markup_is_escaped():
    text = "He said <b>no</b> to Alexander Gabuev."
    start = text.index("Alexander")
    result = make_answer(citations=(cite(text=text, span=(start, start + 16)),))
    _, sources = render.answer_messages(result)
    assert "&lt;b&gt;no&lt;/b&gt;" in sources["content"]
    assert "<b>" not in sources["content"]
    assert "<mark>Alexander Gabuev</mark>" in sources["content"]


def test_answer_text_is_escaped():
    main, _ = render.answer_messages(make_answer(text="<img src=x onerror=alert(1)>"))
    assert "<img" not in main["content"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in main["content"]


def test_abstention_says_so_and_offers_the_nearest_passages():
    result = make_answer(text="", abstained=True, confidence=0.01, citations=())
    main, nearest = render.answer_messages(result)
    assert ABSTAIN_MESSAGE.replace("'", "&#x27;") in main["content"]
    assert "confidence" not in main["content"]
    assert nearest["metadata"]["title"] == "Nearest passages"
    assert ">¶10</a>" in nearest["content"]
    assert "<mark>" not in nearest["content"]  # passages carry no answer span


def test_abstention_without_passages_is_a_single_message():
    result = make_answer(text="", abstained=True, citations=(), passages=())
    assert len(render.answer_messages(result)) == 1


def test_rewritten_follow_up_shows_understood_as():
    result = make_answer(question="What does she do?", resolved_question="What does <X> do?")
    main, _ = render.answer_messages(result)
    assert "Understood as: <em>What does &lt;X&gt; do?</em>" in main["content"]


def test_alternatives_are_a_collapsible_block_and_a_conflict_is_flagged():
    other = Alternative("Theresa <F>", 0.3, cite(paragraph=8, span=(0, 14)))
    result = make_answer(alternatives=(other,), conflict=True)
    main, alternatives, sources = render.answer_messages(result)
    assert "conflicting answers; see the other possible answers below" in main["content"]
    assert alternatives["metadata"] == {
        "title": "Other possible answers",
        "log": "1 candidate",
        "status": "done",
    }
    assert "“Theresa &lt;F&gt;”" in alternatives["content"]
    assert ">[¶8]</a>" in alternatives["content"] and "low" in alternatives["content"]
    assert sources["metadata"]["title"] == "Sources"


def test_hidden_alternatives_still_flag_the_conflict_with_the_runner_up():
    other = Alternative("Theresa Fallon", 0.7, cite(paragraph=8, span=(0, 14)))
    result = make_answer(alternatives=(other,), conflict=True)
    main, sources = render.answer_messages(result, show_alternatives=False)
    assert "conflicting answers: it also supports “Theresa Fallon”" in main["content"]
    assert sources["metadata"]["title"] == "Sources"


def test_article_view_numbers_paragraphs_greys_boilerplate_and_marks_the_citation():
    doc = document("Headline <1>", PARAGRAPH, "Source link", boilerplate=[3])
    html = article_view.article_html([doc], [cite(paragraph=2)])
    assert '<p id="qa-article-txt-p1" class="qa-para">' in html
    assert "Headline &lt;1&gt;" in html
    assert 'class="qa-para qa-cited"' in html
    assert "<mark>Alexander Gabuev</mark>" in html
    assert 'class="qa-para qa-boilerplate"' in html
    assert html.count(">¶") == 3
    assert "qa-cited" not in article_view.article_html([doc])


def test_article_view_shows_the_cited_article_of_several():
    first = document("First headline", "Intro")
    other = Document(
        "other.txt",
        "Other headline",
        "Other headline\n\nBody",
        (
            Paragraph("other.txt", 1, 0, 14, "Other headline"),
            Paragraph("other.txt", 2, 16, 20, "Body"),
        ),
    )
    cited = Citation("other.txt", 2, "Body", 0, 4, 1.0, title="Other headline")
    html = article_view.article_html([first, other], [cited])
    shown, hidden = html.split('<article class="qa-doc qa-hidden"')  # one article shown
    assert "Other headline" in shown and "First headline" in hidden
    assert "<mark>Body</mark>" in shown
    shown = article_view.article_html([first, other]).split("qa-hidden")[0]
    assert "First headline" in shown  # none cited: the first
    shown = article_view.article_html([first, other], (), focus="other.txt").split("qa-hidden")[0]
    assert "Other headline" in shown
    corpus = [first, other] * 3  # more than a user's list: only the shown one is rendered
    assert "qa-hidden" not in article_view.article_html(corpus)


def test_multi_article_answers_name_the_article_in_links_and_sources():
    titled = Citation(DOC, 10, PARAGRAPH, *SPAN, 7.69, title="Grain <deal> ends")
    result = make_answer(citations=(titled,), multi_article=True)
    main, sources = render.answer_messages(result)
    assert "[Grain &lt;deal&gt; ends ¶10]" in main["content"]
    assert '<span class="qa-source-title">Grain &lt;deal&gt; ends</span>' in sources["content"]
    single = render.answer_messages(make_answer(citations=(titled,)))
    assert "[¶10]" in single[0]["content"] and "qa-source-title" not in single[1]["content"]


def test_article_picker_lists_every_article_and_tells_repeated_titles_apart():
    from ui.panels import ALL_ARTICLES, article_choices

    docs = [document("Same"), Document("b.txt", "Same", "Same", ()), document("Unique")]
    choices = article_choices(docs)
    assert choices[0] == ("All 3 articles", ALL_ARTICLES)
    assert choices[1:] == [(f"Same ({DOC})", DOC), ("Same (b.txt)", "b.txt"), ("Unique", DOC)]


# --- the chat handler, as a plain function -------------------------------------------


@dataclass
class FakePipeline:
    """Stands in for qa.Pipeline: a canned answer, or an error, and the calls it got."""

    result: Answer | Exception
    documents: dict[str, Document] = field(
        default_factory=lambda: {DOC: document("Headline", "Intro", PARAGRAPH)}
    )
    calls: list[tuple[str, list[str] | None, int]] = field(default_factory=list)
    scopes: list[list[str] | None] = field(default_factory=list)  # doc_ids of each call

    def answer(
        self, question: str, history: list[str] | None = None, k: int = 5, doc_ids=None
    ) -> Answer:
        self.calls.append((question, history, k))
        self.scopes.append(doc_ids)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePipeline]:
    pipeline = FakePipeline(make_answer(citations=(cite(paragraph=3),)))
    monkeypatch.setattr(app, "get_pipeline", lambda settings=None: pipeline)
    monkeypatch.setattr(endpoints, "get_pipeline", lambda settings=None: pipeline)
    yield pipeline


def test_handler_appends_question_answer_and_sources(fake):
    box, chat, history, article, turns = app.respond("Who directs the Center?", [], [], k=3)
    assert turns == [fake.result]
    assert box == ""  # the textbox is cleared for the next question
    assert [m["role"] for m in chat] == ["user", "assistant", "assistant"]
    assert chat[0]["content"] == "Who directs the Center?"
    assert chat[2]["metadata"]["title"] == "Sources"
    assert history == ["Who directs the Center?"]
    assert 'class="qa-para qa-cited"' in article
    assert fake.calls == [("Who directs the Center?", None, 3)]


def test_handler_keeps_the_answers_for_the_export_and_passes_the_article_choice(fake):
    _, chat, history, _, turns = app.respond("First?", [], [], doc_id=DOC)
    _, _, _, _, turns = app.respond("Second?", chat, history, turns=turns)
    assert turns == [fake.result, fake.result]
    assert fake.scopes == [[DOC], None]  # one article, then all of them


def test_examples_are_offered_for_the_seed_corpus_only(tmp_path):
    from qa.settings import Settings

    assert app.examples_for(Settings()) == app.EXAMPLES
    assert app.examples_for(Settings(corpus_dir=tmp_path)) == ()


def test_converse_asks_each_question_after_the_earlier_ones(fake):
    turns = endpoints.converse(["First?", "Second?", "Third?"], 4, None, None)
    assert len(turns) == 3
    assert [c[1] for c in fake.calls] == [None, ["First?"], ["First?", "Second?"]]
    for bad in ([], "First?", ["q"] * (endpoints.MAX_CONVERSATION + 1)):
        with pytest.raises(ValueError):
            endpoints.converse(bad, 4, None, None)


def test_handler_passes_earlier_questions_oldest_first(fake):
    _, chat, history, _, _ = app.respond("First?", [], [])
    _, chat, history, _, _ = app.respond("Second?", chat, history)
    app.respond("Third?", chat, history)
    assert [call[1] for call in fake.calls] == [None, ["First?"], ["First?", "Second?"]]


@pytest.mark.parametrize(
    ("question", "reason"),
    [("", "question is empty"), ("   ", "question is empty"), ("x" * 2001, "2,001 characters")],
)
def test_handler_turns_bad_input_into_a_friendly_reply(fake, question, reason):
    box, chat, history, _, _ = app.respond(question, [], ["Earlier?"])
    assert box == question  # kept, so the user can fix it
    assert len(chat) == 1 and chat[0]["role"] == "assistant"
    assert chat[0]["content"].startswith('<div class="qa-error">⚠️ ')
    assert reason in chat[0]["content"]
    assert history == ["Earlier?"]
    assert fake.calls == []  # rejected before the pipeline


def test_handler_hides_unexpected_errors(fake, caplog):
    fake.result = RuntimeError("index file is corrupt at /secret/path")
    _, chat, _, _, _ = app.respond("Who?", [], [])
    assert chat == [render.error_message(render.UNEXPECTED_ERROR)]
    assert "secret" not in chat[0]["content"] and "Traceback" not in chat[0]["content"]
    assert "answering 'Who?' failed" in caplog.text  # the details go to the server log


# --- the real app, over loopback (slow) ----------------------------------------------


@pytest.fixture(scope="module")
def server(real_settings) -> Iterator[str]:
    """The app on a free loopback port, models loaded once for the module."""
    demo = app.build_app(real_settings)
    url = serve.launch(demo, port=serve.free_port(), block=False)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(server: str):
    from gradio_client import Client

    return Client(server, verbose=False)


def as_json(result: Answer) -> dict:
    return json.loads(json.dumps(result.to_dict()))


@pytest.mark.slow
def test_api_returns_the_same_answer_as_the_library(client, real_settings):
    from qa import answer

    question = app.EXAMPLES[0]
    expected = answer(question, index_dir=real_settings.index_dir)
    assert client.predict(question, api_name="/answer") == as_json(expected)


@pytest.mark.slow
def test_api_takes_history_and_k(client, real_settings):
    from qa import answer

    history, question = ["Who is Theresa Fallon?"], "Where is her centre based?"
    expected = answer(question, history, k=3, index_dir=real_settings.index_dir)
    got = client.predict(question, history, 3, api_name="/answer")
    assert got == as_json(expected)
    assert got["resolved_question"] != question  # the follow-up was resolved


@pytest.mark.slow
def test_api_reports_bad_input_as_an_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="question is empty"):
        client.predict("  ", api_name="/answer")


@pytest.mark.slow
def test_public_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(endpoints) == ["/answer", "/conversation", "/use_article"]


OWN_ARTICLE = (
    "Floods close Danube port\n\nThe port of Izmail closed on Monday after floods.\n\n"
    "Harbour master Ivan Petrenko said ships would wait for three days."
)


@pytest.mark.slow
def test_two_sessions_never_see_each_others_article(server: str):
    from gradio_client import Client

    alice, bob = Client(server, verbose=False), Client(server, verbose=False)
    given = alice.predict(OWN_ARTICLE, "", api_name="/use_article")
    assert given == {
        "doc_id": "pasted article",
        "title": "Floods close Danube port",
        "paragraphs": 3,
    }
    mine = alice.predict("Who is the harbour master?", api_name="/answer")
    assert mine["text"] == "Ivan Petrenko" and mine["citations"][0]["paragraph"] == 3
    theirs = bob.predict("Who is the harbour master?", api_name="/answer")
    assert theirs["abstained"] or "Petrenko" not in theirs["text"]
    assert all(c["doc_id"] != "pasted article" for c in theirs["citations"] + theirs["passages"])
    seed = bob.predict(app.EXAMPLES[0], api_name="/answer")
    assert seed["text"] == "Alexander Gabuev"  # bob still has the seed article


@pytest.mark.slow
def test_a_saved_page_through_the_api(server: str):
    from pathlib import Path

    from gradio_client import Client

    client = Client(server, verbose=False)  # a session of its own: it changes its article
    page = (Path(__file__).parent / "fixtures" / "news_page.html").read_text(encoding="utf-8")
    given = client.predict(page, "page.html", api_name="/use_article")
    assert given["title"].startswith("Millbrook approves") and given["paragraphs"] == 9
    reply = client.predict("How many panels will the array have?", api_name="/answer")
    assert reply["text"] == "26,000" and reply["citations"][0]["paragraph"] == 3


@pytest.mark.slow
def test_bad_article_through_the_api_is_a_clear_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="no article text"):
        client.predict("<html><nav>Home</nav></html>", "x.html", api_name="/use_article")


@pytest.mark.slow
def test_conversation_endpoint_returns_the_export_as_json(client, real_settings):
    from qa import answer

    questions = ["Who is Theresa Fallon?", "Where is her centre based?"]
    data = client.predict(questions, 5, api_name="/conversation")
    assert data["format"] == "article-qa/conversation" and len(data["turns"]) == 2
    follow_up = answer(questions[1], questions[:1], index_dir=real_settings.index_dir)
    assert data["turns"][1]["text"] == follow_up.text
    assert data["turns"][1]["resolved_question"] == follow_up.resolved_question


@pytest.mark.slow
@pytest.mark.parametrize("question", app.EXAMPLES)
def test_examples_are_answered_with_a_marked_source(real_settings, question):
    _, chat, _, article, _ = app.respond(question, [], [], settings=real_settings)
    assert "qa-abstain" not in chat[1]["content"], f"{question!r} abstained"
    sources = [m for m in chat if m.get("metadata", {}).get("title") == "Sources"]
    assert len(sources) == 1 and "<mark>" in sources[0]["content"]
    assert "qa-cited" in article


@pytest.mark.slow
def test_upload_route_takes_only_a_bounded_multipart_file(server: str) -> None:
    import httpx

    from ui.guard import MAX_UPLOAD_BYTES

    url = f"{server.rstrip('/')}/gradio_api/upload"
    raw = httpx.post(url, content=b"hello", timeout=10)
    assert raw.status_code == 403 and "multipart" in raw.json()["error"]
    big = {"files": ("x.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "text/plain")}
    assert httpx.post(url, files=big, timeout=30).status_code == 413
    progress = httpx.get(f"{server.rstrip('/')}/gradio_api/upload_progress", timeout=10)
    assert progress.status_code == 403


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_bodies_are_refused_before_parsing(server: str, chunked: bool) -> None:
    import httpx

    from ui.guard import MAX_BODY_BYTES

    payload = b'{"data": ["' + b"a" * (MAX_BODY_BYTES + 10) + b'"]}'
    body = (payload[i : i + 65536] for i in range(0, len(payload), 65536)) if chunked else payload
    url = f"{server.rstrip('/')}/gradio_api/call/answer"
    reply = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    assert reply.status_code == 413
    assert "over" in reply.json()["error"]


@pytest.mark.slow
def test_the_guard_passes_ordinary_requests(client, real_settings) -> None:
    question = "Who directs the Carnegie Russia Eurasia Center?"
    assert client.predict(question, [], 5, api_name="/answer")["text"]


def test_serving_off_loopback_needs_a_login_or_an_explicit_no_auth(monkeypatch, capsys):
    monkeypatch.delenv(serve.AUTH_ENV, raising=False)
    assert serve.serving_auth("127.0.0.1", None, False) is None
    assert serve.serving_auth("0.0.0.0", "ann:s3cret-pw", False) == ("ann", "s3cret-pw")
    with pytest.raises(ValueError, match="at least 8 characters"):  # m12
        serve.serving_auth("0.0.0.0", "ann:x", False)
    with pytest.raises(ValueError, match="--auth user:password"):
        serve.serving_auth("0.0.0.0", None, False)
    with pytest.raises(ValueError, match="must be user:password"):
        serve.serving_auth("0.0.0.0", "nopassword", False)
    assert serve.serving_auth("0.0.0.0", None, True) is None
    assert "without a login" in capsys.readouterr().err
    monkeypatch.setenv(serve.AUTH_ENV, "bob:pw-of-bob")
    assert serve.serving_auth("192.0.2.1", None, False) == ("bob", "pw-of-bob")
    monkeypatch.delenv(serve.AUTH_ENV)
    with pytest.raises(ValueError, match="--auth user:password"):  # m10: not loopback
        serve.serving_auth("127.evil.example", None, False)


def test_qa_serve_refuses_an_open_host_before_loading_models(monkeypatch, capsys):
    from qa import cli

    monkeypatch.delenv(serve.AUTH_ENV, raising=False)
    monkeypatch.setattr(serve, "build_app", lambda *a, **k: pytest.fail("models loaded"))
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    assert "--auth user:password" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/etc/passwd", "seeds/000_36ba9c20c5f9ac76.txt", "../../../../etc/passwd"]
)
def test_the_server_reads_no_files_from_disk(server: str, path: str) -> None:
    import httpx

    reply = httpx.get(f"{server.rstrip('/')}/gradio_api/file={path}", timeout=10)
    assert reply.status_code in (403, 404)
    assert "root:" not in reply.text
