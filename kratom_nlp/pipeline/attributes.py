"""spaCy's ``attribute_ruler`` applied by table look-up instead of its ``Matcher``.

The attribute ruler of ``en_core_web_sm`` maps each token's fine tag (and, for some words, its
lower-cased form) to a coarse part of speech, morphology and lemma: 179 patterns, almost all of
one token. spaCy runs them through a general ``Matcher`` and applies every match with a Python
call per token; on the words benchmark's documents that is about 1.2 s of a 16 s run, all of it
in the thread that the transformer's look-ahead waits on.

:class:`TableAttributeRuler` is the same component with the same patterns (the sourced one's
class is swapped when the pipeline is built, see :func:`table_attribute_ruler`). Its
``__call__`` reads the attributes the patterns test as one array per document, evaluates every
token pattern once per distinct row of that array (rows recur: a document has far fewer
distinct (tag, word) pairs than tokens, and the rows are remembered across documents), folds
the matching patterns' attributes in the ruler's own order (a later pattern overrides an
earlier one) and writes the result back with one ``Doc.from_array``. Patterns of several tokens
(``gon na``, ``let 's``) are matched over the same array by position. The values are the
ruler's: ``tests/test_pipeline.py`` compares every token's part of speech, morphology, lemma,
tag and label with spaCy's own ruler on the fixture articles and on words that hit the
patterns of several tokens, and the analyses of the words benchmark are the same.

Only what the patterns of the packaged model use is read this way: equality, ``IN``,
``NOT_IN`` and ``REGEX`` on string attributes and equality on ``IS_*`` flags, no operators,
and attributes to set among part of speech, tag, morphology, lemma and dependency label. A
ruler with any other pattern (an ``OP``, an extension attribute, ``NORM`` to set) keeps
spaCy's matcher. On 426,491 tokens of the real-news pools and the project's texts, one-off
run: the same values at 1.4 s against spaCy's 10.3 s; the 503 real-news articles leave 24,042
distinct rows remembered (135 combinations of patterns), about 4 MB."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from spacy.attrs import DEP, IDS, LEMMA, MORPH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.strings import get_string_id
from spacy.tokens import Doc

# attributes a pattern may test here: string attributes and flags that Doc.to_array gives
_READ_STRINGS = {"ORTH", "TEXT", "LOWER", "NORM", "TAG", "POS", "DEP", "LEMMA", "SHAPE"}
_READ_FLAGS = {"IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE",
               "IS_TITLE", "IS_UPPER", "LIKE_URL", "LIKE_NUM", "LIKE_EMAIL", "IS_STOP"}
# attributes a pattern may set here: token fields that nothing else reads while they are set
_WRITE = (POS, TAG, MORPH, LEMMA, DEP)
# distinct rows remembered (about 8 MB at the cap: 24,042 rows measured about 4 MB); past
# this the memo starts again
MAX_ROWS = 50_000
# a row seen for the first time is added under this lock: the desk runs analyses on several
# threads with one pipeline, and a combination's index must name the values appended for it
# (module-level, so that a pipeline still pickles)
_LOCK = threading.Lock()


@dataclass
class _Condition:
    column: int
    kind: str  # "eq", "in", "not_in" or "regex"
    value: Any


@dataclass
class _Table:
    """A ruler's patterns compiled to conditions on the columns of ``Doc.to_array(read)``."""

    read: list[int]
    specs: list[list[_Condition]]  # every distinct token pattern
    single: list[tuple[int, int]]  # (pattern id, spec) of one-token patterns
    multi: list[tuple[int, list[int], int]]  # (pattern id, specs, index) of longer ones
    values: list[dict[int, int]]  # per pattern id: column of ``_WRITE`` -> value
    # the specs with an equality condition, by (column, value) of one such condition; the
    # others are checked for every row
    by_key: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    always: list[int] = field(default_factory=list)
    pids_of: list[list[int]] = field(default_factory=list)  # per spec: its one-token patterns
    # the specs the patterns of several tokens use: a row's bit k says it meets multi_specs[k]
    multi_specs: list[int] = field(default_factory=list)
    multi_bit: dict[int, int] = field(default_factory=dict)  # spec -> its index in multi_specs
    # a distinct row (its bytes) -> (its one-token patterns' combination, its multi bits); the
    # combinations are few (a few hundred), the rows as many as the (tag, word) pairs seen
    memo: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    combos: dict[tuple[int, ...], int] = field(default_factory=dict)
    combo_values: list[np.ndarray] = field(default_factory=list)  # per combination: values
    combo_set: list[np.ndarray] = field(default_factory=list)  # per combination: which set
    combo_pids: list[tuple[int, ...]] = field(default_factory=list)


