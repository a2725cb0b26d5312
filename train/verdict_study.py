"""Can a verdict (yes / no) be read off the evidence sentence? A measured study, no model shipped.

``Answer.verdict`` may only be shown where a verdict model is right >= 90% of the time on data
it was not fitted on (issue 17). The training data for it is CoQA's wikipedia and gutenberg
stories (``train/coqa_wikipedia_gutenberg.json``): 580 yes/no turns, each with the rationale
span that settles it. Each turn becomes (question, the sentences around its rationale), the
evidence an Answer would carry, and three verdict models are scored by 5-fold cross-validation
grouped by story:

* ``negation``: "no" when the evidence negates and the question does not; no verdict otherwise;
* ``lexical``: logistic regression on negation, overlap and contrast features;
* ``probe``: logistic regression on the shipped reader's pooled [CLS] state and relevance
  logit for the pair (the reader's int8 graph, asked for one more output);
* ``--finetune``: the cross-encoder (train.convert) fine-tuned as a 2-way classifier on 80% of
  the stories, scored on the other 20% (CPU: ~20 minutes).

For each it prints accuracy and the largest share of turns, taken in order of confidence, on
which it is right >= 90% (at least 20 turns). Run: ``python -m train.verdict_study``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy as np

from eval.datasets import shared_data_dir
from qa.answering import content_words
from qa.reading import sentence_spans

COQA_TRAIN = "train/coqa_wikipedia_gutenberg.json"
READER = Path(__file__).resolve().parents[1] / "qa" / "models" / "reader"
POOLED = "/model/bert/pooler/activation/Tanh_output_0"  # the relevance head's input
NEGATION = re.compile(r"\b(?:not|no|never|nor|none|nobody|nothing|neither|cannot)\b|n[’']t\b", re.I)
CONTRAST = frozenset({"only", "but", "however", "instead", "rather", "although"})
TARGET = 0.9  # the precision a shown verdict must have (issue 17)


def yes_no_turns(path: Path) -> list[dict]:
    """(story id, question, evidence sentences, label) for every yes/no turn with a rationale."""
    turns = []
    for story in json.loads(path.read_text(encoding="utf-8"))["data"]:
        text, spans = story["story"], None
        for question, answer in zip(story["questions"], story["answers"], strict=True):
            said = answer["input_text"].strip().lower().rstrip(".!")
            if said not in {"yes", "no"} or answer["span_start"] < 0:
                continue
            spans = spans or sentence_spans(text)
            start, end = answer["span_start"], answer["span_end"]
            touched = [(a, b) for a, b in spans if a < end and start < b][:2]
            if touched:
                evidence = text[touched[0][0] : touched[-1][1]]
                turns.append({"story": story["id"], "q": question["input_text"], "ev": evidence,
                              "y": int(said == "yes")})  # fmt: skip
    return turns


def lexical_features(question: str, evidence: str) -> list[float]:
    q_neg, e_neg = bool(NEGATION.search(question)), bool(NEGATION.search(evidence))
    q_words, e_words = content_words(question), content_words(evidence)
    covered = len(q_words & e_words) / max(1, len(q_words))
    numbers = set(re.findall(r"\d+", question)) - set(re.findall(r"\d+", evidence))
    contrast = bool(CONTRAST & set(evidence.lower().split()))
    return [float(e_neg), float(q_neg), float(e_neg != q_neg), covered, float(bool(numbers)),
            float(contrast), min(len(evidence.split()), 60) / 60]  # fmt: skip


def pair_arrays(tokenizer, turns: list[dict], limit: int = 128) -> dict[str, np.ndarray]:
    encodings = [tokenizer.encode(t["q"], t["ev"]) for t in turns]
    width = min(limit, max(len(e.ids) for e in encodings))
    ids = np.zeros((len(turns), width), np.int64)
    types, mask = np.zeros_like(ids), np.zeros_like(ids)
    for row, enc in enumerate(encodings):
        n = min(width, len(enc.ids))
        ids[row, :n], types[row, :n], mask[row, :n] = enc.ids[:n], enc.type_ids[:n], 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def probe_features(turns: list[dict]) -> np.ndarray:
    """The reader's pooled [CLS] state and relevance logit for each (question, evidence)."""
    import onnx
    import onnxruntime as ort

    from qa.reading import load_tokenizer

    graph = onnx.load(str(READER / "model.onnx"))
    graph.graph.output.append(
        onnx.helper.make_tensor_value_info(POOLED, onnx.TensorProto.FLOAT, None)
    )
    session = ort.InferenceSession(graph.SerializeToString())
    tokenizer = load_tokenizer(READER / "tokenizer.json")
    rows = []
    for i in range(0, len(turns), 16):
        relevance, pooled = session.run(
            ["relevance", POOLED], pair_arrays(tokenizer, turns[i : i + 16])
        )
        rows.append(np.hstack([pooled, relevance.reshape(-1, 1)]))
    return np.vstack(rows)


