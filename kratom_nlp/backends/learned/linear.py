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
normalising and the dot product are array operations.

Blocks whose analyzers agree (analyzer, n-gram range, case, token pattern) share one
:class:`TermSpace`: the union of their vocabularies. A text's terms are looked up once per space
(a word's character n-grams once per process, since they never cross a word boundary, and a
sentence's terms once even when several models and components see it), and the term counts of
a batch are computed once per space and column and shared by every model that sees the same
rows; each block then keeps the terms of its own vocabulary with one array lookup. A space
holds its terms' hashes, not the strings (see :class:`TermSpace`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import InitVar, dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "kratom-linear"
FORMAT_VERSION = 2
WEIGHTS_FILE = "weights.safetensors"
METADATA_FILE = "metadata.json"
VOCAB_DIR = "vocab"

_WHITE_SPACES = re.compile(r"\s\s+")
FeatureCache = dict[Any, Any]  # per batch of rows: feature matrices and term counts
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
        if n == 2:  # the default models' bigrams: pairs, no slice per term
            out += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        else:
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


# --------------------------------------------------------------------------- term spaces
def _extend(index: dict[str, int], vocabulary: dict[str, int]) -> np.ndarray:
    """Number the new terms of ``vocabulary`` in ``index``; the index id of each column."""
    for term in vocabulary:
        if term not in index:
            index[term] = len(index)
    out = np.empty(len(vocabulary), dtype=np.int64)
    for term, j in vocabulary.items():
        out[j] = index[term]
    return out


def _cached(cache: FeatureCache | None, key: tuple[Any, ...], compute: Any) -> Any:
    """``compute()``, shared through ``cache`` by the models that see the same rows."""
    if cache is None:
        return compute()
    got = cache.get(key)
    if got is None:
        got = cache[key] = compute()
    return got


def _hashes(terms: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))


