"""Streaming batch inputs: each yields :class:`Item` s, one document or one error at a time.

An INPUT is a folder of article files (``.txt``/``.md``/``.html``..., recursive, sorted), a
``.jsonl``, ``.csv`` or ``.parquet`` file of records, or a Hugging Face ``datasets`` folder
written by ``Dataset.save_to_disk``. Nothing holds the corpus in memory: folders are walked,
JSONL is read line by line, CSV with the ``csv`` module, Parquet in pyarrow record batches and
``datasets`` folders through ``load_from_disk`` (memory-mapped) and iteration.

Every file and record goes through :func:`kratom_nlp.ingest.read_bytes`, so the checks of
``kratom-nlp analyze`` (size, empty, binary, encoding) apply to each document alike. Symbolic
links in a folder are followed only when they stay inside it; one that leads out of INPUT is
reported as that document's error (exit code 19), never read.

Ids: a file's id is its path relative to INPUT (``/``-separated); a record's id is the value of
its ``--id-field`` (as a string), or ``row-N`` (``N``: 1-based line of a JSONL file, data row of
a CSV file, row of a Parquet/``datasets`` table) when it has none. :func:`assign_ids` renames
the second, third... occurrence of an id ``x`` to ``x#2``, ``x#3`` (input order, so the same
input always gives the same ids).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kratom_nlp.errors import InputSpecError, UsageError
from kratom_nlp.fileio import json_line_problem
from kratom_nlp.ingest import (
    DEFAULT_MAX_BYTES,
    Document,
    EncodingInputError,
    InputError,
    MissingPathError,
    TooLargeError,
    UnsupportedFormatError,
    media_type_for_suffix,
    read_bytes,
)

__all__ = [
    "RECORD_KINDS",
    "IdAssigner",
    "Item",
    "Source",
    "assign_ids",
    "detect_kind",
    "duplicate_warning",
    "file_item",
    "id_value",
    "jsonl_line_item",
    "open_source",
    "record_item",
]

RECORD_KINDS: tuple[str, ...] = ("jsonl", "csv", "parquet", "hf")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_CHUNK_ROWS = 256


@dataclass
class Item:
    """One input document before analysis: its ``document`` or the ``error`` reading it."""

    raw_id: str | None
    position: int
    source: str
    document: Document | None = None
    error: InputError | None = None
    id: str = ""

    @property
    def default_id(self) -> str:
        return self.raw_id if self.raw_id is not None else f"row-{self.position}"


# --------------------------------------------------------------------------- detection


_KINDS_HINT = ("give a folder of .txt/.md/.html files, a .jsonl, .csv or .parquet file, or a "
               "datasets save_to_disk folder")


def detect_kind(path: Path) -> str:
    """``folder``, ``hf``, ``jsonl``, ``csv`` or ``parquet``.

    Raises :class:`~kratom_nlp.ingest.MissingPathError` (10) or
    :class:`~kratom_nlp.ingest.UnsupportedFormatError` (16).
    """
    if not path.exists():
        raise MissingPathError(str(path), message="no such file or folder", hint=_KINDS_HINT)
    if path.is_dir():
        if (path / "dataset_dict.json").is_file():
            splits = sorted(p.name for p in path.iterdir() if p.is_dir())
            raise UnsupportedFormatError(
                str(path), suffix="", message="is a datasets DatasetDict",
                hint=f"pass one split folder (e.g. {path / (splits[0] if splits else 'train')})")
        if (path / "state.json").is_file() or (path / "dataset_info.json").is_file():
            return "hf"
        return "folder"
    suffix = path.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise UnsupportedFormatError(str(path), suffix=suffix,
                                 message=f"unsupported INPUT {suffix or '(no suffix)'!r}",
                                 hint=_KINDS_HINT)


# --------------------------------------------------------------------------- items


def _outside(path: Path, root: Path | None) -> Path | None:
    """Where a symbolic link ``path`` leads when that is outside ``root`` (else None)."""
    if root is None or not path.is_symlink():
        return None
    target = path.resolve()
    return None if target.is_relative_to(root.resolve()) else target


def file_item(path: Path, rel: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
              root: Path | None = None) -> Item:
    """Read one article file of a folder (bounded read, then :func:`read_bytes`).

    With ``root`` (the INPUT folder), a symbolic link that leads out of it is not followed: the
    item carries an :class:`~kratom_nlp.ingest.InputError` (19) instead.
    """
    item = Item(raw_id=rel, position=0, source=rel)
    try:
        target = _outside(path, root)
        if target is not None:
            raise InputError(f"symbolic link to {target}, outside INPUT; not followed",
                             source=rel, hint="copy the file into the INPUT folder")
        media_type_for_suffix(path.suffix, source=rel)  # unsupported suffix: fail before reading
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise TooLargeError(rel, limit=max_bytes, size=size)
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=rel) from None
        item.document = read_bytes(data, source=rel, suffix=path.suffix, max_bytes=max_bytes)
    except InputError as exc:
        item.error = exc
    return item


def id_value(value: Any) -> str | None:
    """A record's id field as a string (``3.0`` -> ``"3"``); None when missing or blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def record_item(record: Any, *, position: int, source: str, text_field: str, id_field: str,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Item:
    """One record (a dict from JSONL/CSV/Parquet/datasets) as an :class:`Item`."""
    if not isinstance(record, dict):
        err = InputError(f"malformed record: expected an object, got {type(record).__name__}",
                         source=source, hint="each JSONL line must be a JSON object")
        return Item(raw_id=None, position=position, source=source, error=err)
    item = Item(raw_id=id_value(record.get(id_field)), position=position, source=source)
    text = record.get(text_field)
    try:
        if text is None:
            raise InputError(f"missing text field {text_field!r}", source=source,
                             hint="choose the field holding the article with --text-field")
        if not isinstance(text, str):
            raise InputError(f"text field {text_field!r} is {type(text).__name__}, not a string",
                             source=source)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EncodingInputError(source, encoding="utf-8", offset=exc.start,
                                     message=f"text is not valid UTF-8 (at character "
                                             f"{exc.start})") from None
        item.document = read_bytes(data, source=source, suffix=".txt", max_bytes=max_bytes)
    except InputError as exc:
        item.error = exc
    return item


