"""Pre-annotation: the pipeline's claims and cues as regions, and the pipeline to use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels

TASK_PIPES = {"claim": "kratom_claims", "evidence": "kratom_evidence",
              "strength": "kratom_strength"}


def load_nlp(config: str | Path | None = None, backend: str = "default",
             model: str | Path | None = None) -> Language:
    """The pipeline with ``backend`` (a registered name; ``default`` = the manifest's choice)
    for the claim, evidence and strength components, and ``model`` (a folder) for all three
    when given. The default backend without a model is the cached default pipeline."""
    if backend == "default" and model is None:
        from kratom_nlp.api import load

        return load(config)
    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.registry import backend_ref

    overrides: dict[str, object] = {}
    for task, pipe in TASK_PIPES.items():
        block: dict[str, object] = {"@kratom_backends": backend_ref(backend), "task": task}
        if model is not None:
            block["model"] = str(model)
        overrides[f"components.{pipe}.backend"] = block
    return build_pipeline(config, overrides)


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
    return [(s.start_char, s.end_char, s.label_) for s in doc.spans.get("sentences", [])]


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