class TermSpace:
    """The terms of every block with the same analyzer settings, numbered once.

    The space holds no strings: a term is known by its 64-bit hash (Python's ``hash``, the
    same for the vocabulary and the texts of one process and its forked workers), kept in one
    sorted array beside each term's id in the space (12 bytes a term; a ``dict`` of the
    strings held 190,000 terms of the default models in about 40 MB). Two distinct terms of
    the vocabularies with the same hash are refused when they are added; a term outside them
    takes a known term's place only if its hash equals one of theirs (about 10^-14 a term).
    A block maps the space's ids to its own columns (``column_of`` of each block). Looked-up
    texts and words are memoised (bounded); the memos are cleared whenever a new vocabulary
    extends the space."""

    MAX_TEXTS = 4_096  # a batch of documents (32 long articles), seen by every component
    MAX_WORDS = 200_000

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], lowercase: bool,
                 token_pattern: str | None) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.pattern = re.compile(token_pattern) if token_pattern else None
        self.size = 0
        self._keys = np.zeros(0, dtype=np.int64)  # the terms' hashes, sorted
        self._key_ids = np.zeros(0, dtype=np.int32)  # the space id of each
        self._texts: dict[str, np.ndarray] = {}
        self._words: dict[str, bytes] = {}  # a word's char n-gram ids, packed int32

    def _lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The space id of each hash (-1 where no term has it)."""
        keys = self._keys
        if not len(keys) or not len(hashes):
            return np.full(len(hashes), -1, dtype=np.int32)
        pos = np.searchsorted(keys, hashes)
        pos[pos == len(keys)] = 0
        return np.where(keys[pos] == hashes, self._key_ids[pos], np.int32(-1))

    def add(self, vocabulary: dict[str, int]) -> np.ndarray:
        """Add a block's vocabulary; returns the space id of each of its columns."""
        terms = list(vocabulary)
        hashes = _hashes(terms)
        if len(np.unique(hashes)) != len(hashes):
            raise ValueError("two terms of a vocabulary have the same hash in this process; "
                             "run it again (Python's string hashes change with "
                             "PYTHONHASHSEED)")
        ids = self._lookup(hashes).astype(np.int64)
        new = ids < 0
        n_new = int(new.sum())
        if n_new:
            ids[new] = np.arange(self.size, self.size + n_new)
            self.size += n_new
            keys = np.concatenate([self._keys, hashes[new]])
            order = np.argsort(keys, kind="stable")
            self._keys = keys[order]
            self._key_ids = np.concatenate([self._key_ids, ids[new].astype(np.int32)])[order]
            self._texts.clear()
            self._words.clear()
        out = np.empty(len(terms), dtype=np.int64)
        out[np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))] = ids
        return out

    def ids(self, text: str) -> np.ndarray:
        """Space ids of the terms of ``text`` that some block knows (repeats kept), sorted."""
        return self._ids_of([text])[0]

    def _ids_of(self, texts: Sequence[str]) -> list[np.ndarray]:
        """:meth:`ids` of each text; the texts not memoised are looked up together (one
        array lookup for all their terms)."""
        memo = self._texts
        got: dict[str, np.ndarray] = {}
        todo: list[str] = []
        for text in texts:
            if text in got:
                continue
            known = memo.get(text)
            if known is None:
                todo.append(text)
                got[text] = known  # type: ignore[assignment]  # filled below
            else:
                got[text] = known
        if todo:
            found = self._word_ids(todo) if self.analyzer != "char_wb" else \
                self._char_ids(todo)
            if len(memo) + len(todo) > self.MAX_TEXTS:
                memo.clear()
            for k, (text, ids) in enumerate(zip(todo, found, strict=True)):
                got[text] = ids
                if k < self.MAX_TEXTS:  # a batch larger than the memo fills it, no more
                    memo[text] = ids
        return [got[text] for text in texts]

    def _word_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        assert self.pattern is not None
        grams = [word_ngrams(text, self.pattern, self.lowercase, self.ngram_range)
                 for text in texts]
        lens = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        ids = self._lookup(_hashes([g for gs in grams for g in gs]))
        return _per_text(ids, lens)

    def _char_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        memo = self._words
        words = [(text.lower() if self.lowercase else text).split() for text in texts]
        new = [w for w in dict.fromkeys(w for ws in words for w in ws) if w not in memo]
        if new:
            if len(memo) + len(new) > self.MAX_WORDS:
                memo.clear()
            grams = [char_wb_ngrams(w, False, self.ngram_range) for w in new]
            lens = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
            # packed int32 (~90 bytes a word; a list of ints took ~900, 180 MB when full)
            packed = {w: ids.tobytes() for w, ids in zip(new, _per_text(self._lookup(_hashes(
                [g for gs in grams for g in gs])), lens, sort=False), strict=True)}
            lookup = memo
            if len(packed) > self.MAX_WORDS:  # more new words than the memo holds: it
                lookup = {**memo, **packed}  # takes as many as fit, this batch reads all
                packed = dict(list(packed.items())[:self.MAX_WORDS])
            memo.update(packed)
            memo = lookup
        return [np.sort(np.frombuffer(b"".join([memo[w] for w in ws]), dtype=np.int32))
                for ws in words]

    def counts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Term counts of a batch of texts: row, space id, count (sorted by row, then id)."""
        found = self._ids_of(texts)
        lens = [len(a) for a in found]
        if not sum(lens):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        # each text's ids are sorted (``ids``): the runs of equal (row, id) are the counts
        ids = np.concatenate(found)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
        start = np.empty(len(ids), dtype=bool)
        start[0] = True
        np.not_equal(ids[1:], ids[:-1], out=start[1:])
        start[1:] |= rows[1:] != rows[:-1]
        first = np.flatnonzero(start)
        counts = np.diff(np.append(first, len(ids))).astype(np.float64)
        return rows[first], ids[first].astype(np.int64), counts


def _per_text(ids: np.ndarray, lens: np.ndarray, sort: bool = True) -> list[np.ndarray]:
    """Split the looked-up ids of several texts (``lens`` terms each) into each text's known
    ids (int32, sorted unless ``sort`` is false)."""
    rows = np.repeat(np.arange(len(lens)), lens)
    keep = ids >= 0
    ids, rows = ids[keep], rows[keep]
    if sort:
        order = np.lexsort((ids, rows))
        ids = ids[order]
    bounds = np.cumsum(np.bincount(rows, minlength=len(lens)))[:-1]
    return [a.copy() for a in np.split(ids.astype(np.int32, copy=False), bounds)]


class KeySpace:
    """The feature names of every ``DictVectorizer`` block, numbered once (see
    :class:`TermSpace`): ``key=value`` for strings, ``key`` for numbers."""

    MAX_PAIRS = 10_000  # memoised (key, string value) pairs: categorical, a few hundred

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        # (key, string value) -> space id of "key=value" (-1: no block knows it); formatting
        # and hashing a new "key=value" string for every entry was half of the blocks' time
        self._pairs: dict[tuple[str, str], int] = {}

    @property
    def size(self) -> int:
        return len(self.index)

    def add(self, vocabulary: dict[str, int]) -> np.ndarray:
        before = len(self.index)
        out = _extend(self.index, vocabulary)
        if len(self.index) != before:
            self._pairs.clear()
        return out

    def _pair(self, item: tuple[str, str]) -> int:
        j = self.index.get(f"{item[0]}={item[1]}", -1)
        if len(self._pairs) >= self.MAX_PAIRS:
            self._pairs.clear()
        self._pairs[item] = j
        return j

    def entries(self, dicts: Sequence[dict[str, Any] | None]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, space id and value of every known, non-zero entry of ``dicts``."""
        get = self.index.get
        pairs = self._pairs
        r_idx: list[int] = []
        g_idx: list[int] = []
        vals: list[float] = []
        for i, row in enumerate(dicts):
            if not row:
                continue
            n = len(g_idx)
            for item in row.items():
                value = item[1]
                if isinstance(value, str):
                    j = pairs.get(item)
                    if j is None:
                        j = self._pair(item)
                    if j >= 0:
                        g_idx.append(j)
                        vals.append(1.0)
                elif value:  # zeros are not stored
                    j = get(item[0])
                    if j is not None:
                        g_idx.append(j)
                        vals.append(float(value))
            r_idx += [i] * (len(g_idx) - n)
        return (np.asarray(r_idx, np.int64), np.asarray(g_idx, np.int64),
                np.asarray(vals, np.float64))


