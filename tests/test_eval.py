"""The evaluation suite: loaders, scoring, failing stages, reports and the runner.

Everything but the last test runs without models, on tiny synthetic SQuAD/CoQA files and
hand-made answers; the last one (marked slow) runs the real pipeline on a few questions.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from eval import external as ext
from eval.datasets import (
    SEED_CORPUS,
    EvalItem,
    load_article_items,
    paragraphs_holding,
    question_type,
    sample,
    shared_data_dir,
    subsample,
)
from eval.plan import Condition, Plan, build_plan
from eval.report import Stamp, summaries_for, write_report
from eval.runner import calls_by_corpus, combined_fingerprint, execute, plain, run
from eval.scoring import (
    article_at_1,
    citation_ranking,
    failing_stage,
    is_correct,
    prob_correct,
    score,
)
from eval.summary import summarize
from eval.tables import corpus_table
from qa.documents import load_documents, make_document
from qa.environment import PROJECT_ROOT
from qa.types import Answer, Citation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- synthetic data ---------------------------------------------------------------------


def squad_json(n_articles: int = 26) -> dict:
    """Articles 1..n of two paragraphs; articles 1 (dev), 25 and 26 (test) hold a question."""
    data = []
    for number in range(1, n_articles + 1):
        paragraphs = [
            {"context": f"Article {number} opens here. The river is {number} km long.", "qas": []},
            {
                "context": f"  Second part of {number}.\n\nIt was founded by Ann {number}. ",
                "qas": [],
            },
        ]
        if number in (1, 25, 26):
            paragraphs[1]["qas"] = [
                {
                    "id": f"q{number}",
                    "question": f"Who founded thing {number}?",
                    "answers": [{"answer_start": 0, "text": f"Ann {number}"}] * 2,
                }
            ]
        data.append({"title": f"Title_{number}", "paragraphs": paragraphs})
    return {"version": "1.1", "data": data}


def coqa_json() -> dict:
    def answer(text: str, span: str, story: str) -> dict:
        start = story.find(span)
        return {
            "input_text": text,
            "span_text": span,
            "span_start": start,
            "span_end": start + len(span),
        }

    blank = "Tom has a red dog.\n\nThe dog is called Rex.\n\nRex likes bones."
    lines = "Mia lives in Oslo.\nShe plays the violin.\nHer sister is Ida."
    flat = "A short story with one paragraph. It ends."
    unknown = {"input_text": "unknown", "span_text": "unknown", "span_start": -1, "span_end": -1}
    stories = [
        (
            blank,
            ["What does Tom have?", "What is it called?", "What is its age?"],
            [
                answer("a dog", "a red dog", blank),
                answer("Rex", "\nThe dog is called Rex.", blank),
                unknown,
            ],
        ),
        (
            lines,
            ["Where does Mia live?", "What does she play?"],
            [answer("Oslo", "Mia lives in Oslo.", lines), answer("violin", "the violin", lines)],
        ),
        (flat, ["How does it end?"], [answer("it ends", "It ends.", flat)]),
    ]
    data = [
        {
            "source": "cnn",
            "id": f"s{i}",
            "story": story,
            "questions": [{"input_text": q, "turn_id": t} for t, q in enumerate(qs, 1)],
            "answers": [{**a, "turn_id": t} for t, a in enumerate(answers, 1)],
        }
        for i, (story, qs, answers) in enumerate(stories)
    ]
    return {"version": "1.0", "data": data}


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "external"
    folder.mkdir()
    (folder / ext.SQUAD_FILE).write_text(json.dumps(squad_json()), encoding="utf-8")
    (folder / ext.COQA_FILE).write_text(json.dumps(coqa_json()), encoding="utf-8")
    monkeypatch.setenv("QA_SHARED_DATA", str(tmp_path))
    return folder


# --- datasets -----------------------------------------------------------------------------


def test_shared_data_dir_honours_the_environment(shared: Path) -> None:
    assert shared_data_dir() == shared


def test_squad_article_is_one_document_with_a_paragraph_per_context(shared: Path) -> None:
    articles = ext.load_squad(shared / ext.SQUAD_FILE)
    assert [a.number for a in articles[:3]] == [1, 2, 3]
    document = ext.squad_document(articles[0])
    assert document.id == "Title_1"
    assert len(document.paragraphs) == 2
    # The blank line inside the second context does not split it.
    assert document.paragraph(2).text == "Second part of 1.\nIt was founded by Ann 1."


def test_squad_items_respect_the_split(shared: Path) -> None:
    articles = ext.load_squad(shared / ext.SQUAD_FILE)
    test = ext.squad_items(articles, "test")
    assert [i.id for i in test] == ["q25", "q26"]
    assert test[0].golds == ("Ann 25",)  # duplicates dropped
    assert test[0].relevant == frozenset({("Title_25", 2)})
    assert test[0].corpus == "squad/25"
    assert [i.id for i in ext.squad_items(articles, "dev")] == ["q1"]
    with pytest.raises(ValueError):
        ext.squad_items(articles, "train")


def test_one_corpus_and_cross_article_negatives(shared: Path) -> None:
    items = ext.squad_items(ext.load_squad(shared / ext.SQUAD_FILE), "test")
    assert {i.corpus for i in ext.one_corpus(items)} == {ext.ONE_CORPUS}
    negatives = ext.cross_article_negatives(items, seed=3, limit=2)
    assert len(negatives) == 2
    for original, negative in zip(items, negatives, strict=True):
        assert negative.corpus != original.corpus
        assert not negative.answerable and not negative.relevant
    assert negatives == ext.cross_article_negatives(items, seed=3, limit=2)  # deterministic
    assert ext.cross_article_negatives(items[:1], seed=3, limit=1) == []  # one article: none


def test_negative_pairs_are_a_derangement() -> None:
    corpora = [f"c{i}" for i in range(7)]
    for seed in range(5):
        pairs = ext.negative_pairs(corpora, seed)
        assert set(pairs) == set(corpora) and all(k != v for k, v in pairs.items())


def test_coqa_turns_carry_history_and_unknown_is_unanswerable(shared: Path) -> None:
    story = ext.load_coqa(shared / ext.COQA_FILE)[0]
    items = ext.coqa_story_items(story)
    assert [i.history for i in items] == [
        (),
        ("What does Tom have?",),
        ("What does Tom have?", "What is it called?"),
    ]
    assert items[0].golds == ("a dog", "a red dog")
    assert items[0].relevant == frozenset({("coqa-s0", 1)})
    assert items[1].relevant == frozenset({("coqa-s0", 2)})  # rationale's leading space trimmed
    assert not items[2].answerable and items[2].qtype == "unanswerable"


def test_coqa_story_without_blank_lines_splits_at_newlines(shared: Path) -> None:
    story = ext.load_coqa(shared / ext.COQA_FILE)[1]
    document, _ = ext.coqa_document(story)
    assert [p.text for p in document.paragraphs] == story.story.split("\n")
    items = ext.coqa_story_items(story)
    assert items[1].relevant == frozenset({("coqa-s1", 2)})  # offsets follow the new text


def test_coqa_sample_takes_whole_dialogues_up_to_the_limit(shared: Path) -> None:
    stories = ext.load_coqa(shared / ext.COQA_FILE)
    items = ext.coqa_items(stories, limit=4, seed=1)
    assert len(items) == 4
    assert items == ext.coqa_items(stories, limit=4, seed=1)
    for item in items:  # the history is always the dialogue's earlier turns
        same = [i for i in items if i.corpus == item.corpus]
        assert item.history == tuple(i.question for i in same[: len(item.history)])
    assert len(ext.coqa_items(stories, None, 1)) == 6
    assert all(not i.history for i in ext.without_history(items))


def test_article_items_use_the_project_paragraph_numbering() -> None:
    documents = load_documents(PROJECT_ROOT / "seeds")
    items = {i.id: i for i in load_article_items(documents)}
    assert len(items) == 114
    doc = documents[0].id
    assert (doc, 10) in items["a01"].relevant or (doc, 1) in items["a01"].relevant
    assert all(not i.relevant for i in items.values() if not i.answerable)


def test_paragraphs_holding_skips_boilerplate() -> None:
    doc = make_document("d", "Title\n\nAnn founded it.\n\nSource link")
    assert paragraphs_holding(["Ann", "Source link"], [doc]) == frozenset({("d", 2)})


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many people live there?", "how many"),
        ("How much did it cost?", "how many"),
        ("Whose idea was it?", "who"),
        ("In what year did it open?", "when"),
        ("The Broncos beat which team?", "which"),
        ("Is it raining?", "yes-no"),
        ("Tell me more.", "other"),
    ],
)
def test_question_type(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_sample_is_seeded_and_keeps_order() -> None:
    items = list(range(100))
    picked = sample(items, 10, seed=5)
    assert picked == sorted(picked) and picked == sample(items, 10, seed=5)
    assert picked != sample(items, 10, seed=6)
    assert sample(items, None, 5) == items and sample(items, 500, 5) == items
    part = subsample(items, 0.2, seed=5)
    assert len(part) == 20 and part == sorted(part) and part != items[:20]
    assert len(subsample(items[:3], 0.2, seed=5)) == 1 and subsample([], 0.2, 5) == []


# --- scoring --------------------------------------------------------------------------------

STAGE_CASES = [
    # answerable, abstained, retrieved_hit, f1, cited_hit -> stage
    (True, False, True, 1.0, True, "ok"),
    (True, False, False, 1.0, True, "retrieval"),
    (True, True, False, 0.0, False, "retrieval"),
    (True, True, True, 0.0, False, "abstention"),
    (True, False, True, 0.4, True, "reading"),
    (True, False, True, 0.5, False, "citation"),
    (False, True, False, 1.0, False, "ok"),
    (False, False, False, 0.0, False, "abstention"),
]


@pytest.mark.parametrize(("answerable", "abstained", "hit", "f1", "cited", "stage"), STAGE_CASES)
def test_failing_stage(
    answerable: bool, abstained: bool, hit: bool, f1: float, cited: bool, stage: str
) -> None:
    got = failing_stage(
        answerable=answerable, abstained=abstained, retrieved_hit=hit, f1=f1, cited_hit=cited
    )
    assert got == stage


def test_correct_and_its_probability() -> None:
    assert is_correct(True, False, 0.5) and not is_correct(True, False, 0.49)
    assert not is_correct(True, True, 1.0)
    assert is_correct(False, True, 0.0) and not is_correct(False, False, 1.0)
    assert prob_correct(0.8, abstained=False) == 0.8
    assert prob_correct(0.8, abstained=True) == pytest.approx(0.2)
    assert prob_correct(1.7, abstained=False) == 1.0  # clipped into [0, 1]


def test_citation_ranking_falls_back_to_retrieved_order() -> None:
    cited = [("d", 3)]
    retrieved = [("d", 1), ("d", 3), ("d", 2)]
    assert citation_ranking(cited, retrieved) == [("d", 3), ("d", 1), ("d", 2)]


def _citation(paragraph: int, doc: str = "d") -> Citation:
    return Citation(doc_id=doc, paragraph=paragraph, text=f"paragraph {paragraph}")


def fake_answer(text: str, cited: list[int], retrieved: list[int], confidence: float) -> Answer:
    return Answer(
        question="q",
        text=text,
        abstained=not text,
        confidence=confidence,
        citations=tuple(_citation(p) for p in cited),
        passages=tuple(_citation(p) for p in retrieved),
        resolved_question="q?",
    )


def item(golds: tuple[str, ...] = ("Ann Lee",), relevant: tuple[int, ...] = (2,)) -> EvalItem:
    return EvalItem(
        id="x1",
        set="article",
        question="Who?",
        golds=golds,
        relevant=frozenset(("d", p) for p in relevant),
        corpus="c",
        qtype="who",
    )


def test_score_a_right_answer_with_a_wrong_first_citation() -> None:
    # Passages 1 and 2 are two chunks of ¶1, then ¶2: the ¶ counts once, so ¶2 ranks second.
    result = score(item(), "cond", fake_answer("Ann Lee", [4, 2], [1, 1, 2, 3], 0.9), 12.0)
    assert (result.em, result.f1) == (1.0, 1.0)
    assert result.retrieved == (("d", 1), ("d", 2), ("d", 3))
    assert (result.recall_at_1, result.recall_at_3, result.rr) == (0.0, 1.0, 0.5)
    assert (result.cite_at_1, result.cite_at_3) == (0.0, 1.0)
    assert result.failing_stage == "citation"
    assert result.correct and result.p_correct == 0.9 and result.latency_ms == 12.0


def test_score_an_abstention_on_an_answerable_question() -> None:
    result = score(item(), "cond", fake_answer("", [], [2], 0.1), 5.0)
    assert result.abstained and result.prediction == "" and result.f1 == 0.0
    assert result.cite_at_1 is None and result.recall_at_1 == 1.0
    assert result.failing_stage == "abstention"
    assert not result.correct and result.p_correct == pytest.approx(0.9)


def test_score_an_unanswerable_question() -> None:
    answered = score(item((), ()), "cond", fake_answer("Bob", [1], [1], 0.7), 5.0)
    assert answered.failing_stage == "abstention" and answered.recall_at_5 is None
    assert answered.f1 == 0.0 and not answered.correct
    abstained = score(item((), ()), "cond", fake_answer("", [], [1], 0.2), 5.0)
    assert abstained.failing_stage == "ok" and abstained.correct


def test_article_at_1_needs_the_article_not_the_paragraph() -> None:
    relevant = frozenset({("d", 2)})
    assert article_at_1([("d", 5), ("e", 2)], relevant) == 1.0  # right article, wrong ¶
    assert article_at_1([("e", 2), ("d", 2)], relevant) == 0.0  # only the first counts
    assert article_at_1([], relevant) == 0.0 and article_at_1([("d", 2)], frozenset()) == 0.0


def test_score_article_at_1_in_a_corpus_of_several_articles() -> None:
    answer = replace(
        fake_answer("Ann Lee", [], [], 0.9),
        citations=(_citation(7, "d"),),
        passages=(_citation(2, "e"), _citation(2, "d")),
    )
    result = score(item(), "cond", answer, 1.0)
    assert (result.article_at_1, result.cite_at_1) == (1.0, 0.0)
    assert result.retrieved_article_at_1 == 0.0 and result.recall_at_3 == 1.0
    abstained = score(item(), "cond", replace(answer, text="", abstained=True), 1.0)
    assert abstained.article_at_1 is None and abstained.retrieved_article_at_1 == 0.0
    unanswerable = score(item((), ()), "cond", answer, 1.0)
    assert unanswerable.article_at_1 is None and unanswerable.retrieved_article_at_1 is None


# --- summaries and reports -------------------------------------------------------------------


def fake_results() -> list:
    return [
        score(item(), "main", fake_answer("Ann Lee", [2], [2, 1], 0.9), 10.0),
        score(item(), "main", fake_answer("Bob", [1], [1, 2], 0.6), 20.0),
        score(replace(item(), id="x2"), "main", fake_answer("", [], [3], 0.1), 30.0),
        score(replace(item((), ()), id="u1"), "main", fake_answer("", [], [1], 0.2), 40.0),
    ]


def test_summarize_fake_results() -> None:
    summary = summarize("main", fake_results())
    assert (summary.n, summary.n_answerable, summary.n_unanswerable) == (4, 3, 1)
    assert summary.em == pytest.approx(1 / 3) and summary.f1 == pytest.approx(1 / 3)
    assert summary.cite_at_1 == pytest.approx(0.5)  # answered answerable only
    assert summary.recall_at_1 == pytest.approx(1 / 3) and summary.mrr == pytest.approx(0.5)
    assert summary.abstention_precision == 0.5 and summary.abstention_recall == 1.0
    assert summary.false_abstention_rate == pytest.approx(1 / 3)
    assert summary.latency_p50 == 25.0
    assert summary.stages == {"ok": 2, "retrieval": 1, "abstention": 0, "reading": 1, "citation": 0}
    # p(correct) = 0.9, 0.6, 0.9, 0.8 against correct = 1, 0, 0, 1
    assert summary.brier == pytest.approx((0.01 + 0.36 + 0.81 + 0.04) / 4)
    assert 0.0 <= summary.ece <= 1.0
    assert summary.curve[0].coverage == 0.5  # two of four questions were answered
    assert summary.f1_by_type == {"who": pytest.approx(1 / 3)}  # answerable questions only
    assert summary.article_at_1 == 1.0  # both answers cite article "d", one the wrong ¶
    assert summary.retrieved_article_at_1 == 1.0


def fake_stamp() -> Stamp:
    return Stamp(
        date="2024-01-01T00:00:00+00:00",
        commit="abc123",
        dirty=False,
        fingerprint="f00d",
        fingerprints={"c": "f00d"},
        settings=plain({"corpus_dir": PROJECT_ROOT, "k": 5}),
        models={"embedding_model": "e", "reranker_model": "r", "reader_model": None},
        samples=["fake: four hand-made results"],
        notes=[],
        command="qa eval --set article",
        wall_s=1.0,
        build_s=0.5,
    )


def test_write_report_on_fake_results(tmp_path: Path) -> None:
    results = fake_results()
    plan = Plan(conditions=[Condition("main", "article", "primary", "fake", ())])
    rows = summaries_for(plan, results)
    paths = write_report(tmp_path / "out", fake_stamp(), plan, rows, results)
    report = paths["report.md"].read_text(encoding="utf-8")
    assert report.index("## Summary") < report.index("## Per-question results")
    for needle in ("abc123", "f00d", "fake: four hand-made results", '"k": 5', "citation"):
        assert needle in report
    lines = paths["results.jsonl"].read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4 and records[0]["cited"] == [["d", 2]]
    required = "id set question history gold prediction cited retrieved em f1 abstained"
    required += " confidence latency_ms failing_stage"
    assert set(required.split()) <= set(records[0])
    assert paths["chart.png"].read_bytes()[:8] == PNG_MAGIC
    assert json.loads(paths["summary.json"].read_text())["rows"][0]["n"] == 4


def test_write_report_with_nothing_evaluated(tmp_path: Path) -> None:
    paths = write_report(tmp_path, fake_stamp(), Plan(), [], [])
    assert "chart.png" not in paths and paths["report.md"].is_file()


def test_combined_fingerprint() -> None:
    assert combined_fingerprint({"a": "123"}) == "123"
    assert combined_fingerprint({"a": "1", "b": "2"}) == combined_fingerprint({"b": "2", "a": "1"})
    assert len(combined_fingerprint({"a": "1", "b": "2"})) == 12


# --- plans and the runner (fake pipelines, no models) ----------------------------------------


class FakePipeline:
    """Answers "Ann N" from ¶2 when its corpus has one, else abstains; counts its calls."""

    built: ClassVar[list[str]] = []

    def __init__(self, key: str, documents) -> None:
        FakePipeline.built.append(key)
        self.documents = documents or []
        self.settings = SimpleNamespace(embedding_model="e", reranker_model="r", reader_model=None)
        self.manifest = SimpleNamespace(fingerprint=f"fp-{key}")
        self.calls: list[tuple] = []

    def answer(self, question: str, history=None, **overrides) -> Answer:
        self.calls.append((question, history, overrides))
        passages = [
            Citation(doc.id, p.number, p.text) for doc in self.documents for p in doc.paragraphs
        ]
        hits = [c for c in passages if "Ann" in c.text and question.split()[-1][:-1] in c.text]
        if not hits:
            return Answer(question, "", True, 0.1, passages=tuple(passages))
        text = hits[0].text[hits[0].text.index("Ann") :].rstrip(".")
        return Answer(question, text, False, 0.8, (hits[0],), passages=tuple(hits + passages))


@pytest.fixture
def fake_factory():
    FakePipeline.built = []
    return FakePipeline


def test_squad_plan_builds_only_the_sampled_articles(shared: Path) -> None:
    plan = build_plan("squad", limit=None, seed=1, ablations=True)
    names = [c.name for c in plan.conditions]
    assert names[:3] == ["squad/per-article", "squad/one-corpus", "squad/negatives"]
    assert "squad/per-article · baseline" in names and "squad/per-article · dense" in names
    assert "squad/per-article · hybrid+rerank" not in names  # that is the primary itself
    assert "squad/per-article · hybrid+reader" in names  # one pass (the shipped reader ranks)
    assert set(plan.corpora) == {"squad/25", "squad/26", ext.ONE_CORPUS}
    assert len(plan.corpora[ext.ONE_CORPUS]) == 26
    assert "test split" in plan.samples[0]
    baseline = next(c for c in plan.conditions if c.role == "baseline")
    assert baseline.overrides == {"reader": "sentence", "retrieval": "hybrid+rerank"}


def test_the_ablations_are_the_settings_other_choices() -> None:
    """One per retrieval variant but the default, one per reader but the default and the
    baseline, in the settings' order: a new choice is ablated without a second list."""
    from eval.conditions import Condition, companions
    from qa.settings import choices

    primary = Condition("p", "squad", "primary", "", ())
    made = companions(primary, [], ablations=True)
    two_pass = {"retrieval": "hybrid+rerank"}  # the earlier readers have no relevance head
    assert [c.overrides for c in made] == [
        {"reader": "sentence", **two_pass},
        *({"retrieval": v} for v in choices("retrieval") if v != "hybrid+rerank"),
        {"reader": "span", **two_pass},
    ]
    assert [c.name for c in made] == [
        "p · baseline", "p · dense", "p · bm25", "p · hybrid", "p · hybrid+reader",
        "p · span reader",
    ]  # fmt: skip
    assert companions(primary, [], ablations=False) == made[:1]


