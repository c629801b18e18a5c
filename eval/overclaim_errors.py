"""Where the overclaim errors come from, on a real split: the rules or the fields they read.

Two measurements on the same articles:

1. **The rules on the gold fields.** ``OverclaimEngine`` applied to each gold claim's labelled
   type, strength, evidence level and advice (advice on an ``advice``-type claim counts as
   promotional, other advice as cautionary; a human outcome is assumed, as the labels do not
   mark it). Its F1 against the gold overclaim flags says how far the rules themselves agree
   with the annotators.
2. **The pipeline's errors, attributed.** Every sentence where the pipeline's overclaim flag
   differs from the gold one, put in one bucket: not detected as a claim (a missed overclaim),
   flagged on a sentence that is not a gold claim, or the fields that differ from the gold
   ones (type, strength, evidence, advice).

    python eval/overclaim_errors.py --split dev
    python eval/overclaim_errors.py --split dev --json eval/results/overclaim_errors_dev.json

Only counts are written (never article text). The test split is for reporting only: choose
nothing on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate_pipeline import evaluate, load_articles  # noqa: E402


def prf(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    return {"precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
            "gold": sum(gold), "predicted": sum(pred)}


def rules_on_gold(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """The overclaim rules applied to the gold fields of every gold claim."""
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()
    gold, pred = [], []
    for art in articles:
        for s in art["sentences"]:
            if not s["claim"]:
                continue
            ctype = s["claim_type"] or "efficacy"
            kind = ("promotional" if ctype == "advice" else "cautionary") if s["advice"] else None
            facts = ClaimFacts(claim_type=ctype, strength=s["strength"], level=s["evidence"],
                               advice=s["advice"], advice_kind=kind,
                               benefit=ctype in ("efficacy", "safety", "advice"))
            gold.append(bool(s["overclaim"]))
            pred.append(engine.decide(facts).flag)
    return prf(gold, pred)


def attribute(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Buckets of the sentences whose predicted overclaim flag differs from the gold one."""
    buckets: Counter[str] = Counter()
    for row in rows:
        g, p = row["gold"], row["pred"]
        gold_flag, pred_flag = bool(g["overclaim"]), bool(p and p["overclaim"]["flag"])
        if gold_flag == pred_flag:
            continue
        side = "missed" if gold_flag else "false flag"
        if p is None:
            buckets[f"{side}: not detected as a claim"] += 1
        elif not g["claim"]:
            buckets[f"{side}: not a gold claim"] += 1
        else:
            diffs = [name for name, a, b in (
                ("type", g["claim_type"], p["claim_type"]),
                ("strength", g["strength"], p["strength"]),
                ("evidence", g["evidence"], p["evidence"]["level"]),
                ("advice", g["advice"], p["advice"])) if a != b]
            buckets[f"{side}: " + (" + ".join(diffs) + " differ" if diffs
                                   else "same fields")] += 1
    return dict(buckets.most_common())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", help="train, dev or test (real corpus)")
    ap.add_argument("--data-dir", default=None, help="FakeHealth real_news folder")
    ap.add_argument("--config", default=None, help="pipeline config.cfg")
    ap.add_argument("--json", default=None, help="write the counts here")
    args = ap.parse_args(argv)

    from kratom_nlp.pipeline import build_pipeline

    articles = load_articles("real", [args.split], data_dir=args.data_dir)
    oracle = rules_on_gold(articles)
    result = evaluate(articles, build_pipeline(args.config))
    pipeline = result["metrics"]["overclaim"]
    buckets = attribute(result["rows"])
    print(f"real {args.split}: {len(articles)} articles")
    print(f"rules on the gold fields: P={oracle['precision']:.3f} R={oracle['recall']:.3f} "
          f"F1={oracle['f1']:.3f} (gold overclaims {oracle['gold']})")
    print(f"pipeline:                 P={pipeline['precision']:.3f} "
          f"R={pipeline['recall']:.3f} F1={pipeline['f1']:.3f}")
    for name, n in buckets.items():
        print(f"  {n:4d}  {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"split": args.split, "articles": len(articles), "rules_on_gold_fields": oracle,
             "pipeline": pipeline, "errors": buckets}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
