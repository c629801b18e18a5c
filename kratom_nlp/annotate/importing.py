"""``annotate import``: an annotation tool's export back into gold corpus records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.annotate.core import build_record
from kratom_nlp.annotate.errors import (
    AnnotateError,
    FormatError,
    ImportFailed,
    LossyImportError,
    NothingToImportError,
)
from kratom_nlp.annotate.files import (
    looks_like_jsonl,
    parse_json,
    parse_jsonl,
    read_text_file,
)
from kratom_nlp.annotate.labelstudio import Candidate

FORMATS = ("auto", "labelstudio", "labelstudio-min", "prodigy", "doccano")
MULTI = ("error", "latest", "per-annotator")
_LS_MIN_KEYS = {"claim", "cue", "annotator", "annotation_id", "lead_time"}


@dataclass
class ImportResult:
    """Records per annotator key (``""`` when not split), notes and skipped problems."""

    format: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: list[AnnotateError] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.records.values())


def detect_format(text: str, path: Path) -> str:
    """Guess the format of an annotation file from its content."""
    source = str(path)
    if path.suffix.lower() == ".jsonl" or looks_like_jsonl(text):
        first = parse_jsonl(text, source)
        if not first:
            raise FormatError("empty JSONL file", source=source)
        rec = first[0][1]
        if not isinstance(rec, dict):
            raise FormatError("JSONL records must be objects", source=source)
        if "spans" in rec or "answer" in rec or "_input_hash" in rec:
            return "prodigy"
        if "label" in rec or "entities" in rec:
            return "doccano"
        if "sentences" in rec:
            raise FormatError("this is already a corpus file (gold JSONL); nothing to import",
                              source=source)
        raise FormatError("cannot tell the JSONL format (no 'spans', 'label' or 'entities'); "
                          "give --format", source=source)
    data = parse_json(text, source)
    items = data if isinstance(data, list) else [data]
    first = next((x for x in items if isinstance(x, dict)), None)
    if first is None:
        raise NothingToImportError("no tasks in the file", source=source)
    if "data" in first:
        return "labelstudio"
    if "text" in first and (set(first) & _LS_MIN_KEYS):
        return "labelstudio-min"
    raise FormatError("cannot tell the JSON format (neither Label Studio JSON nor JSON_MIN); "
                      "give --format", source=source)


def read_candidates(path: str | Path, fmt: str = "auto") -> tuple[str, list[Candidate],
                                                                  list[str],
                                                                  list[AnnotateError]]:
    """``(format, candidates, notes, problems)`` of an annotation file."""
    from kratom_nlp.annotate import doccano, labelstudio, prodigy

    p = Path(path)
    text = read_text_file(p)
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {FORMATS}", source=str(p))
    if fmt == "auto":
        fmt = detect_format(text, p)
    source = str(p)
    if fmt in ("labelstudio", "labelstudio-min"):
        data = parse_json(text, source)
        if fmt == "labelstudio":
            c, n, e = labelstudio.read_json_tasks(data, source)
        else:
            c, n, e = labelstudio.read_min_records(data, source)
    else:
        lines = parse_jsonl(text, source)
        reader = prodigy.read_tasks if fmt == "prodigy" else doccano.read_records
        c, n, e = reader(lines, source)
    return fmt, c, n, e


def import_file(path: str | Path, fmt: str = "auto", *, annotator: str | None = None,
                multi: str = "error", skip_invalid: bool = False) -> ImportResult:
    """Read an annotation file into gold records.

    Every problem of every task is collected; by default any problem refuses the whole file
    (:class:`ImportFailed`), with ``skip_invalid`` the tasks with problems are left out and listed
    in ``result.skipped``. Several annotations of one article: ``multi="error"`` refuses,
    ``"latest"`` keeps the most recent one (the others are listed in the notes),
    ``"per-annotator"`` keeps one record per annotator (``result.records[annotator]``).
    """
    if multi not in MULTI:
        raise ValueError(f"multi must be one of {MULTI}")
    source = str(path)
    fmt, cands, notes, probs = read_candidates(path, fmt)
    result = ImportResult(format=fmt, notes=list(notes))
    if annotator:
        for c in cands:
            c.labels.annotator = c.annotator = annotator
    by_article: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_article[c.labels.article_id].append(c)
    chosen: list[tuple[str, Candidate]] = []
    for aid, group in by_article.items():
        if len(group) == 1:
            chosen.append(("", group[0]))
            continue
        who = [c.annotator or "?" for c in group]
        if multi == "error":
            probs.append(LossyImportError(
                f"article {aid} has {len(group)} annotations (annotators {who}); importing one "
                "would drop the others: use --multi latest or --multi per-annotator",
                source=source, task=group[0].task))
        elif multi == "latest":
            keep = max(group, key=lambda c: c.created)
            chosen.append(("", keep))
            result.notes.append(f"article {aid}: kept the latest of {len(group)} annotations "
                                f"(task {keep.task}, annotator {keep.annotator}); others not "
                                "imported")
        else:
            per: dict[str, Candidate] = {}
            for c in group:
                key = c.annotator or "unknown"
                if key in per:
                    result.notes.append(f"article {aid}: annotator {key} has two annotations; "
                                        "kept the latest")
                    if c.created <= per[key].created:
                        continue
                per[key] = c
            chosen.extend(per.items())
    if multi == "per-annotator":
        chosen = [(k or (c.annotator or "unknown"), c) for k, c in chosen]
    bad_tasks = {p.task for p in probs}
    for key, c in chosen:
        if c.task in bad_tasks:
            continue
        task_notes: list[str] = []
        try:
            rec = build_record(c.labels, source=source, notes=task_notes)
        except ImportFailed as exc:
            probs.extend(exc.problems)
            continue
        result.notes.extend(task_notes)
        result.records.setdefault(key, []).append(rec)
    if probs:
        if not skip_invalid:
            raise ImportFailed(probs, source=source)
        result.skipped = probs
    if not result.count and not result.skipped:
        raise NothingToImportError("no annotated task in the file"
                                   + (f"; {len(result.notes)} skipped, e.g. {result.notes[0]}"
                                      if result.notes else ""), source=source)
    return result


def output_paths(output: Path, keys: list[str]) -> dict[str, Path]:
    """Where each annotator's records go: ``out.jsonl`` or ``out.<annotator>.jsonl``."""
    from kratom_nlp.annotate.sources import slug

    if keys == [""]:
        return {"": output}
    return {k: output.with_name(f"{output.stem}.{slug(k)}{output.suffix or '.jsonl'}")
            for k in keys}
