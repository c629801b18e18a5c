"""Linear models stored as arrays: a featurizer described in JSON, weights in safetensors.

The format executes nothing when it is loaded (no pickle, no object tree): ``metadata.json``
describes the feature blocks and the output layer, ``vocab/<block>.json`` lists each block's
terms (the index of a term is its position), and ``weights.safetensors`` holds the arrays:
``coef`` (classes × features), ``intercept``, ``idf.<block>`` and, for calibrated models,
``calibration.a`` / ``calibration.b``. Prediction is written against those arrays with numpy.

Feature blocks reproduce scikit-learn's vectorizers exactly (``TfidfVectorizer`` with the
``word`` and ``char_wb`` analyzers, sublinear tf, idf and l2 norm; ``DictVectorizer``), so a
model trained with scikit-learn predicts the same probabilities here. A whole batch is
featurised at once: the only Python loop is over the n-grams of each text; counting, weighting,
normalising and the dot product are array operations, and a word's character n-grams are
looked up once per model (they never cross a word boundary).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "kratom-linear"
FORMAT_VERSION = 2
WEIGHTS_FILE = "weights.safetensors"
METADATA_FILE = "metadata.json"
VOCAB_DIR = "vocab"

_WHITE_SPACES = re.compile(r"\s\s+")
FeatureCache = dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
OUTPUTS = ("calibrated_sigmoid", "softmax", "logistic", "identity")


# --------------------------------------------------------------------------- analyzers
def word_ngrams(text: str, pattern: re.Pattern[str], lowercase: bool,
                ngram_range: tuple[int, int]) -> list[str]:
    """The terms of scikit-learn's ``word`` analyzer (no stop words)."""
    tokens = pattern.findall(text.lower() if lowercase else text)
    lo, hi = ngram_range
    out = list(tokens) if lo == 1 else []
    n_tok = len(tokens)
    for n in range(max(lo, 2), min(hi, n_tok) + 1):
        out += [" ".join(tokens[i:i + n]) for i in range(n_tok - n + 1)]
    return out


def char_wb_ngrams(text: str, lowercase: bool, ngram_range: tuple[int, int]) -> list[str]:
    """The terms of scikit-learn's ``char_wb`` analyzer."""
    if lowercase:
        text = text.lower()
    text = _WHITE_SPACES.sub(" ", text)
    lo, hi = ngram_range
    out: list[str] = []
    for word in text.split():
        w = f" {word} "
        w_len = len(w)
        for n in range(lo, hi + 1):
            if w_len <= n:
                out.append(w)  # a short word counts once
                break
            out += [w[i:i + n] for i in range(w_len - n + 1)]
    return out


# --------------------------------------------------------------------------- blocks
@dataclass
class TextBlock:
    """A TF-IDF block over one text column (``text`` or ``context``)."""

    name: str
    column: str
    analyzer: str
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str | None
    sublinear_tf: bool
    norm: str | None
    vocabulary: dict[str, int]
    idf: np.ndarray | None

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.token_pattern) if self.token_pattern else None
        self._word_ids: dict[str, tuple[int, ...]] = {}  # char_wb: a word's n-gram ids

    def ids(self, text: str) -> list[int]:
        """Vocabulary indices of the terms of ``text`` (repeats kept: they are counts)."""
        get = self.vocabulary.get
        if self.analyzer != "char_wb":
            return [j for j in map(get, self.terms(text)) if j is not None]
        # char n-grams never cross a word boundary: a word's ids are computed once
        memo = self._word_ids
        if len(memo) > 500_000:
            memo.clear()
        out: list[int] = []
        lo, hi = self.ngram_range
        for word in (text.lower() if self.lowercase else text).split():
            got = memo.get(word)
            if got is None:
                w = f" {word} "
                w_len = len(w)
                grams: list[str] = []
                for n in range(lo, hi + 1):
                    if w_len <= n:
                        grams.append(w)
                        break
                    grams += [w[i:i + n] for i in range(w_len - n + 1)]
                got = memo[word] = tuple(j for j in map(get, grams) if j is not None)
            out += got
        return out

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    @property
    def key(self) -> tuple[Any, ...]:
        """Blocks with equal keys produce the same terms (so n-grams can be shared)."""
        return (self.column, self.analyzer, self.ngram_range, self.lowercase, self.token_pattern)

    def terms(self, text: str) -> list[str]:
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, self.lowercase, self.ngram_range)
        assert self._pattern is not None
        return word_ngrams(text, self._pattern, self.lowercase, self.ngram_range)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "type": "tfidf", "column": self.column,
                "analyzer": self.analyzer, "ngram_range": list(self.ngram_range),
                "lowercase": self.lowercase, "token_pattern": self.token_pattern,
                "sublinear_tf": self.sublinear_tf, "norm": self.norm,
                "use_idf": self.idf is not None, "size": self.size}


