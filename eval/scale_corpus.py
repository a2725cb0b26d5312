"""Corpora of a chosen size in chunks for ``eval.bench_scale``, and their vectors.

Real: each SQuAD v1.1 dev context, CoQA story and training passage (train/*.json) of the shared
data folder is one article file, ``title + "\n\n" + text`` (a SQuAD article's title heads each
of its paragraphs). Only texts, and SQuAD questions as queries, are used. Synthetic, past the
real total: article n, "Digest n: <a real title>", has 3-8 new paragraphs (a repeat is drawn
again), each two runs of 1-4 consecutive sentences of random real passages of one source
(seeded RNG): real vocabulary, local coherence. A size: real articles in a seeded shuffle, then
synthetic ones, until the project's chunker counts the target (overshoot < one article). Large
corpora's vectors are embedded once, part by part (resumable), and replayed by builds.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from eval.external import is_squad_format, load_coqa, load_squad, story_text
from qa.documents import BLANK_LINE, TextSplitter, chunk_documents, make_document, make_splitter
from qa.indexing import Embedder, VectorStore, build_store, recall_at_k
from qa.settings import Settings
from qa.types import Document

Log = Callable[[str], None]
log = logging.getLogger(__name__)

# . ! or ? then a capital, digit or quote: a missed sentence end only makes a run longer
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'])")
TRAIN_LABELS = {"quoref_ni": "Quoref passage", "squadshifts_reddit_v1.0": "Reddit post"}
TRAIN_LABELS["squadshifts_amazon_v1.0"] = "Amazon review"
POOL = 400  # questions kept per corpus, for recall queries and timed calls
MARKER = ".bench_scale.json"  # hidden (load_documents skips it): the corpus' description


@dataclass(frozen=True)
class SourceText:
    """One article of a benchmark corpus: its file path (the document id), title and body."""

    doc_id: str
    title: str
    body: str  # paragraphs separated by blank lines
    source: str
    questions: tuple[str, ...] = ()  # SQuAD questions about this passage

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}"


def clean(text: str) -> str:  # newlines normalised, blank-line runs made one blank line
    return BLANK_LINE.sub("\n\n", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def squad_sources(path: Path) -> list[SourceText]:
    sources = []
    for article in load_squad(path):
        for index, context in enumerate(article.contexts, 1):
            doc_id, title = f"squad/{article.number:02d}-{index:03d}.txt", article.title
            questions = tuple(q["question"] for i, q in article.questions if i == index)
            body = clean(" ".join(context.split("\n")))
            sources.append(SourceText(doc_id, title.replace("_", " "), body, "squad", questions))
    return sources


def coqa_sources(path: Path) -> list[SourceText]:
    sources = []
    for n, story in enumerate(load_coqa(path), 1):
        title, body = f"CoQA {story.source} story {n}", clean(story_text(story.story)[0])
        sources.append(SourceText(f"coqa/{story.id}.txt", title, body, "coqa"))
    return sources


def train_sources(path: Path) -> list[SourceText]:
    """The passages of a SQuAD-format file; none, with a warning, for another format."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not is_squad_format(data):
        log.warning("%s is not in SQuAD format: skipped", Path(path).name)
        return []
    data = data["data"]
    contexts = [p["context"] for article in data for p in article["paragraphs"]]
    label = TRAIN_LABELS.get(path.stem, path.stem)
    return [
        SourceText(f"train/{path.stem}/{n:05d}.txt", f"{label} {n}", clean(text), path.stem)
        for n, text in enumerate(contexts, 1)
        if text.strip()
    ]


def real_sources(data_dir: Path) -> list[SourceText]:
    """Every real passage of the shared data folder, in file order."""
    sources = squad_sources(data_dir / "external" / "squad_v1.1_dev.json")
    sources += coqa_sources(data_dir / "external" / "coqa_test.json")
    for path in sorted((data_dir / "train").glob("*.json")):
        sources += train_sources(path)
    return sources


def _run(rng: random.Random, pool: Sequence[str]) -> str:
    """1-4 consecutive sentences of one passage."""
    text = rng.choice(pool).replace("\n", " ")
    parts = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    length = min(len(parts), rng.randint(1, 4))
    start = rng.randrange(len(parts) - length + 1)
    return " ".join(parts[start : start + length])