class _SpaceColumns:
    """A block's columns inside a shared space (a :class:`TermSpace` or :class:`KeySpace`)."""

    _space: TermSpace | KeySpace
    _space_of_column: np.ndarray
    _column_of: np.ndarray | None
    _terms: list[str] | None
    _terms_file: Path | None

    def _join(self, space: TermSpace | KeySpace, vocabulary: dict[str, int],
              terms_file: Path | None) -> None:
        # the vocabulary itself is not kept: the block keeps the space id of each column (a
        # dict per block held ~40 MB of repeated strings over the five default models); a
        # loaded block's terms are read again from its file when it is saved
        self._space = space
        self._space_of_column = space.add(vocabulary)
        self._column_of = None
        self._terms_file = terms_file
        self._terms = None if terms_file is not None else \
            sorted(vocabulary, key=vocabulary.__getitem__)

    @property
    def size(self) -> int:
        return len(self._space_of_column)

    def terms(self) -> list[str]:
        """The block's terms in column order (for saving)."""
        if self._terms is not None:
            return self._terms
        assert self._terms_file is not None
        terms = json.loads(self._terms_file.read_text(encoding="utf-8"))
        if len(terms) != self.size:
            raise ValueError(f"{self._terms_file}: {len(terms)} terms, the loaded block has "
                             f"{self.size} (the file changed since it was loaded)")
        return [str(t) for t in terms]

    def column_of(self) -> np.ndarray:
        """The block's column for each id of its space (-1 where it has none)."""
        n = self._space.size
        if self._column_of is None or len(self._column_of) != n:
            out = np.full(n, -1, dtype=np.int64)
            out[self._space_of_column] = np.arange(len(self._space_of_column))
            self._column_of = out
        return self._column_of


_SPACES: dict[tuple[Any, ...], TermSpace] = {}
KEYS = KeySpace()


def forget_shared() -> None:
    """Forget the shared featurizers and term spaces (models already loaded keep theirs;
    the next ones loaded build new ones). :data:`KEYS` stays: it is small, and every
    dictionary block reads it."""
    _SHARED.clear()
    _SPACES.clear()


def clear_text_memos() -> None:
    """Forget the memoised texts of every term space (word memos stay): what a batch of texts
    never seen before costs, as benchmarks measure it."""
    for space in _SPACES.values():
        space._texts.clear()


def term_space(analyzer: str, ngram_range: tuple[int, int], lowercase: bool,
               token_pattern: str | None) -> TermSpace:
    """The process's term space for these analyzer settings."""
    key = (analyzer, tuple(ngram_range), bool(lowercase), token_pattern)
    space = _SPACES.get(key)
    if space is None:
        space = _SPACES[key] = TermSpace(analyzer, tuple(ngram_range), bool(lowercase),
                                         token_pattern)
    return space


