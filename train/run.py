"""Fine-tune the reader: ``python -m train.run --out DIR`` (resumes from DIR's last checkpoint).

``--init qa/models/reader/model.onnx --seed 14`` goes on from the shipped reader instead, on a
new draw of the sampled sources (the held-out split stays: ``split_seed``); ``--init DIR/final``
goes on from an earlier run's fp32 model, without the int8 round trip.

Starts from the cross-encoder the project already ships, whole (see train.convert and
train.model): its relevance head stays, distilled toward the cross-encoder's own scores
(train.teacher), and a new span head is trained beside it on SQuAD-style windows with AdamW,
linear warm-up and decay, gradient clipping, bf16 autocast where the CPU has AVX-512 (about 2x
faster than fp32 there; on an AVX2-only CPU bf16 is emulated and ~10x slower, so fp32) and
fixed seeds. A checkpoint is written atomically every ``--save-every`` steps;
rerunning the same command resumes from the last one.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from qa.reading import batch_arrays, load_tokenizer
from train.data import Example, splits
from train.features import Feature, labelled, on_topic_negatives


@dataclass(frozen=True)
class Recipe:
    # Share of each source's training set. News (NYT) and SQuAD whole; the rest sampled so the
    # run fits one session on 2 cores (about 800 steps). Disfl-QA's share is of its answerable
    # questions: its 969 training unanswerables (real, human-written) are always all kept.
    mix: str = "squad=1.0,nyt=1.0,new_wiki=0.4,nq=0.2,disfl=0.2,reddit=0.15,amazon=0.1,quoref=0.15"
    on_topic_negatives: float = 0.25  # share of questions also asked of another passage
    negative_sources: str = "squad,nyt,new_wiki"  # multi-passage articles: on-topic negatives
    distill_weight: float = 0.05  # MSE toward the cross-encoder's logit (std ~5), beside spans
    negative_share: float = 0.3  # share of answerless windows of long contexts kept
    # 256 tokens cost 1.8x the step time of 192 here (12.2 vs 6.9 s a batch), for little context.
    max_length: int = 192
    overlap: int = 64
    batch_size: int = 32
    lr: float = 1e-4
    warmup: float = 0.05
    weight_decay: float = 0.01
    epochs: float = 1.0
    seed: int = 13  # sampling of the mix, batch order, initial weights of the span head
    # The held-out split (dev, calibration cases, `qa eval --set nyt`) is drawn with this seed;
    # a run with another one would train on those questions, so it is a field of its own.
    split_seed: int = 13
    # Start from an exported reader-ranker (its int8 ONNX file, dequantized by train.convert)
    # or an earlier run's final fp32 folder instead of the cross-encoder: a run goes on.
    init: str = ""
    eval_every: int = 150
    save_every: int = 50
    dev_size: int = 300  # held-out questions scored during training: half SQuAD, half NYT


def training_examples(recipe: Recipe) -> tuple[list[Example], dict[str, list[Example]]]:
    train, dev = splits(seed=recipe.split_seed)
    rng = random.Random(recipe.seed)
    chosen: list[Example] = []
    for item in recipe.mix.split(","):
        name, share = item.split("=")
        pool = [ex for ex in train[name] if ex.start >= 0]
        chosen += rng.sample(pool, round(len(pool) * float(share)))
        chosen += [ex for ex in train[name] if ex.start < 0]
    for name in recipe.negative_sources.split(","):
        chosen += on_topic_negatives(train[name], recipe.on_topic_negatives, recipe.seed)
    return chosen, dev


def dev_questions(dev_sets: dict[str, list[Example]], size: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    return rng.sample(dev_sets["squad"], size // 2) + rng.sample(dev_sets["nyt"], size - size // 2)


def collate(features: list[Feature]):
    """The features' windows as padded torch tensors (the same padding as at run time)."""
    import torch

    arrays = batch_arrays([f.window for f in features])
    return {name: torch.from_numpy(array) for name, array in arrays.items()}


def bucketed(features: list[Feature], size: int, seed: int) -> list[list[Feature]]:
    """Seeded batches of similar length (less padding), in random order."""
    rng = random.Random(seed)
    order = features[:]
    rng.shuffle(order)
    pool = size * 50
    batches = []
    for i in range(0, len(order), pool):
        block = sorted(order[i : i + pool], key=lambda f: len(f.window.input_ids))
        batches += [block[j : j + size] for j in range(0, len(block), size)]
    rng.shuffle(batches)
    return batches


