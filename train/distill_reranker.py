"""Distil the shipped 12-layer cross-encoder into a 6-layer one: half the rerank's cost.

The rerank is most of ``answer()``'s time (72 of ~106 ms on the seed article), linear in the
encoder's layers. The student is the teacher with every other layer dropped (DistilBERT's
choice of layers: the first and the last kept), trained to give the teacher's logit for the
same (question, passage) pairs: MSE on the logit, so the scale the confidence model and the
cross-article margin read stays the teacher's, plus a listwise KL term over each question's
passages, since the order is what the rerank is for. Pairs come from training questions only
(``train.data.splits``: SQuAD 1-21, NYT and new Wikipedia minus their held-out articles, Natural
Questions and Quoref minus their dev passages; ``train.data.coqa_turns``: CoQA's training
dialogues, each turn resolved as the pipeline resolves a follow-up): each
question with its own paragraph and the three paragraphs of its article that share most of its
words (the passages a rerank must tell apart), and for a third of them one paragraph of another
article in place of the last.

``python -m train.distill_reranker --out DIR`` checkpoints to DIR every 50 steps and resumes
from DIR/checkpoint.pt; ``--export qa/models/reranker`` writes the int8 ONNX folder; ``--init
qa/models/reranker`` starts from the shipped student instead of the teacher's layers; ``--layers
0,2,3,5,6,8,9,11`` keeps 8 of them instead of 6; ``--passages chunks --max-length 320`` trains on
the chunks the pipeline's rerank scores (cut as the index cuts paragraphs), at its length.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from qa.checksums import file_sha256
from qa.retrieval import RERANKER_FORMAT
from train.convert import BERT_SHAPE, CROSS_ENCODER, cross_encoder_onnx, onnx_state_dict
from train.data import Example, coqa_turns, splits

KEPT_LAYERS = (0, 2, 4, 7, 9, 11)
GROUP = 4  # passages a question is scored against


@dataclass(frozen=True)
class Recipe:
    questions: str = "nyt=3000,squad=1500,new_wiki=1500"
    max_length: int = 256
    groups_per_batch: int = 8
    lr: float = 5e-5
    warmup: float = 0.05
    weight_decay: float = 0.01
    epochs: float = 1.0
    kl_weight: float = 1.0
    temperature: float = 2.0  # the teacher's logits span ~10; soften the listwise target
    cross_article: float = 0.33
    seed: int = 13
    save_every: int = 50
    # The teacher's layers the student keeps (8 of 12: "0,2,3,5,6,8,9,11").
    layers: str = ",".join(map(str, KEPT_LAYERS))
    # "chunks": passages cut as the index cuts them, the texts the pipeline's rerank scores.
    passages: str = "paragraphs"
    # An int8 student folder to go on from (a new mix for a shipped student); "" = the teacher.
    init: str = ""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def question_groups(recipe: Recipe) -> list[tuple[str, list[str]]]:
    """(question, passages): its own paragraph (or chunk) first, then its article's closest
    others."""
    if recipe.passages not in ("paragraphs", "chunks"):
        raise ValueError(f"passages must be 'paragraphs' or 'chunks', not {recipe.passages!r}")
    train, _ = splits()
    rng = random.Random(recipe.seed)
    groups = []
    for item in recipe.questions.split(","):
        name, count = item.split("=")
        examples = coqa_turns() if name == "coqa" else train[name]
        pool = [ex for ex in examples if ex.start >= 0]
        articles = _articles(examples)
        chosen = rng.sample(pool, min(int(count), len(pool)))
        if recipe.passages == "chunks":
            chosen, articles = _as_chunks(chosen, articles)
        every = [c for contexts in articles.values() for c in contexts]
        frequencies: dict[tuple[str, int], Counter[str]] = {}
        for ex in chosen:
            key = (ex.source, ex.article)
            if key not in frequencies:  # NQ is one "article" of 16k passages: count it once
                frequencies[key] = Counter(w for c in articles[key] for w in set(_words(c)))
            passages = [ex.context, *_closest(ex, articles[key], frequencies[key])]
            if len(passages) > 1 and rng.random() < recipe.cross_article:
                passages[-1] = rng.choice(every)
            groups.append((ex.question, passages))
    rng.shuffle(groups)
    return groups


def _as_chunks(
    examples: list[Example], articles: dict[tuple[str, int], list[str]]
) -> tuple[list[Example], dict[tuple[str, int], list[str]]]:
    """The passages as the pipeline's rerank sees them: each paragraph cut as the index cuts
    it (``Settings().chunk_size`` / ``chunk_overlap``), each question in the chunk where its
    answer starts. Only the articles of ``examples`` are cut (NQ is one of 16k passages)."""
    from qa.documents import make_splitter, split_with_offsets
    from qa.settings import Settings

    settings = Settings()
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    cut: dict[str, list[tuple[int, int]]] = {}
    for key in {(ex.source, ex.article) for ex in examples}:
        for context in articles[key]:
            cut[context] = split_with_offsets(context, splitter) or [(0, len(context))]
    chunked = {
        key: [c[a:b] for c in contexts for a, b in cut[c]]
        for key, contexts in articles.items()
        if all(c in cut for c in contexts)
    }
    moved = []
    for ex in examples:
        a, b = next(((a, b) for a, b in cut[ex.context] if a <= ex.start < b), cut[ex.context][0])
        moved.append(replace(ex, context=ex.context[a:b], start=ex.start - a, end=ex.end - a))
    return moved, chunked


def _articles(examples: list[Example]) -> dict[tuple[str, int], list[str]]:
    articles: dict[tuple[str, int], list[str]] = {}
    for ex in examples:
        contexts = articles.setdefault((ex.source, ex.article), [])
        if ex.context not in contexts:
            contexts.append(ex.context)
    return articles


def _closest(ex: Example, contexts: list[str], df: Counter[str] | None = None) -> list[str]:
    """The article's other paragraphs sharing most of the question's words, idf-weighted
    (``df``: in how many of ``contexts`` each word is, counted here if not given)."""
    df = df if df is not None else Counter(w for c in contexts for w in set(_words(c)))
    asked = set(_words(ex.question))

    def overlap(context: str) -> float:
        return sum(math.log(1 + len(contexts) / df[w]) for w in asked & set(_words(context)))

    others = sorted((c for c in contexts if c != ex.context), key=overlap, reverse=True)
    return others[: GROUP - 1]


def teacher_logits(groups: list[tuple[str, list[str]]], cache: Path) -> list[np.ndarray]:
    """The shipped cross-encoder's logits, exactly as the pipeline's rerank computes them."""
    from qa.model_files import resolve_model
    from qa.retrieval import OnnxCrossEncoder

    # Keyed on the groups: another --questions mix in the same folder gets its own scores.
    key = hashlib.sha256(json.dumps(groups).encode("utf-8")).hexdigest()[:16]
    path = cache / f"teacher-{key}.json"
    if path.is_file():
        return [np.asarray(s, dtype=np.float32) for s in json.loads(path.read_text())]
    teacher = OnnxCrossEncoder(resolve_model(CROSS_ENCODER), CROSS_ENCODER)
    scores = [teacher.score(q, passages) for q, passages in groups]
    path.write_text(json.dumps([s.tolist() for s in scores]))
    return scores


def student(layers: tuple[int, ...] = KEPT_LAYERS, init: str = ""):
    """The teacher (dequantized from its int8 ONNX file) with only ``layers`` kept; or, given
    ``init``, the int8 student in that folder, dequantized, to go on training."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    state = onnx_state_dict(Path(init) / "model.onnx" if init else cross_encoder_onnx())
    if init:  # the student's own layers, all kept
        found = {m[1] for n in state if (m := re.match(r"bert\.encoder\.layer\.(\d+)\.", n))}
        layers = tuple(range(len(found)))
    keep = {old: new for new, old in enumerate(layers)}
    renamed = {}
    for name, value in state.items():
        match = re.match(r"bert\.encoder\.layer\.(\d+)\.(.*)", name)
        if match is None:
            renamed[name] = value
        elif int(match[1]) in keep:
            renamed[f"bert.encoder.layer.{keep[int(match[1])]}.{match[2]}"] = value
    config = BertConfig(**{**BERT_SHAPE, "num_hidden_layers": len(layers), "num_labels": 1})
    model = BertForSequenceClassification(config)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in renamed.items()}, strict=True)
    return model


