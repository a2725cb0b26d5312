"""train.calibrate's case cache: the cases are kept with the mode and model they were read
with, and a fit in one mode never takes cases read in another as its own."""

from __future__ import annotations

import json

import pytest

from qa.checksums import file_sha256
from qa.settings import Settings
from train import calibrate
from train.calibration_cases import Case

CASE = Case("squad", "positive", ["Ann Lee"], [("Ann Lee", {"span_logp": -1.0})])


@pytest.fixture
def reader(tmp_path):
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"not a real model: only its checksum is read")
    return folder


def test_cases_are_kept_with_their_mode_and_read_back(reader, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cases.json"
    monkeypatch.setattr(calibrate, "collect", lambda *args: [CASE])
    assert calibrate.cases_of(reader, "hybrid+rerank", 60, cache) == [CASE]
    kept = json.loads(cache.read_text())
    assert kept["read_with"] == {
        "retrieval": "hybrid+rerank",
        "model": file_sha256(reader / "model.onnx"),
        "limit": 60,
        "read_depth": 1,
        "reranker": Settings().reranker_model,
        "headline_max_words": Settings().headline_max_words,
        "rerank_exit": [Settings().rerank_exit_after, str(Settings().rerank_exit_score)],
    }
    monkeypatch.setattr(calibrate, "collect", lambda *args: pytest.fail("read from the cache"))
    again = calibrate.cases_of(reader, "hybrid+rerank", 60, cache)
    assert json.dumps([c.__dict__ for c in again]) == json.dumps([CASE.__dict__])


@pytest.mark.parametrize("mode, limit", [("hybrid+reader", 60), ("hybrid+rerank", 80)])
def test_a_cache_read_another_way_is_refused(reader, tmp_path, monkeypatch, mode, limit) -> None:
    cache = tmp_path / "cases.json"
    monkeypatch.setattr(calibrate, "collect", lambda *args: [CASE])
    calibrate.cases_of(reader, "hybrid+rerank", 60, cache)
    with pytest.raises(SystemExit, match="use another file"):
        calibrate.cases_of(reader, mode, limit, cache)
    (reader / "model.onnx").write_bytes(b"another model")
    with pytest.raises(SystemExit, match="use another file"):
        calibrate.cases_of(reader, "hybrid+rerank", 60, cache)


def test_a_cache_read_before_the_headline_rule_is_refused(reader, tmp_path, monkeypatch) -> None:
    """Cases read without the headline rule (a key without headline_max_words) read other
    paragraphs than the pipeline now does: not this fit's cases."""
    cache = tmp_path / "cases.json"
    monkeypatch.setattr(calibrate, "collect", lambda *args: [CASE])
    calibrate.cases_of(reader, "hybrid+rerank", 60, cache)
    kept = json.loads(cache.read_text())
    del kept["read_with"]["headline_max_words"]
    cache.write_text(json.dumps(kept))
    with pytest.raises(SystemExit, match="use another file"):
        calibrate.cases_of(reader, "hybrid+rerank", 60, cache)


def test_a_cache_read_with_another_reranker_is_refused(reader, tmp_path, monkeypatch) -> None:
    """The passage score the fit weighs is the reranker's: cases read with the 12-layer
    cross-encoder are not cases of the distilled one (or the other way round)."""
    cache = tmp_path / "cases.json"
    monkeypatch.setattr(calibrate, "collect", lambda *args: [CASE])
    calibrate.cases_of(reader, "hybrid+rerank", 60, cache)
    kept = json.loads(cache.read_text())
    assert kept["read_with"]["reranker"] == calibrate.Settings().reranker_model
    kept["read_with"]["reranker"] = "some/other-cross-encoder"
    cache.write_text(json.dumps(kept))
    with pytest.raises(SystemExit, match="use another file"):
        calibrate.cases_of(reader, "hybrid+rerank", 60, cache)


def test_a_cache_without_its_reading_is_refused(reader, tmp_path) -> None:
    cache = tmp_path / "cases.json"
    cache.write_text(json.dumps([CASE.__dict__]))  # the earlier format: cases only
    with pytest.raises(SystemExit, match="unknown settings"):
        calibrate.cases_of(reader, "hybrid+rerank", 60, cache)


def test_cases_cut_to_a_read_depth_keep_the_candidates_of_that_many_paragraphs() -> None:
    """Reading is per paragraph: the comparison of depths (report_depths) gives depth d the
    candidates of the top d paragraphs only, never what paragraphs below gave."""
    case = Case(
        "nyt",
        "positive",
        ["Ann Lee"],
        [
            ("Bob Ray", {"span_logp": -0.5, "rerank": 1.0, "passage_rank": 1.0}),
            ("Ann Lee", {"span_logp": -1.0, "rerank": 3.0, "passage_rank": 0.0}),
            ("Cy Dee", {"span_logp": -0.2, "rerank": 0.5, "passage_rank": 2.0}),
        ],
    )
    assert [t for t, _ in calibrate.at_depth([case], 1)[0].candidates] == ["Ann Lee"]
    assert [t for t, _ in calibrate.at_depth([case], 2)[0].candidates] == ["Bob Ray", "Ann Lee"]
    assert calibrate.at_depth([case], 3) == [case]
    # With no weight on the passage score, depth 1 is right and depths 2 and 3 are not.
    assert calibrate.ranked(calibrate.at_depth([case], 1)[0], 0.0)[0][1] == "Ann Lee"
    assert calibrate.ranked(case, 0.0)[0][1] == "Cy Dee"
    assert calibrate.report_depths([case], 3) == {1: 1.0, 2: 1.0, 3: 1.0}  # each its best weight


@pytest.mark.parametrize("mode, recorded", [("hybrid+rerank", 2), ("hybrid+reader", None)])
def test_a_fit_records_the_read_depth_and_reranker_its_cases_were_read_with(
    reader, tmp_path, monkeypatch, mode, recorded
) -> None:
    """Two passes: the cases are read at --read-depth with the default cross-encoder and the
    fit says so (the reader reads with it at that depth); one pass reads every reranked
    passage by its own relevance, so neither is recorded."""
    pytest.importorskip("sklearn")
    (reader / "manifest.json").write_text(json.dumps({"format": 1, "files": {}}))
    read_at = []

    def collect(folder, retrieval, limit, read_depth):
        read_at.append((retrieval, read_depth))
        right = [
            Case(
                "nyt",
                "positive",
                ["Ann Lee"],
                [("Ann Lee", {"span_logp": -0.1 * i, "rerank": 2.0, "passage_rank": 0.0})],
            )
            for i in range(6)
        ]
        wrong = [
            Case(
                "nyt",
                "cross-article",
                [],
                [("Bob Ray", {"span_logp": -3.0 - i, "rerank": -5.0, "passage_rank": 0.0})],
            )
            for i in range(6)
        ]
        return right + wrong

    monkeypatch.setattr(calibrate, "collect", collect)
    calibrate.main(["--reader", str(reader), "--retrieval", mode, "--read-depth", "2"])
    assert read_at == [(mode, 2)]
    fit = json.loads((reader / "manifest.json").read_text())["calibration"]  # its first fit
    assert fit["fitted_in"] == mode
    assert fit.get("read_depth") == recorded
    # Two passes weigh the cross-encoder's scores, so the fit names it; one pass, its own.
    reranker = calibrate.Settings().reranker_model if recorded else None
    assert fit.get("reranker") == reranker
