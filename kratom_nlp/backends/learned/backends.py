"""The learned backends: a field model's probabilities turned into predictions.

One predict call per model per batch: the components hand over the spans of a whole batch of
documents, the examples are read from the Doc (:mod:`.features`), and the n-grams of the texts
are shared between the models of one backend (strength, advice and certainty see the same
sentences).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Span

from kratom_nlp.backends.base import ClaimPrediction, EvidencePrediction, StrengthPrediction
from kratom_nlp.backends.learned import store
from kratom_nlp.backends.learned.features import (
    Example,
    examples_for_spans,
    rules_of,
    sentence_of,
)
from kratom_nlp.backends.learned.models import (
    PREDICT_CHUNK,
    EnsembleFieldModel,
    FieldModel,
    MultiTaskEncoder,
    OpenRows,
    load_field_model,
)
from kratom_nlp.backends.rules import RulesBackend
from kratom_nlp.errors import ModelError


class ModelFallbackWarning(UserWarning):
    """A learned model was asked for but is not available; the rules answer instead."""


def _tops(probs: Any, labels: Sequence[str]) -> list[tuple[str, dict[str, float]]]:
    """For each row of ``probs``: the best label and the scores rounded to 4 decimals (the
    first label wins a tie of the rounded scores)."""
    rounded = np.round(np.asarray(probs, dtype=np.float64), 4)
    if not len(rounded):
        return []
    best = rounded.argmax(axis=1).tolist()
    labels = list(labels)
    return [(labels[b], dict(zip(labels, row, strict=True)))
            for b, row in zip(best, rounded.tolist(), strict=True)]


@dataclass
class ClaimPrefetch:
    """A batch's claim examples, the cheap members' verdict on them and the encoder's
    forward passes running in the background (:meth:`LearnedClaimBackend.prefetch`)."""

    examples: list[Example]
    opened: OpenRows
    encoder: MultiTaskEncoder
    vectors: Future[dict[str, np.ndarray]]


class LearnedClaimBackend:
    """Claim detection and claim type from one classifier over ``none`` + the claim types.

    ``skip_ruled_out`` (on by default): an ensemble sends to its transformer only the
    sentences its other members leave open; a sentence they already rule out (its claim
    probability stays under 0.5 whatever the transformer says) keeps their scores alone
    (:meth:`EnsembleFieldModel.predict_ruling_out`). Every claim decision is the full
    ensemble's. The scores differ only for those sentences: the plain non-claims, and a claim
    the claim detector keeps below its threshold by a rule (promotional advice, a health
    verdict, a benefit bullet), which then carries the other members' scores."""

    def __init__(self, model: FieldModel, skip_ruled_out: bool = True) -> None:
        self.model = model
        self.name = model.backend
        self.skip_ruled_out = skip_ruled_out

    def prefetch(self, sents: Sequence[Span]) -> ClaimPrefetch | None:
        """Start the transformer's forward passes for these sentences in the background
        (:meth:`MultiTaskEncoder.prefetch`): the sentences the other members leave open and
        the sentences before them (what the evidence head reads with a claim). None where
        nothing can overlap: no ensemble with one multi-task encoder, ruling out off, or a
        process meant to keep one core busy."""
        from kratom_nlp.backends.learned.models import overlap_possible

        model = self.model
        if not sents or not self.skip_ruled_out or not isinstance(model, EnsembleFieldModel) \
                or not overlap_possible():
            return None
        encoders = model.encoders()
        if len(encoders) != 1:
            return None
        examples = examples_for_spans(sents)
        opened = model.rows_left_open(examples, {}, "none", 0.5)
        if opened is None:
            return None
        texts = [examples[i].text for i in opened.keep]
        texts += [examples[i].context for i in opened.keep]
        return ClaimPrefetch(examples, opened, encoders[0], encoders[0].prefetch(texts))

    def predict_claims(self, sents: Sequence[Span],
                       prefetched: ClaimPrefetch | None = None) -> list[ClaimPrediction]:
        """``prefetched``: :meth:`prefetch` of the same sentences, started earlier."""
        if not sents:
            return []
        if prefetched is not None:
            assert isinstance(self.model, EnsembleFieldModel)
            with prefetched.encoder.adopted(prefetched.vectors.result()):
                probs = self.model.predict_ruling_out(prefetched.examples, {}, "none", 0.5,
                                                      opened=prefetched.opened)
        elif self.skip_ruled_out and isinstance(self.model, EnsembleFieldModel):
            probs = self.model.predict_ruling_out(examples_for_spans(sents), {}, "none", 0.5)
        else:
            probs = self.model.predict(examples_for_spans(sents), {})
        out = []
        for _, scores in _tops(probs, self.model.labels):
            p_claim = 1.0 - scores.get("none", 0.0)
            types = {k: v for k, v in scores.items() if k != "none"}
            ctype = max(types, key=lambda k: types[k]) if types else None
            out.append(ClaimPrediction(p_claim >= 0.5, ctype, float(p_claim), scores))
        return out


