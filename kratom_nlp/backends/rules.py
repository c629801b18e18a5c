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
from kratom_nlp.pipeline.lexicon import CLAIM_CUE_GROUPS as _CUE_GROUPS
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
        body = re.sub(r"^\s*(?:[-*•·–—]|\d+[.)])\s+", "", line).strip()
        headline = not ends and (title_ratio >= 0.6 and len(words) > 1
                                 or _QUESTION_HEAD.match(body) is not None)
        return "heading" if headline else "bullet"
    if not ends:
        return "heading"
    return "sentence"


_QUESTION_HEAD = re.compile(r"^(how|what|why|when|where|which|who|can|does|do|is|are|should|"
                            r"will)\b", re.I)


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

    wanted = {"evidence_candidates", "substances", "conditions", "anaphors", *_CUE_GROUPS}
    for name, group in doc.spans.items():
        if name not in wanted:
            continue
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
        in_cue = {i for c in v.evidence for i in range(c.start, c.end)}
        return [t.i for t in v.span if t.lemma_.lower() in self.cc.effect_lemmas
                and t.pos_ in ("VERB", "AUX", "ADJ", "NOUN") and t.i not in in_cue
                and not (t.pos_ == "NOUN" and t.lower_ == t.lemma_.lower())
                and t.lower_ not in ("lead",)]

    def _mechanism(self, v: SentenceView) -> bool:
        weak = self.cc.weak_mechanism_words
        return any(s.text.lower() not in weak for s in v.groups.get("mechanism", []))

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

    def denies_harm(self, v: SentenceView) -> bool:
        """"It doesn't cause addiction": a safety claim made by denying a harm, with no study
        reporting a null result."""
        return bool(v.groups.get("no_relationship") and self._specific_risk(v)
                    and not v.evidence and not v.groups.get("hedge"))

    def _benefit(self, v: SentenceView) -> bool:
        if v.has("presupposition"):
            return True
        if any(s.text.lower() in _BENEFIT_WORDS for s in v.groups.get("effect_word", [])):
            return True
        harm = self.cc.harm_lemmas
        return any(t.i in set(self._effect_verbs(v)) and t.lemma_.lower() not in harm
                   for t in v.span)

    def _imperatives(self, span: Span) -> list[int]:
        """Clause-initial base-form verbs from the imperative list ("If you do, check ...")."""
        out = []
        for t in span:
            if t.lower_ not in self.cc.imperative_starts:
                continue
            prev = t.doc[t.i - 1] if t.i > span.start else None
            clause_start = prev is None or prev.text in (",", ":", ";", "then", "—", "-", "\"",
                                                          "“")
            if clause_start and (t.tag_ in ("VB", "VBP", "UH") or prev is None):
                out.append(t.i)
        return out

    def advice(self, v: SentenceView) -> tuple[bool, str | None]:
        span = content_span(v.span)
        if not len(span) or not self._subject(v):
            return False, None
        triggers = [s.start for s in v.groups.get("advice_trigger", [])]
        triggers += self._imperatives(span)
        if not triggers:
            return False, None
        anchor = min(triggers)
        head = span.text[:12].lower()
        if head.startswith(("do not", "don't", "never", "avoid", "stop ")):
            return True, "cautionary"
        promo = list(v.groups.get("promotional", []))
        caut = [s for s in v.groups.get("cautionary", []) if s.start != anchor]

        def dist(s: Span) -> int:
            return 0 if s.start <= anchor < s.end else min(abs(s.start - anchor),
                                                           abs(s.end - 1 - anchor))

        best_p = min((dist(s) for s in promo), default=None)
        best_c = min((dist(s) for s in caut), default=None)
        if best_p is None and best_c is None:
            first = span[0]
            if first.i == anchor and first.lower_ in ("try", "consider", "explore", "add",
                                                     "start", "take", "use", "choose", "stack",
                                                     "order", "give", "pair", "combine"):
                return True, "promotional"
            if self._specific_risk(v):
                return True, "cautionary"
            return False, None
        if best_c is not None and (best_p is None or best_c <= best_p):
            return True, "cautionary"
        return True, "promotional"

    def _implied_subject(self, v: SentenceView, span: Span) -> bool:
        """No substance named, but the article's topic is clearly the subject: a verb-first
        bullet ("Boosts immunity."), a first-person report, or a study result on an outcome."""
        if not v.span.doc._.topic_substances or not len(span):
            return False
        first = span[0]
        if first.lemma_.lower() in self.cc.effect_lemmas and first.tag_ not in ("VB", "VBG"):
            return True
        verbs = self._effect_verbs(v)
        effect = bool(verbs) or v.has("effect_word") or v.has("no_relationship")
        if any(t.lower_ in self.cc.first_person for t in span) and effect and (
                verbs or v.conditions):
            return True
        return bool(v.evidence and effect and v.conditions)

    def _specific(self, v: SentenceView) -> bool:
        """Cautionary advice that names a group, condition, drug, dose or risk (not generic)."""
        text = v.span.text.lower()
        return (bool(v.conditions) or self._specific_risk(v) or len({s.label_ for s in
                                                                      v.substances}) > 1
                or v.has("usage") or any(w in text for w in (
                    "pregnan", "breastfeed", "children", "older adults", "liver disease",
                    "blood thinner", "warfarin", "prescription", "surgery", "drive",
                    "alcohol", "mg", "grams", "dose")))

    def claim_has_benefit(self, claim: Span) -> bool:
        """Whether a claim span asserts or presupposes a benefit (for the overclaim rules)."""
        v = build_views(claim.doc, [claim.sent])[0]
        return self._benefit(v) or v.has("safety") or self.denies_harm(v)

    # ------------------------------------------------------------------ claims
    def claim(self, v: SentenceView) -> ClaimPrediction:
        if v.kind == "heading" or v.has("meta"):
            return ClaimPrediction(False, None, 0.05)
        span = content_span(v.span)
        if not self._subject(v) and not self._implied_subject(v, span):
            return ClaimPrediction(False, None, 0.05)
        if len(span) > 1 and span[0].lower_ == "to" and span[1].tag_ == "VB" and \
                span[1].lemma_ not in self.cc.effect_lemmas:
            return ClaimPrediction(False, None, 0.05)  # a study objective: "To review ..."
        verbs = self._effect_verbs(v)
        risk = self._specific_risk(v)
        mech = self._mechanism(v)
        safety = v.has("safety")
        presup = v.has("presupposition")
        effect_words = v.has("effect_word")
        usage = v.has("usage_phrase") and not verbs
        has_effect = bool(verbs) or risk or mech or safety or presup or effect_words or usage
        advice, kind = self.advice(v)
        if advice and (kind == "promotional" or self._specific(v)):
            has_effect = True
        if not has_effect:
            return ClaimPrediction(False, None, 0.1)
        strong_support = any(e.label_ not in ("expert_opinion", "unspecified")
                             for e in v.evidence)
        if v.has("research_need") and not strong_support and not (advice and
                                                                   kind == "promotional"):
            return ClaimPrediction(False, None, 0.2)
        if kind == "cautionary" and not verbs and not risk and not mech and not safety \
                and not self._specific(v):
            return ClaimPrediction(False, None, 0.25)  # a generic caution
        if v.has("generic_caution") and not advice and not verbs and not risk:
            return ClaimPrediction(False, None, 0.25)
        ctype = self.claim_type(v, advice, kind, verbs)
        score = min(0.95, 0.55 + 0.1 * (len(verbs) + risk + mech + presup + bool(v.conditions)))
        return ClaimPrediction(True, ctype, score)

    def claim_type(self, v: SentenceView, advice: bool, kind: str | None,
                   verbs: list[int]) -> str:
        if advice and kind == "promotional":
            return "advice"
        if advice and kind == "cautionary" and not verbs:
            return "advice"
        benefit = self._benefit(v)
        if self.denies_harm(v):
            return "safety"
        if self._specific_risk(v) and not v.has("safety") and not (
                benefit and not any(s.text.lower() in ("cause", "causes", "caused")
                                    for s in v.groups.get("risk", []))
                and len(v.groups.get("risk", [])) <= 1):
            return "risk"
        if v.has("safety"):
            return "safety"
        if benefit:
            return "efficacy"
        if self._mechanism(v):
            return "mechanism"
        if advice:
            return "advice"
        if (v.has("usage") or v.has("usage_phrase")) and not verbs:
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
        own = self.choose_level([c.label_ for c in cues])
        if own in ("none", "unspecified") and prev is not None and prev.evidence \
                and self.refers_back(v):
            prev_level = self.choose_level([c.label_ for c in prev.evidence])
            if own == "none" or prev_level != "unspecified":
                cues = list(prev.evidence)
                from_ctx = True
        level = self.choose_level([c.label_ for c in cues])
        if level == "none":
            fp = [t for t in v.span if t.lower_ in self.cc.first_person]
            if fp:  # a first-person report is an anecdote
                t = fp[0]
                return EvidencePrediction("anecdotal", [{"start": t.idx, "end": t.idx + len(t),
                                                         "text": t.text,
                                                         "level": "anecdotal"}],
                                          False, {"anecdotal": 1.0})
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
    def strength(self, v: SentenceView, level: str | None = None) -> StrengthPrediction:
        advice, kind = self.advice(v)
        verbs = self._effect_verbs(v)
        hedges = v.groups.get("hedge", [])
        nrel = v.groups.get("no_relationship", [])
        assoc = v.groups.get("association", [])
        reporting = any(t.lower_ in self.cc.reporting_words for t in v.span)
        first_person = any(t.lower_ in self.cc.first_person for t in v.span)
        effect_claim = bool(verbs) or v.has("presupposition") or v.has("safety") or \
            v.has("effect_word") or self._specific_risk(v)
        if self.denies_harm(v) and not advice:
            strength = "direct_causal"
        elif nrel and not advice and not v.has("safety"):
            strength = "no_relationship"
        elif advice and not (verbs or v.has("presupposition") or hedges):
            strength = "no_relationship"
        elif v.has("usage_phrase") and not verbs:
            strength = "no_relationship"
        elif assoc and not (hedges and verbs):
            strength = "correlational"
        elif not hedges and reporting and (level in ("observational", "anecdotal")
                                           or first_person and level in (None, "anecdotal")):
            strength = "correlational"
        elif hedges:
            strength = "conditional_causal"
        elif effect_claim:
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
        return [self.strength(views.get(s.sent.start) or build_views(s.doc, [s.sent])[0],
                              getattr(s._, "evidence_level", None))
                for s in sents]