def save_atomic(state: dict, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def train(
    out: Path,
    recipe: Recipe,
    max_steps: int | None = None,
    base=None,
    tokenizer=None,
    examples: list[Example] | None = None,
    dev: list[Example] | None = None,
) -> Path:
    """Train (or resume) into ``out``; returns the folder of the final fp32 model."""
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(recipe.seed)
    out.mkdir(parents=True, exist_ok=True)
    model = base if base is not None else initial_model(recipe.init)
    if not getattr(model, "takes_teacher", False):  # a plain reader: nothing to distil into
        recipe = replace(recipe, distill_weight=0.0)
    tokenizer, batches, dev = prepare(recipe, tokenizer, examples, dev, out)
    total = max_steps or math.ceil(len(batches) * recipe.epochs)
    model.train()
    optimizer, schedule = make_optimizer(model, recipe, total)
    step = resume(out / "checkpoint.pt", model, optimizer, schedule)
    print(f"{sum(map(len, batches))} windows, {total} steps; from step {step}", flush=True)
    started = time.time()
    with (
        (out / "log.jsonl").open("a", encoding="utf-8") as log,
        tqdm(total=total, initial=step, desc="training", unit="step") as bar,
    ):
        while step < total:
            loss = train_step(
                model, optimizer, schedule, batches[step % len(batches)], recipe.distill_weight
            )
            step += 1
            entry = {
                "step": step,
                "loss": round(loss, 4),
                "seen": step * recipe.batch_size,
                "lr": schedule.get_last_lr()[0],
                "s": round(time.time() - started, 1),
            }
            if step % recipe.eval_every == 0 or step == total:
                entry.update(evaluate(model, tokenizer, dev, recipe))
                bar.write(json.dumps(entry))
            log.write(json.dumps(entry) + "\n")
            log.flush()
            bar.set_postfix(loss=entry["loss"])
            bar.update()
            if step % recipe.save_every == 0 or step == total:
                save_checkpoint(out / "checkpoint.pt", model, optimizer, schedule, step, recipe)
    return save_final(out / "final", model, tokenizer, recipe)


def prepare(
    recipe: Recipe, tokenizer, examples: list[Example] | None, dev, cache: Path | None = None
):
    """The tokenizer, the training batches and the dev questions (the recipe's, by default)."""
    from train.convert import cross_encoder_onnx

    tokenizer = tokenizer or load_tokenizer(cross_encoder_onnx().parent / "tokenizer.json")
    if examples is None:
        examples, dev_sets = training_examples(recipe)
        dev = dev_questions(dev_sets, recipe.dev_size, recipe.split_seed)
    print(f"{len(examples)} examples", flush=True)
    return tokenizer, make_batches(tokenizer, examples, recipe, cache), dev or []


def make_batches(
    tokenizer, examples: list[Example], recipe: Recipe, cache: Path | None = None
) -> list[list[Feature]]:
    from train.teacher import teacher_scores

    features = labelled(
        tokenizer,
        examples,
        max_length=recipe.max_length,
        overlap=recipe.overlap,
        negative_share=recipe.negative_share,
        seed=recipe.seed,
    )
    scores = teacher_scores(features, cache) if recipe.distill_weight else [0.0] * len(features)
    features = [replace(f, teacher=float(t)) for f, t in zip(features, scores, strict=True)]
    return bucketed(features, recipe.batch_size, recipe.seed)


def make_optimizer(model, recipe: Recipe, total: int):
    """AdamW with linear warm-up over ``recipe.warmup`` of the steps, then linear decay to 0."""
    import torch

    optimizer = torch.optim.AdamW(
        model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay
    )
    warm = max(1, int(total * recipe.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    return optimizer, schedule


def cpu_autocast():
    """bf16 autocast on a CPU with AVX-512, else fp32: on an AVX2-only CPU (seen: AMD EPYC)
    torch emulates bf16 and a distillation step took 132 s against 10 s in fp32."""
    import contextlib

    import torch

    if "AVX512" in torch.backends.cpu.get_cpu_capability():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_step(model, optimizer, schedule, batch: list[Feature], distill_weight: float) -> float:
    """One autocast step (``cpu_autocast``) with gradient clipping; returns the batch's loss."""
    import torch

    targets = {
        "start_positions": torch.tensor([f.start for f in batch]),
        "end_positions": torch.tensor([f.end for f in batch]),
    }
    if distill_weight:  # train() sets it to 0 for a model without a relevance head
        targets["teacher"] = torch.tensor([f.teacher for f in batch])
        targets["distill_weight"] = distill_weight
    with cpu_autocast():
        loss = model(**collate(batch), **targets).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()
    return float(loss.item())


def evaluate(model, tokenizer, dev: list[Example], recipe: Recipe) -> dict:
    from train.evaluate import score_reader

    model.eval()
    scores = score_reader(model, tokenizer, dev, recipe.max_length, recipe.overlap)
    model.train()
    return scores


def initial_model(init: str):
    """The model a run starts from: the cross-encoder (``init`` empty), an earlier run's final
    fp32 folder, or an exported reader-ranker's ONNX file (train.convert)."""
    from train.convert import reader_ranker_from_cross_encoder
    from train.model import BertReaderRanker

    folder = Path(init)
    if init and folder.is_dir():
        if (folder / "config.json").is_file():
            return BertReaderRanker.from_pretrained(folder)
        if (folder / "model.onnx").is_file():  # a shipped reader folder: its export
            return reader_ranker_from_cross_encoder(folder / "model.onnx")
        raise SystemExit(f"--init {init}: neither a run's final folder nor a reader folder")
    return reader_ranker_from_cross_encoder(init or None)


def save_checkpoint(path: Path, model, optimizer, schedule, step: int, recipe: Recipe) -> None:
    import torch

    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "step": step,
        "rng": torch.get_rng_state(),
        "recipe": asdict(recipe),
    }
    save_atomic(state, path)


def save_final(folder: Path, model, tokenizer, recipe: Recipe) -> Path:
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "recipe.json").write_text(json.dumps(asdict(recipe), indent=2), encoding="utf-8")
    return folder


def resume(path: Path, model, optimizer, schedule) -> int:
    import torch

    if not path.exists():
        return 0
    state = torch.load(path, weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    return int(state["step"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="checkpoints, log, final model")
    parser.add_argument("--max-steps", type=int, default=None)
    for name, value in asdict(Recipe()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = vars(parser.parse_args(argv))
    out, max_steps = args.pop("out"), args.pop("max_steps")
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    print("final model:", train(out, Recipe(**args), max_steps))


if __name__ == "__main__":
    main()
