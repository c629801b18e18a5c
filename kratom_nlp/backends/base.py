"""The small interfaces every backend implements, one per task.

A backend receives spans of a processed Doc — the ``sentences`` spans for the claim decision,
the ``claims`` spans for evidence and strength — after ``kratom_sentences`` has stored each
sentence's context and rule analysis on it, and returns one prediction per span. The spans of one
call may come from many documents (the components batch across documents). Rules,
scikit-learn and transformer backends all fit these protocols, so the components never change
when the backend does; ``config.cfg`` chooses the backend through the ``kratom_backends``
registry (:mod:`kratom_nlp.registry`).
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
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class EvidencePrediction:
    level: str = "none"
    cues: list[dict] = field(default_factory=list)
    from_context: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    study: str | None = None  # the id of the study the evidence comes from


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

    def predict_evidence(self, claims: Sequence[Span]) -> list[EvidencePrediction]: ...


@runtime_checkable
class StrengthBackend(Protocol):
    name: str

    def predict_strength(self, claims: Sequence[Span]) -> list[StrengthPrediction]: ...
