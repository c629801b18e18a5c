"""Pre-annotation: the pipeline's claims and cues as regions, and the pipeline to use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels

TASK_PIPES = {"claim": "kratom_claims", "evidence": "kratom_evidence",
              "strength": "kratom_strength"}


def load_nlp(config: str | Path | None = None, backend: str = "rules",
             models: dict[str, str | None] | None = None,
             per_task: dict[str, tuple[str, str | None]] | None = None) -> Language:
    """The pipeline, with ``backend`` (and per-task model folders) for the claim, evidence and
    strength components, or ``per_task`` = ``{task: (backend, model)}`` (from a manifest).

    ``backend="rules"`` with nothing else is the cached default pipeline."""
    if backend == "rules" and not models and not per_task:
        from kratom_nlp.api import load

        return load(config)
    from kratom_nlp.pipeline import build_pipeline

    choice = {task: (backend, (models or {}).get(task)) for task in TASK_PIPES}
    choice.update(per_task or {})
    overrides: dict[str, object] = {}
    for task, pipe in TASK_PIPES.items():
        name, model = choice[task]
        overrides[f"components.{pipe}.backend"] = name
        if model:
            overrides[f"components.{pipe}.model"] = str(model)
    return build_pipeline(config, overrides)


def backends_from_manifest(path: str | Path) -> dict[str, tuple[str, str | None]]:
    """The default learned backends of ``models/manifest.json`` (the format of
    :mod:`kratom_nlp.backends.learned`: ``{task: {backend: folder, "default": backend}}``) as
    ``{task: (backend, model folder)}`` for the claim, evidence and strength tasks whose
    default is a learned backend with a trained folder. A missing or unreadable manifest, or one
    that names only the rules, gives ``{}``."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, tuple[str, str | None]] = {}
    for task in TASK_PIPES:
        entry = data.get(task)
        if not isinstance(entry, dict):
            continue
        name = entry.get("default")
        folder = entry.get(name) if name in ("sklearn", "transformer") else None
        if isinstance(folder, str) and (p.parent / folder / "metadata.json").is_file():
            out[task] = (name, str(p.parent / folder))
    return out


def model_version(nlp: Language) -> str:
    """``kratom_nlp-<version>-<backend>`` (backends joined with '+' when they differ)."""
    from kratom_nlp import __version__

    names = []
    for pipe in TASK_PIPES.values():
        if pipe in nlp.pipe_names:
            name = getattr(getattr(nlp.get_pipe(pipe), "backend", None), "name", "rules")
            if name not in names:
                names.append(name)
    return f"kratom_nlp-{__version__}-{'+'.join(names) or 'rules'}"


def doc_segmentation(doc: Doc) -> list[tuple[int, int, str]]:
    """The pipeline's sentences (without surrounding whitespace and bullet marks) and kinds."""
    from kratom_nlp.backends.rules import content_span, sentence_kind

    out = []
    for sent in doc.sents:
        span = content_span(sent)
        if len(span):
            out.append((span.start_char, span.end_char, sentence_kind(span)))
    return out


def doc_to_task(doc: Doc, article_id: str, meta: dict[str, Any] | None = None,
                task: str | None = None) -> TaskLabels:
    """The pipeline's claims (with their labels and claim score) and cues as regions."""
    t = TaskLabels(task=task or article_id, article_id=article_id, text=doc.text,
                   meta=dict(meta or {}))
    t.base = doc_segmentation(doc)
    if not t.meta.get("substance") and doc._.topic_substances:
        t.meta["substance"] = doc._.topic_substances[0]
    cue_ids: dict[tuple[int, int, str], str] = {}
    for i, claim in enumerate(doc.spans.get("claims", []), 1):
        rid = f"s{i}"
        attrs: dict[str, Any] = {
            "claim_type": claim._.claim_type or "efficacy",
            "evidence": claim._.evidence_level, "strength": claim._.strength,
            "advice": bool(claim._.advice), "overclaim": bool(claim._.overclaim),
            "from_context": bool(claim._.evidence_from_context),
        }
        if claim._.overclaim and claim._.overclaim_reason:
            attrs["overclaim_reason"] = claim._.overclaim_reason
        t.sentences.append(SentRegion(rid, claim.start_char, claim.end_char, "Claim", attrs,
                                      score=float(claim._.claim_score)))
        for c in claim._.evidence_cues:
            key = (int(c["start"]), int(c["end"]), str(c["level"]))
            if key not in cue_ids:
                cue_ids[key] = f"q{len(cue_ids) + 1}"
                t.cues.append(CueRegion(cue_ids[key], *key))
            t.links.append((rid, cue_ids[key]))
    return t
