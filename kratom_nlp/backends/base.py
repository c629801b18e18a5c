"""The small interfaces every backend implements, one per task.

A backend sees sentences as spaCy spans (with the cue span groups of ``kratom_lexicon`` on their
doc) and returns one prediction per sentence. Rules, scikit-learn and transformer backends all
fit these protocols, so the pipeline components never change when the backend does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from spacy.tokens import Span


@dataclass
class ClaimPrediction:
    is_claim: bool
    claim_type: str | None = None
    score: float = 0.0


@dataclass
class EvidencePrediction:
    level: str = "none"
    cues: list[dict] = field(default_factory=list)
    from_context: bool = False
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class StrengthPrediction:
    strength: str = "no_relationship"
    advice: bool = False
    advice_kind: str | None = None
    certainty: float | None = None
    scores: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class ClaimBackend(Protocol):
    name: str

    def predict_claims(self, sents: Sequence[Span]) -> list[ClaimPrediction]: ...


@runtime_checkable
class EvidenceBackend(Protocol):
    name: str

    def predict_evidence(self, sents: Sequence[Span]) -> list[EvidencePrediction]: ...


@runtime_checkable
class StrengthBackend(Protocol):
    name: str

    def predict_strength(self, sents: Sequence[Span]) -> list[StrengthPrediction]: ...