def test_squad_dev_split_is_for_tuning(shared: Path) -> None:
    plan = build_plan("squad", limit=None, seed=1, ablations=False, split="dev")
    primary = plan.conditions[0]
    assert [i.id for i in primary.items] == ["q1"] and "dev split" in plan.samples[0]
    assert not next(c for c in plan.conditions if c.name == "squad/negatives").items


def test_missing_external_data_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_SHARED_DATA", str(tmp_path / "absent"))
    plan = build_plan("coqa", limit=5, seed=1, ablations=False)
    assert not plan.conditions and "skipped" in plan.notes[0]


def test_calls_are_grouped_by_corpus(shared: Path) -> None:
    plan = build_plan("squad", limit=None, seed=1, ablations=False)
    groups = calls_by_corpus(plan)
    assert set(groups) == set(plan.corpora)
    positions = sorted(p for calls in groups.values() for p, _, _ in calls)
    assert positions == list(range(sum(len(c.items) for c in plan.conditions)))


def test_execute_builds_each_corpus_once_and_keeps_plan_order(shared: Path, fake_factory) -> None:
    plan = build_plan("squad", limit=None, seed=1, ablations=False)
    results, info = execute(plan, fake_factory, progress=False)
    assert sorted(fake_factory.built) == sorted(plan.corpora)
    assert [r.condition for r in results] == [c.name for c in plan.conditions for _ in c.items]
    by_name = {(r.condition, r.id): r for r in results}
    assert by_name[("squad/per-article", "q25")].f1 == 1.0
    assert by_name[("squad/per-article", "q25")].failing_stage == "ok"
    assert all(r.abstained for r in results if r.condition == "squad/negatives")
    assert info.fingerprints["squad/25"] == "fp-squad/25"


