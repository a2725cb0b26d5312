"""The whole pipeline with the packaged models over the seed article (all ``slow``).

The models load once per session into a temporary index folder (see conftest.py). How
answers are composed from candidates is left to the composer's own unit tests: it is being
reworked, and these tests hold to the public behaviour only.
"""

from __future__ import annotations

import json
import os

import pytest

import qa
from qa.indexing.folder import BM25_DIR, CHUNKS_FILE, FAISS_FILE, MANIFEST_FILE
from qa.settings import Settings
from qa.types import ABSTAIN_MESSAGE, Answer

# --- the real pipeline (slow) -------------------------------------------------------

GABUEV = "Who directs the Carnegie Russia Eurasia Center?"

ABOUT_THE_ARTICLE = [
    (GABUEV, 10, "Alexander Gabuev"),
    ("What did Xi Jinping propose as a blueprint for peace?", 6, None),
    ("What deal did Putin end?", 7, None),
    ("Whose decision to end the grain deal through the Black Sea caused food problems?", 7, None),
    ("Which military exercise of the year did China and Russia recently conduct?", 8, None),
    ("Who is Theresa Fallon?", 8, None),
    ("Who founded the Center for China and Globalization?", 6, None),
    ("Which Russian official did Wang Yi speak with by phone?", 5, None),
    ("Where does Theresa Fallon work?", 8, None),
]
# Only the brief's headline answer is checked word for word; the others check that the
# question is answered, from the right paragraph, with exact offsets. Span quality is
# measured by the evaluation suite, not pinned here.


def assert_answer_is_traceable(answer: Answer, pipeline) -> None:
    """Every citation locates the answer inside the whole cited paragraph of the article."""
    if answer.abstained:
        assert answer.text == "" and answer.citations == ()
        return
    assert answer.text and answer.citations
    assert 0.0 <= answer.confidence <= 1.0
    for citation in answer.citations:
        paragraph = pipeline.documents[citation.doc_id].paragraph(citation.paragraph)
        assert citation.text == paragraph.text
        assert not paragraph.boilerplate
        assert citation.text[citation.start : citation.end] == answer.text
    first = answer.citations[0]
    assert answer.evidence and answer.evidence in first.text
    assert answer.text in answer.evidence


@pytest.mark.slow
@pytest.mark.parametrize(("question", "paragraph", "words"), ABOUT_THE_ARTICLE)
def test_answers_cite_the_right_paragraph(real_pipeline, question, paragraph, words) -> None:
    answer = real_pipeline.answer(question)
    assert not answer.abstained, question
    assert answer.citations[0].paragraph == paragraph
    if words:
        assert words in answer.text
    assert_answer_is_traceable(answer, real_pipeline)


@pytest.mark.slow
def test_gabuev_answer_renders_with_its_citation(real_pipeline) -> None:
    answer = real_pipeline.answer(GABUEV)
    assert "Alexander Gabuev" in answer.text
    assert str(answer).endswith("[¶10]")
    assert str(answer) == f"{answer.text} [¶10]"
    assert answer.resolved_question == GABUEV
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["rendered"] == str(answer)
    assert data["citations"][0]["paragraph"] == 10
    assert data["abstained"] is False


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    ["What is the capital of France?", "How do I bake sourdough bread at home?"],
)
def test_off_topic_question_abstains(real_pipeline, question: str) -> None:
    answer = real_pipeline.answer(question)
    assert answer.abstained is True
    assert answer.text == "" and answer.citations == ()
    assert str(answer) == "The article doesn't say." == ABSTAIN_MESSAGE
    assert 0.0 <= answer.confidence < 0.5
    json.dumps(answer.to_dict())


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "Who directs the Carnegie Russia Eurasia Center? 🤔",
        "🇨🇳🇷🇺❓",
        "¿Quién dirige el Centro Carnegie Rusia Eurasia?",
        "卡内基俄罗斯欧亚中心的主任是谁？",
        "Что думает Александр Габуев?",
        "Wer ist Theresa Fallon?",
    ],
)
def test_emoji_and_non_english_questions(real_pipeline, question: str) -> None:
    answer = real_pipeline.answer(question)
    assert isinstance(answer, Answer)
    assert_answer_is_traceable(answer, real_pipeline)
    json.dumps(answer.to_dict(), ensure_ascii=False)


@pytest.mark.slow
def test_follow_up_with_history_is_answered(real_pipeline) -> None:
    answer = real_pipeline.answer("What does he believe?", history=[GABUEV])
    assert_answer_is_traceable(answer, real_pipeline)
    assert answer.question == "What does he believe?"
    # "he" is the earlier question's answer, not a name in it.
    assert answer.resolved_question == "What does Alexander Gabuev believe?"


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["", "   ", "x" * 2001])
def test_bad_question_raises_clear_error(real_pipeline, bad: str) -> None:
    with pytest.raises(ValueError, match="question"):
        real_pipeline.answer(bad)
    with pytest.raises(ValueError, match="question"):
        real_pipeline.search(bad)


