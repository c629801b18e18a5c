"""Metrics used in training reports and benchmarks (plain floats, rounded by the caller)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def classification(y_true: Sequence[Any], y_pred: Sequence[Any],
                   labels: Sequence[Any] | None = None) -> dict[str, float]:
    """Accuracy and macro-F1 over ``labels`` (default: the classes present in ``y_true``)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = list(labels) if labels is not None else sorted(set(y_true))
    return {
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                   zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "n": len(y_true),
    }


def binary_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> dict[str, float]:
    """F1, precision and recall of the positive class."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    yt = [bool(v) for v in y_true]
    yp = [bool(v) for v in y_pred]
    return {"f1": float(f1_score(yt, yp, zero_division=0)),
            "precision": float(precision_score(yt, yp, zero_division=0)),
            "recall": float(recall_score(yt, yp, zero_division=0)), "n": len(yt)}


def regression(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, float]:
    """Pearson r and mean absolute error."""
    import numpy as np
    from scipy.stats import pearsonr

    yt = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    r = float(pearsonr(yt, yp)[0]) if len(yt) > 1 and yp.std() > 0 else 0.0
    return {"pearson_r": r, "mae": float(np.abs(yt - yp).mean()), "n": len(yt)}
