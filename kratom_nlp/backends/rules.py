"""The rules backend: claim, evidence, strength and advice decisions from the cue span groups.

It implements the labelling rules directly (``corpora/GUIDELINES.md``) and also serves the
learned backends as a feature extractor (:func:`rule_features`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from kratom_nlp.backends.base import ClaimPrediction, EvidencePrediction, StrengthPrediction
from kratom_nlp.resources import ClaimCues, EvidenceCues, load_claim_cues, load_evidence_cues
from kratom_nlp.taxonomy import EVIDENCE_PRECEDENCE

_BULLET_TOKENS = {"-", "*", "•", "·", "–", "—"}
_TERMINAL = (".", "!", "?", ".\"", "!\"", "?\"", ".”", "?”", "!”", ".)", ".'", "…")
_SPECIFIC_RISK_EXCLUDE = {"risk", "risks", "concerns", "problems", "warning", "warnings", "avoid",
                          "serious", "severe", "liver", "report"}
_BENEFIT_LEMMAS = frozenset({
    "treat", "relieve", "alleviate", "ease", "improve", "boost", "enhance", "prevent", "protect",
    "cure", "heal", "help", "support", "fight", "combat", "manage", "calm", "soothe", "lift",
    "mitigate", "reduce", "lower", "restore", "address", "aid", "benefit", "strengthen", "elevate",
    "counteract", "slow", "reverse", "repair", "sharpen", "energize", "rejuvenate", "promote",
    "offer", "provide", "work", "save", "shorten", "extend", "cut", "halve", "burn", "melt"})
_BENEFIT_WORDS = frozenset({
    "benefit", "benefits", "beneficial", "therapeutic", "relief", "effective", "effectively",
    "efficacy", "efficacious", "effectiveness", "remedy", "cure", "treatment", "healing",
    "improvement", "improvements", "protection", "remission", "recovery", "promise", "promising",
    "wonders", "miracle", "breakthrough", "proven", "works", "helps", "help"})
_HARM_CONDITIONS = frozenset({"dependence", "side effects", "liver injury", "mortality"})
_HUMAN_OUTCOME = re.compile(
    r"\b(people|patients|humans|users|adults|children|women|men|you|your)\b", re.I)


@dataclass
class SentenceView:
    """The cues of one sentence, gathered once from the doc's span groups."""

    span: Span
    groups: dict[str, list[Span]] = field(default_factory=dict)
    evidence: list[Span] = field(default_factory=list)
    substances: list[Span] = field(default_factory=list)
    conditions: list[Span] = field(default_factory=list)
    anaphors: list[Span] = field(default_factory=list)
    kind: str = "sentence"  # sentence | heading | bullet

    def has(self, group: str) -> bool:
        return bool(self.groups.get(group))


def content_span(sent: Span) -> Span:
    """The sentence without surrounding whitespace and bullet markers."""
    start, end = sent.start, sent.end
    doc = sent.doc
    while start < end and (doc[start].is_space or doc[start].text in _BULLET_TOKENS):
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return doc[start:end]


def _line_bounds(doc: Doc, span: Span) -> tuple[int, int]:
    text = doc.text
    ls = text.rfind("\n", 0, span.start_char) + 1
    le = text.find("\n", span.end_char)
    return ls, (len(text) if le < 0 else le)


def sentence_kind(span: Span) -> str:
    doc = span.doc
    if not len(span):
        return "sentence"
    ls, le = _line_bounds(doc, span)
    line = doc.text[ls:le]
    stripped = line.strip()
    is_bullet = bool(re.match(r"^\s*(?:[-*•·–—]|\d+[.)])\s+", line))
    whole_line = doc.text[ls:span.start_char].strip(" \t-*•·–—0123456789.)") == "" and \
        doc.text[span.end_char:le].strip() == ""
    if stripped.startswith("#"):
        return "heading"
    if not whole_line:
        return "sentence"
    ends = stripped.endswith(_TERMINAL)
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", stripped) if len(w) > 3]
    title_ratio = sum(w[0].isupper() for w in words) / len(words) if words else 1.0
    if stripped.endswith(":") and len(stripped) < 120:
        return "heading"
    if is_bullet:
        return "heading" if (not ends and title_ratio >= 0.6 and len(words) > 1) else "bullet"
    if not ends:
        return "heading"
    return "sentence"


