"""scikit-learn models: TF-IDF word and character n-grams plus the rule features.

scikit-learn fits the model; it is then converted to the array format
(:mod:`kratom_nlp.backends.learned.linear`) that the analyzer loads without scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kratom_nlp.backends.learned.features import Example
from kratom_nlp.backends.learned.models import LinearFieldModel

DEFAULTS: dict[str, Any] = {
    "classifier": "linearsvc",  # linearsvc (calibrated) | logreg
    "C": 1.0,
    "calibration_folds": 3,
    "alpha": 3.0,  # ridge, for the certainty regressor
    "word_ngrams": [1, 2],
    "char_ngrams": [2, 5],
    "max_char_features": 60000,
    "rule_features": True,
    "class_weight": "balanced",
}


def to_matrix(examples: Sequence[Example]) -> Any:
    """The object matrix the scikit-learn pipelines read: text, context, rule features."""
    import numpy as np

    X = np.empty((len(examples), 3), dtype=object)
    for i, ex in enumerate(examples):
        X[i, 0] = ex.text
        X[i, 1] = ex.context
        X[i, 2] = ex.rules
    return X


def make_estimator(kind: str, *, context: bool, seed: int = 0,
                   params: dict[str, Any] | None = None) -> Any:
    """An unfitted pipeline over the object matrix of ``learned.to_matrix``."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    p = {**DEFAULTS, **(params or {})}
    parts: list[tuple[str, Any, int]] = [
        ("word", TfidfVectorizer(ngram_range=tuple(p["word_ngrams"]), sublinear_tf=True,
                                 min_df=1, token_pattern=r"(?u)\b\w[\w'-]*\b"), 0),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(p["char_ngrams"]),
                                 sublinear_tf=True, min_df=2,
                                 max_features=p["max_char_features"]), 0),
    ]
    if context:
        parts.append(("context", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                                                 min_df=1), 1))
    if p["rule_features"]:
        parts.append(("rules", DictVectorizer(), 2))
    features = ColumnTransformer(parts, sparse_threshold=1.0)
    if kind == "regressor":
        model: Any = Ridge(alpha=p["alpha"])
    elif p["classifier"] == "linearsvc":
        svc = LinearSVC(C=p["C"], class_weight=p["class_weight"], random_state=seed)
        folds = int(p["calibration_folds"])
        model = (CalibratedClassifierCV(svc, method="sigmoid", cv=folds, ensemble=False)
                 if folds > 1 else svc)
    else:
        model = LogisticRegression(C=p["C"], class_weight=p["class_weight"], max_iter=5000,
                                   random_state=seed)
    return Pipeline([("features", features), ("model", model)])


def fit(examples: Sequence[Example], targets: Sequence[Any], *, task: str, kind: str,
        labels: Sequence[str] | None, context: bool, seed: int = 0,
        params: dict[str, Any] | None = None,
        sample_weight: Sequence[float] | None = None) -> LinearFieldModel:
    """Fit a model and convert it to a :class:`LinearFieldModel` (in memory)."""
    from collections import Counter

    from kratom_nlp.training.convert import from_sklearn

    y = [float(t) for t in targets] if kind == "regressor" else [str(t) for t in targets]
    params = dict(params or {})
    if kind == "classifier":
        smallest = min(Counter(y).values())
        folds = int(params.get("calibration_folds", DEFAULTS["calibration_folds"]))
        if smallest < folds:  # too few examples of a class to calibrate by cross-validation
            params["calibration_folds"] = 0
    est = make_estimator(kind, context=context, seed=seed, params=params)
    if sample_weight is not None and len(set(sample_weight)) > 1:
        import numpy as np

        est.fit(to_matrix(examples), y, model__sample_weight=np.asarray(sample_weight, float))
    else:
        est.fit(to_matrix(examples), y)
    linear = from_sklearn(est, list(labels) if labels else None, kind)
    meta = {"task": task, "backend": "sklearn", "kind": kind,
            "labels": list(labels) if labels else None, "inputs": {"context": context,
                                                                     "rule_features": True},
            "params": {**DEFAULTS, **params}, "seed": seed}
    if kind == "regressor":
        from kratom_nlp.backends.learned.models import CERTAINTY_RANGE

        linear.output["clip"] = list(CERTAINTY_RANGE)
    return LinearFieldModel(Path("."), meta, model=linear)


def save(model: LinearFieldModel, folder: Path,
         extra_meta: dict[str, Any] | None = None) -> dict[str, str]:
    """Write the model in the array format; returns the sha256 of every file."""
    from kratom_nlp.backends.learned.linear import save_linear

    return save_linear(model.model, folder, {**model.meta, **(extra_meta or {})})