class LearnedEvidenceBackend:
    """Evidence from a classifier. A *source* model (``metadata.json`` ``target: source``)
    predicts where the evidence comes from — the sentence's own cue, the study in scope, a
    quoted expert, an anecdote or nothing — and :func:`kratom_nlp.backends.evidence.resolve`
    turns that into the level, its cue spans and the study id. A *level* model predicts the
    level directly; its cues are the cue spans of that level in the sentence or, failing
    that, the previous one, and its "none" yields to a cue span the rules found."""

    def __init__(self, model: FieldModel) -> None:
        from kratom_nlp.resources import load_cues

        self.model = model
        self.name = model.backend
        self.target = model.meta.get("target", "level")
        study = load_cues().study_cues
        self.expert_words = study.expert_words
        self.attribution_words = study.attribution_words

    def predict_evidence(self, claims: Sequence[Span]) -> list[EvidencePrediction]:
        if not claims:
            return []
        probs = self.model.predict(examples_for_spans(claims), {})
        if self.target == "source":
            return self._from_sources(claims, probs)
        out: list[EvidencePrediction] = []
        for span, (level, scores) in zip(claims, _tops(probs, self.model.labels), strict=True):
            r = rules_of(span)
            own = r.get("candidates", [])
            if level == "none" and own:
                out.append(EvidencePrediction(r["evidence"], [dict(c) for c in
                                                              r["evidence_cues"]],
                                              r["from_context"], scores))
                continue
            cues, from_ctx = [], False
            if level != "none":
                cues = [dict(c) for c in own if c["level"] == level]
                if not cues:
                    cues = [dict(c) for c in r.get("prev_candidates", []) if c["level"] == level]
                    from_ctx = bool(cues)
            cues.sort(key=lambda c: c["start"])
            out.append(EvidencePrediction(level, cues, from_ctx, scores))
        return out

    def _from_sources(self, claims: Sequence[Span], probs: Any) -> list[EvidencePrediction]:
        from kratom_nlp.backends.evidence import choose_source, resolve, study_spans

        out = []
        studies: dict[int, dict[str, Any]] = {}
        for span, (_, scores) in zip(claims, _tops(probs, self.model.labels), strict=True):
            sent = sentence_of(span)
            doc_studies = studies.setdefault(id(span.doc), study_spans(span.doc))
            pred, study = resolve(sent, choose_source(sent, scores), scores, doc_studies,
                                  self.expert_words, self.attribution_words)
            pred.study = study
            out.append(pred)
        return out


def advice_kind(advice: bool, rules_kind: str | None, claim_type: str | None,
                discourages: bool = False) -> str | None:
    """The advice kind of a learned advice decision: the rules' kind when they saw advice too;
    else cautionary when the sentence advises against something ("doesn't recommend",
    "should not") or says only cautionary words (see :func:`cautious`), promotional for an
    advice-type claim, cautionary otherwise."""
    if not advice:
        return None
    if rules_kind in ("promotional", "cautionary"):
        return rules_kind
    if discourages:
        return "cautionary"
    return "promotional" if claim_type == "advice" else "cautionary"


