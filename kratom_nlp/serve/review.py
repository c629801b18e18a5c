"""Reviews of claims: checking what a person submits, and the analysis as reviewed.

A review accepts a claim (optionally correcting its evidence level, strength or overclaim flag)
or rejects it as not a claim, with an optional note. Values equal to the pipeline's are stored
as "unchanged" (``None``), so a review records exactly what the person changed.

Evidence needs its cue (the labelling rules, and ``kratom-nlp annotate import``, require a cue
for every level but ``none``): a changed level keeps the words the pipeline found, relabelled;
``cue`` names other words, found in the claim or else in the sentence before it (evidence from
context); level ``none`` drops the cues. A level with no cue at all - set by the reviewer, or
given by the pipeline without one - is refused with a message saying what to give, so every
accepted claim can be imported.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kratom_nlp.errors import UsageError
from kratom_nlp.serve.store import Review
from kratom_nlp.taxonomy import EVIDENCE_LEVELS, STRENGTHS

STATUSES: tuple[str, ...] = ("accepted", "rejected")
REVIEW_RULE = "review"
"""``overclaim.rule`` of a claim a reviewer flagged as an overclaim."""

__all__ = [
    "REVIEW_RULE", "STATUSES", "ClaimNotFound", "ReviewError", "ReviewInput", "claim_by_id",
    "effective_claim", "needs_cue", "resolve_review", "review_counts", "reviewed_analysis",
]


class ReviewError(UsageError):
    """A review that cannot be saved (HTTP 422); the message says what to change."""


class ClaimNotFound(UsageError, LookupError):
    """The article has no claim with that id (HTTP 404)."""


@dataclass
class ReviewInput:
    """What a person submits for one claim (``None``: leave the pipeline's value)."""

    claim_id: str
    status: str = "accepted"
    evidence: str | None = None
    strength: str | None = None
    overclaim: bool | None = None
    note: str | None = None
    cue: str | None = None
    reviewer: str | None = None


def claim_by_id(analysis: dict[str, Any], claim_id: str) -> dict[str, Any]:
    for claim in analysis.get("claims") or []:
        if claim.get("id") == claim_id:
            return claim
    raise ClaimNotFound(f"no claim {claim_id!r} in this article")


def _preceding_sentence(text: str, start: int) -> tuple[int, int] | None:
    """The sentence before offset ``start`` (the pipeline's segmenter), up to ``start``."""
    from kratom_nlp.annotate.core import segment

    before = [(s, e) for s, e, _ in segment(text) if e <= start]
    if not before:
        return None
    s, _ = before[-1]
    return s, start


def _find(text: str, needle: str, lo: int, hi: int) -> tuple[int, int] | None:
    words = needle.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    for flags in (0, re.IGNORECASE):
        match = re.compile(pattern, flags).search(text, lo, hi)
        if match:
            return match.start(), match.end()
    return None


def locate_cue(text: str, claim: dict[str, Any], cue: str, level: str) -> list[dict[str, Any]]:
    """The cue ``cue`` as a cue dict: in the claim, else in the sentence before it."""
    start, end = int(claim["start"]), int(claim["end"])
    found = _find(text, cue, start, end)
    if found is None:
        before = _preceding_sentence(text, start)
        if before is not None:
            found = _find(text, cue, *before)
    if found is None:
        raise ReviewError(f"the cue {cue.strip()[:80]!r} is neither in the claim nor in the "
                          "sentence before it; give words exactly as they appear there")
    s, e = found
    return [{"start": s, "end": e, "text": text[s:e], "level": level}]


def _clean(value: str | None, limit: int, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise ReviewError(f"the {what} is too long ({len(value)} characters; at most {limit})")
    return value or None


def resolve_review(analysis: dict[str, Any], article_id: str, data: ReviewInput, *,
                   default_reviewer: str) -> Review:
    """Check ``data`` against the article's analysis; the :class:`Review` to store.

    Raises :class:`ClaimNotFound` for an unknown claim id and :class:`ReviewError` for a value
    outside the label set or evidence without its cue.
    """
    claim = claim_by_id(analysis, data.claim_id)
    if data.status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}, not {data.status!r}")
    if data.evidence is not None and data.evidence not in EVIDENCE_LEVELS:
        raise ReviewError(f"unknown evidence level {data.evidence!r} (one of "
                          f"{', '.join(EVIDENCE_LEVELS)})")
    if data.strength is not None and data.strength not in STRENGTHS:
        raise ReviewError(f"unknown strength {data.strength!r} (one of {', '.join(STRENGTHS)})")
    note = _clean(data.note, 4000, "note")
    cue_text = _clean(data.cue, 500, "cue")
    reviewer = _clean(data.reviewer, 200, "reviewer name") or default_reviewer
    review = Review(article_id=article_id, claim_id=claim["id"], claim_start=int(claim["start"]),
                    claim_end=int(claim["end"]), status=data.status, reviewer=reviewer,
                    note=note)
    if data.status == "rejected":
        return review
    evidence = claim.get("evidence") or {}
    model_level = evidence.get("level") or "none"
    model_cues = [dict(c) for c in evidence.get("cues") or []]
    level = data.evidence or model_level
    review.evidence = level if level != model_level else None
    if data.strength is not None and data.strength != claim.get("strength"):
        review.strength = data.strength
    model_flag = bool((claim.get("overclaim") or {}).get("flag"))
    if data.overclaim is not None and bool(data.overclaim) != model_flag:
        review.overclaim = bool(data.overclaim)
    text = analysis.get("text") or ""
    if cue_text is not None:
        if level == "none":
            raise ReviewError("evidence 'none' takes no cue; choose an evidence level for the "
                              "cue, or leave the cue empty")
        review.cues = locate_cue(text, claim, cue_text, level)
    elif review.evidence is not None:
        if level == "none":
            review.cues = []
        elif model_cues:
            review.cues = [{**c, "level": level} for c in model_cues]
        else:
            raise ReviewError(f"evidence level {level!r} needs its cue: give the words in the "
                              "claim (or in the sentence before it) that show this evidence")
    elif level != "none" and not model_cues:
        raise ReviewError(f"the pipeline gave evidence level {level!r} without a cue: give the "
                          "words in the claim (or in the sentence before it) that show it, or "
                          "choose No evidence")
    if review.cues is not None and review.evidence is None and \
            [(c["start"], c["end"], c["level"]) for c in review.cues] == \
            [(int(c["start"]), int(c["end"]), c["level"]) for c in model_cues]:
        review.cues = None  # the same cue the pipeline found
    return review


def needs_cue(claim: dict[str, Any]) -> bool:
    """A claim the pipeline gave an evidence level without a cue: it cannot be accepted as
    labelled (the reviewer gives the cue, or another level)."""
    evidence = claim.get("evidence") or {}
    return (evidence.get("level") or "none") != "none" and not evidence.get("cues")


def effective_claim(claim: dict[str, Any], review: Review | None) -> dict[str, Any]:
    """The claim with the review's corrections applied, plus a ``review`` block (status,
    reviewer, note, what changed and the pipeline's values). Unreviewed: status ``unreviewed``."""
    out = copy.deepcopy(claim)
    evidence = out.setdefault("evidence", {"level": "none", "cues": [], "from_context": False})
    over = out.setdefault("overclaim", {"flag": False, "reason": None, "rule": None, "score": 0.0})
    model = {"evidence": evidence.get("level"), "strength": out.get("strength"),
             "overclaim": bool(over.get("flag"))}
    if review is None:
        out["review"] = {"status": "unreviewed", "changed": [], "model": model}
        return out
    changed: list[str] = []
    if review.status == "accepted":
        if review.evidence is not None:
            evidence["level"] = review.evidence
            changed.append("evidence")
        if review.cues is not None:
            evidence["cues"] = [dict(c) for c in review.cues]
            start, end = int(out["start"]), int(out["end"])
            evidence["from_context"] = any(not (start <= c["start"] and c["end"] <= end)
                                           for c in review.cues)
            if "evidence" not in changed:
                changed.append("cue")
        if review.strength is not None:
            out["strength"] = review.strength
            changed.append("strength")
        if review.overclaim is not None:
            over["flag"] = review.overclaim
            if review.overclaim:
                over["reason"] = review.note or "Marked as an overclaim by a reviewer."
                over["rule"] = REVIEW_RULE
            else:
                over["reason"] = None
                over["rule"] = None
            changed.append("overclaim")
    out["review"] = {"status": review.status, "reviewer": review.reviewer, "note": review.note,
                     "updated_at": review.updated_at, "changed": changed, "model": model}
    return out


def reviewed_analysis(analysis: dict[str, Any], reviews: dict[str, Review], *,
                      keep_rejected: bool = False) -> dict[str, Any]:
    """The analysis contract as reviewed: corrections applied, claims rejected as not claims
    left out (kept, with their review, when ``keep_rejected``), the summary recomputed, and a
    top-level ``review`` block. Without reviews the claims only gain their ``review`` block."""
    from kratom_nlp.grading import summarize

    out = {k: copy.deepcopy(v) for k, v in analysis.items() if k != "claims"}
    claims = [effective_claim(c, reviews.get(c.get("id", ""))) for c in analysis["claims"]]
    kept = [c for c in claims if c["review"]["status"] != "rejected"]
    out["claims"] = claims if keep_rejected else kept
    if reviews:
        sentences = (analysis.get("summary") or {}).get("sentences")
        caveats = (analysis.get("summary") or {}).get("caveats")
        summary = summarize(kept, sentences=sentences if isinstance(sentences, int) else None,
                            caveats=caveats if isinstance(caveats, int) else 0)
        out["summary"] = {**(analysis.get("summary") or {}), **summary}
    counts = review_counts(claims)
    out["review"] = {
        "claims": len(claims), "reviewed": counts["reviewed"], "accepted": counts["accepted"],
        "rejected": counts["rejected"], "corrected": counts["corrected"],
        "complete": bool(claims) and counts["reviewed"] == len(claims),
        "reviewers": sorted({r.reviewer for r in reviews.values()}),
        "updated_at": max((r.updated_at for r in reviews.values()), default=None),
    }
    return out


def review_counts(claims: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of claims by review status (effective claims), and how many were corrected."""
    status = Counter(c["review"]["status"] for c in claims)
    return {"reviewed": status["accepted"] + status["rejected"], "accepted": status["accepted"],
            "rejected": status["rejected"], "unreviewed": status["unreviewed"],
            "corrected": sum(1 for c in claims if c["review"]["changed"])}
