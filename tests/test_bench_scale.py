"""The scale benchmark's pure parts: corpora, the vector cache, the report (no models).

One slow test runs ``python -m eval.bench_scale --quick`` on 1k chunks with the real models.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from eval import bench_scale, scale_corpus
from eval.scale_corpus import SourceText, corpus_of_size, synthetic_sources, write_corpus
from qa.documents import load_documents, make_document
from qa.documents.chunking import chunk_documents, make_splitter
from qa.indexing.build import build_index
from qa.settings import Settings

WORDS = "river market council engine harbour festival museum signal winter orchard".split()


def passage(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "."
        for _ in range(sentences)
    )


@pytest.fixture(scope="module")
def real() -> list[SourceText]:
    """Sixty passages of two sources; the SQuAD ones carry a question."""
    rng = random.Random(7)
    sources = []
    for n in range(60):
        source = "squad" if n % 2 else "coqa"
        body = "\n\n".join(passage(rng, rng.randint(3, 12)) for _ in range(rng.randint(1, 3)))
        questions = (f"What about {source} {n}?",) if source == "squad" else ()
        sources.append(
            SourceText(f"{source}/{n:03d}.txt", f"{source} {n}", body, source, questions)
        )
    return sources


@pytest.fixture(scope="module")
def splitter():
    return make_splitter(Settings().chunk_size, Settings().chunk_overlap)


def count_chunks(sources: list[SourceText], splitter) -> int:
    documents = [make_document(s.doc_id, s.text) for s in sources]
    return len(chunk_documents(documents, splitter))


def test_synthetic_articles_are_deterministic_and_distinct(real: list[SourceText]) -> None:
    first = [s for _, s in zip(range(40), synthetic_sources(real, seed=3), strict=False)]
    again = [s for _, s in zip(range(40), synthetic_sources(real, seed=3), strict=False)]
    other = [s for _, s in zip(range(40), synthetic_sources(real, seed=4), strict=False)]
    assert first == again
    assert first != other
    assert len({s.doc_id for s in first}) == len({s.text for s in first}) == 40
    paragraphs = [p for s in first for p in s.body.split("\n\n")]
    real_paragraphs = {p for s in real for p in s.body.split("\n\n")}
    assert len(set(paragraphs)) == len(paragraphs)  # no paragraph repeats another
    assert not set(paragraphs) & real_paragraphs  # nor copies a real one
    assert all(3 <= len(s.body.split("\n\n")) <= 8 for s in first)
    assert all(s.title.startswith("Digest ") and s.source == "synthetic" for s in first)


@pytest.mark.parametrize("target", [100, 250, 600])
def test_sizes_are_hit_within_ten_percent(real: list[SourceText], splitter, target: int) -> None:
    sources, total = corpus_of_size(real, target, splitter, seed=1)
    assert total == count_chunks(sources, splitter)
    assert target <= total <= target * 1.1  # it stops within the last article's chunks
    real_total = count_chunks(real, splitter)
    synthetic = [s for s in sources if s.source == "synthetic"]
    assert bool(synthetic) == (target > real_total)  # real passages first
    assert corpus_of_size(real, target, splitter, seed=1) == (sources, total)


def test_written_corpus_loads_as_the_articles(tmp_path: Path, real: list[SourceText]) -> None:
    folder = tmp_path / "corpus"
    assert write_corpus(folder, real[:5], {"questions": ["q?"]})
    documents = load_documents(folder)
    assert [d.id for d in documents] == sorted(s.doc_id for s in real[:5])
    assert {d.text for d in documents} == {s.text for s in real[:5]}
    assert not write_corpus(folder, real[:5], {})  # already there: kept
    assert write_corpus(folder, real[5:7], {})  # another corpus replaces it entirely
    assert len(load_documents(folder)) == 2
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OSError):
        write_corpus(foreign, real[:2], {})


def test_vector_cache_resumes_and_replays_through_build_index(
    tmp_path: Path, real: list[SourceText], fake_embedder, monkeypatch
) -> None:
    monkeypatch.setattr(scale_corpus, "PART", 16)
    settings = Settings()
    documents = [make_document(s.doc_id, s.text) for s in real[:20]]
    cache = scale_corpus.cached_vectors(tmp_path, documents, settings, fake_embedder, print)
    embedded = fake_embedder.texts
    parts = sorted(tmp_path.glob("vectors/*/part-*.json"))
    assert embedded == len(cache.rows) and len(parts) == -(-embedded // 16)
    parts[1].unlink()  # an interrupted part: only it is embedded again
    again = scale_corpus.cached_vectors(tmp_path, documents, settings, fake_embedder, print)
    assert fake_embedder.texts - embedded == 16
    assert np.array_equal(again.vectors, cache.vectors)
    replay = scale_corpus.MeasuredEmbedder(fake_embedder, cache)
    before = fake_embedder.texts
    index, _ = build_index(documents, settings, replay)
    assert fake_embedder.texts == before and replay.misses == 0  # every chunk replayed
    rows = np.arange(len(index.vectors))
    assert np.allclose(index.vectors.vectors(rows), cache.vectors)
    replay.embed(["a question?"], is_query=True)  # queries are always embedded
    assert fake_embedder.texts == before + 1


def test_vector_bench_compares_flat_and_hnsw() -> None:
    from qa.indexing.vectors.faiss_store import build_store

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    result = scale_corpus.vector_bench(build_store(vectors, "flat"), vectors[:25])
    assert result["recall_queries"] == 25
    assert result["flat_1thread_ms"]["p50"] > 0 and result["flat_search_ms"]["p50"] > 0
    for ef in scale_corpus.EF_SEARCH:
        hnsw = result[f"hnsw_ef{ef}"]
        assert 0.9 <= hnsw["recall_at_10"] <= hnsw["recall_at_10_ties"] <= 1.0
        assert result[f"hnsw_ef{ef}"]["p50"] <= result[f"hnsw_ef{ef}"]["p95"]


def fake_row(chunks: int, cached: bool = False) -> dict:
    timing = {"p50": 1.0, "p95": 2.0}
    return {
        "chunks": chunks,
        "documents": chunks // 4,
        "kind": "hnsw" if cached else "flat",
        "vectors_cached": cached,
        "embed_s": None if cached else chunks / 40,
        "other_build_s": 1.0,
        "cache": {"seconds": chunks / 80} if cached else None,
        "disk_mb": 3.0,
        "rss_mb": 900.0,
        "index_open_s": 0.5,
        "cold_start_s": 6.0,
        "search_ms": timing,
        "answer_ms": timing,
        "flat_search_ms": {"p50": 40.0, "p95": 44.0},
        "flat_1thread_ms": {"p50": chunks / 10_000, "p95": 1.0},
        **{
            f"hnsw_ef{ef}": timing | {"recall_at_10": 0.97, "recall_at_10_ties": 0.99}
            for ef in scale_corpus.EF_SEARCH
        },
    }


def test_table_has_every_column_and_replayed_builds_use_the_real_rate() -> None:
    rows = bench_scale.finish([fake_row(1000), fake_row(10_000), fake_row(100_000, True)])
    assert rows[2]["embed_chunks_per_s"] == pytest.approx(40)  # the 10k build's rate
    assert rows[2]["build_chunks_per_s"] == pytest.approx(100_000 / (1 + 2500))
    lines = bench_scale.render_table(rows).splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == list(bench_scale.HEADERS)
    assert "search p50/p95 ms" in header and "HNSW recall@10 (ef 64/128/256)" in header
    assert len(lines) == 2 + len(rows)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "100,000" in lines[-1] and "*" in lines[-1]  # replayed vectors are flagged
    assert "0.970 / 0.970 / 0.970 (ties 0.990 / 0.990 / 0.990)" in lines[-1]
    assert "40.00 (10.00 on 1 thread) vs 1.00" in lines[-1]
    targets = {t["target"]: t["met"] for t in bench_scale.check_targets(rows)}
    assert targets["indexing >= 150 chunks/s (real embedding)"] is False
    assert targets["search() p50 at 100,000 <= 150 ms"] is True
    assert bench_scale.flat_20ms_rows(rows) == 200_000


def test_report_writes_json_and_plot(tmp_path: Path) -> None:
    rows = bench_scale.finish([fake_row(1000), fake_row(10_000)])
    text = bench_scale.report(rows, tmp_path, "python -m eval.bench_scale --quick")
    assert text.startswith("| chunks |")
    record = json.loads((tmp_path / "bench_scale.json").read_text())
    assert len(record["rows"]) == 2 and record["targets"]
    assert record["command"] == "python -m eval.bench_scale --quick"
    assert (tmp_path / "bench_scale.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_quick_run_end_to_end(tmp_path: Path, capsys) -> None:
    if not (bench_scale.DATA_DIR / "external" / "squad_v1.1_dev.json").is_file():
        pytest.skip("the shared data folder is not here")
    argv = ["--quick", "--sizes", "1000", "--work", str(tmp_path), "--questions", "3"]
    bench_scale.main([*argv, "--recall-queries", "20"])
    out = capsys.readouterr().out
    assert "| chunks |" in out
    row = json.loads((tmp_path / "bench_scale.json").read_text())["rows"][0]
    assert 900 <= row["chunks"] <= 1100 and row["kind"] == "flat"
    assert row["search_ms"]["p50"] > 0 and row["index_open_s"] > 0
    assert (tmp_path / "bench_scale.png").is_file()


def test_training_files_not_in_squad_format_are_skipped(tmp_path: Path, caplog) -> None:
    """train/ holds a CoQA-format file beside the SQuAD ones: its stories have no paragraphs."""
    squad = {"data": [{"title": "T", "paragraphs": [{"context": "A river.", "qas": []}]}]}
    coqa = {"version": "1.0", "data": [{"source": "wikipedia", "id": "x", "story": "S."}]}
    (tmp_path / "quoref_ni.json").write_text(json.dumps(squad), encoding="utf-8")
    (tmp_path / "coqa_wikipedia_gutenberg.json").write_text(json.dumps(coqa), encoding="utf-8")
    assert [s.body for s in scale_corpus.train_sources(tmp_path / "quoref_ni.json")] == ["A river."]
    assert scale_corpus.train_sources(tmp_path / "coqa_wikipedia_gutenberg.json") == []
    assert "not in SQuAD format" in caplog.text
