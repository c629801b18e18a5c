"""Did retraining help? Evaluate an old and a new model on the fixed test split and compare.

Each model is a folder understood in one of these ways:

* a trained model folder (``metadata.json`` naming its ``task`` and ``backend``, as written by
  ``kratom-nlp train``): that task's backend; the other tasks use the rules;
* a folder with a ``manifest.json`` (``{task: {backend: folder, "default": backend}}``): each
  task's default backend;
* a folder whose ``config.json`` names a ``backend`` (``{"backend": "rules"}``; optionally
  ``"tasks": [...]`` and, for a learned backend, the folder itself holds the model).

Backends come from :func:`kratom_nlp.backends.load_backend`, so any backend works. The test
articles are tagged and cue-annotated by the pipeline with the gold sentence boundaries; each
backend then predicts every gold sentence (claims over all sentences; evidence level, strength
and advice over the gold claims). Printed: one line per metric with old, new, the difference and
whether the new model is better, then a verdict on the headline metrics (claim F1, evidence
macro-F1, strength macro-F1).

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

ROOT = Path(__file__).resolve().parents[1]
TASKS = ("claim", "evidence", "strength")
HEADLINE = ("claim.f1", "evidence.macro_f1", "strength.macro_f1")
_PIPE_OFF = ("kratom_segmenter", "kratom_claims", "kratom_evidence", "kratom_strength",
             "kratom_overclaim")


def resolve_backends(model_dir: str | Path) -> dict[str, tuple[str, Any]]:
    """``{task: (description, backend object)}`` for a model folder (see the module doc)."""
    from kratom_nlp.backends import load_backend

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
    out: dict[str, tuple[str, Any]] = {}
    for task in TASKS:
        name, model = spec.get(task, ("rules", None))
        try:
            backend = load_backend(name, task, model)
        except (ImportError, OSError, ValueError) as exc:
            raise SystemExit(f"error: {d}: cannot load the {name} backend for {task}: "
                             f"{exc}") from exc
        label = name if task in spec else "rules (default)"
        out[task] = (label, backend)
    return out


def gold_docs(articles: list[dict[str, Any]], nlp: Any) -> list[Any]:
    """Docs of the gold texts with the gold sentence boundaries, tagged and cue-annotated."""
    docs = []
    for art in articles:
        doc = nlp.make_doc(art["text"])
        starts = set()
        for s in art["sentences"]:
            span = doc.char_span(s["start"], s["end"], alignment_mode="expand")
            if span is not None:
                starts.add(span.start)
        for tok in doc:
            tok.is_sent_start = tok.i == 0 or tok.i in starts
        docs.append(doc)
    off = [n for n in nlp.pipe_names if n in _PIPE_OFF]
    return list(nlp.pipe(docs, disable=off))


def evaluate(backends: dict[str, tuple[str, Any]], articles: list[dict[str, Any]],
             docs: list[Any], threshold: float = 0.5) -> dict[str, dict[str, float]]:
    """Metrics of one set of backends on the gold sentences."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    claim_b, ev_b, st_b = (backends[t][1] for t in TASKS)
    g_claim, p_claim, g_type, p_type = [], [], [], []
    g_ev, p_ev, g_st, p_st, g_adv, p_adv = [], [], [], [], [], []
    for art, doc in zip(articles, docs, strict=True):
        spans, gold = [], []
        for s in art["sentences"]:
            span = doc.char_span(s["start"], s["end"], alignment_mode="expand")
            if span is not None:
                spans.append(span)
                gold.append(s)
        if not spans:
            continue
        cps = claim_b.predict_claims(spans)
        evs = ev_b.predict_evidence(spans)
        sts = st_b.predict_strength(spans)
        for s, cp, ev, st in zip(gold, cps, evs, sts, strict=True):
            is_claim = bool(cp.is_claim) and float(cp.score) >= threshold
            g_claim.append(bool(s["claim"]))
            p_claim.append(is_claim)
            if not s["claim"]:
                continue
            if is_claim:
                g_type.append(s["claim_type"])
                p_type.append(cp.claim_type or "efficacy")
            g_ev.append(s["evidence"])
            p_ev.append(ev.level)
            g_st.append(s["strength"])
            p_st.append(st.strength)
            g_adv.append(bool(s["advice"]))
            p_adv.append(bool(st.advice))
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
    ap.add_argument("--corpus", default=str(ROOT / "corpora" / "gold"))
    ap.add_argument("--split", default="test", help="the fixed evaluation split (test)")
    ap.add_argument("--json", default=None, help="write the comparison here")
    args = ap.parse_args(argv)

    from kratom_nlp.corpora.gold import iter_articles
    from kratom_nlp.pipeline import load_pipeline

    path = Path(args.corpus) / f"{args.split}.jsonl"
    if not path.is_file():
        print(f"error: no {args.split} split at {path}", file=sys.stderr)
        return 2
    articles = list(iter_articles(path))
    old_b, new_b = resolve_backends(args.old), resolve_backends(args.new)
    nlp = load_pipeline()
    t0 = time.perf_counter()
    docs = gold_docs(articles, nlp)
    old_m = evaluate(old_b, articles, docs)
    new_m = evaluate(new_b, articles, docs)
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
