"""The analysis contract: a processed spaCy ``Doc`` as the versioned JSON document.

The JSON Schema is ``kratom_nlp/resources/analysis.schema.json``; ``SCHEMA_VERSION`` follows
semantic versioning (a new optional field is a minor change, a renamed or removed one a major).
1.1.0 added ``studies`` (the studies the article describes) and ``claims[].evidence.study``;
1.2.0 added ``claims[].strength_cue`` (the words of a null result that set the strength);
1.3.0 added ``claims[].by_context`` (a claim kept below the detector's threshold because it goes
on from the claim before it; never flagged as an overclaim); 1.4.0 added ``caveats`` (where the
article states the limits of its evidence) and ``summary.caveats``.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

from kratom_nlp.pipeline.caveats import caveats_to_dicts
from kratom_nlp.pipeline.extensions import SpanValues

SCHEMA_VERSION = "1.4.0"


def claim_to_dict(claim: Span, index: int, doc_text: str | None = None) -> dict[str, Any]:
    """A claim span as an analysis-contract dict; ``doc_text``: its Doc's text, when the
    caller has it (``Span.text`` builds the text token by token)."""
    v = SpanValues(claim)
    start, end = claim.start_char, claim.end_char
    cue = v.get("strength_cue")
    certainty = v.get("certainty")
    return {
        "id": f"c{index}",
        "start": start,
        "end": end,
        "text": doc_text[start:end] if doc_text is not None else claim.text,
        "claim_type": v.get("claim_type") or "efficacy",
        "by_context": bool(v.get("claim_by_context")),
        "substances": list(v.get("substances")),
        "outcomes": list(v.get("outcomes")),
        "evidence": {"level": v.get("evidence_level"), "cues": list(v.get("evidence_cues")),
                     "from_context": bool(v.get("evidence_from_context")),
                     "study": v.get("evidence_study")},
        "strength": v.get("strength"),
        "strength_cue": dict(cue) if cue else None,
        "certainty": None if certainty is None else round(float(certainty), 2),
        "advice": bool(v.get("advice")),
        "advice_kind": v.get("advice_kind"),
        "overclaim": {"flag": bool(v.get("overclaim")), "reason": v.get("overclaim_reason"),
                      "rule": v.get("overclaim_rule"),
                      "score": round(float(v.get("overclaim_score")), 3)},
    }


def study_to_dict(study: Span, claims: list[dict[str, Any]]) -> dict[str, Any]:
    """A study span as an analysis-contract dict, with the ids of the claims that lean on it."""
    sid = study._.study_id
    return {
        "id": sid, "start": study.start_char, "end": study.end_char, "text": study.text,
        "design": study._.design or "unspecified", "kind": study._.study_kind or "other",
        "population": study._.population or "unknown", "n": study._.study_n,
        "body": study._.study_body, "mentions": [list(m) for m in study._.mentions],
        "claims": [c["id"] for c in claims if c["evidence"].get("study") == sid],
    }


def doc_to_analysis(doc: Doc, *, source: str | None = None, language: str | None = None,
                    warnings: list[str] | None = None) -> dict[str, Any]:
    """Build the analysis dict of a document processed by the kratom_nlp pipeline."""
    text = doc.text
    claims = [claim_to_dict(c, i + 1, text) for i, c in enumerate(doc.spans.get("claims", []))]
    studies = [study_to_dict(s, claims) for s in doc.spans.get("studies", [])]
    caveats = caveats_to_dicts(doc)
    summary = dict(doc._.summary) if doc._.summary else {}
    if not summary:
        from kratom_nlp.grading import summarize

        summary = summarize(claims, caveats=len(caveats))
    return {
        "schema_version": SCHEMA_VERSION,
        "source": source or doc._.source or "<text>",
        "text": text,
        "language": language or doc._.language or "en",
        "warnings": [*(warnings or []), *[w for w in (doc._.warnings or [])
                                          if w not in (warnings or [])]],
        "claims": claims,
        "studies": studies,
        "caveats": caveats,
        "summary": summary,
    }


def validate_analysis(analysis: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``analysis`` breaks the contract."""
    import json

    import jsonschema

    from kratom_nlp.resources import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(analysis)