@pytest.mark.slow
def test_search_scores_every_stage(real_pipeline) -> None:
    passages = real_pipeline.search(GABUEV, k=3)
    assert len(passages) == 3
    # With the early exit on, ¶10's clear score leaves the passages after the first 2 unscored.
    exited = real_pipeline.search(GABUEV, k=3, rerank_exit_score=6.0)
    assert exited[0].chunk == passages[0].chunk and exited[-1].rerank_score is None
    assert passages[0].chunk.paragraph == 10
    assert str(passages[0].citation()) == "[¶10]"
    chunk_count = len(real_pipeline.retriever.chunks)
    for p in passages:
        assert 0 <= p.chunk.id < chunk_count
        assert p.dense_score is not None and -1.0 <= p.dense_score <= 1.0
        assert p.bm25_score is None or p.bm25_score > 0
        assert p.fused_score > 0
        assert p.rerank_score is not None and p.score == p.rerank_score
        paragraph = real_pipeline.documents[p.chunk.doc_id].paragraph(p.chunk.paragraph)
        assert p.paragraph_text == paragraph.text
        assert p.citation().text == paragraph.text
    assert passages[0].bm25_score is not None  # "Carnegie" and "Eurasia" match lexically
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.slow
def test_search_k_larger_than_the_index(real_pipeline) -> None:
    chunk_count = len(real_pipeline.retriever.chunks)
    passages = real_pipeline.search("China and Russia", k=100)
    assert chunk_count < 100
    ids = [p.chunk.id for p in passages]
    assert len(ids) == len(set(ids)) <= chunk_count
    assert all(0 <= i < chunk_count for i in ids)  # never a FAISS -1 padding row
    assert len(ids) >= min(chunk_count, real_pipeline.settings.candidates)


@pytest.mark.slow
def test_public_functions_share_the_pipeline(real_pipeline, real_settings: Settings) -> None:
    answer = qa.answer(GABUEV, index_dir=real_settings.index_dir)
    assert "Alexander Gabuev" in answer.text and answer.citations[0].paragraph == 10
    passages = qa.search(GABUEV, k=2, index_dir=real_settings.index_dir)
    assert len(passages) == 2 and passages[0].chunk.paragraph == 10
    assert qa.get_pipeline(real_settings) is real_pipeline
    with pytest.raises(ValueError, match="unknown setting"):
        qa.answer(GABUEV, index_dir=real_settings.index_dir, no_such_setting=1)


@pytest.mark.slow
def test_persisted_index_folder(real_pipeline, real_settings: Settings) -> None:
    folder = real_settings.resolved_index_dir
    assert sorted(os.listdir(folder)) == sorted([FAISS_FILE, CHUNKS_FILE, BM25_DIR, MANIFEST_FILE])
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["embedding_model"] == real_settings.embedding_model
    assert manifest["dimension"] == 384
    assert manifest["chunk_count"] == len(real_pipeline.retriever.chunks)
    assert list(manifest["files"]) == ["000_36ba9c20c5f9ac76.txt"]
    stamp = real_pipeline.manifest
    assert stamp.corpus_sha256 == manifest["corpus_sha256"]  # the manifest the pipeline reports
    assert len(stamp.fingerprint) == 12


@pytest.mark.slow
def test_a_pool_of_two_answers_concurrently_as_one_does_serially(real_settings):
    from concurrent.futures import ThreadPoolExecutor

    from qa.pool import PipelinePool

    questions = [
        "Who directs the Carnegie Russia Eurasia Center?",
        "Which country hosted the Ukraine talks?",
        "Where is the Centre for Russia Europe Asia Studies based?",
        "Who founded the Center for China and Globalization?",
    ] * 2
    pool = PipelinePool(real_settings, size=2)
    assert pool.size == 2 and pool.replicas[0] is not pool.replicas[1]
    assert all(r.settings.onnx_threads == 1 for r in pool.replicas)
    serial = [pool.replicas[0].answer(q).to_dict() for q in questions]
    with ThreadPoolExecutor(4) as threads:
        together = list(threads.map(lambda q: pool.answer(q).to_dict(), questions))
    assert together == serial


@pytest.mark.slow
def test_answer_about_text_shares_the_models_and_cites_the_text(real_settings) -> None:
    from qa import answer, get_pipeline

    text = "Floods close Danube port\n\nHarbour master Ivan Petrenko said ships would wait."
    first = answer("Who is the harbour master?", text=text, index_dir=real_settings.index_dir)
    assert first.text == "Ivan Petrenko" and str(first) == "Ivan Petrenko [¶2]"
    c = first.citations[0]
    assert c.doc_id == "pasted article" and c.text[c.start : c.end] == "Ivan Petrenko"
    again = answer("Who is the harbour master?", text=text, index_dir=real_settings.index_dir)
    assert again == first
    base = get_pipeline(real_settings)
    assert base.documents.keys() == {"000_36ba9c20c5f9ac76.txt"}  # the corpus is untouched
    with pytest.raises(ValueError, match="empty"):
        answer("Who?", text="   ", index_dir=real_settings.index_dir)


@pytest.mark.slow
def test_a_follow_up_stays_on_the_article_of_its_conversation(tmp_path) -> None:
    """The same vague follow-up gets each conversation's own article's answer."""
    from qa import Pipeline, Settings

    corpus = tmp_path / "ports"
    corpus.mkdir()
    (corpus / "izmail.txt").write_text(
        "Floods close Danube port\n\nThe port of Izmail closed on Monday after floods hit "
        "the Danube delta.\n\nHarbour master Ivan Petrenko said ships would wait for three days.",
        encoding="utf-8",
    )
    (corpus / "gdansk.txt").write_text(
        "Strike closes Baltic port\n\nThe port of Gdansk closed on Friday after dockers "
        "walked out over pay.\n\nUnion leader Anna Nowak said the strike would last a week.",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "idx")
    pipeline = Pipeline.from_settings(settings)
    follow_up = "On which day did the port close?"
    for opening, day, article in (
        ("Why did the port of Izmail stop working?", "Monday", "izmail.txt"),
        ("Why did the port of Gdansk stop working?", "Friday", "gdansk.txt"),
    ):
        result = pipeline.answer(follow_up, [opening])
        assert result.text == day and result.citations[0].doc_id == article
    # Asked on its own, the same question is not pinned to either article.
    alone = pipeline.answer(follow_up)
    assert alone.multi_article and alone.citations[0].doc_id in ("izmail.txt", "gdansk.txt")
