"""Choose every learned model on the real dev split, and (``--write``) train the winners.

For each task a small grid of data mixes and classifiers is trained on the real train split
(plus the written corpus's train split and the public sets, weighted) and scored on the **real
dev split** — never on the test split, never on text the project wrote. The written dev split is
reported beside it: the winner of each task (its main metric on real dev; ties → the simpler
data mix) is chosen among the rows whose written dev figure is within 0.03 of the grid's best
(the written corpus may lose at most 0.03). The winner becomes the default in
``models/manifest.json`` with ``--write``.

Main metrics (real dev): claim F1 (all sentences, at the best claim threshold, which is also
reported for ``config.cfg``); evidence accuracy on gold claims (after resolving the predicted
source to a level: the study in scope, the sentence's own cue, an expert, an anecdote, none);
strength macro-F1 and advice F1 on gold claims; certainty Pearson r on its val split.

    python eval/select_models.py                 # the grid, results in eval/results/selection.*
    python eval/select_models.py --write         # and train the winners into models/
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

GRID: dict[str, dict[str, list[Any]]] = {
    "claim": {"data": ["real", "real+gold:0.5", "real+gold"],
              "params": [{"classifier": "logreg", "C": 3.0},
                         {"classifier": "linearsvc", "C": 1.0}]},
    "evidence": {"data": ["real", "real+gold:0.3", "real+gold"],
                 "params": [{"classifier": "linearsvc", "C": 1.0},
                            {"classifier": "linearsvc", "C": 0.3},
                            {"classifier": "logreg", "C": 3.0}]},
    "strength": {"data": ["real+gold:0.3", "real+gold:0.3+pubmed:0.3+insciout:0.5",
                          "real+gold+pubmed+insciout"],
                 "params": [{"classifier": "logreg", "C": 3.0},
                            {"classifier": "linearsvc", "C": 1.0}]},
    "advice": {"data": ["real+gold:0.5", "real+gold"],
               "params": [{"classifier": "logreg", "C": 3.0},
                          {"classifier": "linearsvc", "C": 1.0}]},
    "certainty": {"data": ["certainty"], "params": [{"alpha": 3.0}]},
}
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


MAIN = {"claim": "f1", "evidence": "accuracy", "strength": "macro_f1", "advice": "f1",
        "certainty": "pearson_r"}


def main_metric(task: str, scores: dict[str, Any]) -> float:
    return float(scores[MAIN[task]])


def score(task: str, model: Any, rows: list[Any], outputs: Any = None) -> dict[str, Any]:
    """The task's metrics on rows (claim: the best threshold as well); ``outputs`` are the
    model's outputs on the task's rows when already computed."""
    from kratom_nlp.training import evaluate, metrics
    from kratom_nlp.training.data import task_rows

    rows = task_rows(rows, task)
    if outputs is None:
        outputs = evaluate.model_outputs(model, rows)
    if task == "claim":
        labels = list(model.labels)
        p_claim = 1.0 - outputs[:, labels.index("none")]
        gold = [r.labels["claim"] != "none" for r in rows]
        by_t = {t: metrics.binary_f1(gold, list(p_claim >= t))["f1"] for t in THRESHOLDS}
        best = max(by_t, key=lambda t: (by_t[t], -abs(t - 0.5)))
        out = metrics.binary_f1(gold, list(p_claim >= best))
        out["threshold"] = best
        out["f1_at_0.5"] = by_t[0.5]
        return out
    preds = evaluate.decode(task, outputs, rows)
    return evaluate.score_task(task, rows, preds)


WRITTEN_LOSS = 0.03  # the most the written dev split may lose against its best in the grid


def choose_winner(task: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The grid row with the best main metric on the real dev split (ties: the simpler data
    mix) among those whose written dev figure is within :data:`WRITTEN_LOSS` of the best
    written dev figure of the grid: a model that wins on real text by giving up the written
    corpus is not chosen (issue: the written split loses at most 0.03). With the evidence
    grid over 152 real train articles, the real-only linear SVM led real dev by 0.001
    (0.719) at a written dev accuracy of 0.604 against 0.858."""
    key = "certainty_val" if task == "certainty" else "real"
    written = [main_metric(task, r["scores"]["written"]) for r in results
               if "written" in r["scores"]]
    floor = max(written) - WRITTEN_LOSS if written else None
    allowed = [r for r in results if floor is None or "written" not in r["scores"]
               or main_metric(task, r["scores"]["written"]) >= floor - 1e-9] or results
    return max(allowed, key=lambda r: (round(main_metric(task, r["scores"][key]), 3),
                                       -len(r["data"])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(GRID))
    ap.add_argument("--data-dir", default=None, help="public data (default ../shared/data)")
    ap.add_argument("--real-data-dir", default=None, help="FakeHealth real_news folder")
    ap.add_argument("--write", action="store_true", help="train the winners into models/")
    ap.add_argument("--write-only", action="store_true",
                    help="train the winners recorded in OUT.json into models/ (no grid)")
    ap.add_argument("--out", default="eval/results/selection")
    ap.add_argument("--ensembles", action="store_true",
                    help="score the stored sklearn and transformer models of each task alone "
                         "and averaged on the real dev split; make the best the default")
    args = ap.parse_args(argv)

    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.training import data as D
    from kratom_nlp.training.train import fit_model, parse_data, train_model, training_rows

    rules = {f"components.{c}.backend": {"@kratom_backends": "kratom.rules.v1", "task": t}
             for c, t in (("kratom_claims", "claim"), ("kratom_evidence", "evidence"),
                          ("kratom_strength", "strength"))}
    nlp = build_pipeline(overrides=rules)
    if args.ensembles:
        return select_ensembles(nlp, args)
    if args.write_only:
        winners = json.loads(Path(args.out).with_suffix(".json").read_text("utf-8"))["winners"]
        write_winners(winners, nlp, args, train_model)
        return 0
    t0 = time.time()
    dev = {"real": D.real_rows(nlp, ("dev",), args.real_data_dir),
           "written": D.gold_rows(nlp, ("dev",))}
    cert_val = D.certainty_rows(nlp, "val", args.data_dir)
    log(f"dev rows in {time.time() - t0:.0f}s")
    results: dict[str, list[dict[str, Any]]] = {}
    winners: dict[str, dict[str, Any]] = {}
    for task in args.tasks.split(","):
        results[task] = []
        for data in GRID[task]["data"]:
            rows = training_rows(nlp, task, parse_data(task, data), data_dir=args.data_dir,
                                 real_data_dir=args.real_data_dir)
            for params in GRID[task]["params"]:
                t1 = time.time()
                model = fit_model(task, "sklearn", rows, params=params, log=None)
                if task == "certainty":
                    res = {"certainty_val": score(task, model, cert_val)}
                else:
                    res = {name: score(task, model, r) for name, r in dev.items()}
                row = {"task": task, "data": data, "params": params, "scores": res,
                       "seconds": round(time.time() - t1, 1)}
                results[task].append(row)
                log(f"{task:9} {data:40} {json.dumps(params):45} "
                    + " ".join(f"{k}={main_metric(task, v):.3f}" for k, v in res.items()))
        best = choose_winner(task, results[task])
        winners[task] = best
        log(f"  -> {task}: {best['data']} {best['params']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"results": results, "winners": winners},
                                                   indent=1), encoding="utf-8")
    lines = ["# Model selection on the real dev split", "",
             "`python eval/select_models.py` — every model trained on the real train split "
             "(plus weighted written and public data), scored on the **real dev split**; the "
             "written dev split beside it. Main metric in bold for the winner.", ""]
    for task, rows in results.items():
        lines += [f"## {task}", "", "| data | classifier | real dev | written dev |",
                  "|---|---|---|---|"]
        for r in rows:
            sc = r["scores"]
            real = sc.get("real") or sc.get("certainty_val")
            cells = [f"{main_metric(task, real):.3f}" + (f" (t={real['threshold']})"
                                                        if "threshold" in real else ""),
                     f"{main_metric(task, sc['written']):.3f}" if "written" in sc else "—"]
            mark = "**" if r is winners[task] else ""
            lines.append(f"| {mark}{r['data']}{mark} | {json.dumps(r['params'])} | "
                         f"{cells[0]} | {cells[1]} |")
        lines.append("")
    out.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    if args.write:
        write_winners(winners, nlp, args, train_model)
    return 0


WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)  # the transformer's share


def select_ensembles(nlp: Any, args: Any) -> int:
    """Each task's stored scikit-learn and transformer models alone and averaged (the
    transformer's weight in :data:`WEIGHTS`), scored on the real dev split; the best becomes
    the task's default (``sklearn``, ``transformer`` or ``ensemble`` with its weights)."""
    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.models import EnsembleFieldModel, load_field_model
    from kratom_nlp.training import data as D

    dev = {"real": D.real_rows(nlp, ("dev",), args.real_data_dir),
           "written": D.gold_rows(nlp, ("dev",))}
    manifest = store.read_manifest()
    report: dict[str, Any] = {}
    lines = ["# Ensembles on the real dev split", "",
             "`python eval/select_models.py --ensembles` — the stored scikit-learn and "
             "transformer model of each task, alone and averaged (w = the transformer's "
             "share), scored on the real dev split (written dev beside it).", ""]
    for task in ("claim", "evidence", "strength"):
        entry = manifest.get(task) or {}
        if not (isinstance(entry.get("sklearn"), str) and isinstance(entry.get("transformer"),
                                                                     str)):
            continue
        sk = load_field_model(store.models_dir() / entry["sklearn"], task=task)
        tf = load_field_model(store.models_dir() / entry["transformer"], task=task)
        rows_by = {k: D.task_rows(v, task) for k, v in dev.items()}
        outs = {k: (sk.predict([r.example for r in rows]), tf.predict([r.example for r in rows]))
                for k, rows in rows_by.items()}
        results = []
        for w in WEIGHTS:
            res = {}
            for k, rows in rows_by.items():
                a, b = outs[k]
                if w in (0.0, 1.0):
                    probs = a if w == 0 else b
                else:
                    ens = EnsembleFieldModel([(sk, 1 - w), (tf, w)])
                    probs = ens.combine([(sk.labels, 1 - w, a), (tf.labels, w, b)])
                res[k] = score(task, sk if w < 1 else tf, rows, probs)
            results.append({"w_transformer": w, "scores": res})
        best = max(results, key=lambda r: (round(main_metric(task, r["scores"]["real"]), 3),
                                           -abs(r["w_transformer"] - 0.5)))
        report[task] = {"results": results, "best": best}
        w = best["w_transformer"]
        if w == 0:
            store.set_default(task, "sklearn")
        elif w == 1:
            store.set_default(task, "transformer")
        else:
            store.set_default(task, "ensemble", ensemble={"sklearn": round(1 - w, 2),
                                                          "transformer": round(w, 2)})
        lines += [f"## {task}", "", "| w (transformer) | real dev | written dev |",
                  "|---|---|---|"]
        for r in results:
            mark = "**" if r is best else ""
            real, written = r["scores"]["real"], r["scores"]["written"]
            extra = f" (t={real['threshold']})" if "threshold" in real else ""
            lines.append(f"| {mark}{r['w_transformer']}{mark} | "
                         f"{main_metric(task, real):.3f}{extra} | "
                         f"{main_metric(task, written):.3f} |")
        lines.append("")
        log(f"{task}: best w={w} real={main_metric(task, best['scores']['real']):.3f}")
    out = Path(args.out + "_ensembles")
    out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


