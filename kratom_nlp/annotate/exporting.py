"""``annotate export``: articles (or gold records) to Label Studio / Prodigy tasks, pre-annotated
by the pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from kratom_nlp.annotate.errors import FormatError
from kratom_nlp.annotate.sources import Source

FORMATS = ("labelstudio", "prodigy")


def _task_meta(src: Source, base: list[tuple[int, int, str]]) -> dict[str, Any]:
    meta = {k: v for k, v in src.meta.items() if v is not None}
    meta["sentences"] = [list(b) for b in base]
    return meta


def build_tasks(sources: list[Source], nlp: Language, fmt: str,
                batch_size: int = 16, docs: Iterable[Doc] | None = None) -> list[dict[str, Any]]:
    """Tasks for ``sources`` in ``fmt`` (labelstudio or prodigy): the pipeline's analysis as
    predictions; gold records' labels as annotations. ``docs``: the sources already analysed by
    ``nlp`` (one per source, in order), so that one analysis serves several formats."""
    from kratom_nlp.annotate import labelstudio, prodigy
    from kratom_nlp.annotate.active import sentence_items
    from kratom_nlp.annotate.core import gold_to_task
    from kratom_nlp.annotate.predict import doc_to_task, model_version

    if fmt not in FORMATS:
        raise FormatError(f"unknown export format {fmt!r}; choose one of {FORMATS}")
    version = model_version(nlp)
    tasks: list[dict[str, Any]] = []
    if docs is None:
        docs = nlp.pipe((s.text for s in sources), batch_size=batch_size)
    for i, (src, doc) in enumerate(zip(sources, docs, strict=True), 1):
        pred = doc_to_task(doc, src.article_id, src.meta)
        gold = gold_to_task(src.gold) if src.gold is not None else None
        base = gold.base if gold is not None else pred.base
        meta = _task_meta(src, base or [])
        if "substance" not in meta and pred.meta.get("substance"):
            meta["substance"] = pred.meta["substance"]
        items = sentence_items(doc, src.article_id, _threshold(nlp))
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


def _threshold(nlp: Language) -> float:
    return float(getattr(nlp.get_pipe("kratom_claims"), "threshold", 0.5)) \
        if "kratom_claims" in nlp.pipe_names else 0.5


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