def _compile(ruler: AttributeRuler) -> _Table | None:
    """The ruler's patterns as a :class:`_Table`, or None when one of them is outside what
    the table handles (see the module's docstring)."""
    read_names: list[str] = []
    specs: list[list[_Condition]] = []
    spec_ids: dict[str, int] = {}
    single: list[tuple[int, int]] = []
    multi: list[tuple[int, list[int], int]] = []

    def column(name: str) -> int:
        name = "ORTH" if name == "TEXT" else name
        if name not in read_names:
            read_names.append(name)
        return read_names.index(name)

    def spec_of(token: dict) -> int | None:
        conds = []
        for key, value in token.items():
            name = str(key).upper()
            if name in _READ_FLAGS:
                if not isinstance(value, bool):
                    return None
                conds.append(_Condition(column(name), "eq", int(value)))
            elif name in _READ_STRINGS:
                if isinstance(value, str):
                    conds.append(_Condition(column(name), "eq", get_string_id(value)))
                elif isinstance(value, dict) and len(value) == 1 and \
                        next(iter(value)) in ("IN", "NOT_IN") and \
                        all(isinstance(v, str) for v in next(iter(value.values()))):
                    op, items = next(iter(value.items()))
                    conds.append(_Condition(column(name), op.lower(),
                                            frozenset(get_string_id(v) for v in items)))
                elif isinstance(value, dict) and len(value) == 1 and "REGEX" in value and \
                        isinstance(value["REGEX"], str):
                    conds.append(_Condition(column(name), "regex", re.compile(value["REGEX"])))
                else:
                    return None
            else:
                return None
        key = repr([(c.column, c.kind, sorted(c.value) if c.kind in ("in", "not_in") else
                     c.value.pattern if c.kind == "regex" else c.value) for c in conds])
        if key not in spec_ids:
            spec_ids[key] = len(specs)
            specs.append(conds)
        return spec_ids[key]

    values: list[dict[int, int]] = []
    for pid, entry in enumerate(ruler.patterns):
        attrs = ruler.attrs[pid]
        row: dict[int, int] = {}
        for key, value in attrs.items():
            if key not in _WRITE or not isinstance(value, int):
                return None
            row[_WRITE.index(key)] = value
        values.append(row)
        for pattern in entry["patterns"]:
            if not pattern or any(not isinstance(t, dict) for t in pattern):
                return None
            ids = [spec_of(t) for t in pattern]
            if any(i is None for i in ids):
                return None
            index = int(entry.get("index", 0))
            if not -len(ids) <= index < len(ids):
                return None  # spaCy's ruler raises on such a match; let it
            if len(ids) == 1:
                single.append((pid, ids[0]))  # type: ignore[arg-type]
            else:
                multi.append((pid, ids, index % len(ids)))  # type: ignore[arg-type]
    table = _Table([IDS[n] for n in read_names], specs, single, multi, values)
    table.pids_of = [[] for _ in specs]
    for pid, s in single:
        table.pids_of[s].append(pid)
    for s, conds in enumerate(specs):
        eq = next((c for c in conds if c.kind == "eq"), None)
        if eq is None:
            table.always.append(s)
        else:
            table.by_key.setdefault((eq.column, eq.value), []).append(s)
    table.multi_specs = sorted({s for _, ids, _ in multi for s in ids})
    table.multi_bit = {s: k for k, s in enumerate(table.multi_specs)}
    if len(table.multi_specs) > 63:
        return None  # the multi bits fit one unsigned 64-bit word
    return table


