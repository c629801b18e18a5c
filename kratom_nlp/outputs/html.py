"""Self-contained HTML report: summary, legend, highlighted article text and a claims table.

The page has inline CSS only, no JavaScript and no external resources; a strict
Content-Security-Policy meta tag enforces that. Every string taken from the analysis
(article text, claim text, cues, reasons, source, ids) goes through :func:`_esc`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from kratom_nlp.outputs import caveat_groups, leaning_claims, level_label, study_details
from kratom_nlp.taxonomy import EVIDENCE_LEVELS

CSP = "default-src 'none'; style-src 'unsafe-inline'"

# level -> (highlight background, dark accent); accents keep >= 4.5:1 contrast on the background.
LEVEL_COLORS: dict[str, tuple[str, str]] = {
    "systematic_review": ("#c7ecd0", "#14532d"),
    "clinical_trial": ("#d9f2c4", "#365314"),
    "observational": ("#c9eeea", "#134e4a"),
    "preclinical": ("#d4e4ff", "#1e3a8a"),
    "anecdotal": ("#ffe2c2", "#7c2d12"),
    "expert_opinion": ("#ecdcfb", "#581c87"),
    "unspecified": ("#fdf1b8", "#713f12"),
    "regulatory": ("#dbe3ea", "#1e293b"),
    "none": ("#ececec", "#404040"),
    "unknown": ("#f3f3f3", "#333333"),
}

LEVEL_DESCRIPTIONS: dict[str, str] = {
    "systematic_review": "Systematic review or meta-analysis of human studies",
    "clinical_trial": "Controlled or randomised trial in humans",
    "observational": "Survey, cohort or case series in humans",
    "preclinical": "Animal, cell or laboratory study",
    "anecdotal": "Testimonials and user reports",
    "expert_opinion": "A practitioner's or expert's say-so",
    "unspecified": "Evidence invoked but not identified (\u201cstudies show\u201d)",
    "regulatory": "Statement or warning by a regulator",
    "none": "No evidence offered",
}

OVERCLAIM_RED = "#b91c1c"

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
# Bidirectional controls would reorder the report around them: shown as visible markers.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute (control chars become U+FFFD,
    bidirectional controls a visible ``[U+202E]`` marker)."""
    s = "" if value is None else str(value)
    s = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", _BAD_CHARS.sub("\ufffd", s))
    return html.escape(s, quote=True)


def _esc_text(segment: str) -> str:
    """Escape a slice of article text, turning line breaks into ``<br>``."""
    s = _esc(segment).replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    return s.replace("\n", "<br>\n")


def _key(level: object) -> str:
    """CSS-safe key for a level (unknown levels share one style)."""
    return level if isinstance(level, str) and level in EVIDENCE_LEVELS else "unknown"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _human(value: object) -> str:
    return str(value or "").replace("_", " ")


def _layout(items: Iterable[tuple[int | None, int | None, object]], lo: int, hi: int
            ) -> list[tuple[int, int, object]]:
    """Sort spans by offset, clip them to ``[lo, hi)`` and to each other; drop empty ones."""
    spans = []
    for order, (start, end, payload) in enumerate(items):
        if start is None or end is None:
            continue
        spans.append((max(start, lo), min(end, hi), order, payload))
    spans.sort(key=lambda t: (t[0], -t[1], t[2]))
    placed: list[tuple[int, int, object]] = []
    cursor = lo
    for start, end, _, payload in spans:
        start = max(start, cursor)
        if start >= end:
            continue
        placed.append((start, end, payload))
        cursor = end
    return placed


def _claim_span(claim: dict, text: str) -> tuple[int | None, int | None]:
    """The claim's offsets; if they are missing or invalid, locate its text instead."""
    start, end = _int(claim.get("start")), _int(claim.get("end"))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        return start, end
    needle = claim.get("text")
    if isinstance(needle, str) and needle:
        at = text.find(needle)
        if at >= 0:
            return at, at + len(needle)
    return None, None


