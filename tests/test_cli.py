"""The ``qa`` command. Input errors are caught before any model loads, so most tests are fast."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import build_parser, main
from qa.environment import PROJECT_ROOT
from qa.flags import flag, settings_from_args
from qa.settings import INDEX_FIELDS, PER_CALL_FIELDS, Settings


def run_main(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "   "], "error: question is empty: type a question about the article"),
        (["ask", ""], "error: question is empty"),
        (["ask", "x" * 2001], "keep it under 2,000 characters"),
        (["ask", "Who?", "--k", "0"], "error: k must be a whole number from 1 to 100"),
        (["search", "  \t "], "error: question is empty"),
        (["search", "Who?", "--k", "500"], "error: k must be a whole number from 1 to 100"),
    ],
)
def test_bad_input_is_an_error_without_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert out == ""


def test_missing_corpus_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nowhere"
    code, _, err = run_main(["--corpus", str(missing), "ask", "Who?"], capsys)
    assert code == 2
    assert f"error: corpus folder not found: {missing}" in err
    assert "Traceback" not in err


def test_corpus_without_articles(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    code, _, err = run_main(["--corpus", str(tmp_path), "index"], capsys)
    assert code == 2
    assert "no readable .txt or .md article" in err


def test_blank_question_through_the_installed_entry_point() -> None:
    """The real process: exit status non-zero, one clear line on stderr, no traceback."""
    script = shutil.which("qa", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "qa.cli"]
    result = subprocess.run(
        [*command, "ask", "   "],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: question is empty: type a question about the article"
    assert result.stdout == ""


def test_help(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ask", "search", "index", "eval", "serve"):
        assert command in out


def test_ask_help(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ask", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--json" in out and "--history" in out and "--k" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: qa" in capsys.readouterr().err


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["ask", "Who?", "--history", "a", "--history", "b"])
    assert args.history == ["a", "b"] and not args.json
    assert settings_from_args(args) == Settings()  # no setting flag given: the defaults


def test_every_setting_is_a_flag(capsys: pytest.CaptureFixture) -> None:
    """The flags are derived from Settings: a new field is a flag with no second declaration."""
    for argv, names in ((["--help"], INDEX_FIELDS), (["ask", "--help"], PER_CALL_FIELDS)):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert [name for name in names if flag(name) not in out] == []
    assert "--corpus" in " ".join(flag(name) for name in INDEX_FIELDS)  # the short name kept


def test_setting_flags_reach_the_settings() -> None:
    argv = ["--chunk-size", "400", "--corpus", "news", "search", "Who?", "--k", "3"]
    argv += ["--retrieval", "dense", "--abstain-threshold", "0.25", "--max-history-turns", "0"]
    settings = settings_from_args(build_parser().parse_args(argv))
    assert (settings.chunk_size, settings.corpus_dir, settings.k) == (400, Path("news"), 3)
    assert (settings.retrieval, settings.abstain_threshold, settings.max_history_turns) == (
        "dense",
        0.25,
        0,
    )


def test_a_setting_flag_outside_its_choices_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ask", "Who?", "--reader", "magic"])
    assert info.value.code == 2 and "invalid choice: 'magic'" in capsys.readouterr().err


# --- with the real models (slow; shares the session pipeline) -----------------------

GABUEV = "Who directs the Carnegie Russia Eurasia Center?"


@pytest.mark.slow
def test_ask_prints_answer_with_citation(
    real_pipeline, real_settings: Settings, capsys: pytest.CaptureFixture
) -> None:
    code, out, _ = run_main(["--index-dir", str(real_settings.index_dir), "ask", GABUEV], capsys)
    assert code == 0
    first = out.splitlines()[0]
    assert "Alexander Gabuev" in first and first.endswith("[¶10]")
    assert "confidence" in out


@pytest.mark.slow
def test_ask_json(real_pipeline, real_settings: Settings, capsys: pytest.CaptureFixture) -> None:
    argv = ["--index-dir", str(real_settings.index_dir), "ask", GABUEV, "--json"]
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["rendered"].endswith("[¶10]")
    assert data["citations"][0]["paragraph"] == 10
    assert "Alexander Gabuev" in data["text"]


@pytest.mark.slow
def test_ask_off_topic(real_pipeline, real_settings: Settings, capsys) -> None:
    argv = ["--index-dir", str(real_settings.index_dir), "ask", "What is the capital of France?"]
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    assert out.strip() == "The article doesn't say."


@pytest.mark.slow
def test_search_lists_passages(real_pipeline, real_settings: Settings, capsys) -> None:
    argv = ["--index-dir", str(real_settings.index_dir), "search", GABUEV, "--k", "2"]
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    ranks = [line for line in out.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(ranks) == 2
    assert "¶10" in ranks[0] and "rerank" in ranks[0] and "dense" in ranks[0]


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.slow
def test_ask_about_a_saved_page(real_pipeline, real_settings: Settings, capsys) -> None:
    argv = ["--index-dir", str(real_settings.index_dir), "ask", "--file"]
    argv += [str(FIXTURES / "news_page.html"), "How many panels will the array have?", "--json"]
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["text"] == "26,000" and data["citations"][0]["paragraph"] == 3
    assert data["citations"][0]["title"].startswith("Millbrook approves")


def test_ask_file_errors_before_loading_models(tmp_path: Path, capsys, monkeypatch) -> None:
    import qa.shared

    monkeypatch.setattr(qa.shared, "get_pipeline", lambda *a: pytest.fail("models loaded"))
    page = tmp_path / "nav.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    code, _, err = run_main(["ask", "--file", str(page), "Who?"], capsys)
    assert code == 2 and "no article text" in err
    code, _, err = run_main(["ask", "--file", str(tmp_path / "missing.txt"), "Who?"], capsys)
    assert code == 2 and "missing.txt" in err


@pytest.mark.slow
def test_ask_one_article_of_a_corpus(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "danube.txt").write_text(
        "Floods close Danube port\n\nHarbour master Ivan Petrenko said ships would wait.",
        encoding="utf-8",
    )
    (corpus / "storm.txt").write_text(
        "Storm hits Odesa\n\nHarbour master Olena Bondar counted forty lost boats.",
        encoding="utf-8",
    )
    base = ["--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), "ask"]
    question = "Who is the harbour master?"
    code, out, _ = run_main([*base, question, "--doc", "storm.txt", "--json"], capsys)
    assert code == 0 and json.loads(out)["citations"][0]["doc_id"] == "storm.txt"
    code, out, _ = run_main([*base, question, "--doc", "danube.txt"], capsys)
    assert out.splitlines()[0] == "Ivan Petrenko [Floods close Danube port ¶2]"
    code, _, err = run_main([*base, question, "--doc", "nope.txt"], capsys)
    assert code == 2 and "no such article" in err and "'danube.txt', 'storm.txt'" in err


def test_global_options_also_follow_the_command() -> None:
    """`qa ask "…" --corpus DIR` was "unrecognized arguments" (issue 18); given before the
    command, a value is not reset by the command's own copy of the flag."""
    parser = build_parser()
    after = settings_from_args(parser.parse_args(["ask", "q", "--corpus", "/tmp/b", "--k", "3"]))
    before = settings_from_args(parser.parse_args(["--corpus", "/tmp/a", "ask", "q"]))
    assert (after.corpus_dir, after.k) == (Path("/tmp/b"), 3)
    assert before.corpus_dir == Path("/tmp/a")
    for command in (["search", "q"], ["index"], ["eval"], ["serve"]):
        args = parser.parse_args([*command, "--vector-store", "milvus"])
        assert settings_from_args(args).vector_store == "milvus"


@pytest.mark.parametrize(("text", "value"), [("false", False), ("0", False), ("yes", True)])
def test_a_boolean_flag_reads_no_as_false(text: str, value: bool) -> None:
    """type=bool made `--allow-private-urls false` turn the guard off."""
    args = build_parser().parse_args(["ask", "q", "--allow-private-urls", text])
    assert settings_from_args(args).allow_private_urls is value


def test_a_boolean_flag_refuses_other_words(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ask", "q", "--allow-private-urls", "maybe"])
    assert "expected yes or no" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_prints_its_address_and_no_share_hint(tmp_path: Path) -> None:
    """Gradio's "To create a public link, set `share=True`" contradicted the app (issue 18)."""
    from ui.serve import free_port

    port = free_port()
    command = [sys.executable, "-m", "qa.cli", "--index-dir", str(tmp_path), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:  # ends when the server exits
            lines.append(line)
            if line.startswith("Serving on"):
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    printed = "".join(lines)
    assert f"Serving on http://127.0.0.1:{port}/ (no share link; reachable from this" in printed
    assert "share=True" not in printed and "public link" not in printed