def recipe_layers(recipe: Recipe) -> tuple[int, ...]:
    return tuple(int(n) for n in recipe.layers.split(","))


def teacher_layers(recipe: dict) -> list[int]:
    """The teacher's layers a student holds: its first recipe's (a continued one has its own;
    a recipe from before ``layers`` kept the default ones)."""
    while "continued_from" in recipe:
        recipe = recipe["continued_from"]
    return list(recipe_layers(Recipe(layers=recipe.get("layers", Recipe.layers))))


def batch_loss(model, tokenizer, batch, recipe: Recipe):
    import torch
    import torch.nn.functional as F

    from train.run import cpu_autocast

    questions = [q for (q, passages), _ in batch for _ in passages]
    passages = [p for (_, ps), _ in batch for p in ps]
    encodings = tokenizer.encode_batch(list(zip(questions, passages, strict=True)))
    inputs = {
        "input_ids": torch.tensor([e.ids for e in encodings]),
        "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
        "token_type_ids": torch.tensor([e.type_ids for e in encodings]),
    }
    with cpu_autocast():
        logits = model(**inputs).logits.float().reshape(-1)
    target = torch.tensor(np.concatenate([t for _, t in batch]))
    loss = F.mse_loss(logits, target)
    at, t = 0, recipe.temperature
    for (_, ps), scores in batch:
        own = logits[at : at + len(ps)] / t
        goal = torch.softmax(torch.tensor(scores) / t, dim=0)
        loss = loss + recipe.kl_weight * t * t * F.kl_div(
            torch.log_softmax(own, dim=0), goal, reduction="sum"
        ) / len(batch)
        at += len(ps)
    return loss


