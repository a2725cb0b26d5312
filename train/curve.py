"""The learning curve of a training run: dev F1/EM and loss against examples seen.

python -m train.curve /work/ckpt/reader/log.jsonl --out docs/learning_curve.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evals = [r for r in rows if "dev_f1" in r]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot([r["seen"] for r in evals], [r["dev_f1"] for r in evals], "o-", label="F1")
    left.plot([r["seen"] for r in evals], [r["dev_em"] for r in evals], "s--", label="EM")
    left.set(xlabel="training windows seen", ylabel="dev: 150 SQuAD 22-24 + 150 NYT")
    left.set_title("Reader on the gold paragraph")
    left.legend()
    window = 25  # steps averaged: single-batch losses are noisy
    losses = [r["loss"] for r in rows]
    smooth = [
        sum(losses[max(0, i - window) : i + 1]) / len(losses[max(0, i - window) : i + 1])
        for i in range(len(losses))
    ]
    right.plot([r["seen"] for r in rows], smooth)
    right.set(xlabel="training windows seen", ylabel=f"loss (mean of {window} steps)")
    right.set_title("Training loss")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/learning_curve.png"))
    args = parser.parse_args(argv)
    rows = read_log(args.log)
    plot(rows, args.out)
    for r in rows:
        if "dev_f1" in r:
            print(f"seen {r['seen']:>6}: dev F1 {r['dev_f1']:.4f}  EM {r['dev_em']:.4f}")


if __name__ == "__main__":
    main()
