"""schema.org ``ClaimReview`` JSON-LD, one object per claim.

The article's address is published only when it is an absolute ``http(s)`` URL: ``--url`` (any
other scheme, ``javascript:`` included, is refused with :class:`~kratom_nlp.errors.UsageError`),
else the analysis ``source`` when that is such a URL. A local file path is never published;
without a URL the ``url`` fields are left out and the ``kratomNlp`` block says so
(:data:`NO_URL_NOTE`).
"""

from __future__ import annotations

import datetime as _dt
import json
from urllib.parse import urlsplit

from kratom_nlp.errors import UsageError
from kratom_nlp.outputs import level_label

NO_URL_NOTE = ("no article URL was given (--url), so the ClaimReview items have no url; a local "
               "file path is never published")
_URL_SHOWN = 80

# Evidence level -> rating when the claim is *not* flagged as an overclaim.
LEVEL_RATINGS: dict[str, int] = {
    "systematic_review": 5,
    "clinical_trial": 5,
    "observational": 4,
    "regulatory": 4,
    "preclinical": 3,
    "anecdotal": 2,
    "expert_opinion": 2,
    "unspecified": 2,
    "none": 2,
}
OVERCLAIM_RATING = 1
HEDGED_STRENGTHS = frozenset({"correlational", "conditional_causal"})

_SUPPORTED = {
    "systematic_review": "Supported by systematic reviews",
    "clinical_trial": "Supported by clinical trials",
    "observational": "Supported by observational studies",
    "regulatory": "Backed by a regulator's statement",
}


def _url_problem(url: str) -> str | None:
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "it contains spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"it does not parse ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"its scheme is {parts.scheme or '(none)'!r}"
    if not host:
        return "it has no host"
    return None


def is_web_url(url: object) -> bool:
    """Whether ``url`` is an absolute ``http(s)`` URL with a host (and nothing odd in it)."""
    return isinstance(url, str) and _url_problem(url) is None


def check_url(url: str) -> str:
    """``url`` when it is an absolute ``http(s)`` URL; else :class:`UsageError` (one line)."""
    problem = _url_problem(url)
    if problem is None:
        return url
    shown = url if len(url) <= _URL_SHOWN else f"{url[:_URL_SHOWN]}…"
    raise UsageError(f"--url {shown!r} is not accepted: {problem}; give the article's "
                     "http:// or https:// address, or leave --url out")


def _evidence_name(level: str) -> str:
    return level_label(level).lower().replace("no evidence", "no")


def rating_for(claim: dict) -> tuple[int, str]:
    """The ``(ratingValue, alternateName)`` for one claim; see :func:`to_claimreview`."""
    evidence = claim.get("evidence") or {}
    level = str(evidence.get("level") or "none")
    over = claim.get("overclaim") or {}
    if over.get("flag"):
        reason = over.get("reason") or (
            "stated without evidence" if level == "none"
            else f"wording outruns its {_evidence_name(level)} evidence")
        return OVERCLAIM_RATING, f"Overclaim: {reason}"
    value = LEVEL_RATINGS.get(level, 2)
    hedged = claim.get("strength") in HEDGED_STRENGTHS
    if level == "none":
        return value, "Unsupported"
    if level in _SUPPORTED:
        if hedged and level == "observational":
            return value, "Hedged claim on observational evidence"
        return value, _SUPPORTED[level]
    if hedged:
        return value, f"Hedged claim on {_evidence_name(level)} evidence"
    return value, f"Weakly supported: {_evidence_name(level)} evidence only"


def to_claimreview(analysis: dict, *, url: str | None = None, publisher: str = "kratom_nlp",
                   date_published: str | None = None) -> list[dict]:
    """One schema.org ClaimReview per claim.

    ``url`` is the article's address (an absolute http(s) URL, else :class:`UsageError`);
    without it the analysis ``source`` is used when it is such a URL, and otherwise the ``url``
    fields are left out and ``kratomNlp.note`` says so.

    ``reviewRating.ratingValue`` (1 worst .. 5 best):

    * 1 - the claim is flagged as an overclaim (any evidence level);
    * 5 - systematic_review or clinical_trial;
    * 4 - observational or regulatory;
    * 3 - preclinical;
    * 2 - anecdotal, expert_opinion, unspecified or none ("Unsupported").

    ``alternateName`` is the textual verdict ("Overclaim: <reason>", "Supported by clinical
    trials", "Hedged claim on preclinical evidence", "Unsupported", ...). Hedged means a
    correlational or conditional-causal strength. The ``kratomNlp`` block carries the raw grading.
    """
    date = date_published or _dt.date.today().isoformat()
    if url is not None:
        url = check_url(url)
    source = analysis.get("source")
    appearance_url = url or (source if is_web_url(source) else None)
    reviews = []
    for claim in analysis.get("claims") or []:
        evidence = claim.get("evidence") or {}
        over = claim.get("overclaim") or {}
        value, verdict = rating_for(claim)
        work: dict = {"@type": "CreativeWork"}
        if appearance_url:
            work["url"] = appearance_url
        rating: dict = {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": verdict,
        }
        if over.get("flag") and over.get("reason"):
            rating["ratingExplanation"] = over["reason"]
        review: dict = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "claimReviewed": claim.get("text", ""),
            "datePublished": date,
        }
        if url:
            review["url"] = url
        review.update({
            "author": {"@type": "Organization", "name": publisher},
            "itemReviewed": {"@type": "Claim", "appearance": work, "firstAppearance": dict(work)},
            "reviewRating": rating,
            "kratomNlp": {
                "claimId": claim.get("id"),
                "claimType": claim.get("claim_type"),
                "level": evidence.get("level"),
                "cues": [c.get("text") for c in evidence.get("cues") or []
                         if isinstance(c, dict)],
                "fromContext": bool(evidence.get("from_context")),
                "strength": claim.get("strength"),
                "advice": bool(claim.get("advice")),
                "overclaim": bool(over.get("flag")),
                "reason": over.get("reason"),
                "rule": over.get("rule"),
                "score": over.get("score"),
            },
        })
        if appearance_url is None:
            review["kratomNlp"]["note"] = NO_URL_NOTE
        reviews.append(review)
    return reviews


def render_claimreview(analysis: dict, *, url: str | None = None, publisher: str = "kratom_nlp",
                       date_published: str | None = None) -> str:
    """The ClaimReview list as JSON text (always a list, even for one claim).

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so the text can be embedded in a
    ``<script type="application/ld+json">`` block as is; it still parses to the same data.
    """
    reviews = to_claimreview(analysis, url=url, publisher=publisher,
                             date_published=date_published)
    text = json.dumps(reviews, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


__all__ = ["LEVEL_RATINGS", "NO_URL_NOTE", "check_url", "is_web_url", "rating_for",
           "render_claimreview", "to_claimreview"]