def _cues(claim: dict) -> list[dict]:
    cues = (claim.get("evidence") or {}).get("cues") or []
    return [c for c in cues if isinstance(c, dict)]


def _null_note(claim: dict) -> str:
    """" (null result: “did not improve”)" when a null result set the strength, else ""."""
    cue = claim.get("strength_cue")
    if isinstance(cue, dict) and cue.get("text"):
        return f" (null result: \u201c{cue['text']}\u201d)"
    return ""


def _tooltip_title(n: int, claim: dict) -> str:
    """Plain-text summary of a claim, for the ``title`` attribute (escaped by the caller)."""
    evidence = claim.get("evidence") or {}
    lines = [f"Claim {n} \u00b7 evidence: {level_label(evidence.get('level'))}"]
    cues = [str(c.get("text")) for c in _cues(claim) if c.get("text")]
    if cues:
        lines.append("Cue: " + "; ".join(f"\u201c{c}\u201d" for c in cues))
    lines.append(f"Strength: {_human(claim.get('strength')) or 'n/a'}{_null_note(claim)}")
    over = claim.get("overclaim") or {}
    if over.get("flag"):
        lines.append(f"Overclaim: {over.get('reason') or 'flagged'}")
    elif claim.get("by_context"):
        lines.append("A claim by its context: not graded for overclaims")
    return "\n".join(lines)


def _tooltip(n: int, claim: dict) -> str:
    evidence = claim.get("evidence") or {}
    level = evidence.get("level")
    over = claim.get("overclaim") or {}
    kind = f" \u00b7 {_esc(_human(claim.get('claim_type')))}" if claim.get("claim_type") else ""
    parts = [
        f'<span class="tip" role="tooltip" id="tip-{n}">',
        (f'<span class="tip-head"><span class="chip lvl-{_key(level)}">'
         f'{_esc(level_label(level))}</span> <span class="tip-id">Claim {n}{kind}</span></span>'),
    ]
    cues = [c.get("text") for c in _cues(claim) if c.get("text")]
    if cues:
        quoted = "; ".join(f"\u201c{_esc(c)}\u201d" for c in cues)
        ctx = " (from context)" if evidence.get("from_context") else ""
        parts.append(f'<span class="tip-row"><strong>Cue:</strong> {quoted}{ctx}</span>')
    parts.append(f'<span class="tip-row"><strong>Strength:</strong> '
                 f"{_esc(_human(claim.get('strength'))) or 'n/a'}"
                 f"{_esc(_null_note(claim))}</span>")
    if claim.get("advice"):
        parts.append('<span class="tip-row"><strong>Advice:</strong> yes</span>')
    if over.get("flag"):
        parts.append('<span class="tip-row tip-flag"><strong>\u2691 Overclaim:</strong> '
                     f"{_esc(over.get('reason') or 'flagged')}</span>")
    elif claim.get("by_context"):
        parts.append('<span class="tip-row">A claim by its context (it goes on from the one '
                     "before): not graded for overclaims</span>")
    parts.append("</span>")
    return "".join(parts)


def _mark(n: int, claim: dict, text: str, start: int, end: int) -> str:
    """One claim as a ``<mark>`` with its cues underlined and a tooltip."""
    cue_spans = _layout(((_int(c.get("start")), _int(c.get("end")), c) for c in _cues(claim)),
                        start, end)
    inner, pos = [], start
    for c_start, c_end, cue in cue_spans:
        inner.append(_esc_text(text[pos:c_start]))
        c_level = cue.get("level") if isinstance(cue, dict) else None
        inner.append(f'<span class="cue cue-{_key(c_level)}">{_esc_text(text[c_start:c_end])}'
                     "</span>")
        pos = c_end
    inner.append(_esc_text(text[pos:end]))
    level = (claim.get("evidence") or {}).get("level")
    over = bool((claim.get("overclaim") or {}).get("flag"))
    classes = f"claim lvl-{_key(level)}" + (" overclaim" if over else "")
    return (
        f'<mark id="m-{n}" class="{classes}" data-level="{_esc(level)}" '
        f'data-claim-id="{_esc(claim.get("id"))}" tabindex="0" '
        f'title="{_esc(_tooltip_title(n, claim))}" aria-describedby="tip-{n}">'
        f'{"".join(inner)}{_tooltip(n, claim)}</mark>'
    )