def write_winners(winners: dict[str, dict[str, Any]], nlp: Any, args: Any,
                  train_model: Any) -> None:
    """Train the winner of each task of ``--tasks`` into models/<task>-sklearn. It becomes the
    default unless the task's default is an ensemble or a transformer (chosen by
    ``--ensembles`` over the stored models; run that again to choose anew): ``--write-only``
    once retrained every task whatever ``--tasks`` said and made every scikit-learn model the
    default, which dropped the stored ensembles (real dev overclaim F1 0.484 -> 0.348)."""
    from kratom_nlp.backends.learned import store

    wanted = set(args.tasks.split(","))
    for task, best in winners.items():
        if task not in wanted:
            continue
        current = store.read_manifest().get(task, {}).get("default")
        keep = current in ("ensemble", "transformer")
        train_model(task, "sklearn", best["data"], data_dir=args.data_dir,
                    real_data_dir=args.real_data_dir, params=best["params"], nlp=nlp,
                    make_default=not keep, log=log,
                    command=f"python eval/select_models.py --write-only --tasks {task}  # "
                            f"--data {best['data']} {json.dumps(best['params'])}")
        log(f"wrote {task}-sklearn" + (f" (the default stays {current})" if keep
                                        else " and made it the default"))


if __name__ == "__main__":
    sys.exit(main())
