"""The retrain hook: merge imported annotations into a copy of the gold corpus."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kratom_nlp.annotate.errors import FormatError
from kratom_nlp.annotate.files import dumps_jsonl, parse_jsonl, read_text_file, write_safely
from kratom_nlp.errors import OutputError

SPLITS = ("train", "dev", "test")


def corpus_version(split_texts: dict[str, str]) -> str:
    """Content hash of a corpus (its split files, in split order): 16 hex digits of SHA-256."""
    h = hashlib.sha256()
    for split in SPLITS:
        h.update(f"{split}\n".encode())
        h.update(split_texts.get(split, "").encode("utf-8"))
    return h.hexdigest()[:16]


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, rec in parse_jsonl(read_text_file(path), str(path)):
        if not (isinstance(rec, dict) and isinstance(rec.get("id"), str)
                and isinstance(rec.get("text"), str) and isinstance(rec.get("sentences"), list)):
            raise FormatError("not a corpus record (needs id, text, sentences)", source=str(path),
                              task=f"line {n}")
        out.append(rec)
    return out


def merge_imported(gold_dir: str | Path, imported_paths: Sequence[str | Path],
                   out_dir: str | Path) -> dict[str, Any]:
    """Write ``out_dir/{train,dev,test}.jsonl``: the gold corpus with imported records merged in.

    An imported record replaces the gold record with the same article id (in that record's
    split); an article the gold corpus does not have goes to ``train`` (the dev and test splits
    stay fixed). ``out_dir/VERSION.json`` records ``corpus_version`` (a content hash), the
    sources and what changed; the same dict is returned. Existing files are backed up first.
    """
    gold, out = Path(gold_dir), Path(out_dir)
    if out.resolve() == gold.resolve():
        raise OutputError(f"{out}: the merged corpus must go to a new folder, not over the gold "
                          "corpus")
    splits: dict[str, list[dict[str, Any]]] = {}
    where: dict[str, tuple[str, int]] = {}
    for split in SPLITS:
        path = gold / f"{split}.jsonl"
        splits[split] = _records(path) if path.exists() else []
        for i, rec in enumerate(splits[split]):
            where[rec["id"]] = (split, i)
    if not any(splits.values()):
        raise FormatError(f"no gold corpus in {gold} (train/dev/test.jsonl)", source=str(gold))
    replaced: list[str] = []
    added: list[str] = []
    for path in imported_paths:
        for rec in _records(Path(path)):
            rec = dict(rec)
            aid = rec["id"]
            if aid in where:
                split, i = where[aid]
                rec["split"] = split
                splits[split][i] = rec
                if aid not in replaced:
                    replaced.append(aid)
            else:
                rec["split"] = "train"
                splits["train"].append(rec)
                where[aid] = ("train", len(splits["train"]) - 1)
                added.append(aid)
    texts = {split: dumps_jsonl(recs) for split, recs in splits.items()}
    version = corpus_version(texts)
    for split, text in texts.items():
        write_safely(out / f"{split}.jsonl", text)
    info = {
        "corpus_version": version,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "gold_dir": str(gold),
        "imported": [str(p) for p in imported_paths],
        "replaced": replaced,
        "added": added,
        "counts": {split: len(recs) for split, recs in splits.items()},
    }
    write_safely(out / "VERSION.json", json.dumps(info, indent=1) + "\n")
    return info