def highlight_text(analysis: dict) -> tuple[str, set[int]]:
    """Article text as escaped HTML with claims marked; also the 1-based numbers placed."""
    text = analysis.get("text")
    text = text if isinstance(text, str) else ""
    claims = [c for c in analysis.get("claims") or [] if isinstance(c, dict)]
    spans = _layout(((*_claim_span(c, text), (n, c)) for n, c in enumerate(claims, 1)),
                    0, len(text))
    out, pos, placed = [], 0, set()
    for start, end, (n, claim) in spans:  # type: ignore[misc]
        out.append(_esc_text(text[pos:start]))
        out.append(_mark(n, claim, text, start, end))
        placed.add(n)
        pos = end
    out.append(_esc_text(text[pos:].rstrip("\r\n")))
    return "".join(out), placed


def _css() -> str:
    rules = []
    for key, (bg, accent) in LEVEL_COLORS.items():
        rules.append(
            f".lvl-{key}{{--bg:{bg};--accent:{accent}}}"
            f".cue-{key}{{text-decoration-color:{accent}}}"
        )
    return _BASE_CSS.replace("/*LEVELS*/", "\n".join(rules)).replace("RED", OVERCLAIM_RED)


_BASE_CSS = """
:root{color-scheme:light;--ink:#1a1d21;--muted:#535a63;--line:#d9dde3;--panel:#f6f7f9}
*{box-sizing:border-box}
html{font-size:16px}
body{margin:0;background:#fff;color:var(--ink);line-height:1.55;
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
.wrap{max-width:980px;margin:0 auto;padding:2rem 1.5rem 3rem}
header.top{border-bottom:3px solid var(--ink);padding-bottom:1rem;margin-bottom:1.5rem}
.eyebrow{margin:0;font-size:.8rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);
 font-weight:600}
h1{margin:.2rem 0 .4rem;font-size:1.9rem;line-height:1.2}
h2{font-size:1.25rem;margin:2.2rem 0 .8rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
.source{margin:0;color:var(--muted);word-break:break-all}
.source code{font-size:.9rem;color:var(--ink);background:var(--panel);padding:.1em .35em;
 border-radius:4px}
a{color:#1d4ed8}
a:focus-visible,mark.claim:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:.75rem;margin:0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:.8rem 1rem;
 margin:0}
.card dt{font-size:.78rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
 font-weight:600}
.card dd{margin:.25rem 0 0;font-size:1.6rem;font-weight:700;line-height:1.2}
.card dd small{font-size:.85rem;font-weight:500;color:var(--muted)}
.card.alert dd{color:RED}
.meter{height:8px;border-radius:4px;background:#e3e6ea;margin-top:.5rem;overflow:hidden}
.meter span{display:block;height:100%;background:#2563eb;border-radius:4px}
.verdict-line{margin:0 0 .8rem;font-size:1.05rem}
.verdict{display:inline-block;font-weight:700;padding:.15rem .7rem;border-radius:999px;
 background:#e8ecf1;color:var(--ink);margin-left:.3rem}
.verdict.good{background:#d7f0dc;color:#14532d}
.verdict.mixed{background:#fdf1b8;color:#713f12}
.verdict.weak{background:#fde2e2;color:#7f1d1d}
.mix{margin-top:.9rem;background:var(--panel);border:1px solid var(--line);border-radius:10px;
 padding:.8rem 1rem}
.mix h3{margin:0 0 .5rem;font-size:.78rem;text-transform:uppercase;letter-spacing:.06em;
 color:var(--muted)}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;border:1px solid var(--line)}
.bar span{background:var(--accent);background:color-mix(in srgb,var(--accent) 45%,var(--bg));
 border-right:2px solid #fff}
.bar span:last-child{border-right:0}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:.4rem .5rem;margin:.6rem 0 0;padding:0}
.chip{display:inline-block;background:var(--bg);color:var(--accent);border:1px solid var(--accent);
 border-radius:999px;padding:.05rem .55rem;font-size:.82rem;font-weight:600;white-space:nowrap}
.legend{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:.5rem 1.5rem;
 list-style:none;padding:0;margin:0}
.legend li{display:flex;gap:.6rem;align-items:baseline;font-size:.92rem}
.legend .chip{flex:0 0 10.5rem;text-align:center}
.legend-marks{margin:.9rem 0 0;font-size:.92rem;color:var(--muted)}
.legend-marks>span{display:inline-block;margin-right:1.5rem}
.swatch-cue{text-decoration:underline;text-decoration-thickness:2px;text-underline-offset:3px;
 color:var(--ink)}
.swatch-over{border-bottom:3px solid RED;color:var(--ink)}
.flag-badge{color:RED;font-weight:700}
.warnings{background:#fff7e0;border:1px solid #e9c46a;border-radius:8px;padding:.6rem 1rem;
 margin:1rem 0}
.warnings ul{margin:.2rem 0 0;padding-left:1.2rem}
.article{unicode-bidi:isolate;
 font-family:Charter,"Bitstream Charter","Iowan Old Style",Georgia,"Times New Roman",serif;
 font-size:1.1rem;line-height:2;background:#fff;border:1px solid var(--line);border-radius:10px;
 padding:1.25rem 1.5rem;overflow-wrap:anywhere}
/*LEVELS*/
mark.claim{position:relative;background:var(--bg);color:var(--ink);border-radius:4px;
 padding:.12em .18em;-webkit-box-decoration-break:clone;box-decoration-break:clone;cursor:help;
 box-shadow:inset 0 0 0 1px color-mix(in srgb,var(--accent) 35%,transparent)}
mark.claim.lvl-none{background:repeating-linear-gradient(135deg,#f1f1f1 0 6px,#e4e4e4 6px 12px)}
mark.claim.overclaim{border-bottom:3px solid RED;border-radius:4px 4px 0 0}
mark.claim.overclaim::after{content:"\\2691";display:inline-block;margin-left:.25em;padding:0 .3em;
 font-family:system-ui,sans-serif;font-size:.72em;line-height:1.4;font-weight:700;color:#fff;
 background:RED;border-radius:3px;vertical-align:.15em}
.cue{text-decoration-line:underline;text-decoration-thickness:2px;text-underline-offset:.22em;
 font-weight:600}
.tip{display:none;position:absolute;left:0;top:calc(100% + 8px);z-index:20;width:max-content;
 max-width:min(24rem,80vw);background:#111827;color:#f9fafb;border-radius:8px;
 padding:.6rem .75rem;font:400 .85rem/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 box-shadow:0 8px 24px rgba(0,0,0,.25);text-align:left;white-space:normal;cursor:auto}
.tip::before{content:"";position:absolute;top:-6px;left:14px;border:6px solid transparent;
 border-top:0;border-bottom-color:#111827}
mark.claim:hover>.tip,mark.claim:focus>.tip,mark.claim:focus-within>.tip{display:block}
mark.claim:hover,mark.claim:focus{z-index:21}
.tip-head{display:flex;align-items:center;gap:.5rem;margin-bottom:.35rem}
.tip-id{color:#cbd5e1;font-size:.8rem}
.tip-row{display:block;margin-top:.15rem}
.tip-row strong{color:#e5e7eb}
.tip-flag{margin-top:.4rem;padding-top:.4rem;border-top:1px solid #374151;color:#fecaca}
.tip-flag strong{color:#fca5a5}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;padding:.6rem .8rem;color:var(--muted);font-size:.85rem}
th,td{text-align:left;vertical-align:top;padding:.6rem .8rem;border-top:1px solid var(--line)}
thead th{background:var(--panel);font-size:.78rem;text-transform:uppercase;letter-spacing:.05em;
 color:var(--muted);border-top:0}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
td.wrap-any{overflow-wrap:anywhere;min-width:11rem}
tr.row-over td:first-child{box-shadow:inset 4px 0 0 RED}
.reason{color:RED;font-weight:600}
.rule{display:block;color:var(--muted);font-size:.8rem;font-family:ui-monospace,Menlo,Consolas,
 monospace}
.cues{display:block;margin-top:.3rem;color:var(--muted);font-size:.85rem}
.muted{color:var(--muted)}
footer{margin-top:2.5rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);
 font-size:.85rem}
@media print{.tip{display:none!important}mark.claim{box-shadow:none}}
"""