@dataclass
class DictBlock:
    """scikit-learn's ``DictVectorizer``: ``key=value`` for strings, ``key`` for numbers."""

    name: str
    column: str
    vocabulary: dict[str, int]

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "type": "dict", "column": self.column, "size": self.size}


Block = TextBlock | DictBlock


class Featurizer:
    """The feature blocks of a model, side by side (a ColumnTransformer's ``hstack``)."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks)
        self.offsets = []
        off = 0
        for b in self.blocks:
            self.offsets.append(off)
            off += b.size
        self.n_features = off

    def transform(self, rows: Sequence[dict[str, Any]]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The feature matrix of ``rows`` (dicts with the columns ``text``, ``context`` and
        ``rules``) in coordinate form: row indices, column indices, values."""
        parts_rows: list[np.ndarray] = []
        parts_cols: list[np.ndarray] = []
        parts_vals: list[np.ndarray] = []
        for block, off in zip(self.blocks, self.offsets, strict=True):
            r, c, v = self._block(block, rows)
            parts_rows.append(r)
            parts_cols.append(c + off)
            parts_vals.append(v)
        if not parts_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(parts_rows), np.concatenate(parts_cols), np.concatenate(parts_vals)

    @staticmethod
    def _block(block: Block, rows: Sequence[dict[str, Any]]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        vocab = block.vocabulary
        get = vocab.get
        if isinstance(block, DictBlock):
            r_idx: list[int] = []
            c_idx: list[int] = []
            vals: list[float] = []
            for i, row in enumerate(rows):
                for key, value in (row.get(block.column) or {}).items():
                    if isinstance(value, str):
                        j = get(f"{key}={value}")
                        val = 1.0
                    else:
                        j = get(key)
                        val = float(value)
                    if j is not None and val != 0.0:
                        r_idx.append(i)
                        c_idx.append(j)
                        vals.append(val)
            return (np.asarray(r_idx, np.int64), np.asarray(c_idx, np.int64),
                    np.asarray(vals, np.float64))
        ids: list[int] = []
        lens: list[int] = []
        for row in rows:
            found = block.ids(row.get(block.column) or "")
            ids += found
            lens.append(len(found))
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        row_of = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
        col = np.asarray(ids, dtype=np.int64)
        size = max(block.size, 1)
        flat, counts = np.unique(row_of * size + col, return_counts=True)
        r = flat // size
        c = flat % size
        v = counts.astype(np.float64)
        if block.sublinear_tf:
            v = np.log(v) + 1.0
        if block.idf is not None:
            v = v * block.idf[c]
        if block.norm == "l2":
            sq = np.bincount(r, weights=v * v, minlength=len(rows))
            norms = np.sqrt(sq)
            norms[norms == 0.0] = 1.0
            v = v / norms[r]
        elif block.norm == "l1":
            s = np.bincount(r, weights=np.abs(v), minlength=len(rows))
            s[s == 0.0] = 1.0
            v = v / s[r]
        return r, c, v


def sparse_dot(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, weights_t: np.ndarray,
               n: int) -> np.ndarray:
    """``X @ W`` for ``X`` (n × F) in coordinate form and a dense ``W`` (F × C)."""
    from scipy.sparse import coo_matrix  # scikit-learn's own dependency

    n_out = weights_t.shape[1]
    if not len(cols):
        return np.zeros((n, n_out), dtype=np.float64)
    x = coo_matrix((vals, (rows, cols)), shape=(n, weights_t.shape[0])).tocsr()
    return np.asarray(x @ weights_t, dtype=np.float64)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- the model
class LinearModel:
    """A linear classifier or regressor over a :class:`Featurizer` (see the module doc)."""

    def __init__(self, featurizer: Featurizer, coef: np.ndarray, intercept: np.ndarray,
                 output: dict[str, Any], labels: Sequence[str] | None,
                 calib_a: np.ndarray | None = None, calib_b: np.ndarray | None = None,
                 classes: Sequence[str] | None = None) -> None:
        self.featurizer = featurizer
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float64)  # F × C
        self.intercept = intercept.astype(np.float64)
        self.output = dict(output)
        self.labels = list(labels) if labels else []
        self.classes = list(classes) if classes else list(self.labels)
        self.calib_a = calib_a
        self.calib_b = calib_b
        if self.output.get("type") not in OUTPUTS:
            raise ValueError(f"unknown output layer {self.output.get('type')!r}")

    def decision(self, rows: Sequence[dict[str, Any]],
                 features: FeatureCache | None = None) -> np.ndarray:
        """Decision values; ``features`` shares the feature matrix between models that have
        the same featurizer and see the same rows."""
        key = id(self.featurizer)
        coo = features.get(key) if features is not None else None
        if coo is None:
            coo = self.featurizer.transform(rows)
            if features is not None:
                features[key] = coo
        r, c, v = coo
        return sparse_dot(r, c, v, self.coef_t, len(rows)) + self.intercept

    def predict(self, rows: Sequence[dict[str, Any]],
                features: FeatureCache | None = None) -> np.ndarray:
        """Probabilities (n × labels, in ``labels`` order) or values (n,) for a regressor."""
        if not rows:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        z = self.decision(rows, features)
        kind = self.output["type"]
        if kind == "identity":
            lo, hi = self.output.get("clip", (-math.inf, math.inf))
            return np.clip(z[:, 0], lo, hi)
        if kind == "calibrated_sigmoid":
            assert self.calib_a is not None and self.calib_b is not None
            if z.shape[1] == 1:  # binary: one calibrator for the positive class
                p1 = _expit(-(self.calib_a[0] * z[:, 0] + self.calib_b[0]))
                raw = np.stack([1.0 - p1, p1], axis=1)
            else:
                raw = _expit(-(self.calib_a * z + self.calib_b))
                denom = raw.sum(axis=1, keepdims=True)
                uniform = np.full_like(raw, 1.0 / raw.shape[1])
                raw = np.where(denom == 0.0, uniform, raw / np.where(denom == 0, 1, denom))
        elif kind == "softmax":
            if z.shape[1] == 1:
                z = np.concatenate([-z, z], axis=1)
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            raw = e / e.sum(axis=1, keepdims=True)
        else:  # logistic
            if z.shape[1] == 1:
                p1 = _expit(z[:, 0])
                raw = np.stack([1.0 - p1, p1], axis=1)
            else:
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                raw = e / e.sum(axis=1, keepdims=True)
        out = np.zeros((raw.shape[0], len(self.labels)))
        for j, c in enumerate(self.classes):
            out[:, self.labels.index(c)] = raw[:, j]
        return out


