"""Does claim strength generalise to press-release and news language? Every figure measured here.

    python eval/benchmark_strength.py                 # scikit-learn recipe (minutes)
    python eval/benchmark_strength.py --transformer   # also the MiniLM recipe (about an hour)

1. **PubMed conclusions** (Yu et al. 2019), 5-fold stratified cross-validation (seed 0): each
   fold's model is trained with the default strength data mix — the other PubMed folds, the
   real train split, the written train split and InSciOut — and scored on the held-out fold.
   Anchor: BioBERT, macro-F1 0.883 / accuracy 0.900 (published, not measured here).
2. **The real dev split**: the stored default strength model on the gold claims.
3. **InSciOut** (the 200 press-release and abstract conclusions of ``insciout_train.jsonl``),
   5-fold cross-validation by pair (a pair's two sentences stay in one fold; the fold is not in
   training): strength macro-F1 over the 200 sentences, and the **exaggeration macro-F1** of the
   100 pairs (sign of the predicted press-release strength minus the abstract's, against the
   data's exaggerates / same / downplays).

Writes ``eval/results/strength.json`` and ``eval/results/strength.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

RESULTS = Path("eval") / "results"
ANCHOR = {"macro_f1": 0.883, "accuracy": 0.900}
SK_PARAMS = {"classifier": "logreg", "C": 3.0}
TF_PARAMS = {"epochs": 3}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fit(backend: str, rows: list[Any]) -> Any:
    from kratom_nlp.training.train import fit_model

    params = SK_PARAMS if backend == "sklearn" else TF_PARAMS
    return fit_model("strength", backend, rows, params=dict(params), log=None)


def predict(model: Any, rows: list[Any]) -> list[str]:
    from kratom_nlp.training import evaluate

    return evaluate.decode("strength", evaluate.model_outputs(model, rows))


def folds(n: int, k: int, labels: list[str] | None = None, seed: int = 0) -> list[list[int]]:
    """``k`` folds of ``range(n)``, stratified by ``labels`` when given."""
    import random

    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i in range(n):
        groups.setdefault(labels[i] if labels else "", []).append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    j = 0
    for _, idx in sorted(groups.items()):
        rng.shuffle(idx)
        for i in idx:
            out[j % k].append(i)
            j += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None, help="public data (default ../shared/data)")
    ap.add_argument("--real-data-dir", default=None, help="FakeHealth real_news folder")
    ap.add_argument("--transformer", action="store_true", help="also the MiniLM recipe")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)

    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.training import data as D

    rules = {f"components.{c}.backend": {"@kratom_backends": "kratom.rules.v1", "task": t}
             for c, t in (("kratom_claims", "claim"), ("kratom_evidence", "evidence"),
                          ("kratom_strength", "strength"))}
    nlp = build_pipeline(overrides=rules)
    pubmed = D.pubmed_rows(nlp, args.data_dir)
    insci = D.insciout_rows(nlp, args.data_dir)  # press release, abstract, press, abstract...
    real = D.task_rows(D.real_rows(nlp, ("train",), args.real_data_dir), "strength")
    written = D.task_rows(D.gold_rows(nlp, ("train",)), "strength")
    real_dev = D.task_rows(D.real_rows(nlp, ("dev",), args.real_data_dir), "strength")
    backends = ["sklearn"] + (["transformer"] if args.transformer else [])
    result: dict[str, Any] = {"anchor_biobert": ANCHOR, "recipes": {}}
    for backend in backends:
        res: dict[str, Any] = {}
        gold = [r.labels["strength"] for r in pubmed]
        pred: list[str] = [""] * len(pubmed)
        for k, test_idx in enumerate(folds(len(pubmed), args.folds, gold)):
            held = set(test_idx)
            train = [r for i, r in enumerate(pubmed) if i not in held] + real + written + insci
            model = fit(backend, train)
            for i, p in zip(test_idx, predict(model, [pubmed[i] for i in test_idx]),
                            strict=True):
                pred[i] = p
            log(f"{backend} pubmed fold {k + 1}/{args.folds}")
        res["pubmed_cv"] = {"macro_f1": f1_score(gold, pred, average="macro"),
                            "accuracy": accuracy_score(gold, pred), "n": len(gold)}
        pairs = len(insci) // 2
        gold_i = [r.labels["strength"] for r in insci]
        pred_i: list[str] = [""] * len(insci)
        for k, pair_idx in enumerate(folds(pairs, args.folds)):
            held = {2 * p for p in pair_idx} | {2 * p + 1 for p in pair_idx}
            train = pubmed + real + written + [r for i, r in enumerate(insci) if i not in held]
            model = fit(backend, train)
            idx = sorted(held)
            for i, p in zip(idx, predict(model, [insci[i] for i in idx]), strict=True):
                pred_i[i] = p
            log(f"{backend} insciout fold {k + 1}/{args.folds}")
        from kratom_nlp.taxonomy import STRENGTHS

        def sign(a: str, b: str) -> str:
            d = STRENGTHS.index(a) - STRENGTHS.index(b)
            return "exaggerates" if d > 0 else "downplays" if d < 0 else "same"

        ex_gold = [sign(gold_i[2 * p], gold_i[2 * p + 1]) for p in range(pairs)]
        ex_pred = [sign(pred_i[2 * p], pred_i[2 * p + 1]) for p in range(pairs)]
        res["insciout_cv"] = {
            "strength_macro_f1": f1_score(gold_i, pred_i, average="macro"),
            "strength_accuracy": accuracy_score(gold_i, pred_i), "sentences": len(gold_i),
            "exaggeration_macro_f1": f1_score(ex_gold, ex_pred, average="macro"),
            "exaggeration_accuracy": accuracy_score(ex_gold, ex_pred), "pairs": pairs}
        result["recipes"][backend] = res
        log(f"{backend}: {json.dumps(res)}")
    from kratom_nlp.backends.learned.backends import default_backend

    backend = default_backend("strength")
    model = getattr(backend, "strength_model", None)
    if model is not None:
        gold = [r.labels["strength"] for r in real_dev]
        pred = predict(model, real_dev)
        result["default_on_real_dev"] = {
            "backend": model.backend, "macro_f1": f1_score(gold, pred, average="macro"),
            "accuracy": accuracy_score(gold, pred), "n": len(gold)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "strength.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    lines = ["# Claim strength beyond the project's own text", "",
             "`python eval/benchmark_strength.py"
             + (" --transformer" if args.transformer else "") + "`. Every model is trained "
             "with the default strength data mix (real train, written train, PubMed, "
             "InSciOut) minus the fold it is scored on.", "",
             "| recipe | PubMed 5-fold macro-F1 / acc | InSciOut strength macro-F1 | "
             "InSciOut exaggeration macro-F1 |", "|---|---|---|---|"]
    for name, r in result["recipes"].items():
        lines.append(f"| {name} | {r['pubmed_cv']['macro_f1']:.3f} / "
                     f"{r['pubmed_cv']['accuracy']:.3f} | "
                     f"{r['insciout_cv']['strength_macro_f1']:.3f} | "
                     f"{r['insciout_cv']['exaggeration_macro_f1']:.3f} |")
    lines.append(f"| BioBERT (Yu et al. 2019, published) | {ANCHOR['macro_f1']} / "
                 f"{ANCHOR['accuracy']} | — | — |")
    if "default_on_real_dev" in result:
        d = result["default_on_real_dev"]
        lines += ["", f"The stored default strength model ({d['backend']}) on the real dev "
                      f"split's gold claims: macro-F1 {d['macro_f1']:.3f}, accuracy "
                      f"{d['accuracy']:.3f} (n = {d['n']})."]
    (RESULTS / "strength.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
