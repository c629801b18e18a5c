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


__all__ = ["FORMATS", "LEVEL_LABELS", "level_label", "render"]
