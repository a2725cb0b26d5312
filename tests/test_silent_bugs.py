"""Regression tests for bugs that gave a wrong result with no error (issue 20). Each failed
before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.documents import document_from_text, load_documents, make_document
from qa.environment import PACKAGE_DIR, PROJECT_ROOT, Environment, default_corpus_dir, index_root
from qa.indexing import build_index, open_index
from qa.settings import FIELDS, INDEX_FIELDS, Settings

SEED = "000_36ba9c20c5f9ac76.txt"


def test_a_pasted_article_with_nbsp_blank_lines_is_numbered_as_a_file_is():
    text = (
        "Harbour reopens\n\u00a0\nThe harbour master spoke.\nShips waited.\n\u00a0\nTrade resumed."
    )
    pasted = document_from_text(text, "a.txt")
    as_file = make_document("a.txt", text)
    assert [p.text for p in pasted.paragraphs] == [p.text for p in as_file.paragraphs]
    assert len(as_file.paragraphs) == 3


def test_two_corpus_folders_of_one_name_get_two_index_folders(tmp_path):
    first = Settings(corpus_dir=tmp_path / "a" / "corpus").resolved_index_dir
    second = Settings(corpus_dir=tmp_path / "b" / "corpus").resolved_index_dir
    assert first != second
    assert first.name.startswith("corpus-") and second.name.startswith("corpus-")


def test_an_index_of_the_old_layout_is_reused_not_re_embedded(corpus_dir, fake_embedder, tmp_path):
    settings = Settings(corpus_dir=corpus_dir)
    documents = load_documents(corpus_dir)
    legacy, folder = tmp_path / "index" / "corpus", tmp_path / "index" / "corpus-0123456789"
    open_index(documents, settings, fake_embedder, legacy)
    _, report = open_index(documents, settings, fake_embedder, folder, legacy=legacy)
    assert report.embedded == 0 and report.reused > 0
    assert (folder / "manifest.json").is_file() and (legacy / "manifest.json").is_file()


def test_an_in_memory_index_never_makes_a_milvus_collection(tmp_path, fake_embedder):
    settings = Settings(vector_store="milvus", milvus_uri=str(tmp_path / "milvus.db"))
    index, _ = build_index(
        [make_document("own.txt", "Title\n\nBody text.")], settings, fake_embedder
    )
    assert index.vectors.kind == "flat"
    assert not (tmp_path / "milvus.db").exists()


def test_a_wheel_install_answers_about_the_shipped_seed_and_indexes_in_a_cache(tmp_path):
    assert default_corpus_dir(PROJECT_ROOT) == PROJECT_ROOT / "seeds"  # a checkout, as now
    site_packages = tmp_path / "site-packages"  # no pyproject.toml, no seeds/ beside qa/
    site_packages.mkdir()
    assert default_corpus_dir(site_packages) == PACKAGE_DIR / "seeds"
    shipped = (PACKAGE_DIR / "seeds" / SEED).read_bytes()
    assert shipped == (PROJECT_ROOT / "seeds" / SEED).read_bytes()
    cache = index_root(site_packages, Environment(cache_home=tmp_path / "cache"))
    assert cache == tmp_path / "cache" / "article-qa" / "index"
    assert index_root(PROJECT_ROOT) == PROJECT_ROOT / "index"


def test_faiss_threads_are_set_once_not_per_call(monkeypatch):
    import faiss

    from qa.indexing.vectors import faiss_store

    calls: list[int] = []
    monkeypatch.setattr(faiss, "omp_set_num_threads", calls.append)
    monkeypatch.setattr(faiss_store, "_threads_set", False)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    for kind in ("flat", "hnsw", "flat"):
        store = faiss_store.build_store(vectors, kind)
        for row in range(5):
            store.search(vectors[row], 3)
    assert calls == [1]


def test_embed_batch_size_is_a_model_setting_not_a_silent_per_call_one():
    assert "embed_batch_size" in INDEX_FIELDS


def test_the_chunk_size_reason_names_the_embedders_real_length():
    manifest = json.loads((PACKAGE_DIR / "models" / "embedder" / "manifest.json").read_text())
    reason = FIELDS["chunk_size"].metadata["reason"]
    assert f"first {manifest['max_length']}" in reason and "256" not in reason


# --- with the real models --------------------------------------------------------------


@pytest.mark.slow
def test_get_pipeline_answers_with_the_callers_per_call_settings(real_pipeline, real_settings):
    from qa import get_pipeline

    chosen = get_pipeline(real_settings.replace(k=3, abstain_threshold=0.99))
    assert chosen.settings.k == 3 and chosen.settings.abstain_threshold == 0.99
    assert len(chosen.search("Who is Theresa Fallon?")) == 3
    assert chosen.answer("Who directs the Carnegie Russia Eurasia Center?").abstained
    assert not real_pipeline.answer("Who directs the Carnegie Russia Eurasia Center?").abstained
    assert get_pipeline(real_settings) is real_pipeline  # the default one is still shared


@pytest.mark.slow
def test_get_pipeline_rebuild_rebuilds_and_batch_size_reaches_the_embedder(tmp_path):
    from qa import get_pipeline

    settings = Settings(index_dir=tmp_path / "index")
    first = get_pipeline(settings)
    rebuilt = get_pipeline(settings, rebuild=True)
    assert rebuilt is not first and not rebuilt.index_report.loaded
    assert rebuilt.index_report.embedded == len(rebuilt.retriever.chunks)
    small = get_pipeline(settings.replace(embed_batch_size=8))
    assert small.models.embedder.batch_size == 8
    with pytest.raises(ValueError, match="embed_batch_size"):
        rebuilt.answer("Who is Theresa Fallon?", embed_batch_size=4)


@pytest.mark.slow
def test_max_history_turns_zero_keeps_no_turn(real_pipeline):
    question, history = "What does she believe?", ["Who is Theresa Fallon?"]
    with_history = real_pipeline.answer(question, history)
    assert with_history.resolved_question == "What does Theresa Fallon believe?"
    alone = real_pipeline.answer(question, history, max_history_turns=0)
    assert alone.resolved_question == question


def test_settings_reasons_scopes_and_bounds_are_declared_once():
    for name, f in FIELDS.items():
        assert f.metadata["reason"], f"{name} has no reason"
        assert f.metadata["scope"] in ("index", "model", "call"), name
    assert Path(Settings().corpus_dir).name == "seeds"