# --------------------------------------------------------------------------- storage
def save_linear(model: LinearModel, folder: Path, meta: dict[str, Any]) -> dict[str, str]:
    """Write ``metadata.json``, ``vocab/*.json`` and ``weights.safetensors``; returns the
    sha256 of every file written (relative path → digest)."""
    from safetensors.numpy import save_file

    from kratom_nlp.backends.learned.store import sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / VOCAB_DIR).mkdir(exist_ok=True)
    tensors: dict[str, np.ndarray] = {
        "coef": np.ascontiguousarray(model.coef_t.T.astype(np.float32)),
        "intercept": model.intercept.astype(np.float64),
    }
    if model.calib_a is not None and model.calib_b is not None:
        tensors["calibration.a"] = np.asarray(model.calib_a, np.float64)
        tensors["calibration.b"] = np.asarray(model.calib_b, np.float64)
    blocks = []
    written: list[str] = []
    for b in model.featurizer.blocks:
        terms = [""] * b.size
        for term, j in b.vocabulary.items():
            terms[j] = term
        rel = f"{VOCAB_DIR}/{b.name}.json"
        (folder / rel).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        written.append(rel)
        cfg = b.config()
        cfg["vocabulary"] = rel
        if isinstance(b, TextBlock) and b.idf is not None:
            tensors[f"idf.{b.name}"] = np.asarray(b.idf, np.float64)
        blocks.append(cfg)
    save_file(tensors, str(folder / WEIGHTS_FILE))
    written.append(WEIGHTS_FILE)
    files = {rel: sha256_file(folder / rel) for rel in written}
    full = {**meta, "format": FORMAT, "format_version": FORMAT_VERSION,
            "featurizer": {"blocks": blocks}, "output": model.output,
            "labels": model.labels or None, "classes": model.classes or None, "files": files}
    (folder / METADATA_FILE).write_text(json.dumps(full, indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    return {**files, METADATA_FILE: sha256_file(folder / METADATA_FILE)}


def load_linear(folder: Path, meta: dict[str, Any]) -> LinearModel:
    """Load a model written by :func:`save_linear` (hashes are checked by the caller)."""
    from safetensors.numpy import load_file

    tensors = load_file(str(folder / WEIGHTS_FILE))
    featurizer = _featurizer(folder, meta, tensors)
    coef = tensors["coef"]
    if coef.shape[1] != featurizer.n_features:
        raise ValueError(f"{folder}: weights have {coef.shape[1]} features, the featurizer "
                         f"{featurizer.n_features}")
    return LinearModel(featurizer, coef, tensors["intercept"], meta["output"],
                       meta.get("labels"), tensors.get("calibration.a"),
                       tensors.get("calibration.b"), meta.get("classes"))


_SHARED: dict[str, Featurizer] = {}


def _featurizer(folder: Path, meta: dict[str, Any], tensors: dict[str, np.ndarray]
                ) -> Featurizer:
    """The model's featurizer; models whose featurizers are identical (same blocks, same
    vocabulary files, same idf) share one instance, so one feature matrix serves them all."""
    import hashlib

    h = hashlib.sha256(json.dumps(meta["featurizer"], sort_keys=True).encode())
    for cfg in meta["featurizer"]["blocks"]:
        h.update(str(meta.get("files", {}).get(cfg["vocabulary"], "")).encode())
        idf = tensors.get(f"idf.{cfg['name']}")
        if idf is not None:
            h.update(np.ascontiguousarray(idf).tobytes())
    digest = h.hexdigest()
    if digest in _SHARED:
        return _SHARED[digest]
    blocks: list[Block] = []
    for cfg in meta["featurizer"]["blocks"]:
        terms = json.loads((folder / cfg["vocabulary"]).read_text(encoding="utf-8"))
        if len(terms) != cfg["size"]:
            raise ValueError(f"{folder}: vocabulary {cfg['name']} has {len(terms)} terms, "
                             f"metadata says {cfg['size']}")
        vocab = {t: i for i, t in enumerate(terms)}
        if cfg["type"] == "dict":
            blocks.append(DictBlock(cfg["name"], cfg["column"], vocab))
            continue
        idf = tensors.get(f"idf.{cfg['name']}") if cfg.get("use_idf", True) else None
        blocks.append(TextBlock(cfg["name"], cfg["column"], cfg["analyzer"],
                                tuple(cfg["ngram_range"]), bool(cfg["lowercase"]),
                                cfg.get("token_pattern"), bool(cfg["sublinear_tf"]),
                                cfg.get("norm"), vocab, idf))
    featurizer = _SHARED[digest] = Featurizer(blocks)
    return featurizer