def _verdict_class(score: float | None) -> str:
    if score is None:
        return ""
    return "good" if score >= 0.66 else "mixed" if score >= 0.33 else "weak"


def _summary(analysis: dict) -> str:
    summary = analysis.get("summary") or {}
    claims = analysis.get("claims") or []
    n_claims = _int(summary.get("claims"))
    n_claims = len(claims) if n_claims is None else n_claims
    n_over = _int(summary.get("overclaims")) or 0
    rate = _num(summary.get("overclaim_rate"))
    score = _num(summary.get("support_score"))
    verdict = summary.get("verdict")
    rate_txt = f"{rate:.0%}" if rate is not None else "n/a"
    score_txt = f"{score:.2f}" if score is not None else "n/a"
    pct = round(min(max(score or 0.0, 0.0), 1.0) * 100)
    cards = [
        f'<div class="card"><dt>Claims</dt><dd>{n_claims}</dd></div>',
        (f'<div class="card{" alert" if n_over else ""}"><dt>Overclaims</dt>'
         f"<dd>{n_over}</dd></div>"),
        f'<div class="card"><dt>Overclaim rate</dt><dd>{rate_txt}</dd></div>',
        (f'<div class="card"><dt>Support score</dt><dd>{score_txt} <small>/ 1</small>'
         f'<div class="meter" role="img" aria-label="Support score {score_txt} out of 1">'
         f'<span style="width:{pct}%"></span></div></dd></div>'),
    ]
    verdict_html = ""
    if verdict:
        verdict_html = (f'<p class="verdict-line">Overall verdict: <span class="verdict '
                        f'{_verdict_class(score)}">{_esc(verdict)}</span></p>')
    mix = {k: v for k, v in (summary.get("evidence_levels") or {}).items()
           if _int(v) is not None and v > 0}
    total = sum(mix.values())
    if total:
        order = {lvl: i for i, lvl in enumerate(EVIDENCE_LEVELS)}
        items = sorted(mix.items(), key=lambda kv: order.get(kv[0], len(order)))
        desc = ", ".join(f"{level_label(k)}: {v}" for k, v in items)
        bar = "".join(f'<span class="lvl-{_key(k)}" style="width:{v / total * 100:.2f}%" '
                      f'title="{_esc(level_label(k))}: {v}"></span>' for k, v in items)
        chips = "".join(f'<li><span class="chip lvl-{_key(k)}">{_esc(level_label(k))} '
                        f"\u00b7 {v}</span></li>" for k, v in items)
        mix_html = (f'<div class="mix"><h3 id="mix-h">Evidence mix</h3>'
                    f'<div class="bar" role="img" aria-label="{_esc("Evidence mix: " + desc)}">'
                    f'{bar}</div><ul class="chips" aria-labelledby="mix-h">{chips}</ul></div>')
    else:
        mix_html = ('<div class="mix"><h3>Evidence mix</h3>'
                    '<p class="muted">No evidence levels recorded.</p></div>')
    return (f'<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>'
            f'{verdict_html}<dl class="cards">{"".join(cards)}</dl>{mix_html}</section>')