_ANIMAL = re.compile(
    r"\b(mice|mouse|rats?|rodents?|murine|animals?|zebrafish|monkeys?|primates?|dogs?|pigs?|"
    r"worms?|flies|yeast|cells?|cell cultures?|in vitro|test[- ]tubes?|tissues?|petri|"
    r"laboratory|lab)\b", re.I)


def mentions_humans(text: str) -> bool:
    """True when the text names people as the ones affected."""
    return bool(_HUMAN_OUTCOME.search(text))


_REPORTED = frozenset({"found", "find", "finds", "showed", "show", "shows", "shown", "suggest",
                       "suggests", "suggested", "indicate", "indicates", "indicated", "reported",
                       "report", "reports", "demonstrated", "demonstrate", "revealed", "reveal"})


def human_outcome(span: Span, cues: Sequence[dict] = ()) -> bool:
    """False when the claim reports a result in animals or cells rather than in people: animal
    words outside the evidence cues, or a preclinical cue that reports its own finding
    ("studies in rats found that ..."). True when people are named."""
    if mentions_humans(span.text):
        return True
    inside = [(c["start"], c["end"]) for c in cues]
    for m in _ANIMAL.finditer(span.text):
        pos = span.start_char + m.start()
        if not any(s <= pos < e for s, e in inside):
            return False
    doc = span.doc
    for c in cues:
        if c.get("level") != "preclinical" or not (span.start_char <= c["start"] < span.end_char):
            continue
        cue = doc.char_span(c["start"], c["end"], alignment_mode="expand")
        if cue is not None and any(t.lower_ in _REPORTED for t in doc[cue.end:cue.end + 3]):
            return False
    return True