def test_run_writes_a_report_for_coqa(shared: Path, fake_factory, tmp_path: Path) -> None:
    args = argparse.Namespace(
        set="coqa", limit=None, seed=2, out=str(tmp_path / "r"), ablations=False
    )
    out, text = run(args, fake_factory, progress=False)
    assert "coqa/history" in text and "coqa/no-history" in text
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 6 * 2 + 2  # with and without history, plus the baseline's 20 %
    histories = {r["id"]: r["history"] for r in records if r["condition"] == "coqa/history"}
    assert histories["s0#3"] == ["What does Tom have?", "What is it called?"]
    assert sorted(fake_factory.built) == sorted(set(fake_factory.built))  # each story built once
    assert (out / "report.md").read_text().count("coqa/history") >= 2


def test_spread_is_even_within_sizes_and_seeded() -> None:
    assert ext.spread([5, 5, 5], 6, seed=1) == [2, 2, 2]
    assert ext.spread([1, 9, 9], 9, seed=1) == [1, 4, 4]  # a short group's share goes on
    assert sorted(ext.spread([4, 4, 4], 4, seed=1)) == [1, 1, 2]
    assert ext.spread([2, 3], 50, seed=1) == [2, 3] and ext.spread([2, 3], 0, seed=1) == [0, 0]
    assert ext.spread([9] * 10, 13, seed=2) == ext.spread([9] * 10, 13, seed=2)


