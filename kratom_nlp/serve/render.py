"""Server-side rendering helpers: the highlighted article text, studies, the evidence mix.

Every string that comes from an article or a review reaches the page through ``markupsafe``
escaping (here) or Jinja2's autoescaping (in the templates); nothing is marked safe unescaped.
The article keeps its line breaks through CSS (``white-space: pre-wrap``), so the text is never
rewritten.

Study mentions (analysis contract >= 1.1: a top-level ``studies`` list and
``claims[].evidence.study``) are underlined in the text and listed once each with the claims
that lean on them; an analysis without them renders as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from kratom_nlp.outputs import level_label
from kratom_nlp.outputs.html import LEVEL_COLORS, LEVEL_DESCRIPTIONS, OVERCLAIM_RED
from kratom_nlp.taxonomy import EVIDENCE_LEVELS, STRENGTHS

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")

__all__ = [
    "LEVEL_DESCRIPTIONS", "MixSegment", "StudyView", "highlight", "human", "level_key",
    "levels_css", "mix_segments", "studies_view", "verdict_class",
]


def _clean(value: object) -> str:
    return _BAD_CHARS.sub("\ufffd", "" if value is None else str(value))


def human(value: object) -> str:
    """``direct_causal`` -> ``direct causal``."""
    return str(value or "").replace("_", " ")


def level_key(level: object) -> str:
    """A CSS-safe key for an evidence level (unknown levels share one style)."""
    return level if isinstance(level, str) and level in EVIDENCE_LEVELS else "unknown"


def verdict_class(score: object) -> str:
    if isinstance(score, bool) or not isinstance(score, int | float):
        return ""
    return "good" if score >= 0.66 else "mixed" if score >= 0.33 else "weak"


def levels_css() -> str:
    """The evidence-level colours of the ``-f html`` report, as CSS for the desk."""
    rules = [f":root{{--red:{OVERCLAIM_RED}}}"]
    for key, (bg, accent) in LEVEL_COLORS.items():
        rules.append(f".lvl-{key}{{--bg:{bg};--accent:{accent}}}")
        rules.append(f".cue-{key}{{text-decoration-color:{accent}}}")
        rules.append(f"svg .lvl-{key}{{fill:{accent}}}")
    return "\n".join(rules) + "\n"


# --------------------------------------------------------------------------- highlighting

@dataclass
class _Inner:
    start: int
    end: int
    cue_level: str | None = None
    study: str | None = None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _layout(claims: list[dict[str, Any]], length: int) -> list[tuple[int, int, int]]:
    """``(start, end, index)`` of the claims that can be placed: sorted, clipped to the text and
    to each other (a claim overlapping an earlier one starts after it), empty ones dropped."""
    spans = []
    for i, claim in enumerate(claims):
        start, end = _int(claim.get("start")), _int(claim.get("end"))
        if start is None or end is None:
            continue
        spans.append((max(start, 0), min(end, length), i))
    spans.sort(key=lambda t: (t[0], -t[1], t[2]))
    placed, cursor = [], 0
    for start, end, i in spans:
        start = max(start, cursor)
        if start < end:
            placed.append((start, end, i))
            cursor = end
    return placed


def _inner_spans(claims: Iterable[dict[str, Any]], studies: Iterable[dict[str, Any]],
                 length: int) -> list[_Inner]:
    spans: dict[tuple[int, int, str | None, str | None], _Inner] = {}
    for claim in claims:
        if (claim.get("review") or {}).get("status") == "rejected":
            continue
        for cue in (claim.get("evidence") or {}).get("cues") or []:
            s, e = _int(cue.get("start")), _int(cue.get("end"))
            if s is not None and e is not None and 0 <= s < e <= length:
                key = (s, e, str(cue.get("level")), None)
                spans.setdefault(key, _Inner(s, e, cue_level=str(cue.get("level"))))
    for study in studies:
        s, e = _int(study.get("start")), _int(study.get("end"))
        if s is not None and e is not None and 0 <= s < e <= length and study.get("id"):
            key = (s, e, None, str(study["id"]))
            spans.setdefault(key, _Inner(s, e, study=str(study["id"])))
    return list(spans.values())


def _segment(text: str, lo: int, hi: int, inner: list[_Inner],
             study_titles: dict[str, str]) -> Markup:
    """``text[lo:hi]`` escaped, with cues and study mentions as nested-free spans."""
    active = [s for s in inner if s.start < hi and s.end > lo]
    if not active:
        return escape(_clean(text[lo:hi]))
    cuts = sorted({lo, hi, *(max(lo, s.start) for s in active), *(min(hi, s.end) for s in active)})
    out: list[Markup] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = escape(_clean(text[a:b]))
        covering = [s for s in active if s.start <= a and b <= s.end]
        if not covering:
            out.append(piece)
            continue
        classes, titles, study_ids = [], [], []
        cue = next((s.cue_level for s in covering if s.cue_level), None)
        if cue:
            classes += ["cue", f"cue-{level_key(cue)}"]
            titles.append(f"Evidence cue: {level_label(cue)}")
        for s in covering:
            if s.study:
                study_ids.append(s.study)
                titles.append(study_titles.get(s.study, f"Study {s.study}"))
        if study_ids:
            classes.append("study")
        out.append(Markup('<span class="{}" data-study="{}" title="{}">{}</span>').format(
            " ".join(classes), " ".join(study_ids), "\n".join(titles), piece))
    return Markup("").join(out)


def _tip(n: int, claim: dict[str, Any]) -> Markup:
    evidence = claim.get("evidence") or {}
    over = claim.get("overclaim") or {}
    review = claim.get("review") or {}
    rows = [Markup('<span class="tip-head"><span class="chip lvl-{}">{}</span> Claim {}'
                   '{}</span>').format(level_key(evidence.get("level")),
                                       level_label(evidence.get("level")), n,
                                       f" \u00b7 {human(claim.get('claim_type'))}"
                                       if claim.get("claim_type") else "")]
    cues = [str(c.get("text")) for c in evidence.get("cues") or [] if c.get("text")]
    if cues:
        ctx = " (from context)" if evidence.get("from_context") else ""
        rows.append(Markup('<span class="tip-row"><strong>Cue:</strong> {}{}</span>').format(
            "; ".join(f"\u201c{_clean(c)}\u201d" for c in cues), ctx))
    if evidence.get("study"):
        rows.append(Markup('<span class="tip-row"><strong>Study:</strong> {}</span>').format(
            _clean(evidence["study"])))
    rows.append(Markup('<span class="tip-row"><strong>Strength:</strong> {}</span>').format(
        human(claim.get("strength")) or "n/a"))
    if over.get("flag"):
        rows.append(Markup('<span class="tip-row tip-flag"><strong>\u2691 Overclaim:</strong> '
                           '{}</span>').format(_clean(over.get("reason") or "flagged")))
    status = review.get("status")
    if status and status != "unreviewed":
        what = "not a claim" if status == "rejected" else "accepted"
        if review.get("changed"):
            what += " \u00b7 corrected: " + ", ".join(review["changed"])
        rows.append(Markup('<span class="tip-row tip-review"><strong>Review:</strong> {}'
                           '</span>').format(what))
    return Markup('<span class="tip" role="tooltip" id="tip-{}">{}</span>').format(
        n, Markup("").join(rows))


def highlight(analysis: dict[str, Any], claims: list[dict[str, Any]]) -> Markup:
    """The article text as escaped HTML: each claim a ``<mark>`` (classed by its evidence level,
    overclaim flag and review status, with a tooltip and a link to its row in the claims
    table), evidence cues and study mentions underlined inside and between claims."""
    text = _clean(analysis.get("text"))
    studies = [s for s in analysis.get("studies") or [] if isinstance(s, dict)]
    titles = {str(s.get("id")): _study_title(s) for s in studies}
    inner = _inner_spans(claims, studies, len(text))
    out: list[Markup] = []
    pos = 0
    number = {id(c): n for n, c in enumerate(claims, 1)}
    for start, end, i in _layout(claims, len(text)):
        claim = claims[i]
        n = number[id(claim)]
        out.append(_segment(text, pos, start, inner, titles))
        evidence = claim.get("evidence") or {}
        over = bool((claim.get("overclaim") or {}).get("flag"))
        status = (claim.get("review") or {}).get("status", "unreviewed")
        classes = ["claim", f"lvl-{level_key(evidence.get('level'))}"]
        if over:
            classes.append("overclaim")
        if status != "unreviewed":
            classes.append(f"reviewed-{status}")
        out.append(Markup('<mark id="m-{}" class="{}" data-claim="{}" tabindex="0" '
                          'aria-describedby="tip-{}">{}<a class="claim-no" href="#claim-{}" '
                          'aria-label="Claim {} in the claims table">{}</a>{}</mark>').format(
            claim.get("id"), " ".join(classes), claim.get("id"), n,
            _segment(text, start, end, inner, titles), claim.get("id"), n, n,
            _tip(n, claim)))
        pos = end
    out.append(_segment(text, pos, len(text), inner, titles))
    return Markup("").join(out)


# --------------------------------------------------------------------------- studies

def _study_title(study: dict[str, Any]) -> str:
    parts = [f"Study {study.get('id')}"]
    if study.get("design"):
        parts.append(human(study["design"]))
    if study.get("population"):
        parts.append(str(study["population"]))
    if isinstance(study.get("n"), int) and not isinstance(study.get("n"), bool):
        parts.append(f"n = {study['n']:,}")
    return _clean(" \u00b7 ".join(parts))


@dataclass
class StudyView:
    id: str
    text: str
    design: str | None
    population: str | None
    n: int | None
    claims: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def studies_view(analysis: dict[str, Any], claims: list[dict[str, Any]]) -> list[StudyView]:
    """Each study of the analysis once, with the claims (numbered as on the page) whose
    evidence leans on it; an empty list when the analysis has no ``studies``."""
    views: dict[str, StudyView] = {}
    text = analysis.get("text") or ""
    for study in analysis.get("studies") or []:
        if not isinstance(study, dict) or not study.get("id"):
            continue
        sid = str(study["id"])
        if sid in views:
            continue
        s, e = _int(study.get("start")), _int(study.get("end"))
        mention = study.get("text") or (text[s:e] if s is not None and e is not None else "")
        n = study.get("n")
        views[sid] = StudyView(sid, _clean(mention), study.get("design"),
                               study.get("population"),
                               n if isinstance(n, int) and not isinstance(n, bool) else None)
    for number, claim in enumerate(claims, 1):
        sid = (claim.get("evidence") or {}).get("study")
        if sid is not None and str(sid) in views:
            views[str(sid)].claims.append((number, claim))
    return list(views.values())


# --------------------------------------------------------------------------- summary

@dataclass
class MixSegment:
    level: str
    label: str
    count: int
    x: float
    width: float


def mix_segments(summary: dict[str, Any]) -> list[MixSegment]:
    """The evidence mix as bar segments (percent offsets and widths, in level order)."""
    counts = summary.get("evidence_levels") or {}
    items = [(lvl, int(counts.get(lvl) or 0)) for lvl in EVIDENCE_LEVELS
             if isinstance(counts.get(lvl), int) and counts.get(lvl)]
    total = sum(c for _, c in items)
    out, x = [], 0.0
    for level, count in items:
        width = 100.0 * count / total
        out.append(MixSegment(level, level_label(level), count, round(x, 3), round(width, 3)))
        x += width
    return out


def options(values: Iterable[str], *, labels: bool = False) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select."""
    return [(v, level_label(v) if labels else human(v)) for v in values]


LEVEL_OPTIONS = options(EVIDENCE_LEVELS, labels=True)
STRENGTH_OPTIONS = options(STRENGTHS)