def _malformed(position: int, source: str, message: str) -> Item:
    return Item(raw_id=None, position=position, source=source,
                error=InputError(f"malformed record: {message}", source=source))


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """A streaming INPUT. Iterate it for :class:`Item` s (ids not yet de-duplicated)."""

    path: Path
    kind: str
    text_field: str = "text"
    id_field: str = "id"
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def name(self) -> str:
        return self.path.name

    def __iter__(self) -> Iterator[Item]:
        return getattr(self, f"_iter_{self.kind}")()

    # -- counting (for the progress bar); None when unknown
    def total(self) -> int | None:
        """Number of documents in INPUT (a cheap pass; None when not known)."""
        if self.kind == "folder":
            return sum(1 for _ in self.files())
        if self.kind == "jsonl":
            with self.path.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
        if self.kind == "csv":
            return sum(1 for _ in self._csv_rows())
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(self.path).metadata.num_rows)
        if self.kind == "hf":
            return len(self.hf_dataset())
        return None

    def check(self) -> None:
        """Fail early (:class:`InputSpecError`) when INPUT cannot be read as its kind."""
        if self.kind == "csv":
            header = self.csv_header()
            if self.text_field not in header:
                raise UsageError(f"{self.path}: no column {self.text_field!r} (columns: "
                                 f"{', '.join(header) or 'none'}); use --text-field")
        elif self.kind in ("parquet", "hf"):
            columns = self.columns()
            if self.text_field not in columns:
                raise UsageError(f"{self.path}: no column {self.text_field!r} (columns: "
                                 f"{', '.join(columns)}); use --text-field")

    # -- folder
    def files(self) -> Iterator[tuple[Path, str]]:
        """``(path, relative id)`` of every non-hidden file, recursively, in sorted order.

        Symbolic links to folders are not descended into; one that leads out of INPUT is listed
        (after the files of its folder) so that it is reported as an error.
        """
        root = self.path
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            base = Path(dirpath)
            for name in sorted(f for f in filenames if not f.startswith(".")):
                p = base / name
                yield p, p.relative_to(root).as_posix()
            for name in dirnames:
                p = base / name
                if p.is_symlink() and not p.resolve().is_relative_to(real_root):
                    yield p, p.relative_to(root).as_posix()

    def _iter_folder(self) -> Iterator[Item]:
        root = self.path.resolve()
        for i, (p, rel) in enumerate(self.files(), 1):
            item = file_item(p, rel, max_bytes=self.max_bytes, root=root)
            item.position = i
            yield item

    # -- jsonl
    def _iter_jsonl(self) -> Iterator[Item]:
        with self.path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                source = f"{self.name}:{lineno}"
                yield jsonl_line_item(raw, position=lineno, source=source,
                                      text_field=self.text_field, id_field=self.id_field,
                                      max_bytes=self.max_bytes)

    # -- csv
    def csv_header(self) -> list[str]:
        """The column names of a CSV INPUT."""
        with self.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
            return next(csv.reader(fh), [])

    def _csv_rows(self) -> Iterator[list[str]]:
        limit = csv.field_size_limit()
        csv.field_size_limit(2**31 - 1)  # size is checked per document (--max-bytes)
        try:
            with self.path.open(encoding="utf-8-sig", errors="surrogateescape",
                                newline="") as fh:
                reader = csv.reader(fh)
                next(reader, None)
                for row in reader:
                    if row:
                        yield row
        finally:
            csv.field_size_limit(limit)

    def _iter_csv(self) -> Iterator[Item]:
        header = self.csv_header()
        for n, row in enumerate(self._csv_rows(), 1):
            source = f"{self.name}:{n}"
            if len(row) != len(header):
                yield _malformed(n, source, f"{len(row)} fields, the header has {len(header)}")
                continue
            yield record_item(dict(zip(header, row, strict=True)), position=n, source=source,
                              text_field=self.text_field, id_field=self.id_field,
                              max_bytes=self.max_bytes)

    # -- parquet / datasets
    def columns(self) -> list[str]:
        """The column names of a Parquet or ``datasets`` INPUT (:class:`InputSpecError` when it
        cannot be read)."""
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            try:
                return list(pq.ParquetFile(self.path).schema_arrow.names)
            except Exception as exc:  # noqa: BLE001  (pyarrow raises several types)
                raise InputSpecError(f"{self.path}: not a readable Parquet file ({exc})") \
                    from None
        return list(self.hf_dataset().column_names)

    def _wanted(self) -> list[str]:
        columns = self.columns()
        return [c for c in (self.text_field, self.id_field) if c in columns]

    def _iter_parquet(self) -> Iterator[Item]:
        import pyarrow.parquet as pq

        n = 0
        batches = pq.ParquetFile(self.path).iter_batches(batch_size=_CHUNK_ROWS,
                                                         columns=self._wanted())
        for batch in batches:
            for record in batch.to_pylist():
                n += 1
                yield record_item(record, position=n, source=f"{self.name}:{n}",
                                  text_field=self.text_field, id_field=self.id_field,
                                  max_bytes=self.max_bytes)

    def hf_dataset(self) -> Any:
        """The ``datasets.Dataset`` of a ``datasets`` INPUT (memory-mapped; loaded once)."""
        cached = getattr(self, "_hf_cache", None)
        if cached is not None:
            return cached
        try:
            from datasets import load_from_disk
        except ImportError as exc:  # pragma: no cover - datasets is a dependency
            raise InputSpecError(f"reading a datasets folder needs `datasets`: {exc}") from None
        try:
            ds = load_from_disk(str(self.path))
        except Exception as exc:  # noqa: BLE001
            raise InputSpecError(f"{self.path}: not a readable datasets folder ({exc})") \
                from None
        if not hasattr(ds, "column_names") or isinstance(ds.column_names, dict):
            raise UnsupportedFormatError(str(self.path), suffix="",
                                         message="is a datasets DatasetDict",
                                         hint="pass one split folder")
        self._hf_cache = ds
        return ds

    def _iter_hf(self) -> Iterator[Item]:
        ds = self.hf_dataset().select_columns(self._wanted())
        n = 0
        for batch in ds.iter(batch_size=_CHUNK_ROWS):
            keys = list(batch)
            for values in zip(*(batch[k] for k in keys), strict=True):
                n += 1
                yield record_item(dict(zip(keys, values, strict=True)), position=n,
                                  source=f"{self.name}:{n}", text_field=self.text_field,
                                  id_field=self.id_field, max_bytes=self.max_bytes)

    # -- raw ids only (the Ray engine's resume pre-pass)
    def raw_ids(self) -> Iterator[tuple[int, str | None]]:
        """``(position, raw id)`` of every record in input order (no text is decoded)."""
        if self.kind == "folder":
            for n, (_, rel) in enumerate(self.files(), 1):
                yield n, rel
        elif self.kind == "jsonl":
            with self.path.open("rb") as fh:
                for lineno, raw in enumerate(fh, 1):
                    if not raw.strip():
                        continue
                    try:
                        rec = json.loads(raw)
                    except (ValueError, RecursionError):
                        yield lineno, None
                        continue
                    yield lineno, (id_value(rec.get(self.id_field)) if isinstance(rec, dict)
                                   else None)
        elif self.kind == "csv":
            header = self.csv_header()
            col = header.index(self.id_field) if self.id_field in header else None
            for n, row in enumerate(self._csv_rows(), 1):
                ok = col is not None and len(row) == len(header)
                yield n, (id_value(row[col]) if ok and col is not None else None)
        elif self.id_field not in self.columns():
            yield from ((n, None) for n in range(1, (self.total() or 0) + 1))
        else:
            n = 0
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                chunks = (b.column(0).to_pylist() for b in
                          pq.ParquetFile(self.path).iter_batches(columns=[self.id_field]))
            else:
                chunks = (b[self.id_field] for b in self.hf_dataset().select_columns(
                    [self.id_field]).iter(batch_size=4096))
            for chunk in chunks:
                for value in chunk:
                    n += 1
                    yield n, id_value(value)