def _legend() -> str:
    items = "".join(
        f'<li><span class="chip lvl-{lvl}">{_esc(level_label(lvl))}</span>'
        f"<span>{_esc(LEVEL_DESCRIPTIONS.get(lvl, ''))}</span></li>"
        for lvl in EVIDENCE_LEVELS
    )
    return (
        '<section aria-labelledby="legend-h"><h2 id="legend-h">Evidence levels</h2>'
        f'<ul class="legend">{items}</ul>'
        '<p class="legend-marks"><span><span class="swatch-cue">underlined</span> '
        "evidence cue</span><span><span class=\"swatch-over\">red underline</span> "
        '<span class="flag-badge" aria-hidden="true">\u2691</span> overclaim</span>'
        "<span>Hover or focus (Tab) a highlighted claim for details.</span></p></section>"
    )


def _claims_table(analysis: dict, placed: set[int]) -> str:
    text = analysis.get("text") if isinstance(analysis.get("text"), str) else ""
    rows = []
    for n, claim in enumerate(analysis.get("claims") or [], 1):
        if not isinstance(claim, dict):
            continue
        evidence = claim.get("evidence") or {}
        level = evidence.get("level")
        over = claim.get("overclaim") or {}
        if n in placed:
            num = f'<a href="#m-{n}" aria-label="Go to claim {n} in the text">{n}</a>'
        else:
            why = "overlaps another claim" if _claim_span(claim, text)[0] is not None \
                else "not located in text"
            num = f'{n} <span class="muted">({why})</span>'
        cues = [c.get("text") for c in _cues(claim) if c.get("text")]
        cue_html = ""
        if cues:
            cue_html = '<span class="cues">' + "; ".join(
                f"\u201c{_esc(c)}\u201d" for c in cues) + (
                " (from context)" if evidence.get("from_context") else "") + "</span>"
        if over.get("flag"):
            flag = (f'<span class="reason"><span aria-hidden="true">\u2691 </span>'
                    f"{_esc(over.get('reason') or 'Overclaim')}</span>")
            if over.get("rule"):
                flag += f'<span class="rule">{_esc(over.get("rule"))}</span>'
        else:
            flag = '<span class="muted">\u2014</span>'
        row_class = ' class="row-over"' if over.get("flag") else ""
        null_note = _null_note(claim).strip()
        strength = (_esc(_human(claim.get("strength"))) or "\u2014") + (
            f'<span class="cues">{_esc(null_note)}</span>' if null_note else "")
        advice = "Yes" if claim.get("advice") else '<span class="muted">No</span>'
        rows.append(
            f'<tr id="row-{n}"{row_class}>'
            f'<td class="num">{num}</td><td class="wrap-any">{_esc(claim.get("text"))}</td>'
            f'<td><span class="chip lvl-{_key(level)}">{_esc(level_label(level))}</span>'
            f"{cue_html}</td><td>{strength}</td><td>{advice}</td>"
            f'<td class="wrap-any">{flag}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="6" class="muted">No claims found.</td></tr>')
    return (
        '<section aria-labelledby="claims-h"><h2 id="claims-h">Claims</h2>'
        '<div class="table-wrap"><table><caption>Each claim with its evidence level, '
        "claim strength and any overclaim flag.</caption><thead><tr>"
        '<th scope="col">#</th><th scope="col">Claim</th><th scope="col">Evidence</th>'
        '<th scope="col">Strength</th><th scope="col">Advice</th>'
        '<th scope="col">Overclaim</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _source(source: object) -> str:
    s = str(source or "")
    if not s:
        return '<p class="source">Source: <span class="muted">unknown</span></p>'
    parts = urlsplit(s) if s.isprintable() else None
    if parts and parts.scheme in ("http", "https") and parts.netloc:
        return (f'<p class="source">Source: <a href="{_esc(s)}" rel="noopener noreferrer '
                f'nofollow">{_esc(s)}</a></p>')
    return f'<p class="source">Source: <code>{_esc(s)}</code></p>'


def _lang(value: object) -> str:
    s = str(value or "")
    return s if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", s) else "und"


def _studies(analysis: dict) -> str:
    """Each study the article describes, once, with the claims that lean on it."""
    studies = analysis.get("studies") or []
    if not studies:
        return ""
    rows = []
    for st in studies:
        leans = leaning_claims(analysis, st)
        design = _key(st.get("design"))
        rows.append(
            f'<tr><td>{_esc(st.get("id"))}</td><td class="quote">\u201c{_esc(st.get("text"))}'
            f'\u201d</td><td><span class="chip lvl-{design}">{_esc(level_label(design))}'
            f'</span></td><td>{_esc(" · ".join(study_details(st)))}</td>'
            f'<td>{_esc(", ".join(leans) or "none")}</td></tr>')
    return ('<section aria-labelledby="studies-h"><h2 id="studies-h">Studies described</h2>'
            '<table class="claims"><thead><tr><th>id</th><th>Description</th><th>Design</th>'
            '<th>Details</th><th>Claims that lean on it</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></section>\n")


def _caveats(analysis: dict) -> str:
    """The limits of its evidence that the article states, by kind."""
    groups = caveat_groups(analysis)
    if not groups:
        return ""
    items = "".join(
        f"<li><strong>{_esc(label)}</strong>: "
        + ", ".join(f"\u201c{_esc(w)}\u201d" for w in words) + "</li>"
        for label, words in groups)
    return ('<section aria-labelledby="caveats-h"><h2 id="caveats-h">Caveats the article '
            f"states</h2><ul>{items}</ul></section>\n")


def render_html(analysis: dict) -> str:
    """Render ``analysis`` as one self-contained, script-free HTML page."""
    body, placed = highlight_text(analysis)
    warnings = [w for w in analysis.get("warnings") or [] if w]
    warn_html = ""
    if warnings:
        warn_html = ('<div class="warnings" role="note"><strong>Warnings</strong><ul>'
                     + "".join(f"<li>{_esc(w)}</li>" for w in warnings) + "</ul></div>")
    source = analysis.get("source") or ""
    title = f"Claim analysis \u2014 {source}" if source else "Claim analysis"
    version = analysis.get("schema_version")
    version_txt = f" \u00b7 analysis schema {_esc(version)}" if version else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="kratom_nlp">\n'
        f"<title>{_esc(title)}</title>\n<style>{_css()}</style>\n</head>\n<body>\n"
        '<div class="wrap">\n<header class="top"><p class="eyebrow">kratom_nlp report</p>'
        f"<h1>Health-claim analysis</h1>{_source(source)}</header>\n<main>\n"
        f"{_summary(analysis)}\n{warn_html}{_studies(analysis)}{_caveats(analysis)}"
        f"{_legend()}\n"
        '<section aria-labelledby="text-h"><h2 id="text-h">Article text</h2>'
        f'<div class="article" lang="{_lang(analysis.get("language"))}">{body}</div>'
        "</section>\n"
        f"{_claims_table(analysis, placed)}\n</main>\n"
        "<footer>Generated by kratom_nlp"
        f"{version_txt}. "
        "The report grades how strongly each claim is worded against the evidence it cites; "
        "it is not medical advice.</footer>\n</div>\n</body>\n</html>\n"
    )


__all__ = ["CSP", "LEVEL_COLORS", "highlight_text", "render_html"]
