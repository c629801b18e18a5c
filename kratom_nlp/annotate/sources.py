"""Articles to annotate: one file, a folder of files, or a JSONL corpus, as :class:`Source`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.annotate.errors import FormatError
from kratom_nlp.annotate.files import parse_jsonl, read_text_file


@dataclass
class Source:
    """One article to export: its text exactly as analysed, its meta and (for gold) labels."""

    article_id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    gold: dict[str, Any] | None = None


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return s or "article"


def _unique(ids: set[str], wanted: str) -> str:
    out, n = wanted, 2
    while out in ids:
        out, n = f"{wanted}-{n}", n + 1
    ids.add(out)
    return out


def read_jsonl_sources(path: Path) -> list[Source]:
    """Records of a JSONL file: gold records (with ``sentences``) or plain ``{"id", "text"}``."""
    out = []
    ids: set[str] = set()
    for n, rec in parse_jsonl(read_text_file(path), str(path)):
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise FormatError("a record needs a 'text' string", source=str(path),
                              task=f"line {n}")
        aid = _unique(ids, str(rec.get("id") or f"{slug(path.stem)}-{n}"))
        gold = rec if isinstance(rec.get("sentences"), list) else None
        meta = {k: rec[k] for k in ("title", "genre", "substance", "stance", "version",
                                    "annotator", "split") if rec.get(k) is not None}
        out.append(Source(aid, rec["text"], meta, gold))
    return out


def collect_sources(path: str | Path, warnings: list[str] | None = None) -> list[Source]:
    """Articles of ``path``: one article file, a folder of them, or a JSONL corpus. In a folder,
    a file that cannot be read is reported in ``warnings`` and skipped."""
    from kratom_nlp.ingest import SUPPORTED_SUFFIXES, InputError, MissingPathError, read_path

    p = Path(path)
    if not p.exists():
        raise MissingPathError(str(p))
    if p.is_file() and p.suffix.lower() == ".jsonl":
        return read_jsonl_sources(p)
    files = [p] if p.is_file() else sorted(
        f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
        and f.suffix.lower() in SUPPORTED_SUFFIXES)
    out: list[Source] = []
    ids: set[str] = set()
    for f in files:
        try:
            doc = read_path(f)
        except InputError as exc:
            if p.is_file():
                raise
            if warnings is not None:
                warnings.append(f"skipped {exc}")
            continue
        if warnings is not None:
            warnings.extend(f"{f}: {w}" for w in doc.warnings)
        meta = {"source": str(f)}
        if doc.title:
            meta["title"] = doc.title
        out.append(Source(_unique(ids, slug(f.stem)), doc.text, meta))
    if not out and p.is_dir() and warnings is not None:
        warnings.append(f"{p}: no readable article files ({', '.join(SUPPORTED_SUFFIXES)})")
    return out