def synthetic_sources(real: Sequence[SourceText], seed: int) -> Iterator[SourceText]:
    """An endless, seeded stream of new articles recombined from ``real`` (see the module)."""
    rng = random.Random(seed)
    by_source: dict[str, list[str]] = {}
    for s in real:
        by_source.setdefault(s.source, []).append(s.body)
    names = sorted(by_source)
    weights = [len(by_source[n]) for n in names]  # each source as common as in the real data
    seen = {hashlib.sha1(p.encode()).digest() for s in real for p in s.body.split("\n\n")}
    for n in range(1, 1 << 62):
        paragraphs: list[str] = []
        count = rng.randint(3, 8)
        while len(paragraphs) < count:
            pool = by_source[rng.choices(names, weights)[0]]
            paragraph = f"{_run(rng, pool)} {_run(rng, pool)}"
            digest = hashlib.sha1(paragraph.encode()).digest()
            if digest not in seen:  # a repeat is drawn again: every paragraph is new
                seen.add(digest)
                paragraphs.append(paragraph)
        title = f"Digest {n}: {rng.choice(real).title}"
        yield SourceText(f"synthetic/{n:06d}.txt", title, "\n\n".join(paragraphs), "synthetic")


def corpus_of_size(
    real: Sequence[SourceText], target: int, splitter: TextSplitter, seed: int = 0
) -> tuple[list[SourceText], int]:
    """Real articles (seeded shuffle), then synthetic ones, up to ``target`` chunks; the count."""
    order = list(real)
    random.Random(seed).shuffle(order)
    chosen, total = [], 0
    for source in itertools.chain(order, synthetic_sources(real, seed + 1)):
        if total >= target:
            break
        chosen.append(source)
        document = make_document(source.doc_id, source.text)
        total += len(chunk_documents([document], splitter))  # as the index will chunk it
    return chosen, total


def sample_questions(sources: Sequence[SourceText], limit: int, seed: int = 0) -> list[str]:
    """Up to ``limit`` distinct questions about the corpus' own passages, in a seeded order."""
    questions = sorted({q for s in sources for q in s.questions})
    random.Random(seed).shuffle(questions)
    return questions[:limit]


def write_corpus(folder: Path, sources: Sequence[SourceText], info: dict) -> bool:
    """Write one .txt per article into ``folder`` unless it already holds this corpus
    (same hash); returns whether it wrote. Only a folder this module made is replaced."""
    folder, marker = Path(folder), Path(folder) / MARKER
    joined = "".join(f"{source.doc_id}\0{source.text}\0" for source in sources)
    info = {**info, "hash": hashlib.sha256(joined.encode()).hexdigest()[:16]}
    if marker.is_file() and json.loads(marker.read_text())["hash"] == info["hash"]:
        return False
    if folder.exists() and any(folder.iterdir()) and not marker.is_file():
        raise OSError(f"{folder} is not empty and was not written by eval.scale_corpus")
    shutil.rmtree(folder, ignore_errors=True)  # ours: no article of an earlier corpus stays
    for source in sources:
        path = folder / source.doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source.text, encoding="utf-8")
    marker.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return True


def settings_for(work: Path, size: int) -> Settings:  # default settings, this corpus' folders
    return Settings(corpus_dir=work / f"corpus-{size}", index_dir=work / f"index-{size}")


def prepare(work: Path, size: int, data_dir: Path, log: Log, seed: int = 0) -> dict:
    """Write the corpus of ``size`` chunks (unless it is there already); its description."""
    settings = settings_for(work, size)
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    sources, chunks = corpus_of_size(real_sources(data_dir), size, splitter, seed)
    synthetic = sum(s.source == "synthetic" for s in sources)
    info = {"target": size, "chunks": chunks, "synthetic_documents": synthetic}
    questions = sample_questions(sources, POOL, seed)
    wrote = write_corpus(settings.corpus_dir, sources, info | {"questions": questions})
    log(f"corpus {size}: {chunks} chunks, {len(sources)} articles, written: {wrote}")
    return info


def questions_of(settings: Settings) -> list[str]:  # sampled questions about the corpus
    marker = Path(settings.corpus_dir) / MARKER
    return json.loads(marker.read_text(encoding="utf-8"))["questions"]


# --- vectors: embedded once for large corpora, replayed by builds; flat against HNSW ---

PART = 2048  # chunks per saved part: what a killed run may have to redo
EF_SEARCH = (64, 128, 256)
RECALL_K = 10
DEPTH = Settings().candidates  # rows the retriever asks the vector store for