# --------------------------------------------------------------------------- blocks
@dataclass
class TextBlock(_SpaceColumns):
    """A TF-IDF block over one text column (``text`` or ``context``)."""

    name: str
    column: str
    analyzer: str
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str | None
    sublinear_tf: bool
    norm: str | None
    vocabulary: InitVar[dict[str, int]]
    idf: np.ndarray | None
    terms_file: InitVar[Path | None] = None  # where a loaded block's terms are stored

    def __post_init__(self, vocabulary: dict[str, int], terms_file: Path | None) -> None:
        self.space = term_space(self.analyzer, self.ngram_range, self.lowercase,
                                self.token_pattern)
        self._join(self.space, vocabulary, terms_file)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "type": "tfidf", "column": self.column,
                "analyzer": self.analyzer, "ngram_range": list(self.ngram_range),
                "lowercase": self.lowercase, "token_pattern": self.token_pattern,
                "sublinear_tf": self.sublinear_tf, "norm": self.norm,
                "use_idf": self.idf is not None, "size": self.size}


@dataclass
class DictBlock(_SpaceColumns):
    """scikit-learn's ``DictVectorizer``: ``key=value`` for strings, ``key`` for numbers."""

    name: str
    column: str
    vocabulary: InitVar[dict[str, int]]
    terms_file: InitVar[Path | None] = None

    def __post_init__(self, vocabulary: dict[str, int], terms_file: Path | None) -> None:
        self._join(KEYS, vocabulary, terms_file)

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

    def transform(self, rows: Sequence[dict[str, Any]], cache: FeatureCache | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The feature matrix of ``rows`` (dicts with the columns ``text``, ``context`` and
        ``rules``) in coordinate form: row indices, column indices, values. ``cache`` shares
        term counts between featurizers that see the same rows."""
        parts_rows: list[np.ndarray] = []
        parts_cols: list[np.ndarray] = []
        parts_vals: list[np.ndarray] = []
        for block, off in zip(self.blocks, self.offsets, strict=True):
            r, c, v = self._block(block, rows, cache)
            parts_rows.append(r)
            parts_cols.append(c + off)
            parts_vals.append(v)
        if not parts_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(parts_rows), np.concatenate(parts_cols), np.concatenate(parts_vals)

    @staticmethod
    def _block(block: Block, rows: Sequence[dict[str, Any]], cache: FeatureCache | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(block, DictBlock):
            dicts = [row.get(block.column) for row in rows]
            r, g, v = _cached(cache, ("entries", tuple(map(id, dicts)), KEYS.size),
                              lambda: KEYS.entries(dicts))
            local = block.column_of()[g]
            keep = local >= 0
            return r[keep], local[keep], v[keep]
        texts = [row.get(block.column) or "" for row in rows]
        space = block.space
        r, g, counts = _cached(cache, ("counts", id(space), tuple(map(id, texts)),
                                       space.size), lambda: space.counts(texts))
        if not len(g):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        local = block.column_of()[g]
        keep = local >= 0
        r, c = r[keep], local[keep]
        v = counts[keep]
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
    """``X @ W`` for ``X`` (n × F) in coordinate form, without repeated entries (what
    :meth:`Featurizer.transform` returns), and a dense ``W`` (F × C)."""
    from scipy.sparse import csr_matrix  # scikit-learn's own dependency

    n_out = weights_t.shape[1]
    if not len(cols):
        return np.zeros((n, n_out), dtype=np.float64)
    # each block's entries are sorted by row already: a stable sort merges the runs, and the
    # row counts give the CSR row pointers directly (no duplicate summing, no index sorting)
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    x = csr_matrix((vals[order], cols[order], indptr), shape=(n, weights_t.shape[0]))
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
            coo = self.featurizer.transform(rows, features)
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
        terms = b.terms()
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
        del terms
        if cfg["type"] == "dict":
            blocks.append(DictBlock(cfg["name"], cfg["column"], vocab,
                                    folder / cfg["vocabulary"]))
            continue
        idf = tensors.get(f"idf.{cfg['name']}") if cfg.get("use_idf", True) else None
        blocks.append(TextBlock(cfg["name"], cfg["column"], cfg["analyzer"],
                                tuple(cfg["ngram_range"]), bool(cfg["lowercase"]),
                                cfg.get("token_pattern"), bool(cfg["sublinear_tf"]),
                                cfg.get("norm"), vocab, idf, folder / cfg["vocabulary"]))
    featurizer = _SHARED[digest] = Featurizer(blocks)
    return featurizer
