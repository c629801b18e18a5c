"""``annotate export``: articles (or gold records) to Label Studio / Prodigy tasks, pre-annotated
by the pipeline."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from kratom_nlp.annotate.errors import FormatError
from kratom_nlp.annotate.files import parse_jsonl, read_text_file

FORMATS = ("labelstudio", "prodigy")


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


def _task_meta(src: Source, base: list[tuple[int, int, str]]) -> dict[str, Any]:
    meta = {k: v for k, v in src.meta.items() if v is not None}
    meta["sentences"] = [list(b) for b in base]
    return meta


def build_tasks(sources: list[Source], nlp: Language, fmt: str,
                batch_size: int = 16) -> list[dict[str, Any]]:
    """Tasks for ``sources`` in ``fmt`` (labelstudio or prodigy): the pipeline's analysis as
    predictions; gold records' labels as annotations."""
    from kratom_nlp.annotate import labelstudio, prodigy
    from kratom_nlp.annotate.active import sentence_items
    from kratom_nlp.annotate.core import gold_to_task
    from kratom_nlp.annotate.predict import doc_to_task, model_version

    if fmt not in FORMATS:
        raise FormatError(f"unknown export format {fmt!r}; choose one of {FORMATS}")
    version = model_version(nlp)
    tasks: list[dict[str, Any]] = []
    docs = nlp.pipe((s.text for s in sources), batch_size=batch_size)
    for i, (src, doc) in enumerate(zip(sources, docs, strict=True), 1):
        pred = doc_to_task(doc, src.article_id, src.meta)
        gold = gold_to_task(src.gold) if src.gold is not None else None
        base = gold.base if gold is not None else pred.base
        meta = _task_meta(src, base or [])
        if "substance" not in meta and pred.meta.get("substance"):
            meta["substance"] = pred.meta["substance"]
        items = sentence_items(doc, src.article_id, nlp)
        confidence = 1.0 - (sum(it.uncertainty for it in items) / len(items) if items else 0.0)
        if fmt == "labelstudio":
            data = {"text": doc.text, "article_id": src.article_id, "meta": meta}
            tasks.append(labelstudio.make_task(i, data, annotation=gold, prediction=pred,
                                               model_version=version, score=confidence))
        else:
            toks = prodigy.tokens_of(doc)
            chosen = gold if gold is not None else pred
            chosen.meta = {k: v for k, v in meta.items() if k != "sentences"}
            chosen.base = base
            task = prodigy.to_task(chosen, tokens=toks, answered=gold is not None,
                                   extra_meta={"model_version": version,
                                               "score": round(confidence, 4)})
            if gold is not None:
                task["kratom_predictions"] = [
                    {k: v for k, v in sp.items() if k not in ("token_start", "token_end")}
                    for sp in prodigy.to_task(pred, answered=False)["spans"]]
            tasks.append(task)
    return tasks


def render(tasks: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "labelstudio":
        return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
    return "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks)


def labelconfig_path(output: Path) -> Path:
    """``tasks.json`` -> ``tasks.labelconfig.xml`` (next to the output)."""
    return output.with_name(f"{output.stem}.labelconfig.xml")


def validate_labelstudio(tasks: Any) -> None:
    """Raise ``jsonschema.ValidationError`` when ``tasks`` break our Label Studio task schema
    (``kratom_nlp/resources/labelstudio_task.schema.json``)."""
    import jsonschema

    from kratom_nlp.resources import RESOURCE_DIR

    schema = json.loads((RESOURCE_DIR / "labelstudio_task.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(tasks)