def test_coqa_turn_sample_reaches_every_story_with_whole_histories(shared: Path) -> None:
    stories = ext.load_coqa(shared / ext.COQA_FILE)
    items = ext.coqa_turn_sample(stories, limit=3, seed=4)
    assert sorted(i.corpus for i in items) == ["coqa/s0", "coqa/s1", "coqa/s2"]
    for i in items:  # a sampled turn still carries every earlier question of its dialogue
        story = next(s for s in stories if f"coqa/{s.id}" == i.corpus)
        assert i.history == story.questions[: len(i.history)]
        assert i.question == story.questions[len(i.history)]
    assert items == ext.coqa_turn_sample(stories, limit=3, seed=4)
    assert len(ext.coqa_turn_sample(stories, None, 4)) == 6


def test_corpus_plan_asks_the_same_items_of_one_index_and_per_article(shared: Path) -> None:
    coqa = coqa_json()
    coqa["data"][2]["source"] = "race"  # not a CNN story: neither asked nor indexed
    (shared / ext.COQA_FILE).write_text(json.dumps(coqa), encoding="utf-8")
    plan = build_plan("corpus", limit=None, seed=1, ablations=False)
    names = [c.name for c in plan.conditions]
    assert names == [
        "corpus/squad/one-corpus",
        "corpus/squad/per-article",
        "corpus/cnn/one-corpus",
        "corpus/cnn/per-article",
    ]
    by_name = {c.name: c for c in plan.conditions}
    for name in ("squad", "cnn"):
        whole, alone = by_name[f"corpus/{name}/one-corpus"], by_name[f"corpus/{name}/per-article"]
        assert [replace(i, corpus="") for i in whole.items] == [
            replace(i, corpus="") for i in alone.items
        ]
        assert whole.compare_to == alone.name and whole.set == alone.set == "corpus"
    assert {i.corpus for i in by_name["corpus/cnn/one-corpus"].items} == {ext.CNN_CORPUS}
    assert [i.id for i in by_name["corpus/squad/per-article"].items] == ["q25", "q26"]
    assert len(plan.corpora[ext.ONE_CORPUS]) == 26  # dev articles too, as distractors
    assert [d.id for d in plan.corpora[ext.CNN_CORPUS]] == ["coqa-s0", "coqa-s1"]
    assert set(plan.corpora) == {
        "squad/25",
        "squad/26",
        ext.ONE_CORPUS,
        "coqa/s0",
        "coqa/s1",
        ext.CNN_CORPUS,
    }
    assert len(build_plan("corpus", limit=1, seed=1, ablations=False).conditions[0].items) == 1


