"""The claim, evidence, strength and overclaim components.

Each one asks a backend (``rules`` by default; ``sklearn`` / ``transformer`` when trained models
are installed under ``models/``) and stores plain values in span extensions of the spans in
``doc.spans["claims"]``.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from kratom_nlp.backends import load_backend
from kratom_nlp.backends.rules import RulesBackend, content_span, human_outcome
from kratom_nlp.grading import ClaimFacts, OverclaimEngine
from kratom_nlp.grading.summary import summarize
from kratom_nlp.pipeline import extensions  # noqa: F401
from kratom_nlp.resources import load_overclaim_rules


def _claims(doc: Doc) -> list[Span]:
    return list(doc.spans.get("claims", []))


class ClaimDetector:
    def __init__(self, backend: str, model: str | None, threshold: float) -> None:
        self.backend = load_backend(backend, "claim", model)
        self.threshold = threshold

    def __call__(self, doc: Doc) -> Doc:
        sents = list(doc.sents)
        preds = self.backend.predict_claims(sents)
        claims: list[Span] = []
        subs = doc.spans.get("substances", [])
        conds = doc.spans.get("conditions", [])
        topic = doc._.topic_substances
        for sent, pred in zip(sents, preds, strict=True):
            if not pred.is_claim or pred.score < self.threshold:
                continue
            span = content_span(sent)
            if not len(span):
                continue
            claim = Span(doc, span.start, span.end, label=pred.claim_type or "efficacy")
            claim._.claim_type = pred.claim_type or "efficacy"
            claim._.claim_score = float(pred.score)
            names = list(dict.fromkeys(s.label_ for s in subs
                                       if span.start <= s.start < span.end))
            claim._.substances = names or topic[:1]
            claim._.outcomes = list(dict.fromkeys(c.label_ for c in conds
                                                  if span.start <= c.start < span.end))
            claims.append(claim)
        doc.spans["claims"] = claims
        return doc


class EvidenceAttributor:
    def __init__(self, backend: str, model: str | None) -> None:
        self.backend = load_backend(backend, "evidence", model)

    def __call__(self, doc: Doc) -> Doc:
        claims = _claims(doc)
        cue_spans: list[Span] = []
        for claim, pred in zip(claims, self.backend.predict_evidence(claims), strict=True):
            claim._.evidence_level = pred.level
            claim._.evidence_cues = pred.cues
            claim._.evidence_from_context = pred.from_context
            claim._.evidence_scores = pred.scores
            for cue in pred.cues:
                span = doc.char_span(cue["start"], cue["end"], label=cue["level"],
                                     alignment_mode="expand")
                if span is not None:
                    cue_spans.append(span)
        doc.spans["evidence_cues"] = cue_spans
        return doc


class StrengthGrader:
    def __init__(self, backend: str, model: str | None) -> None:
        self.backend = load_backend(backend, "strength", model)

    def __call__(self, doc: Doc) -> Doc:
        claims = _claims(doc)
        for claim, pred in zip(claims, self.backend.predict_strength(claims), strict=True):
            claim._.strength = pred.strength
            claim._.strength_scores = pred.scores
            claim._.advice = bool(pred.advice)
            claim._.advice_kind = pred.advice_kind
            claim._.certainty = pred.certainty
        return doc


def claim_to_dict(claim: Span, index: int) -> dict:
    """A claim span as an analysis-contract dict."""
    return {
        "id": f"c{index}",
        "start": claim.start_char,
        "end": claim.end_char,
        "text": claim.text,
        "claim_type": claim._.claim_type or "efficacy",
        "substances": list(claim._.substances),
        "outcomes": list(claim._.outcomes),
        "evidence": {"level": claim._.evidence_level, "cues": list(claim._.evidence_cues),
                     "from_context": bool(claim._.evidence_from_context)},
        "strength": claim._.strength,
        "certainty": None if claim._.certainty is None else round(float(claim._.certainty), 2),
        "advice": bool(claim._.advice),
        "advice_kind": claim._.advice_kind,
        "overclaim": {"flag": bool(claim._.overclaim), "reason": claim._.overclaim_reason,
                      "rule": claim._.overclaim_rule,
                      "score": round(float(claim._.overclaim_score), 3)},
    }


class OverclaimGrader:
    def __init__(self, rules_path: str | None) -> None:
        self.rules = load_overclaim_rules(rules_path)
        self.engine = OverclaimEngine(self.rules)
        self.rules_backend = RulesBackend()

    def __call__(self, doc: Doc) -> Doc:
        claims = _claims(doc)
        for claim in claims:
            facts = ClaimFacts(
                claim_type=claim._.claim_type or "efficacy", strength=claim._.strength,
                level=claim._.evidence_level, advice=bool(claim._.advice),
                advice_kind=claim._.advice_kind, substances=list(claim._.substances),
                cues=[c["text"] for c in claim._.evidence_cues],
                human_outcome=human_outcome(claim, claim._.evidence_cues),
                benefit=self.rules_backend.claim_has_benefit(claim),
            )
            d = self.engine.decide(facts)
            claim._.overclaim = d.flag
            claim._.overclaim_reason = d.reason
            claim._.overclaim_rule = d.rule
            claim._.overclaim_score = float(d.score)
        n_sents = sum(1 for _ in doc.sents) if doc.has_annotation("SENT_START") else 0
        doc._.summary = summarize([claim_to_dict(c, i + 1) for i, c in enumerate(claims)],
                                  sentences=n_sents, rules=self.rules)
        return doc


@Language.factory("kratom_claims",
                  default_config={"backend": "rules", "model": None, "threshold": 0.5})
def make_claims(nlp: Language, name: str, backend: str, model: str | None,
                threshold: float) -> ClaimDetector:
    return ClaimDetector(backend, model, threshold)


@Language.factory("kratom_evidence", default_config={"backend": "rules", "model": None})
def make_evidence(nlp: Language, name: str, backend: str,
                  model: str | None) -> EvidenceAttributor:
    return EvidenceAttributor(backend, model)


@Language.factory("kratom_strength", default_config={"backend": "rules", "model": None})
def make_strength(nlp: Language, name: str, backend: str, model: str | None) -> StrengthGrader:
    return StrengthGrader(backend, model)


@Language.factory("kratom_overclaim", default_config={"rules_path": None})
def make_overclaim(nlp: Language, name: str, rules_path: str | None) -> OverclaimGrader:
    return OverclaimGrader(rules_path)