@dataclass(frozen=True)
class VectorCache:
    rows: dict[str, int]  # chunk text -> row of ``vectors``
    vectors: np.ndarray
    seconds: float  # embedding time, summed over the parts as they were made


def cached_vectors(
    work: Path, documents: Sequence[Document], settings: Settings, embedder: Embedder, log: Log
) -> VectorCache:
    """The chunks' vectors, saved in parts under work/vectors/<hash of model and texts>/ (a killed
    run resumes). One embed() call per part, sorted by length: faster than a build's calls."""
    chunks = chunk_documents(documents, make_splitter(settings.chunk_size, settings.chunk_overlap))
    texts = [c.text for c in chunks]
    key = hashlib.sha256("\0".join([embedder.model_id, *texts]).encode()).hexdigest()[:16]
    folder = Path(work) / "vectors" / key
    folder.mkdir(parents=True, exist_ok=True)
    parts, seconds = [], 0.0
    for n, first in enumerate(range(0, len(chunks), PART)):
        path, done = folder / f"part-{n:05d}.npy", folder / f"part-{n:05d}.json"
        if not done.is_file():  # written last: a part without it is redone
            start = time.perf_counter()
            np.save(path, embedder.embed(texts[first : first + PART]))
            done.write_text(json.dumps({"seconds": time.perf_counter() - start}))
            log(f"embedded {min(first + PART, len(chunks))}/{len(chunks)} chunks into {folder}")
        seconds += json.loads(done.read_text())["seconds"]
        parts.append(np.load(path))
    return VectorCache({t: row for row, t in enumerate(texts)}, np.concatenate(parts), seconds)


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


class MeasuredEmbedder:
    """The real embedder, timed; with a cache, chunk texts (not queries) are served from it, so
    a large index is built by the project's own code with only its chunks' embedding replayed."""

    def __init__(self, real: Embedder, cache: VectorCache | None = None) -> None:
        self.model_id, self.dimension = real.model_id, real.dimension
        self.real, self.cache, self.seconds = real, cache, 0.0
        self.misses = 0  # chunk texts not in the cache, embedded for real

    def embed(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        start = time.perf_counter()
        try:
            if self.cache is not None and not is_query:
                rows = [self.cache.rows.get(t) for t in texts]
                if None not in rows:
                    return self.cache.vectors[rows]
                self.misses += len(texts)
            return self.real.embed(texts, is_query=is_query)
        finally:
            self.seconds += time.perf_counter() - start


def search_all(store: VectorStore, queries: np.ndarray) -> tuple[list[list], list[float]]:
    """Each query's top RECALL_K (row, score) pairs and the ms of its search at DEPTH."""
    tops, times = [], []
    for query in queries:
        start = time.perf_counter()
        hits = store.search(query, DEPTH)
        times.append((time.perf_counter() - start) * 1000)
        tops.append(hits[:RECALL_K])
    return tops, times


def vector_bench(store: VectorStore, queries: np.ndarray) -> dict:
    """Flat against HNSW (M=32; the index's own when auto chose it) over the same vectors.
    Identical chunks (SQuAD titles) tie: "ties" recall counts a hit scoring the exact 10th too.
    Flat is also timed on one thread: on a busy machine FAISS's threads wait for a core."""
    vectors = store.vectors(np.arange(len(store)))
    flat = store if store.kind == "flat" else build_store(vectors, "flat")
    hnsw = store if store.kind == "hnsw" else build_store(vectors, "hnsw", hnsw_m=32)
    result: dict = {"recall_queries": len(queries)}
    threads = faiss.omp_get_max_threads()
    for key, count in (("flat_1thread_ms", 1), ("flat_search_ms", threads)):
        faiss.omp_set_num_threads(count)
        exact, ms = search_all(flat, queries)
        result[key] = spread(ms)
    rows = [[row for row, _ in hits] for hits in exact]
    floors = [hits[-1][1] - 1e-5 for hits in exact]  # float noise: one vector scored twice
    for ef in EF_SEARCH:
        hnsw.ef_search = ef
        approx, ms = search_all(hnsw, queries)
        tied = sum(s >= f for hits, f in zip(approx, floors, strict=True) for _, s in hits)
        recall = recall_at_k(rows, [[row for row, _ in hits] for hits in approx])
        ties = tied / sum(map(len, rows))
        result[f"hnsw_ef{ef}"] = spread(ms) | {"recall_at_10": recall, "recall_at_10_ties": ties}
    return result
