"""End-to-end evaluation of the analyzer on gold articles (the way users run it).

The pipeline reads each gold article's text; predicted claims are aligned to gold sentences by
character overlap; every field is then scored against the gold labels:

* claim detection: precision / recall / F1 over all sentences;
* evidence level, strength: macro-F1 and accuracy over sentences that both call claims;
* advice, overclaim: F1 over all sentences (a sentence predicted as non-claim counts as
  negative).

Usage: ``python eval/evaluate_pipeline.py [--split dev] [--corpus corpora/gold] [--config CFG]
[--json OUT] [--errors N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def align(article: dict[str, Any], analysis: dict[str, Any]) -> list[dict[str, Any] | None]:
    """For each gold sentence, the predicted claim overlapping it most (or None)."""
    out: list[dict[str, Any] | None] = []
    claims = analysis["claims"]
    for s in article["sentences"]:
        best, best_ov = None, 0
        for c in claims:
            ov = min(s["end"], c["end"]) - max(s["start"], c["start"])
            if ov > best_ov:
                best, best_ov = c, ov
        length = max(1, s["end"] - s["start"])
        out.append(best if best is not None and best_ov / length >= 0.5 else None)
    return out


def evaluate(articles: list[dict[str, Any]], nlp: Any) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    from kratom_nlp.outputs.contract import doc_to_analysis

    gold_claim, pred_claim = [], []
    ev_g, ev_p, st_g, st_p = [], [], [], []
    adv_g, adv_p, oc_g, oc_p = [], [], [], []
    rows = []
    t0 = time.perf_counter()
    n_words = 0
    for art, doc in zip(articles, nlp.pipe(a["text"] for a in articles), strict=True):
        n_words += len(doc)
        analysis = doc_to_analysis(doc, source=art["id"])
        for s, c in zip(art["sentences"], align(art, analysis), strict=True):
            gold_claim.append(s["claim"])
            pred_claim.append(c is not None)
            adv_g.append(s["advice"] and s["claim"])
            adv_p.append(bool(c and c["advice"]))
            oc_g.append(s["overclaim"])
            oc_p.append(bool(c and c["overclaim"]["flag"]))
            if s["claim"] and c is not None:
                ev_g.append(s["evidence"])
                ev_p.append(c["evidence"]["level"])
                st_g.append(s["strength"])
                st_p.append(c["strength"])
            rows.append({"article": art["id"], "text": s["text"], "gold": s, "pred": c})
    elapsed = time.perf_counter() - t0
    p, r, f, _ = precision_recall_fscore_support(gold_claim, pred_claim, average="binary",
                                                 zero_division=0)
    op, orr, of, _ = precision_recall_fscore_support(oc_g, oc_p, average="binary",
                                                     zero_division=0)
    metrics = {
        "sentences": len(gold_claim),
        "claim": {"precision": p, "recall": r, "f1": f},
        "evidence": {"macro_f1": f1_score(ev_g, ev_p, average="macro", zero_division=0),
                     "accuracy": accuracy_score(ev_g, ev_p), "n": len(ev_g)},
        "strength": {"macro_f1": f1_score(st_g, st_p, average="macro", zero_division=0),
                     "accuracy": accuracy_score(st_g, st_p), "n": len(st_g)},
        "advice": {"f1": f1_score(adv_g, adv_p, zero_division=0)},
        "overclaim": {"precision": op, "recall": orr, "f1": of},
        "words_per_second": n_words / elapsed if elapsed else 0.0,
        "confusion": {
            "evidence": Counter(f"{g}->{q}" for g, q in zip(ev_g, ev_p, strict=True) if g != q)
            .most_common(12),
            "strength": Counter(f"{g}->{q}" for g, q in zip(st_g, st_p, strict=True) if g != q)
            .most_common(8),
        },
    }
    return {"metrics": metrics, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", help="train, dev, test or all")
    ap.add_argument("--corpus", default=str(ROOT / "corpora" / "gold"))
    ap.add_argument("--config", default=None, help="pipeline config.cfg")
    ap.add_argument("--json", default=None, help="write metrics here")
    ap.add_argument("--errors", type=int, default=0, help="print N disagreements per field")
    args = ap.parse_args(argv)

    from kratom_nlp.corpora.gold import iter_articles
    from kratom_nlp.pipeline import load_pipeline

    splits = ["train", "dev", "test"] if args.split == "all" else [args.split]
    articles = [a for s in splits for a in iter_articles(Path(args.corpus) / f"{s}.jsonl")]
    nlp = load_pipeline(args.config)
    result = evaluate(articles, nlp)
    m = result["metrics"]
    print(f"split={args.split} articles={len(articles)} sentences={m['sentences']}")
    print(f"claim      P={m['claim']['precision']:.3f} R={m['claim']['recall']:.3f} "
          f"F1={m['claim']['f1']:.3f}")
    print(f"evidence   macro-F1={m['evidence']['macro_f1']:.3f} "
          f"acc={m['evidence']['accuracy']:.3f} (n={m['evidence']['n']})")
    print(f"strength   macro-F1={m['strength']['macro_f1']:.3f} "
          f"acc={m['strength']['accuracy']:.3f} (n={m['strength']['n']})")
    print(f"advice     F1={m['advice']['f1']:.3f}")
    print(f"overclaim  P={m['overclaim']['precision']:.3f} R={m['overclaim']['recall']:.3f} "
          f"F1={m['overclaim']['f1']:.3f}")
    print(f"speed      {m['words_per_second']:.0f} words/s")
    print("evidence errors:", m["confusion"]["evidence"])
    print("strength errors:", m["confusion"]["strength"])
    if args.errors:
        shown: Counter[str] = Counter()
        for row in result["rows"]:
            g, c = row["gold"], row["pred"]
            kinds = []
            if g["claim"] != (c is not None):
                kinds.append("claim_fn" if g["claim"] else "claim_fp")
            if c is not None and g["claim"] and g["evidence"] != c["evidence"]["level"]:
                kinds.append(f"ev {g['evidence']}->{c['evidence']['level']}")
            if (g["advice"] and g["claim"]) != bool(c and c["advice"]):
                kinds.append("adv_fn" if g["advice"] else f"adv_fp[{c['advice_kind']}]")
            if c is not None and g["claim"] and g["strength"] != c["strength"]:
                kinds.append(f"str {g['strength']}->{c['strength']}")
            if g["overclaim"] != bool(c and c["overclaim"]["flag"]):
                kinds.append("oc_fn" if g["overclaim"] else
                             f"oc_fp[{c['overclaim']['rule']}]")
            for k in kinds:
                key = k.split()[0]
                if shown[key] < args.errors:
                    shown[key] += 1
                    print(f"  [{k}] {row['text'][:150]}")
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