def reach(
    p_yes: np.ndarray, labels: np.ndarray, fired: np.ndarray | None = None
) -> tuple[float, float]:
    """Accuracy where a verdict is given, and the largest share of all turns (most confident
    first, >= 20 of them) on which the verdicts are right >= TARGET of the time."""
    fired = np.ones(len(labels), bool) if fired is None else fired
    right = ((p_yes > 0.5) == labels)[fired]
    order = np.argsort(-np.abs(p_yes[fired] - 0.5), kind="stable")
    running = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = [k + 1 for k in range(19, len(order)) if running[k] >= TARGET]
    return float(right.mean()), (max(ok) if ok else 0) / len(labels)


def cross_validated(features: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = GroupKFold(5)
    return cross_val_predict(
        model, features, labels, cv=folds, groups=groups, method="predict_proba"
    )[:, 1]


def finetuned(turns: list[dict], epochs: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """P(yes) on 20% of the stories from the cross-encoder fine-tuned on the other 80%."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from qa.reading import load_tokenizer
    from train.convert import BERT_SHAPE, cross_encoder_onnx, onnx_state_dict

    torch.manual_seed(seed)
    stories = sorted({t["story"] for t in turns})
    random.Random(seed).shuffle(stories)
    held = set(stories[: len(stories) // 5])
    fit, test = (
        [t for t in turns if t["story"] not in held],
        [t for t in turns if t["story"] in held],
    )
    model = BertForSequenceClassification(BertConfig(**BERT_SHAPE, num_labels=2))
    state = {k: torch.from_numpy(v) for k, v in onnx_state_dict(cross_encoder_onnx()).items()}
    model.load_state_dict(
        {k: v for k, v in state.items() if not k.startswith("classifier")}, strict=False
    )
    tokenizer = load_tokenizer(READER / "tokenizer.json")
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    steps = epochs * -(-len(fit) // 16)  # 10% linear warm-up, then linear decay
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps)
    )

    def batch(rows: list[dict]) -> dict:
        return {k: torch.from_numpy(v) for k, v in pair_arrays(tokenizer, rows).items()}

    for epoch in range(epochs):
        random.Random(epoch).shuffle(fit)
        for i in range(0, len(fit), 16):
            rows = fit[i : i + 16]
            model(**batch(rows), labels=torch.tensor([t["y"] for t in rows])).loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        p = [torch.softmax(model(**batch(test[i : i + 32])).logits, -1)[:, 1].numpy()
             for i in range(0, len(test), 32)]  # fmt: skip
    return np.concatenate(p), np.array([t["y"] for t in test])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--finetune", action="store_true", help="also fine-tune (~20 min)")
    args = parser.parse_args(argv)
    turns = yes_no_turns(shared_data_dir().parent / COQA_TRAIN)
    labels = np.array([t["y"] for t in turns])
    groups = np.array([t["story"] for t in turns])
    print(f"{len(turns)} yes/no turns, {labels.mean():.3f} yes; verdict shown only at >= {TARGET}")
    fired = np.array(
        [bool(NEGATION.search(t["ev"])) and not NEGATION.search(t["q"]) for t in turns]
    )
    results = {"negation": reach(np.zeros(len(turns)), labels, fired)}
    lexical = np.array([lexical_features(t["q"], t["ev"]) for t in turns])
    results["lexical"] = reach(cross_validated(lexical, labels, groups), labels)
    results["probe"] = reach(cross_validated(probe_features(turns), labels, groups), labels)
    if args.finetune:
        results["finetune"] = reach(*finetuned(turns))
    for name, (accuracy, share) in results.items():
        print(f"{name:9} accuracy {accuracy:.3f}  share right >= {TARGET}: {share:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
