"""Backends behind the pipeline's components: ``rules`` (default), ``sklearn``, ``transformer``.

Learned backends are imported only when asked for, so the rules pipeline never pays for
scikit-learn, torch or transformers at start-up.
"""

from __future__ import annotations

from typing import Any

from kratom_nlp.backends.base import (
    ClaimBackend,
    ClaimPrediction,
    EvidenceBackend,
    EvidencePrediction,
    StrengthBackend,
    StrengthPrediction,
)

BACKENDS = ("auto", "rules", "sklearn", "transformer")

__all__ = [
    "BACKENDS", "ClaimBackend", "ClaimPrediction", "EvidenceBackend", "EvidencePrediction",
    "StrengthBackend", "StrengthPrediction", "load_backend",
]


def load_backend(name: str, task: str, model: str | None = None) -> Any:
    """Return a backend object for ``task`` (claim, evidence, strength).

    ``model`` is a model folder under ``models/`` (or a path) for the learned backends.
    ``auto`` takes the backend ``models/manifest.json`` names as default for the task (the one
    the benchmarks favour), and the rules when no model is installed.
    """
    if name == "auto":
        from kratom_nlp.backends.learned import load_default_backend

        return load_default_backend(task)
    if name == "rules":
        from kratom_nlp.backends.rules import RulesBackend

        return RulesBackend()
    if name in ("sklearn", "transformer"):
        from kratom_nlp.backends.learned import load_learned_backend

        return load_learned_backend(name, task, model)
    raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")
