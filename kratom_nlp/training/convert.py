"""Convert a fitted scikit-learn pipeline (or an old ``model.skops`` folder) to the array format.

The analyzer never loads skops or pickle. Models trained by kratom_nlp before the array format
can be converted once, by a person who trusts the file, with ``kratom-nlp models convert``: the
skops file is opened with an explicit list of the exact scikit-learn, numpy and scipy classes
such a model is made of (not whole module prefixes), and its arrays are written as
``kratom-linear`` (``kratom_nlp.backends.learned.linear``). :func:`from_sklearn` is also how
``kratom-nlp train`` stores a freshly fitted model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from kratom_nlp.backends.learned.linear import DictBlock, Featurizer, LinearModel, TextBlock
from kratom_nlp.errors import ModelError

# The exact types an old kratom_nlp skops model consists of.
SKOPS_ALLOWED_TYPES: frozenset[str] = frozenset({
    "sklearn.pipeline.Pipeline", "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration", "sklearn.svm._classes.LinearSVC",
    "sklearn.linear_model._logistic.LogisticRegression", "sklearn.linear_model._ridge.Ridge",
    "sklearn.utils._bunch.Bunch", "numpy.dtype", "numpy.ndarray", "numpy.float64",
    "numpy.int64", "numpy.int32", "numpy.str_", "builtins.slice", "builtins.type",
    "collections.defaultdict", "scipy.sparse._csr.csr_matrix",
})


def load_skops_trusting_exact_types(path: Path) -> Any:
    """Open an old ``model.skops`` only if every type in it is on the exact allow-list."""
    from skops.io import get_untrusted_types, load

    untrusted = get_untrusted_types(file=path)
    bad = sorted(t for t in untrusted if t not in SKOPS_ALLOWED_TYPES)
    if bad:
        raise ModelError(f"{path}: refusing to open a skops file with types outside the "
                         f"allow-list: {', '.join(bad)}")
    return load(path, trusted=untrusted)


def _text_block(name: str, vec: Any, column: str) -> TextBlock:
    if vec.analyzer not in ("word", "char_wb"):
        raise ModelError(f"vectorizer {name}: analyzer {vec.analyzer!r} is not supported")
    if vec.stop_words or vec.preprocessor is not None or vec.tokenizer is not None \
            or vec.strip_accents or vec.binary:
        raise ModelError(f"vectorizer {name}: stop words, custom preprocessors, tokenizers, "
                         "accent stripping and binary counts are not supported")
    idf = np.asarray(vec.idf_, np.float64) if vec.use_idf else None
    vocab = {str(t): int(i) for t, i in vec.vocabulary_.items()}
    return TextBlock(name, column, vec.analyzer, tuple(vec.ngram_range), bool(vec.lowercase),
                     vec.token_pattern if vec.analyzer == "word" else None,
                     bool(vec.sublinear_tf), vec.norm, vocab, idf)


COLUMNS = {0: "text", 1: "context", 2: "rules"}


def from_sklearn(estimator: Any, labels: list[str] | None, kind: str) -> LinearModel:
    """A :class:`LinearModel` with the same predictions as a fitted kratom_nlp pipeline
    (``features`` ColumnTransformer + a linear model)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = estimator.named_steps["features"]
    model = estimator.named_steps["model"]
    blocks = []
    for name, vec, cols in features.transformers_:
        if vec == "drop" or (isinstance(vec, str) and name == "remainder"):
            continue
        col = cols if isinstance(cols, int) else cols[0]
        if isinstance(vec, TfidfVectorizer):
            blocks.append(_text_block(name, vec, COLUMNS[col]))
        elif isinstance(vec, DictVectorizer):
            blocks.append(DictBlock(name, COLUMNS[col],
                                    {str(k): int(v) for k, v in vec.vocabulary_.items()}))
        else:
            raise ModelError(f"feature block {name}: {type(vec).__name__} is not supported")
    featurizer = Featurizer(blocks)
    kind_name = type(model).__name__
    calib_a = calib_b = None
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if kind == "regressor":
        coef = np.atleast_2d(model.coef_)
        intercept = np.atleast_1d(model.intercept_)
        output: dict[str, Any] = {"type": "identity"}
    elif kind_name == "CalibratedClassifierCV":
        if len(model.calibrated_classifiers_) != 1:
            raise ModelError("only CalibratedClassifierCV(ensemble=False) can be converted")
        cc = model.calibrated_classifiers_[0]
        if getattr(cc, "method", "sigmoid") != "sigmoid":
            raise ModelError("only sigmoid calibration can be converted")
        coef = np.atleast_2d(cc.estimator.coef_)
        intercept = np.atleast_1d(cc.estimator.intercept_)
        calib_a = np.array([c.a_ for c in cc.calibrators], np.float64)
        calib_b = np.array([c.b_ for c in cc.calibrators], np.float64)
        output = {"type": "calibrated_sigmoid"}
    elif kind_name == "LinearSVC":
        coef, intercept = np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
        output = {"type": "softmax"}
    elif kind_name == "LogisticRegression":
        coef, intercept = np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
        output = {"type": "logistic"}
    else:
        raise ModelError(f"model {kind_name} cannot be converted")
    if coef.shape[1] != featurizer.n_features:
        raise ModelError(f"the model has {coef.shape[1]} features, the featurizer "
                         f"{featurizer.n_features}")
    return LinearModel(featurizer, coef, intercept, output, labels, calib_a, calib_b,
                       classes or labels)


def convert_folder(src: Path, dst: Path) -> dict[str, str]:
    """Convert an old skops model folder (``model.skops`` + ``metadata.json``) into ``dst``
    (the array format, with the model card and training config copied); returns the sha256 of
    every file written."""
    from kratom_nlp.backends.learned.linear import save_linear

    meta = json.loads((src / "metadata.json").read_text(encoding="utf-8"))
    if meta.get("backend") != "sklearn" or not (src / "model.skops").is_file():
        raise ModelError(f"{src}: not an old scikit-learn model folder (model.skops)")
    estimator = load_skops_trusting_exact_types(src / "model.skops")
    linear = from_sklearn(estimator, meta.get("labels"), meta["kind"])
    keep = {k: v for k, v in meta.items() if k not in ("format_version", "files")}
    keep["converted_from"] = "model.skops"
    if dst.exists() and dst.resolve() != src.resolve():
        shutil.rmtree(dst)
    if dst.resolve() == src.resolve():
        (src / "model.skops").unlink()
    dst.mkdir(parents=True, exist_ok=True)
    for extra in ("README.md", "config.json"):
        if (src / extra).is_file() and src.resolve() != dst.resolve():
            shutil.copy2(src / extra, dst / extra)
    return save_linear(linear, dst, keep)


def add_file_digests(folder: Path) -> dict[str, str]:
    """Record the sha256 of every file of a transformer model folder in its metadata (the
    format of the models written before digests were kept)."""
    from kratom_nlp.backends.learned.store import sha256_file

    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    if meta.get("backend") != "transformer":
        raise ModelError(f"{folder}: not a transformer model folder")
    files = {p.relative_to(folder).as_posix(): sha256_file(p)
             for p in sorted((folder / "encoder").rglob("*")) if p.is_file()}
    meta.update({"format": "kratom-transformer", "format_version": 2, "files": files})
    (folder / "metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {**files, "metadata.json": sha256_file(folder / "metadata.json")}