def train(out: Path, recipe: Recipe, max_steps: int | None = None) -> Path:
    """Train (or go on training) the student in ``out``; returns its final fp32 folder. A run
    given more ``epochs`` than its checkpoint's goes on from it, its rate decaying to 0 over
    the longer schedule."""
    import torch

    from train.run import make_optimizer, resume, save_checkpoint

    out.mkdir(parents=True, exist_ok=True)
    groups = question_groups(recipe)
    data = list(zip(groups, teacher_logits(groups, out), strict=True))
    tokenizer = training_tokenizer(recipe.max_length)
    size = recipe.groups_per_batch
    batches = [data[i : i + size] for i in range(0, len(data), size)]
    total = int(len(batches) * recipe.epochs)
    model = student(recipe_layers(recipe), recipe.init).train()
    optimizer, schedule = make_optimizer(model, recipe, total)
    checkpoint = out / "checkpoint.pt"
    step = resume(checkpoint, model, optimizer, schedule)
    with (out / "log.jsonl").open("a", encoding="utf-8") as log:
        while step < min(total, max_steps or total):
            loss = batch_loss(model, tokenizer, batches[step % len(batches)], recipe)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            log.write(json.dumps({"step": step, "loss": round(loss.item(), 4)}) + "\n")
            log.flush()
            if step % recipe.save_every == 0 or step == total:
                save_checkpoint(checkpoint, model, optimizer, schedule, step, recipe)
    final = out / "final"
    model.save_pretrained(final, safe_serialization=True)
    (final / "recipe.json").write_text(json.dumps(asdict(recipe), indent=2), encoding="utf-8")
    return final


def training_tokenizer(max_length: int):
    """The teacher's tokenizer, truncating and padding as the pipeline's rerank does."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(cross_encoder_onnx().parent / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def export(model_dir: Path, folder: Path, work: Path) -> Path:
    """The student as the shipped int8 ONNX cross-encoder folder (the teacher's tokenizer)."""
    from transformers import BertForSequenceClassification

    from train.export import export_graph, optimize, quantize

    work.mkdir(parents=True, exist_ok=True)
    model = BertForSequenceClassification.from_pretrained(
        model_dir, attn_implementation="eager"
    ).eval()
    export_graph(model, work / "reranker.fp32.onnx", ["logits"], lambda o: o.logits)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    optimize(work / "reranker.fp32.onnx", work / "reranker.fused.onnx", config)
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    quantize(work / "reranker.fused.onnx", staging / "model.onnx")
    shutil.copyfile(cross_encoder_onnx().parent / "tokenizer.json", staging / "tokenizer.json")
    recipe = json.loads((model_dir / "recipe.json").read_text(encoding="utf-8"))
    if recipe.get("init"):  # the student it went on from, and that one's own recipe
        earlier = json.loads((Path(recipe["init"]) / "manifest.json").read_text("utf-8"))
        recipe["continued_from"] = earlier["recipe"]
    files = {n: file_sha256(staging / n) for n in ("model.onnx", "tokenizer.json")}
    manifest = {
        "format": RERANKER_FORMAT,
        "teacher": CROSS_ENCODER,
        "layers": teacher_layers(recipe),
        "recipe": recipe,
        "files": files,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    staging.replace(folder)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="checkpoints, log, final model")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--export", type=Path, default=None, help="write the int8 folder here")
    for name, value in asdict(Recipe()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = vars(parser.parse_args(argv))
    out, max_steps, target = args.pop("out"), args.pop("max_steps"), args.pop("export")
    final = train(out, Recipe(**args), max_steps)
    print("final model:", final)
    if target is not None:
        print("exported:", export(final, target, out / "onnx"))


if __name__ == "__main__":
    main()