def test_corpus_is_not_part_of_all_and_unknown_sets_are_refused(shared: Path) -> None:
    assert not any(c.set == "corpus" for c in build_plan("all", 2, 1, False).conditions)
    with pytest.raises(ValueError, match="corpus"):
        build_plan("nonsense", None, 1, False)


def test_run_reports_one_corpus_against_per_article(
    shared: Path, fake_factory, tmp_path: Path
) -> None:
    args = argparse.Namespace(
        set="corpus", limit=None, seed=2, out=str(tmp_path / "r"), ablations=False
    )
    out, text = run(args, fake_factory, progress=False)
    assert "One corpus vs per article" in (out / "report.md").read_text()
    assert "corpus/cnn/per-article" in text
    rows = {r["label"]: r for r in json.loads((out / "summary.json").read_text())["rows"]}
    squad = rows["corpus/squad/one-corpus"]
    assert (squad["n"], squad["article_at_1"], squad["cite_at_1"], squad["f1"]) == (2, 1, 1, 1)
    assert rows["corpus/cnn/one-corpus"]["abstention_rate"] == 1.0  # the fake finds no "Ann"
    assert ext.CNN_CORPUS in fake_factory.built and "coqa/s2" in fake_factory.built


def test_the_stamp_names_the_commit_the_run_started_on(
    shared: Path, fake_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heads = iter([("before", False), ("after", True)])  # HEAD moves during a long run
    monkeypatch.setattr("eval.runner.git_commit", lambda: next(heads))
    args = argparse.Namespace(set="coqa", limit=2, seed=2, out=str(tmp_path), ablations=False)
    out, _ = run(args, fake_factory, progress=False)
    stamp = json.loads((out / "summary.json").read_text())["stamp"]
    assert (stamp["commit"], stamp["dirty"]) == ("before", False)


def test_corpus_table_only_for_the_corpus_set() -> None:
    plan = Plan(conditions=[Condition("main", "article", "primary", "fake", ())])
    assert corpus_table(summaries_for(plan, fake_results())) == ""
    corpus = Plan(conditions=[Condition("main", "corpus", "primary", "fake", ())])
    lines = corpus_table(summaries_for(corpus, fake_results())).splitlines()
    assert "article@1" in lines[0] and lines[2].startswith("| main | 4 | 3 | 1.000 |")


# --- the real pipeline ----------------------------------------------------------------------


def _in_unit_interval(value: float | None) -> bool:
    return value is None or (0.0 <= value <= 1.0 and not math.isnan(value))


@pytest.mark.slow
def test_runner_smoke_on_article_questions(tmp_path: Path) -> None:
    args = argparse.Namespace(set="article", limit=5, seed=13, out=str(tmp_path), ablations=False)
    out, _ = run(args, progress=False)
    for name in ("report.md", "results.jsonl", "chart.png", "summary.json"):
        assert (out / name).is_file(), name
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 10  # five questions, under the default reader and the baseline
    for record in records:
        assert record["failing_stage"] in {"ok", "retrieval", "reading", "abstention", "citation"}
        assert all(_in_unit_interval(record[k]) for k in ("em", "f1", "confidence", "rr"))
        assert record["latency_ms"] > 0
        assert all(doc == "000_36ba9c20c5f9ac76.txt" for doc, _ in record["retrieved"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stamp"]["fingerprint"] and summary["stamp"]["commit"]
    for row in summary["rows"]:
        for key in ("em", "f1", "cite_at_1", "cite_at_3", "recall_at_5", "mrr", "brier", "ece"):
            assert _in_unit_interval(row[key]), (row["label"], key)
    assert (out / "chart.png").read_bytes()[:8] == PNG_MAGIC
    assert SEED_CORPUS in summary["stamp"]["fingerprints"]


def test_coqa_domain_keeps_only_that_source(shared: Path) -> None:
    data = coqa_json()
    data["data"][2]["source"] = "race"
    (shared / ext.COQA_FILE).write_text(json.dumps(data), encoding="utf-8")
    cnn = build_plan("coqa", limit=None, seed=1, ablations=False, domain="cnn")
    assert {i.corpus for i in cnn.conditions[0].items} == {"coqa/s0", "coqa/s1"}
    assert "cnn dialogues" in cnn.samples[0]
    race = build_plan("coqa", limit=None, seed=1, ablations=False, domain="race")
    assert {i.corpus for i in race.conditions[0].items} == {"coqa/s2"}
    with pytest.raises(ValueError, match="unknown CoQA domain 'news'; choose from cnn, race"):
        build_plan("coqa", limit=None, seed=1, ablations=False, domain="news")


def test_qa_eval_answers_with_the_setting_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    """`qa --reader-model DIR eval` and `qa eval --retrieval …` evaluated the defaults."""
    import eval.runner as runner
    from qa.cli import build_parser

    seen: list = []

    class Stop(Exception):
        pass

    def factory_for(settings):
        seen.append(settings)

        def build(key, documents):
            raise Stop

        return build

    monkeypatch.setattr(runner, "factory_for", factory_for)
    argv = ["--reader-model", "/tmp/r", "eval", "--set", "article", "--retrieval", "dense"]
    with pytest.raises(Stop):
        runner.run(build_parser().parse_args(argv), progress=False)
    assert (seen[0].reader_model, seen[0].retrieval) == ("/tmp/r", "dense")


class RejectingPipeline(FakePipeline):
    """Refuses every call with per-call settings, as a pipeline does for an invalid setting."""

    def answer(self, question: str, history=None, **overrides) -> Answer:
        if overrides:
            raise ValueError("setting retrieval='hybrid+reader' needs reader='neural' (one pass)")
        return super().answer(question, history, **overrides)


def test_questions_refused_with_an_error_are_named_in_the_report(
    shared: Path, tmp_path: Path
) -> None:
    """A condition whose every question raised scored as all abstentions and said nothing."""
    args = argparse.Namespace(
        set="coqa", limit=None, seed=2, out=str(tmp_path / "r"), ablations=False
    )
    out, text = run(args, RejectingPipeline, progress=False)
    note = "coqa/history · baseline: 2 of 2 questions were refused with an error"
    assert note in text
    report = (out / "report.md").read_text()
    assert note in report and "needs reader='neural'" in report
    assert "coqa/history:" not in text  # the primary condition answered: no note for it


@pytest.fixture
def nyt(shared: Path) -> Path:
    """A NYT file of the fixture's SQuAD articles, where the NYT set reads it."""
    from eval.nyt import NYT_FILE

    path = shared.parent / NYT_FILE
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(squad_json()), encoding="utf-8")
    return path


def test_the_nyt_set_asks_only_held_out_articles(nyt: Path, fake_factory) -> None:
    """Per article, one corpus of every article of the file, and negatives of another held-out
    article; an article the reader was trained on is in the corpus but never asked about."""
    from eval.nyt import ONE_CORPUS, nyt_plan

    plan = nyt_plan(limit=None, seed=1, held={25, 26})
    by_name = {c.name: c for c in plan.conditions}
    assert [c.name for c in plan.conditions] == [
        "nyt/per-article",
        "nyt/one-corpus",
        "nyt/negatives",
    ]
    assert [i.id for i in by_name["nyt/per-article"].items] == ["q25", "q26"]  # not q1: trained on
    assert {i.corpus for i in by_name["nyt/one-corpus"].items} == {ONE_CORPUS}
    assert len(plan.corpora[ONE_CORPUS]) == len(ext.load_squad(nyt))  # every article
    negative = by_name["nyt/negatives"].items[0]
    assert negative.golds == () and negative.corpus in {"nyt/025", "nyt/026"}
    assert set(plan.corpora) == {"nyt/025", "nyt/026", ONE_CORPUS}
    results, _ = execute(plan, fake_factory, progress=False)
    per_article = [r for r in results if r.condition == "nyt/per-article"]
    assert [r.f1 for r in per_article] == [1.0, 1.0]
    assert all(r.abstained for r in results if r.condition == "nyt/negatives")


def test_the_nyt_set_asks_the_articles_training_held_out(nyt: Path) -> None:
    """train.data numbers articles from 0, the eval's SquadArticle from 1: the set must ask
    exactly the questions that training held out."""
    from eval.nyt import nyt_plan
    from train.data import held_out_articles, read_squad

    examples = [ex for group in read_squad(nyt, "nyt") for ex in group]
    held = held_out_articles(examples)
    expected = sorted(ex.id for ex in examples if ex.article in held)
    assert expected  # the fixture's questions are in held-out articles too
    plan = nyt_plan(limit=None, seed=1)
    assert sorted(i.id for i in plan.conditions[0].items) == expected


def test_a_run_records_its_settings_as_strict_json() -> None:
    """rerank_exit_score's default is inf, which json.dumps would write as Infinity (jq and
    JSON.parse refuse it): the summary writes "inf"."""
    from eval.runner import settings_dict
    from qa.settings import Settings

    recorded = settings_dict(Settings())
    assert recorded["rerank_exit_score"] == "inf"
    json.dumps(recorded, allow_nan=False)
    assert plain({"x": [float("-inf"), 1.5]}) == {"x": ["-inf", 1.5]}
