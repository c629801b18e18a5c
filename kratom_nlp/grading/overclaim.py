"""The overclaim decision: the predicted fields of a claim checked against data-driven rules.

Rules live in ``resources/overclaim_rules.json``; each has a condition block and a reason
template. The first rule that matches flags the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kratom_nlp.resources import OverclaimRule, OverclaimRules, load_overclaim_rules


@dataclass
class ClaimFacts:
    """What the rules look at: the predicted fields of one claim."""

    claim_type: str
    strength: str
    level: str
    advice: bool = False
    advice_kind: str | None = None
    substances: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    human_outcome: bool = True
    benefit: bool = True
    asserted: bool = True  # False for a question or a study's aim (nothing stated as fact)
    # a dosing or usage instruction: dose words, no condition named, no benefit asserted
    # ("Beginners should start low, with 2 to 3 grams"): advice, but not as a treatment
    instruction: bool = False
    # how likely the strength model thinks the claim is stated as fact (direct_causal); 1.0
    # when the backend gives no probabilities (the rules)
    fact_probability: float = 1.0


@dataclass
class OverclaimDecision:
    flag: bool
    reason: str | None
    rule: str | None
    score: float

    def to_dict(self) -> dict:
        return {"flag": self.flag, "reason": self.reason, "rule": self.rule,
                "score": round(self.score, 3)}


class OverclaimEngine:
    def __init__(self, rules: OverclaimRules | None = None) -> None:
        self.rules = rules or load_overclaim_rules()

    @staticmethod
    def _matches(rule: OverclaimRule, f: ClaimFacts) -> bool:
        w = rule.when
        checks = {
            "claim_type_in": lambda v: f.claim_type in v,
            "claim_type_not_in": lambda v: f.claim_type not in v,
            "strength_in": lambda v: f.strength in v,
            "strength_not_in": lambda v: f.strength not in v,
            "level_in": lambda v: f.level in v,
            "level_not_in": lambda v: f.level not in v,
            "advice": lambda v: f.advice == bool(v),
            "promotional": lambda v: (f.advice_kind == "promotional") == bool(v),
            "human_outcome": lambda v: f.human_outcome == bool(v),
            "benefit": lambda v: f.benefit == bool(v),
            "asserted": lambda v: f.asserted == bool(v),
            "instruction": lambda v: f.instruction == bool(v),
            "min_fact_probability": lambda v: f.fact_probability >= float(v),
        }
        for key, value in w.items():
            if key not in checks:
                raise ValueError(f"overclaim rule {rule.id!r}: unknown condition {key!r}")
            if not checks[key](value):
                return False
        return True

    def score(self, f: ClaimFacts) -> float:
        a = self.rules.assertiveness.get(f.strength, 0.5)
        if f.advice and f.advice_kind == "promotional":
            a = 1.0
        if f.claim_type in ("risk", "mechanism"):
            a *= 0.3
        return a * (1.0 - self.rules.evidence_weight.get(f.level, 0.0))

    def decide(self, f: ClaimFacts) -> OverclaimDecision:
        raw = self.score(f)
        for rule in self.rules.rules:
            if self._matches(rule, f):
                cue = f.cues[0] if f.cues else ""
                reason = rule.reason.format(
                    substance=(f.substances[0] if f.substances else "the substance"),
                    level_text=self.rules.level_text.get(f.level, f.level),
                    cue=f"\u201c{cue}\u201d" if cue else "no cue",
                    cue_suffix=f" (\u201c{cue}\u201d)" if cue else "",
                    strength_text=f.strength.replace("_", " "),
                )
                return OverclaimDecision(True, reason, rule.id, 0.5 + 0.5 * raw)
        return OverclaimDecision(False, None, None, 0.5 * raw)
