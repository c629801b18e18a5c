"""Did retraining help? Evaluate an old and a new model on the fixed test split and compare.

Each model is a folder understood in one of these ways:

* a trained model folder (``metadata.json`` naming its ``task`` and ``backend``, as written by
  ``kratom-nlp train``): that task's backend; the other tasks use the rules;
* a folder with a ``manifest.json`` (``{task: {backend: folder, "default": backend}}``): each
  task's default backend;
* a folder whose ``config.json`` names a ``backend`` (``{"backend": "rules"}``; optionally
  ``"tasks": [...]`` and, for a learned backend, the folder itself holds the model).

Backends come from the ``kratom_backends`` registry (any registered backend works): each model
folder becomes a pipeline whose components use its backends. The test articles run through
that pipeline with the gold sentence boundaries, every gold sentence is scored by the
pipeline's own components and the predictions are read from the Docs (claims over all
sentences; evidence level, strength and advice over the gold claims). Printed: one line per
metric with old, new, the difference and whether the new model is better, then a verdict on
the headline metrics (claim F1, evidence macro-F1, strength macro-F1).

Usage: ``python eval/compare_models.py OLD_MODEL_DIR NEW_MODEL_DIR [--corpus corpora/gold]
[--split test] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

TASKS = ("claim", "evidence", "strength")
HEADLINE = ("claim.f1", "evidence.macro_f1", "strength.macro_f1")


def resolve_backends(model_dir: str | Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{task: (description, backend config block)}`` for a model folder (module doc)."""
    from kratom_nlp.registry import backend_ref

    d = Path(model_dir)
    if not d.is_dir():
        raise SystemExit(f"error: {d}: not a folder")
    spec: dict[str, tuple[str, str | None]] = {}
    if (d / "metadata.json").is_file():
        meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
        task = {"advice": "strength", "certainty": "strength"}.get(meta.get("task"),
                                                                     meta.get("task"))
        if task not in TASKS:
            raise SystemExit(f"error: {d}: metadata.json names task {meta.get('task')!r}")
        spec[task] = (str(meta.get("backend")), str(d))
    elif (d / "manifest.json").is_file():
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        for task in TASKS:
            entry = manifest.get(task) if isinstance(manifest.get(task), dict) else {}
            name = entry.get("default", "rules")
            if name != "rules" and entry.get(name):
                spec[task] = (name, str(d / entry[name]))
    elif (d / "config.json").is_file():
        cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
        name = cfg.get("backend")
        if not isinstance(name, str):
            raise SystemExit(f"error: {d}/config.json names no 'backend'")
        tasks = cfg.get("tasks") or ([cfg["task"]] if cfg.get("task") else list(TASKS))
        for task in tasks:
            spec[task] = (name, None if name == "rules" else str(d))
    else:
        raise SystemExit(f"error: {d}: no metadata.json, manifest.json or config.json")
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for task in TASKS:
        name, model = spec.get(task, ("rules", None))
        try:
            block: dict[str, Any] = {"@kratom_backends": backend_ref(name), "task": task}
        except ValueError as exc:
            raise SystemExit(f"error: {d}: {exc}") from exc
        if model is not None:
            block.update({"model": model, "models_dir": str(Path(model).parent)})
        out[task] = (name if task in spec else "rules (default)", block)
    return out


def build(backends: dict[str, tuple[str, dict[str, Any]]]) -> Any:
    """The pipeline whose claim, evidence and strength components use ``backends``."""
    from kratom_nlp.pipeline import build_pipeline

    pipes = {"claim": "kratom_claims", "evidence": "kratom_evidence",
             "strength": "kratom_strength"}
    return build_pipeline(overrides={f"components.{pipes[t]}.backend": b
                                     for t, (_, b) in backends.items()})