def jsonl_line_item(raw: bytes | str, *, position: int, source: str, text_field: str,
                    id_field: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Item:
    """One JSONL line as an :class:`Item` (invalid UTF-8 or JSON is a malformed record)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            err = EncodingInputError(source, encoding="utf-8", offset=exc.start,
                                     bad_byte=raw[exc.start])
            return Item(raw_id=None, position=position, source=source, error=err)
    try:
        record = json.loads(raw.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return _malformed(position, source, json_line_problem(raw, exc))
    except RecursionError:
        return _malformed(position, source, "JSON nested too deeply")
    return record_item(record, position=position, source=source, text_field=text_field,
                       id_field=id_field, max_bytes=max_bytes)


def open_source(path: str | Path, *, text_field: str = "text", id_field: str = "id",
                max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Detect INPUT's kind and return its :class:`Source` (checked; nothing read yet)."""
    p = Path(path)
    source = Source(p, detect_kind(p), text_field=text_field, id_field=id_field,
                    max_bytes=max_bytes)
    source.check()
    return source


class IdAssigner:
    """Unique ids in input order: the 2nd, 3rd... occurrence of ``x`` becomes ``x#2``, ``x#3``."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._next: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        final = base
        if final in self.seen:
            k = self._next.get(base, 2)
            while f"{base}#{k}" in self.seen:
                k += 1
            self._next[base] = k + 1
            final = f"{base}#{k}"
        self.seen.add(final)
        return final


def duplicate_warning(base: str, final: str) -> str:
    return f"duplicate id {base!r} in the input; this record's id is {final!r}"


def assign_ids(items: Iterable[Item]) -> Iterator[Item]:
    """Give every item a unique ``id`` (see :class:`IdAssigner`)."""
    assign = IdAssigner()
    for item in items:
        base = item.default_id
        item.id = assign(base)
        if item.id != base and item.document is not None:
            item.document.warnings.append(duplicate_warning(base, item.id))
        yield item