def cautious(rules: dict[str, Any]) -> bool:
    """True when a sentence's advice is cautionary by its words though the rules may have seen
    no advice in it: it discourages something ("doesn't recommend"), or it opens with a
    cautionary phrase and names no promotion ("Seek urgent medical help if …", "Tell your
    doctor …"; ``SentenceView.cautions``). Such advice protects the reader; it is never
    promotion of the substance (overclaim rule 2)."""
    return bool(rules.get("discourages") or rules.get("cautions"))


class LearnedStrengthBackend:
    """Strength, advice and certainty, each from its own model or, when absent, the rules."""

    def __init__(self, strength: FieldModel | None, advice: FieldModel | None,
                 certainty: FieldModel | None) -> None:
        self.strength_model = strength
        self.advice_model = advice
        self.certainty_model = certainty
        self.rules = RulesBackend()
        names = {m.backend for m in (strength, advice, certainty) if m is not None}
        self.name = "+".join(sorted(names)) if names else "rules"

    def predict_strength(self, claims: Sequence[Span]) -> list[StrengthPrediction]:
        if not claims:
            return []
        preds = self.rules.predict_strength(claims)
        learned = [m for m in (self.strength_model, self.advice_model, self.certainty_model)
                   if m is not None]
        if not learned:
            return preds
        all_examples = examples_for_spans(claims)
        # the three models share their features, one chunk of claims at a time (memory)
        for i in range(0, len(claims), PREDICT_CHUNK):
            self._learned(preds[i:i + PREDICT_CHUNK], all_examples[i:i + PREDICT_CHUNK],
                          claims[i:i + PREDICT_CHUNK])
        return preds

    def _learned(self, preds: Sequence[StrengthPrediction], examples: Sequence[Any],
                 claims: Sequence[Span]) -> None:
        cache: dict = {}
        if self.strength_model is not None:
            probs = self.strength_model.predict(examples, cache)
            for p, top in zip(preds, _tops(probs, self.strength_model.labels), strict=True):
                p.strength, p.scores = top
        if self.advice_model is not None:
            labels = self.advice_model.labels
            for p, ex, claim, row in zip(preds, examples, claims,
                                         self.advice_model.predict(examples, cache), strict=True):
                p_adv = float(row[labels.index("advice")])
                p.scores = {**p.scores, "advice": round(p_adv, 4)}
                p.advice = p_adv >= 0.5
                p.advice_kind = advice_kind(p.advice, p.advice_kind, ex.claim_type,
                                            cautious(rules_of(claim)))
        if self.certainty_model is not None:
            values = self.certainty_model.predict(examples, cache)
            for p, value in zip(preds, values, strict=True):
                p.certainty = float(value)


# --------------------------------------------------------------------------- construction
def _fallback(task: str, name: str, why: str) -> RulesBackend:
    warnings.warn(f"no {name} model for {task!r} ({why}); using the rules backend",
                  ModelFallbackWarning, stacklevel=4)
    return RulesBackend()


def _try_load(folder: Path | None, task: str, name: str, root: str | Path | None,
              strict: bool) -> FieldModel | None:
    if folder is None:
        if strict:
            raise ModelError(f"no trained {name} model for {task!r} in "
                             f"{store.models_dir(root)}")
        return None
    try:
        model = load_field_model(folder, root, task)
    except ModelError as exc:
        if strict:
            raise
        warnings.warn(f"cannot load the {name} model for {task!r}: {exc}; using the rules",
                      ModelFallbackWarning, stacklevel=4)
        return None
    if model.task != task:
        msg = f"{folder} holds a {model.task!r} model, not {task!r}"
        if strict:
            raise ModelError(msg)
        warnings.warn(f"{msg}; using the rules", ModelFallbackWarning, stacklevel=4)
        return None
    return model


