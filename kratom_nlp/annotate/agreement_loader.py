"""Let ``kratom-nlp agreement`` read annotation-tool exports directly.

Imported files are gold JSONL, which the agreement loader reads already; :func:`register` adds
the raw exports too (Label Studio JSON / JSON_MIN, Prodigy and doccano JSONL), converted on the
fly by :func:`kratom_nlp.annotate.importing.import_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_REGISTERED = False


def is_tool_export(path: Path) -> bool:
    """True for a Label Studio, Prodigy or doccano export (never for gold or authoring files)."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".jsonl"):
        return False
    try:
        with path.open(encoding="utf-8-sig") as fh:
            first = ""
            while not first.strip():
                first = fh.readline()
                if not first:
                    break
            head = first + fh.read(65536)
    except (OSError, UnicodeDecodeError):
        return False
    if suffix == ".jsonl" or head.lstrip().startswith("{") and "\n{" in head:
        try:
            rec = json.loads(first)
        except json.JSONDecodeError:
            return False
        return isinstance(rec, dict) and "sentences" not in rec and "blocks" not in rec and \
            bool({"spans", "answer", "_input_hash", "label", "entities"} & set(rec))
    if '"blocks"' in head or '"sentences": [{' in head:
        return False
    try:
        from kratom_nlp.annotate.importing import detect_format

        return detect_format(path.read_text(encoding="utf-8-sig"), path) in (
            "labelstudio", "labelstudio-min")
    except Exception:  # noqa: BLE001 — anything unreadable is simply not this format
        return False


def load_export(path: Path) -> Iterator[tuple[tuple[str, int, int], Any]]:
    """``((article_id, start, end), labels)`` pairs of a tool export (via the importer)."""
    from kratom_nlp.annotate.errors import AnnotateError
    from kratom_nlp.annotate.importing import import_file
    from kratom_nlp.corpora.agreement import AnnotationError, labels_from_gold_sentence

    try:
        result = import_file(path)
    except AnnotateError as exc:
        raise AnnotationError(f"{path}: {exc}") from exc
    if set(result.records) != {""}:
        raise AnnotationError(f"{path}: several annotators; import it with --multi "
                              "per-annotator first")
    for rec in result.records[""]:
        for s in rec["sentences"]:
            yield (rec["id"], s["start"], s["end"]), labels_from_gold_sentence(s)


def register() -> bool:
    """Add the tool-export loader to the agreement command (once); False when the agreement
    module is not available."""
    global _REGISTERED
    if _REGISTERED:
        return True
    try:
        from kratom_nlp.corpora.agreement import register_loader
    except ImportError:
        return False
    register_loader("annotation-tool-export", is_tool_export, load_export)
    _REGISTERED = True
    return True