def evaluate(nlp: Any, articles: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Metrics of one pipeline on the gold sentences (gold boundaries), read from its Docs."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    from kratom_nlp.pipeline.scoring import docs_with_sentences, score_spans

    docs = docs_with_sentences(nlp, ((a["text"], [s["start"] for s in a["sentences"]])
                                     for a in articles))
    spans = score_spans(nlp, docs, [[s["start"] for s in a["sentences"]] for a in articles])
    g_claim, p_claim, g_type, p_type = [], [], [], []
    g_ev, p_ev, g_st, p_st, g_adv, p_adv = [], [], [], [], [], []
    for art, found in zip(articles, spans, strict=True):
        for s, span in zip(art["sentences"], found, strict=True):
            if span is None:
                continue
            is_claim = bool(span._.is_claim)
            g_claim.append(bool(s["claim"]))
            p_claim.append(is_claim)
            if not s["claim"]:
                continue
            if is_claim:
                g_type.append(s["claim_type"])
                p_type.append(span._.claim_type or "efficacy")
            g_ev.append(s["evidence"])
            p_ev.append(span._.evidence_level)
            g_st.append(s["strength"])
            p_st.append(span._.strength)
            g_adv.append(bool(s["advice"]))
            p_adv.append(bool(span._.advice))
    p, r, f, _ = precision_recall_fscore_support(g_claim, p_claim, average="binary",
                                                 zero_division=0)
    return {
        "claim": {"precision": float(p), "recall": float(r), "f1": float(f),
                  "type_accuracy": float(accuracy_score(g_type, p_type)) if g_type else 0.0},
        "evidence": {"macro_f1": float(f1_score(g_ev, p_ev, average="macro", zero_division=0)),
                     "accuracy": float(accuracy_score(g_ev, p_ev)) if g_ev else 0.0},
        "strength": {"macro_f1": float(f1_score(g_st, p_st, average="macro", zero_division=0)),
                     "accuracy": float(accuracy_score(g_st, p_st)) if g_st else 0.0},
        "advice": {"f1": float(f1_score(g_adv, p_adv, zero_division=0))},
        "n": {"sentences": float(len(g_claim)), "claims": float(len(g_ev))},
    }


def compare(old: dict[str, dict[str, float]], new: dict[str, dict[str, float]],
            eps: float = 1e-9) -> list[dict[str, Any]]:
    """One row per metric: old, new, difference and verdict (better / worse / same)."""
    rows = []
    for group, metrics in old.items():
        if group == "n":
            continue
        for name, a in metrics.items():
            b = new[group][name]
            diff = b - a
            verdict = "better" if diff > eps else "worse" if diff < -eps else "same"
            rows.append({"metric": f"{group}.{name}", "old": a, "new": b, "diff": diff,
                         "verdict": verdict})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="OLD_MODEL_DIR")
    ap.add_argument("new", help="NEW_MODEL_DIR")
    ap.add_argument("--corpus", default=str(Path("corpora") / "gold"))
    ap.add_argument("--split", default="test", help="the fixed evaluation split (test)")
    ap.add_argument("--json", default=None, help="write the comparison here")
    args = ap.parse_args(argv)

    from kratom_nlp.corpora.gold import iter_articles

    path = Path(args.corpus) / f"{args.split}.jsonl"
    if not path.is_file():
        print(f"error: no {args.split} split at {path}", file=sys.stderr)
        return 2
    articles = list(iter_articles(path))
    old_b, new_b = resolve_backends(args.old), resolve_backends(args.new)
    t0 = time.perf_counter()
    old_m = evaluate(build(old_b), articles)
    new_m = evaluate(build(new_b), articles)
    elapsed = time.perf_counter() - t0
    rows = compare(old_m, new_m)
    print(f"split={args.split} articles={len(articles)} sentences={int(old_m['n']['sentences'])} "
          f"gold claims={int(old_m['n']['claims'])} ({elapsed:.1f}s)")
    for task in TASKS:
        print(f"  {task:<9} old: {old_b[task][0]:<16} new: {new_b[task][0]}")
    print(f"{'metric':<24}{'old':>8}{'new':>8}{'diff':>9}  verdict")
    for r in rows:
        print(f"{r['metric']:<24}{r['old']:>8.3f}{r['new']:>8.3f}{r['diff']:>+9.3f}  "
              f"{r['verdict']}")
    head = [r for r in rows if r["metric"] in HEADLINE]
    gain = sum(r["diff"] for r in head) / len(head)
    better = sum(r["verdict"] == "better" for r in rows)
    worse = sum(r["verdict"] == "worse" for r in rows)
    improved = gain > 1e-9
    print(f"improved: {'yes' if improved else 'no'} (headline mean diff {gain:+.3f}; "
          f"{better} metrics better, {worse} worse, {len(rows) - better - worse} same)")
    if args.json:
        Path(args.json).write_text(json.dumps({"old": old_m, "new": new_m, "rows": rows,
                                               "improved": improved}, indent=2),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
