"""BM25 over the chunks (bm25s), saved beside the vectors so a large corpus opens at once."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her him his how i"
    " in into is it its me my not of on or our she so than that the their them then there these"
    " they this those to us was we were what when where which while who whom whose why will with"
    " would you your".split()
)
_SIZE_FILE = "size.json"  # our own record: bm25s saves nothing for an empty corpus


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, for BM25."""
    return [t for t in _WORD.findall(text.lower()) if t not in STOPWORDS]


class BM25Index:
    """bm25s over the chunk texts; row i scores chunk i."""

    def __init__(self, texts: Sequence[str] = (), *, model=None, size: int | None = None) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        self._size = len(texts) if size is None else size
        self._model = model
        # bm25s rejects an empty corpus; a chunkless index simply has no lexical matches.
        if model is None and self._size:
            self._model = bm25s.BM25()
            self._model.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    def __len__(self) -> int:
        return self._size

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every row, or None when no query word is in the vocabulary."""
        tokens = [t for t in tokenize(query) if self._model and t in self._model.vocab_dict]
        if not tokens:
            return None
        return self._model.get_scores(tokens)

    def search(self, query: str, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The top-k (row, score) pairs with a positive score; only among ``rows`` if given."""
        scores = self.scores(query) if self._size else None
        if scores is None or k < 1:
            return []
        if rows is None:
            rows = np.arange(self._size)
        else:
            rows = np.asarray(rows, dtype=np.int64)
            scores = scores[rows]
        best = np.argsort(-scores, kind="stable")[: min(k, len(rows))]
        return [(int(rows[i]), float(scores[i])) for i in best if scores[i] > 0]

    def save(self, folder: Path) -> list[str]:
        """Write into ``folder`` (created); returns the file names, relative to it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder), show_progress=False)  # .npy and .json, no pickle
        (folder / _SIZE_FILE).write_text(json.dumps({"rows": self._size}), encoding="utf-8")
        return sorted(p.name for p in folder.iterdir())

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """The index saved in ``folder``; OSError/ValueError/KeyError when it is damaged."""
        import bm25s

        folder = Path(folder)
        size = int(json.loads((folder / _SIZE_FILE).read_text(encoding="utf-8"))["rows"])
        if not size:
            return cls(size=0)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        model = bm25s.BM25.load(str(folder), show_progress=False, allow_pickle=False)
        rows = int(model.scores["num_docs"])
        if rows != size:
            raise ValueError(f"BM25 index has {rows} rows, expected {size}")
        return cls(model=model, size=size)
