"""Flat tables from ``analyses.jsonl``: ``documents`` (one row per document) and ``claims``
(one row per claim), as Parquet and/or CSV, written in a streaming way (chunks of rows).

Both load directly with ``pandas.read_parquet``/``read_csv`` and
``datasets.Dataset.from_parquet``/``from_csv``. List fields (substances, outcomes, cue texts)
are joined with :data:`JOIN` (``" | "``).

CSV cells are made safe to open in a spreadsheet (OWASP, "CSV Injection"): a text cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so that
an id or a claim text is never run as a formula (:func:`spreadsheet_safe`). Parquet keeps the
values as they are.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kratom_nlp.batch.output import ANALYSES, iter_jsonl
from kratom_nlp.taxonomy import EVIDENCE_LEVELS, STRENGTHS

__all__ = ["CLAIM_COLUMNS", "DOCUMENT_COLUMNS", "FORMULA_STARTS", "JOIN", "claim_rows",
           "document_row", "spreadsheet_safe", "write_tables"]

JOIN = " | "
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
_CHUNK = 1000

#: (column, pyarrow type name) of the documents table.
DOCUMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "string"), ("source", "string"), ("language", "string"),
    ("schema_version", "string"), ("chars", "int64"), ("sentences", "int64"),
    ("claims", "int64"), ("overclaims", "int64"), ("overclaim_rate", "float64"),
    ("advice", "int64"), ("caveats", "int64"), ("support_score", "float64"),
    ("verdict", "string"),
    *((f"evidence_{lvl}", "int64") for lvl in EVIDENCE_LEVELS),
    *((f"strength_{s}", "int64") for s in STRENGTHS),
    ("warnings", "string"),
)

#: (column, pyarrow type name) of the claims table.
CLAIM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("doc_id", "string"), ("claim_id", "string"), ("start", "int64"), ("end", "int64"),
    ("text", "string"), ("claim_type", "string"), ("by_context", "bool"),
    ("substances", "string"),
    ("outcomes", "string"), ("evidence_level", "string"), ("evidence_cues", "string"),
    ("from_context", "bool"), ("strength", "string"), ("certainty", "float64"),
    ("advice", "bool"), ("advice_kind", "string"), ("overclaim", "bool"),
    ("overclaim_reason", "string"), ("overclaim_rule", "string"),
    ("overclaim_score", "float64"),
)


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _join(values: Any) -> str:
    return JOIN.join(str(v) for v in (values or []))


def document_row(a: dict[str, Any]) -> dict[str, Any]:
    """The documents-table row of one analysis line."""
    s = a.get("summary") or {}
    levels = s.get("evidence_levels") or {}
    strengths = s.get("strengths") or {}
    row: dict[str, Any] = {
        "id": a.get("id"), "source": a.get("source"), "language": a.get("language"),
        "schema_version": a.get("schema_version"), "chars": len(a.get("text") or ""),
        "sentences": s.get("sentences"), "claims": s.get("claims"),
        "overclaims": s.get("overclaims"), "overclaim_rate": s.get("overclaim_rate"),
        "advice": s.get("advice"), "caveats": s.get("caveats"),
        "support_score": s.get("support_score"),
        "verdict": s.get("verdict"),
    }
    row.update({f"evidence_{lvl}": int(levels.get(lvl, 0)) for lvl in EVIDENCE_LEVELS})
    row.update({f"strength_{st}": int(strengths.get(st, 0)) for st in STRENGTHS})
    row["warnings"] = _join(a.get("warnings"))
    return row


def claim_rows(a: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The claims-table rows of one analysis line."""
    for c in a.get("claims") or []:
        ev = c.get("evidence") or {}
        oc = c.get("overclaim") or {}
        yield {
            "doc_id": a.get("id"), "claim_id": c.get("id"), "start": c.get("start"),
            "end": c.get("end"), "text": c.get("text"), "claim_type": c.get("claim_type"),
            "by_context": bool(c.get("by_context")),
            "substances": _join(c.get("substances")), "outcomes": _join(c.get("outcomes")),
            "evidence_level": ev.get("level"),
            "evidence_cues": _join(cue.get("text") for cue in ev.get("cues") or []),
            "from_context": bool(ev.get("from_context")), "strength": c.get("strength"),
            "certainty": c.get("certainty"), "advice": bool(c.get("advice")),
            "advice_kind": c.get("advice_kind"), "overclaim": bool(oc.get("flag")),
            "overclaim_reason": oc.get("reason"), "overclaim_rule": oc.get("rule"),
            "overclaim_score": oc.get("score"),
        }


class _ParquetSink:
    def __init__(self, path: Path, columns: tuple[tuple[str, str], ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
                 "bool": pa.bool_()}
        self.schema = pa.schema([(name, types[typ]) for name, typ in columns])
        self.writer = pq.ParquetWriter(str(path), self.schema)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.writer.write_table(self._pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


class _CsvSink:
    def __init__(self, path: Path, columns: tuple[tuple[str, str], ...]) -> None:
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.DictWriter(self.fh, fieldnames=[c for c, _ in columns])
        self.writer.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)

    def close(self) -> None:
        self.fh.close()


def write_tables(out: str | Path, formats: tuple[str, ...] | list[str]) -> list[Path]:
    """Write ``documents``/``claims`` tables in each of ``formats`` (parquet, csv) into OUT.

    Reads ``analyses.jsonl`` once, buffering at most a chunk of rows; each table is written to
    a temporary name and renamed when complete. Returns the paths written.
    """
    out = Path(out)
    formats = [f for f in formats if f in ("parquet", "csv")]
    if not formats:
        return []
    made: list[tuple[Path, Path]] = []
    doc_sinks: list[Any] = []
    claim_sinks: list[Any] = []
    for fmt in formats:
        cls = _ParquetSink if fmt == "parquet" else _CsvSink
        for stem, columns, group in (("documents", DOCUMENT_COLUMNS, doc_sinks),
                                     ("claims", CLAIM_COLUMNS, claim_sinks)):
            final = out / f"{stem}.{fmt}"
            tmp = out / f".{stem}.{fmt}.tmp"
            group.append(cls(tmp, columns))
            made.append((tmp, final))
    docs: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []

    def flush() -> None:
        for sink in doc_sinks:
            sink.write(docs)
        for sink in claim_sinks:
            sink.write(claims)
        docs.clear()
        claims.clear()

    try:
        for a in iter_jsonl(out / ANALYSES):
            docs.append(document_row(a))
            claims.extend(claim_rows(a))
            if len(docs) >= _CHUNK or len(claims) >= 4 * _CHUNK:
                flush()
        flush()
    except BaseException:
        for sink in doc_sinks + claim_sinks:
            sink.close()
        for tmp, _ in made:
            tmp.unlink(missing_ok=True)
        raise
    for sink in doc_sinks + claim_sinks:
        sink.close()
    for tmp, final in made:
        os.replace(tmp, final)
    return [final for _, final in made]
