"""Backends behind the pipeline's components, registered in ``kratom_backends``.

``config.cfg`` names one per component::

    [components.kratom_claims.backend]
    @kratom_backends = "kratom.default.v1"   # the manifest's default (measured on real text)
    task = "claim"

``kratom.rules.v1`` returns the rules' decisions, ``kratom.sklearn.v1`` and
``kratom.transformer.v1`` a trained model (``model`` = a folder; by default the manifest's),
``kratom.default.v1`` whatever ``models/manifest.json`` names as the task's default. Learned
backends import numpy, torch or transformers only when they are built.
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
from kratom_nlp.backends.rules import RulesBackend
from kratom_nlp.registry import registry

__all__ = [
    "ClaimBackend", "ClaimPrediction", "EvidenceBackend", "EvidencePrediction",
    "RulesBackend", "StrengthBackend", "StrengthPrediction", "make_backend",
]


@registry.kratom_backends("kratom.rules.v1")
def rules_backend(task: str = "claim") -> RulesBackend:
    """The labelling rules (computed once per sentence by ``kratom_sentences``)."""
    return RulesBackend()


@registry.kratom_backends("kratom.sklearn.v1")
def sklearn_backend(task: str, model: str | None = None, models_dir: str | None = None,
                    strict: bool = False) -> Any:
    """A scikit-learn linear model (``kratom-linear`` format) for ``task``."""
    from kratom_nlp.backends.learned.backends import learned_backend

    return learned_backend("sklearn", task, model, root=models_dir, strict=strict)


@registry.kratom_backends("kratom.transformer.v1")
def transformer_backend(task: str, model: str | None = None, models_dir: str | None = None,
                        strict: bool = False) -> Any:
    """A fine-tuned MiniLM for ``task``: its own (``kratom-transformer``) or its head of the
    multi-task model (``kratom-multitask``), as the manifest names it."""
    from kratom_nlp.backends.learned.backends import learned_backend

    return learned_backend("transformer", task, model, root=models_dir, strict=strict)


@registry.kratom_backends("kratom.ensemble.v1")
def ensemble_backend(task: str, weights: dict[str, float] | None = None,
                     models_dir: str | None = None, strict: bool = False) -> Any:
    """A weighted average of the task's scikit-learn and transformer models (weights from the
    manifest unless given)."""
    from kratom_nlp.backends.learned.backends import learned_backend

    return learned_backend("ensemble", task, root=models_dir, strict=strict, weights=weights)


@registry.kratom_backends("kratom.default.v1")
def default_backend(task: str, models_dir: str | None = None) -> Any:
    """The backend ``manifest.json`` names as the task's default (rules when none)."""
    from kratom_nlp.backends.learned.backends import default_backend as _default

    return _default(task, models_dir)


def make_backend(name: str, task: str, model: str | None = None) -> Any:
    """A backend by its short name (``rules``, ``sklearn``, ``transformer``, ``default``)."""
    from kratom_nlp.registry import backend_ref

    func = registry.kratom_backends.get(backend_ref(name))
    return func(task=task, model=model) if model is not None else func(task=task)
