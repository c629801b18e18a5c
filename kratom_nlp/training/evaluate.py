"""Predictions and metrics on the evaluation protocols (gold test split, certainty val split).

Gold protocol: claim F1 over all sentences; evidence, strength and advice over the gold claim
sentences (the pipeline asks for them only on claims); overclaim F1 over all sentences, where a
sentence is flagged when it is predicted a claim and the predicted fields (claim type, strength,
evidence level, advice and its kind) trip :class:`~kratom_nlp.grading.OverclaimEngine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kratom_nlp.backends.learned.backends import advice_kind
from kratom_nlp.backends.learned.models import TASK_LABELS, FieldModel
from kratom_nlp.training import metrics
from kratom_nlp.training.data import Row


def rules_predictions(task: str, rows: Sequence[Row]) -> list[Any]:
    """The rules backend's decision for ``task``, read from the rule features."""
    out: list[Any] = []
    for r in rows:
        f = r.example.rules
        if task == "claim":
            out.append(f["r_claim_type"] if f["r_claim"] else "none")
        elif task == "evidence":
            out.append(f["r_evidence"])
        elif task == "strength":
            out.append(f["r_strength"])
        elif task == "advice":
            out.append("advice" if f["r_advice"] else "no_advice")
        elif task == "certainty":
            out.append(4.0 + 2.0 * float(f["r_certainty"]))
        else:
            raise ValueError(f"unknown task {task!r}")
    return out


def model_outputs(model: FieldModel, rows: Sequence[Row]) -> Any:
    """Probabilities (classifiers) or values (regressors) for ``rows``."""
    return model.predict([r.example for r in rows])


def source_level(source: str, row: Row) -> str:
    """The evidence level a source gives a row (its study's design, its own cue's level)."""
    meta = row.meta
    if source == "study" and meta.get("has_scope") and meta.get("scope_design"):
        return str(meta["scope_design"])
    if source in ("study", "cue"):
        return str(meta.get("rules_evidence", "none"))
    return {"expert": "expert_opinion", "anecdote": "anecdotal"}.get(source, "none")


def decode(task: str, outputs: Any, rows: Sequence[Row] | None = None) -> list[Any]:
    """Labels (argmax) or values from :func:`model_outputs`; evidence sources become levels
    (a study only where one is in scope), when ``rows`` are given."""
    labels = TASK_LABELS[task]
    if labels is None:
        return [float(v) for v in outputs]
    if task != "evidence" or rows is None:
        return [labels[int(i)] for i in outputs.argmax(axis=1)]
    out = []
    for row, probs in zip(rows, outputs, strict=True):
        for i in probs.argsort()[::-1]:
            source = labels[int(i)]
            if source == "study" and not row.meta.get("has_scope"):
                continue
            out.append(source_level(source, row))
            break
    return out


def score_task(task: str, rows: Sequence[Row], preds: Sequence[Any]) -> dict[str, float]:
    """Metrics of ``preds`` (one per row) on the gold rows' protocol for ``task``."""
    if task == "certainty":
        return metrics.regression([r.labels["certainty"] for r in rows], preds)
    if task == "claim":
        res = metrics.binary_f1([r.labels["claim"] != "none" for r in rows],
                                [p != "none" for p in preds])
        both = [(r.labels["claim"], p) for r, p in zip(rows, preds, strict=True)
                if r.labels["claim"] != "none" and p != "none"]
        if both:
            res["type_macro_f1"] = metrics.classification([a for a, _ in both],
                                                          [b for _, b in both])["macro_f1"]
        return res
    keep = [(r, p) for r, p in zip(rows, preds, strict=True)
            if r.labels.get("is_claim", True)]
    key = "evidence_level" if task == "evidence" else task
    gold = [r.labels.get(key, r.labels[task]) for r, _ in keep]
    pred = [p for _, p in keep]
    if task == "advice":
        return metrics.binary_f1([g == "advice" for g in gold], [p == "advice" for p in pred])
    return metrics.classification(gold, pred)


def overclaim_predictions(rows: Sequence[Row], claim: Sequence[str], evidence: Sequence[str],
                          strength: Sequence[str], advice: Sequence[str]) -> list[bool]:
    """Overclaim flags from predicted fields, through the overclaim rules engine."""
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()
    out = []
    for r, c, e, s, a in zip(rows, claim, evidence, strength, advice, strict=True):
        if c == "none":
            out.append(False)
            continue
        adv = a == "advice"
        kind = advice_kind(adv, None if r.example.rules.get("r_advice_kind") == "none"
                           else str(r.example.rules.get("r_advice_kind")), c)
        facts = ClaimFacts(claim_type=c, strength=s, level=e, advice=adv, advice_kind=kind)
        out.append(engine.decide(facts).flag)
    return out


def score_overclaim(rows: Sequence[Row], flags: Sequence[bool]) -> dict[str, float]:
    """Overclaim F1 over all sentences."""
    return metrics.binary_f1([r.labels["overclaim"] for r in rows], flags)
