"""The label set the annotation tools see: control names, region labels and choice values."""

from __future__ import annotations

from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, GENRES, STRENGTHS

STANCES: tuple[str, ...] = ("sound", "mixed", "overclaiming")

SENTENCE_CONTROL = "claim"
"""Labels control of sentence regions: a claim, or a non-claim sentence that carries labels."""
CLAIM = "Claim"
NON_CLAIM = "Non-claim"
ROLES: tuple[str, ...] = (CLAIM, NON_CLAIM)

CUE_CONTROL = "cue"
"""Labels control of evidence-cue regions; the label is the cue's evidence level."""
CUE_LEVELS: tuple[str, ...] = tuple(lv for lv in EVIDENCE_LEVELS if lv != "none")

YES_NO: tuple[str, ...] = ("yes", "no")

REGION_CHOICES: dict[str, tuple[str, ...]] = {
    "claim_type": CLAIM_TYPES,
    "evidence": EVIDENCE_LEVELS,
    "strength": STRENGTHS,
    "advice": YES_NO,
    "overclaim": YES_NO,
    "context": YES_NO,
}
"""Per-region choices of a sentence region (``context``: the evidence comes from the
preceding sentence)."""

CLAIM_ONLY: frozenset[str] = frozenset({"claim_type", "strength", "overclaim"})
"""Choices that a non-claim sentence cannot hold (beyond their default)."""

REASON_CONTROL = "overclaim_reason"
"""Per-region text area: why the claim overclaims."""

DOC_CHOICES: dict[str, tuple[str, ...]] = {"genre": GENRES, "stance": STANCES}
"""Article-level choices."""

PRODIGY_CLAIM = "CLAIM"
PRODIGY_NON_CLAIM = "NON_CLAIM"


def prodigy_cue_label(level: str) -> str:
    return level.upper()