def field_model(name: str, task: str, model: str | Path | None = None, *,
                root: str | Path | None = None, strict: bool = False,
                weights: dict[str, float] | None = None) -> FieldModel | None:
    """The ``sklearn``, ``transformer`` or ``ensemble`` model of a task (None when it is not
    there and not ``strict``). An ensemble's members and weights come from ``weights`` or the
    manifest (``{"ensemble": {"sklearn": 0.7, "transformer": 0.3}}``)."""
    if name == "ensemble":
        weights = weights or store.ensemble_weights(task, root)
        if not weights:
            if strict:
                raise ModelError(f"no ensemble for {task!r} in the manifest")
            return None
        members = []
        for member, w in weights.items():
            fm = _try_load(store.resolve_model_dir(member, task, None, root), task, member,
                           root, strict)
            if fm is None:
                return None
            members.append((fm, float(w)))
        return EnsembleFieldModel(members)
    folder = store.resolve_model_dir(name, task, model, root)
    if model is not None and folder is None:
        raise ModelError(f"no model folder at {model} (looked in the working directory and in "
                         f"{store.models_dir(root)})")
    return _try_load(folder, task, name, root, strict)


def _backend_for(task: str, fields: dict[str, FieldModel | None]) -> Any:
    if task == "claim":
        return LearnedClaimBackend(fields["claim"]) if fields.get("claim") else None
    if task == "evidence":
        return LearnedEvidenceBackend(fields["evidence"]) if fields.get("evidence") else None
    if all(fields.get(f) is None for f in ("strength", "advice", "certainty")):
        return None
    return LearnedStrengthBackend(fields.get("strength"), fields.get("advice"),
                                  fields.get("certainty"))


def learned_backend(name: str, task: str, model: str | Path | None = None, *,
                    root: str | Path | None = None, strict: bool = False,
                    weights: dict[str, float] | None = None) -> Any:
    """A ``sklearn``, ``transformer`` or ``ensemble`` backend for ``task`` (claim, evidence,
    strength, advice, certainty), falling back to the rules (with a warning) when its model is
    missing, unless ``strict``. ``model`` is a model folder (a path, or a name in the models
    folder); by default the manifest's entry is used. For ``strength`` the advice and certainty
    models of the same backend come from the manifest too."""
    if name not in store.LEARNED_BACKENDS:
        raise ModelError(f"unknown learned backend {name!r}; choose one of "
                         f"{', '.join(store.LEARNED_BACKENDS)}")
    if task not in store.TASKS:
        raise ModelError(f"unknown task {task!r}; choose one of {', '.join(store.TASKS)}")
    fields: dict[str, FieldModel | None] = {}
    own = field_model(name, task, model, root=root, strict=strict, weights=weights)
    fields[task] = own
    if task == "strength":
        for extra in ("advice", "certainty"):
            fields[extra] = field_model(name, extra, root=root)
    backend = _backend_for(task if task in ("claim", "evidence") else "strength", fields)
    if backend is None:
        return _fallback(task, name, "not found")
    return backend


def default_backend(task: str, root: str | Path | None = None) -> Any:
    """The backend the manifest names as default for ``task``; for ``strength`` each field
    (strength, advice, certainty) follows its own default. The rules when nothing is stored."""
    if task not in store.TASKS:
        raise ModelError(f"unknown task {task!r}; choose one of {', '.join(store.TASKS)}")
    wanted = ("strength", "advice", "certainty") if task == "strength" else (task,)
    fields: dict[str, FieldModel | None] = {}
    for field_name in wanted:
        name = store.default_backend(field_name, root)
        fields[field_name] = None if name == "rules" else field_model(name, field_name,
                                                                       root=root)
    backend = _backend_for(task if task in ("claim", "evidence") else "strength", fields)
    return backend if backend is not None else RulesBackend()


__all__ = ["LearnedClaimBackend", "LearnedEvidenceBackend", "LearnedStrengthBackend",
           "ModelFallbackWarning", "advice_kind", "default_backend", "learned_backend",
           "sentence_of"]