def build_views(doc: Doc, sents: Sequence[Span] | None = None) -> list[SentenceView]:
    """Views for ``sents`` (default: all sentences of ``doc``)."""
    sents = list(sents if sents is not None else doc.sents)
    views = [SentenceView(span=s, kind=sentence_kind(content_span(s))) for s in sents]
    if not views:
        return views
    starts = [v.span.start for v in views]

    import bisect

    def index(tok_i: int) -> int | None:
        i = bisect.bisect_right(starts, tok_i) - 1
        if i >= 0 and views[i].span.start <= tok_i < views[i].span.end:
            return i
        return None

    for name, group in doc.spans.items():
        for sp in group:
            i = index(sp.start)
            if i is None:
                continue
            v = views[i]
            if name == "evidence_candidates":
                v.evidence.append(sp)
            elif name == "substances":
                v.substances.append(sp)
            elif name == "conditions":
                v.conditions.append(sp)
            elif name == "anaphors":
                v.anaphors.append(sp)
            else:
                v.groups.setdefault(name, []).append(sp)
    return views


class RulesBackend:
    """Claim, evidence and strength decisions from cues (the default, dependency-free backend)."""

    name = "rules"

    def __init__(self, claim_cues: ClaimCues | None = None,
                 evidence_cues: EvidenceCues | None = None) -> None:
        self.cc = claim_cues or load_claim_cues()
        self.ec = evidence_cues or load_evidence_cues()
        self._openers = tuple(sorted(self.ec.context_openers, key=len, reverse=True))

    # ------------------------------------------------------------------ helpers
    def _effect_verbs(self, v: SentenceView) -> list[int]:
        return [t.i for t in v.span if t.lemma_.lower() in self.cc.effect_lemmas
                and t.pos_ in ("VERB", "AUX", "ADJ") and t.lower_ not in ("lead",)]

    def _subject(self, v: SentenceView) -> bool:
        if v.substances:
            return True
        topic = v.span.doc._.topic_substances
        return bool(v.anaphors and topic)

    def _specific_risk(self, v: SentenceView) -> bool:
        treated = [c for c in v.conditions if c.label_ not in _HARM_CONDITIONS]
        return any(s.text.lower() not in _SPECIFIC_RISK_EXCLUDE
                   and not any(c.start <= s.start < c.end for c in treated)
                   for s in v.groups.get("risk", []))

    def _benefit(self, v: SentenceView) -> bool:
        if v.has("presupposition"):
            return True
        if any(s.text.lower() in _BENEFIT_WORDS for s in v.groups.get("effect_word", [])):
            return True
        return any(t.lemma_.lower() in _BENEFIT_LEMMAS and t.pos_ in ("VERB", "ADJ")
                   for t in v.span)

    def advice(self, v: SentenceView) -> tuple[bool, str | None]:
        span = content_span(v.span)
        if not len(span) or not self._subject(v):
            return False, None
        triggers = [s.start for s in v.groups.get("advice_trigger", [])]
        first = span[0]
        if first.lower_ in self.cc.imperative_starts and first.tag_ in ("VB", "VBP", "MD", "UH") \
                or first.lower_ in ("don't", "never", "try", "consider", "avoid"):
            triggers.append(first.i)
        if not triggers:
            return False, None
        anchor = min(triggers)
        promo = [s for s in v.groups.get("promotional", [])]
        caut = [s for s in v.groups.get("cautionary", []) if s.start != anchor]

        def dist(s: Span) -> int:
            return 0 if s.start <= anchor < s.end else min(abs(s.start - anchor),
                                                           abs(s.end - 1 - anchor))

        best_p = min((dist(s) for s in promo), default=None)
        best_c = min((dist(s) for s in caut), default=None)
        if best_p is None and best_c is None:
            if first.i == anchor and first.lower_ in ("try", "consider", "explore", "add",
                                                     "start", "take", "use", "choose"):
                return True, "promotional"
            if self._specific_risk(v):
                return True, "cautionary"
            return False, None
        if best_c is not None and (best_p is None or best_c <= best_p):
            return True, "cautionary"
        return True, "promotional"

    # ------------------------------------------------------------------ claims
    def claim(self, v: SentenceView) -> ClaimPrediction:
        if v.kind == "heading" or v.has("meta") or not self._subject(v):
            return ClaimPrediction(False, None, 0.05)
        verbs = self._effect_verbs(v)
        risk = self._specific_risk(v)
        mech = v.has("mechanism")
        safety = v.has("safety")
        presup = v.has("presupposition")
        effect_words = v.has("effect_word")
        has_effect = bool(verbs) or risk or mech or safety or presup or effect_words
        advice, kind = self.advice(v)
        if not has_effect and not (advice and kind == "promotional"):
            return ClaimPrediction(False, None, 0.1)
        strong_support = any(e.label_ not in ("expert_opinion", "unspecified")
                             for e in v.evidence)
        if v.has("research_need") and not strong_support and not (advice and
                                                                   kind == "promotional"):
            return ClaimPrediction(False, None, 0.2)
        if kind == "cautionary" and not verbs and not risk and not mech and not safety:
            return ClaimPrediction(False, None, 0.25)  # a generic caution
        if v.has("generic_caution") and not verbs and not risk and not (advice and
                                                                        kind == "promotional"):
            return ClaimPrediction(False, None, 0.25)
        ctype = self.claim_type(v, advice, kind, verbs)
        score = min(0.95, 0.55 + 0.1 * (len(verbs) + risk + mech + presup + bool(v.conditions)))
        return ClaimPrediction(True, ctype, score)

    def claim_type(self, v: SentenceView, advice: bool, kind: str | None,
                   verbs: list[int]) -> str:
        if advice and kind == "promotional":
            return "advice"
        benefit = self._benefit(v)
        if self._specific_risk(v) and not v.has("safety") and not (
                benefit and not any(s.text.lower() in ("cause", "causes", "caused")
                                    for s in v.groups.get("risk", []))
                and len(v.groups.get("risk", [])) <= 1):
            return "risk"
        if v.has("safety"):
            return "safety"
        if benefit:
            return "efficacy"
        if v.has("mechanism"):
            return "mechanism"
        if advice:
            return "advice"
        if v.has("usage") and not verbs:
            return "usage"
        return "efficacy"

    def predict_claims(self, sents: Sequence[Span]) -> list[ClaimPrediction]:
        if not sents:
            return []
        views = {v.span.start: v for v in build_views(sents[0].doc)}
        return [self.claim(views.get(s.sent.start) or build_views(s.doc, [s.sent])[0])
                for s in sents]

    # ------------------------------------------------------------------ evidence
    def refers_back(self, v: SentenceView) -> bool:
        span = content_span(v.span)
        head = span.text[:40].lower()
        return any(head.startswith(o + " ") or head.startswith(o + ",") for o in self._openers)

    @staticmethod
    def choose_level(levels: Sequence[str]) -> str:
        present = set(levels)
        if not present:
            return "none"
        if "regulatory" in present and not present & {"systematic_review", "clinical_trial"}:
            return "regulatory"
        for level in EVIDENCE_PRECEDENCE:
            if level in present:
                return level
        return "none"

    def evidence(self, v: SentenceView, prev: SentenceView | None) -> EvidencePrediction:
        cues = list(v.evidence)
        from_ctx = False
        if not cues and prev is not None and self.refers_back(v):
            cues = list(prev.evidence)
            from_ctx = bool(cues)
        level = self.choose_level([c.label_ for c in cues])
        chosen = [c for c in cues if c.label_ == level] or cues
        cue_dicts = [{"start": c.start_char, "end": c.end_char, "text": c.text, "level": c.label_}
                     for c in sorted(chosen, key=lambda c: c.start_char)]
        return EvidencePrediction(level, cue_dicts, from_ctx, {level: 1.0})

    def predict_evidence(self, sents: Sequence[Span]) -> list[EvidencePrediction]:
        if not sents:
            return []
        doc = sents[0].doc
        views = build_views(doc)
        by_start = {v.span.start: i for i, v in enumerate(views)}
        out = []
        for s in sents:
            i = by_start.get(s.sent.start)
            if i is None:
                out.append(EvidencePrediction())
                continue
            prev = views[i - 1] if i > 0 else None
            out.append(self.evidence(views[i], prev))
        return out

    # ------------------------------------------------------------------ strength
    def strength(self, v: SentenceView) -> StrengthPrediction:
        advice, kind = self.advice(v)
        verbs = self._effect_verbs(v)
        hedges = v.groups.get("hedge", [])
        nrel = v.groups.get("no_relationship", [])
        assoc = v.groups.get("association", [])
        imperative_neg = advice and kind == "cautionary"
        if nrel and not imperative_neg and (v.evidence or assoc or not v.has("safety")) and \
                not v.has("safety"):
            strength = "no_relationship"
        elif assoc and not (hedges and verbs):
            strength = "correlational"
        elif hedges:
            strength = "conditional_causal"
        elif verbs or v.has("presupposition") or v.has("safety") or v.has("risk") or \
                v.has("effect_word"):
            strength = "direct_causal"
        else:
            strength = "no_relationship"
        certainty = {"direct_causal": 5.2, "correlational": 4.2, "conditional_causal": 3.4,
                     "no_relationship": 4.4}[strength]
        certainty -= 0.4 * max(0, len(hedges) - 1)
        if v.has("presupposition"):
            certainty += 0.5
        certainty = float(min(6.0, max(1.0, certainty)))
        return StrengthPrediction(strength, advice, kind, certainty, {strength: 1.0})

    def predict_strength(self, sents: Sequence[Span]) -> list[StrengthPrediction]:
        if not sents:
            return []
        views = {v.span.start: v for v in build_views(sents[0].doc)}
        return [self.strength(views.get(s.sent.start) or build_views(s.doc, [s.sent])[0])
                for s in sents]


def mentions_humans(text: str) -> bool:
    """True when the text names people as the ones affected."""
    return bool(_HUMAN_OUTCOME.search(text))