class TableAttributeRuler(AttributeRuler):
    """:class:`spacy.pipeline.AttributeRuler` whose ``__call__`` applies its patterns by
    table look-up (see the module's docstring); the same values as spaCy's."""

    _table: _Table | None
    _table_size: int = -1

    def __call__(self, doc: Doc) -> Doc:
        table = self._compiled()
        if table is None or not len(doc):
            return super().__call__(doc)
        return self._apply(doc, table)

    def _compiled(self) -> _Table | None:
        # compiled again whenever patterns were added or removed since
        if self._table_size != len(self.attrs):
            self._table = _compile(self)
            self._table_size = len(self.attrs)
        return self._table

    def _row_entry(self, table: _Table, key: bytes) -> tuple[int, int]:
        """For one distinct row of read attributes (``key``, its bytes): the combination of
        one-token patterns it matches and the bits of the multi-token specs it meets."""
        entry = table.memo.get(key)
        if entry is not None:
            return entry
        with _LOCK:
            return self._new_row(table, key)

    def _new_row(self, table: _Table, key: bytes) -> tuple[int, int]:
        entry = table.memo.get(key)  # another thread may have added it meanwhile
        if entry is not None:
            return entry
        row = np.frombuffer(key, dtype=np.uint64).tolist()
        strings = self.vocab.strings
        text: dict[int, str] = {}
        met: set[int] = set()
        candidates = list(table.always)
        for column, value in enumerate(row):
            candidates += table.by_key.get((column, value), ())
        for s in candidates:
            good = True
            for c in table.specs[s]:
                v = row[c.column]
                if c.kind == "eq":
                    good = v == c.value
                elif c.kind == "in":
                    good = v in c.value
                elif c.kind == "not_in":
                    good = v not in c.value
                else:
                    if c.column not in text:
                        text[c.column] = strings[v] if v else ""
                    good = c.value.search(text[c.column]) is not None
                if not good:
                    break
            if good:
                met.add(s)
        pids = tuple(sorted({pid for s in met for pid in table.pids_of[s]}))
        combo = table.combos.get(pids)
        if combo is None:
            values = np.zeros(len(_WRITE), dtype=np.uint64)
            is_set = np.zeros(len(_WRITE), dtype=bool)
            for pid in pids:
                for col, value in table.values[pid].items():
                    values[col] = value
                    is_set[col] = True
            combo = table.combos[pids] = len(table.combo_pids)
            table.combo_values.append(values)
            table.combo_set.append(is_set)
            table.combo_pids.append(pids)
        bits = sum(1 << k for k, s in enumerate(table.multi_specs) if s in met)
        if len(table.memo) >= MAX_ROWS:
            table.memo.clear()
        entry = table.memo[key] = (combo, bits)
        return entry

    def _apply(self, doc: Doc, table: _Table) -> Doc:
        arr = np.ascontiguousarray(doc.to_array(table.read), dtype=np.uint64)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        unique, inverse = np.unique(arr, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        entries = [self._row_entry(table, unique[i].tobytes()) for i in range(len(unique))]
        combos = np.array([e[0] for e in entries], dtype=np.intp)[inverse]
        values = np.stack(table.combo_values)[combos]
        is_set = np.stack(table.combo_set)[combos]
        current = doc.to_array(_WRITE)
        new = np.where(is_set, values, current)
        if table.multi:
            bits = np.array([e[1] for e in entries], dtype=np.uint64)[inverse]
            extra: dict[int, set[int]] = {}
            n = len(doc)
            for pid, ids, index in table.multi:
                length = len(ids)
                if length > n:
                    continue
                mask = np.ones(n - length + 1, dtype=bool)
                for j, s in enumerate(ids):
                    mask &= ((bits[j:n - length + 1 + j] >> np.uint64(table.multi_bit[s]))
                             & np.uint64(1)).astype(bool)
                for start in np.flatnonzero(mask).tolist():
                    extra.setdefault(start + index, set()).add(pid)
            for i, more in extra.items():
                row = current[i].copy()
                for pid in sorted(set(table.combo_pids[combos[i]]) | more):
                    for col, value in table.values[pid].items():
                        row[col] = value
                new[i] = row
        if not np.array_equal(new, current):
            doc.from_array(list(_WRITE), new)
        return doc


def table_attribute_ruler(nlp: Language) -> None:
    """Swap each plain ``attribute_ruler`` of ``nlp`` for a :class:`TableAttributeRuler`
    (the same object and patterns; only ``__call__`` differs)."""
    for _, proc in nlp.pipeline:
        if type(proc) is AttributeRuler:
            proc.__class__ = TableAttributeRuler
