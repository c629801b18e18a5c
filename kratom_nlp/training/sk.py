"""scikit-learn models: TF-IDF word and character n-grams plus the rule features."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kratom_nlp.backends.learned import Example, SklearnFieldModel, to_matrix

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
        params: dict[str, Any] | None = None) -> SklearnFieldModel:
    """Fit a model and wrap it as a :class:`SklearnFieldModel` (in memory)."""
    from collections import Counter

    y = [float(t) for t in targets] if kind == "regressor" else [str(t) for t in targets]
    params = dict(params or {})
    if kind == "classifier":
        smallest = min(Counter(y).values())
        folds = int(params.get("calibration_folds", DEFAULTS["calibration_folds"]))
        if smallest < folds:  # too few examples of a class to calibrate by cross-validation
            params["calibration_folds"] = 0
    est = make_estimator(kind, context=context, seed=seed, params=params)
    est.fit(to_matrix(examples), y)
    meta = {"format_version": 1, "task": task, "backend": "sklearn", "kind": kind,
            "labels": list(labels) if labels else None, "inputs": {"context": context,
                                                                     "rule_features": True},
            "params": {**DEFAULTS, **params}, "seed": seed}
    return SklearnFieldModel(Path("."), meta, estimator=est)


def strip_pruned_vocabulary(estimator: Any) -> None:
    """Drop the vectorizers' ``stop_words_`` (every pruned n-gram: only for introspection,
    and most of a stored model's size)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = estimator.named_steps.get("features") if hasattr(estimator, "named_steps") \
        else None
    for _, vec, _ in getattr(features, "transformers_", []):
        if isinstance(vec, TfidfVectorizer) and hasattr(vec, "stop_words_"):
            delattr(vec, "stop_words_")


def save(model: SklearnFieldModel, folder: Path, extra_meta: dict[str, Any] | None = None) -> None:
    """Write ``model.skops`` and ``metadata.json`` into ``folder``."""
    import zipfile

    from skops.io import dump

    folder.mkdir(parents=True, exist_ok=True)
    strip_pruned_vocabulary(model.estimator)
    dump(model.estimator, folder / "model.skops", compression=zipfile.ZIP_DEFLATED,
         compresslevel=9)
    meta = {**model.meta, **(extra_meta or {})}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
