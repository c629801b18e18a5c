"""The label sets every part of the toolkit shares (see ``corpora/GUIDELINES.md``)."""

from __future__ import annotations

from collections.abc import Iterable

EVIDENCE_LEVELS: tuple[str, ...] = (
    "systematic_review",
    "clinical_trial",
    "observational",
    "preclinical",
    "anecdotal",
    "expert_opinion",
    "unspecified",
    "regulatory",
    "none",
)
"""Evidence levels. The first eight-but-regulatory are ordered strongest first (the
precedence of the labelling rules); ``regulatory`` stands apart from that ladder."""

EVIDENCE_PRECEDENCE: tuple[str, ...] = (
    "systematic_review",
    "clinical_trial",
    "observational",
    "preclinical",
    "anecdotal",
    "expert_opinion",
    "unspecified",
    "none",
)
"""Order used to pick the strongest cue for a human effect (labelling rules)."""

STRENGTHS: tuple[str, ...] = (
    "no_relationship",
    "correlational",
    "conditional_causal",
    "direct_causal",
)
"""Claim strength (Yu et al. 2019), ordered weakest first (ordinal)."""

ABSTRACT_FINDINGS: frozenset[str] = frozenset({"results", "conclusions"})
"""The parts of a structured abstract whose every sentence rests on the study its methods
describe (GUIDELINES §12.3); the parts are the keys of ``abstract_sections`` in
``study_cues.json``."""

CLAIM_TYPES: tuple[str, ...] = ("efficacy", "safety", "risk", "mechanism", "advice", "usage")

GENRES: tuple[str, ...] = (
    "seo_copy",
    "explainer",
    "news",
    "press_release",
    "forum",
    "regulator",
    "abstract",
)

# Evidence levels at or above which a benefit claim stated as fact is licensed.
LICENSING_LEVELS: frozenset[str] = frozenset({"clinical_trial", "systematic_review"})

# Evidence levels that name a study of people.
HUMAN_STUDY_LEVELS: frozenset[str] = LICENSING_LEVELS | {"observational"}


def evidence_rank(level: str) -> int:
    """Rank on the human-evidence ladder: 0 is strongest; regulatory sits beside observational."""
    if level == "regulatory":
        return EVIDENCE_PRECEDENCE.index("observational")
    return EVIDENCE_PRECEDENCE.index(level)


def choose_level(levels: Iterable[str]) -> str:
    """The evidence level of a set of cue levels: regulatory when no trial or review is among
    them, else the strongest by the labelling rules' precedence; ``none`` for no cues."""
    present = set(levels)
    if not present:
        return "none"
    if "regulatory" in present and not present & {"systematic_review", "clinical_trial"}:
        return "regulatory"
    return next((lvl for lvl in EVIDENCE_PRECEDENCE if lvl in present), "none")
