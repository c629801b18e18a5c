"""Renderers for the analysis dict (the JSON contract in ``resources/analysis.schema.json``).

Each format lives in its own module and is imported lazily, so ``render`` stays cheap and
nothing heavy (spaCy, models) is ever pulled in here.
"""

from __future__ import annotations

import json

FORMATS: tuple[str, ...] = ("json", "text", "html", "claimreview")

LEVEL_LABELS: dict[str, str] = {
    "systematic_review": "Systematic review",
    "clinical_trial": "Clinical trial",
    "observational": "Observational",
    "preclinical": "Preclinical",
    "anecdotal": "Anecdotal",
    "expert_opinion": "Expert opinion",
    "unspecified": "Unspecified",
    "regulatory": "Regulatory",
    "none": "No evidence",
}
"""Human-readable names of the evidence levels, shared by the renderers."""


def level_label(level: object) -> str:
    """Display name of an evidence level (falls back to the raw value)."""
    key = str(level) if level is not None else "none"
    return LEVEL_LABELS.get(key, key.replace("_", " ").capitalize())


def study_details(study: dict) -> list[str]:
    """What the renderers show of a study besides its text and design: kind, population
    (when known), sample size and the journal or body."""
    facts = [str(study.get("kind") or "").replace("_", " ")]
    if study.get("population") not in (None, "unknown"):
        facts.append(str(study["population"]))
    if isinstance(study.get("n"), int) and study["n"]:
        facts.append(f"n = {study['n']:,}")
    if study.get("body"):
        facts.append(str(study["body"]))
    return [f for f in facts if f]


def leaning_claims(analysis: dict, study: dict) -> list[str]:
    """The claims that lean on ``study``, as their numbers in the report (``#3``)."""
    number = {c.get("id"): i for i, c in enumerate(analysis.get("claims") or [], 1)}
    return [f"#{number[c]}" for c in study.get("claims") or [] if c in number]


CAVEAT_LABELS = {
    "limitation": "limitations",
    "preliminary": "small or early study",
    "more_research": "more research needed",
    "causation": "no cause and effect",
}


def caveat_groups(analysis: dict) -> list[tuple[str, list[str]]]:
    """The caveats the article states, grouped by kind in a fixed order: (label, the words
    of each, in text order, once each)."""
    by_kind: dict[str, list[str]] = {}
    for c in analysis.get("caveats") or []:
        words = " ".join(str(c.get("text") or "").split())
        kind = str(c.get("kind") or "")
        if words and words.lower() not in (w.lower() for w in by_kind.get(kind, [])):
            by_kind.setdefault(kind, []).append(words)
    order = [*CAVEAT_LABELS, *sorted(k for k in by_kind if k not in CAVEAT_LABELS)]
    return [(CAVEAT_LABELS.get(k, k.replace("_", " ")), by_kind[k]) for k in order
            if k in by_kind]


def render(analysis: dict, fmt: str) -> str:
    """Render ``analysis`` in one of :data:`FORMATS`; unknown formats raise ``ValueError``."""
    if fmt == "json":
        return json.dumps(analysis, ensure_ascii=False, indent=2)
    if fmt == "text":
        from kratom_nlp.outputs.text import render_text

        return render_text(analysis)
    if fmt == "html":
        from kratom_nlp.outputs.html import render_html

        return render_html(analysis)
    if fmt == "claimreview":
        from kratom_nlp.outputs.claimreview import render_claimreview

        return render_claimreview(analysis)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "LEVEL_LABELS", "leaning_claims", "level_label", "render",
           "study_details"]
