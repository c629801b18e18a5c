"""Training the learned backends (scikit-learn and fine-tuned MiniLM) and evaluating them.

``train_model`` is what ``kratom-nlp train`` runs; ``data`` builds rows with rule features,
``sk`` and ``hf`` fit the two model families, ``evaluate`` scores them on the protocols.
"""

from __future__ import annotations

from typing import Any

__all__ = ["train_model"]


def train_model(*args: Any, **kwargs: Any) -> Any:
    """See :func:`kratom_nlp.training.train.train_model`."""
    from kratom_nlp.training.train import train_model as _train

    return _train(*args, **kwargs)
