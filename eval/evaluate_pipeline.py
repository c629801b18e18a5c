"""End-to-end evaluation of the analyzer on gold articles, the way users run it.

The pipeline reads each gold article's text the way ``kratom-nlp analyze`` does
(:func:`kratom_nlp.api.analyze_many`: normalised view, long texts in pieces); predicted claims
are aligned to gold sentences by character overlap; every field is then scored against the gold
labels:

* claim detection: precision / recall / F1 over all sentences;
* evidence level: accuracy and macro-F1 over the sentences both sides call claims;
* strength: macro-F1 and accuracy over the same sentences;
* advice, overclaim: F1 over all sentences (a sentence predicted as non-claim counts as
  negative).

Two gold corpora: ``real`` (articles written by others, stand-off in ``corpora/real``; texts
read from the FakeHealth files, ``--data-dir``) and ``written`` (the project's own,
``corpora/gold``). Headline figures are the real ones; the written corpus is a supplement.

    python eval/evaluate_pipeline.py --corpus real --corpus written --split test
    python eval/evaluate_pipeline.py --corpus real --split dev --config my.cfg --errors 5
    python eval/evaluate_pipeline.py --split test --json eval/results/pipeline_test.json
    python eval/evaluate_pipeline.py --corpus real --split test --bootstrap 1000

``--bootstrap N`` adds 95% intervals of the headline figures over N resamples of the articles
(the table shows them in brackets). ``--against-config CFG`` or ``--against-backend NAME`` runs
a second pipeline over the same articles and gives, per figure, the difference, its interval
over the same resamples and the share of resamples in which it is ahead: how a default is
chosen on a dev split of 18 articles without mistaking noise for a gain. It also counts the
items behind the figures (``paired.shared`` in the JSON): the gold claims and non-claims one
pipeline finds and the other does not, and, over the gold claims both find, the evidence levels,
strengths and study links one gets right and the other wrong; a figure over matched claims can
fall because the claims found changed while no shared claim got worse.

    python eval/evaluate_pipeline.py --corpus real --split dev --bootstrap 1000 \
        --against-backend rules

With ``--json`` the metrics (never any article text) are written per corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

CORPORA = ("real", "written")


def align(article: dict[str, Any], analysis: dict[str, Any]) -> list[dict[str, Any] | None]:
    """For each gold sentence, the predicted claim overlapping it most (or None)."""
    out: list[dict[str, Any] | None] = []
    claims = sorted(analysis["claims"], key=lambda c: c["start"])
    starts = [c["start"] for c in claims]
    import bisect

    for s in article["sentences"]:
        best, best_ov = None, 0
        i = max(0, bisect.bisect_right(starts, s["start"]) - 2)
        while i < len(claims) and claims[i]["start"] < s["end"]:
            c = claims[i]
            ov = min(s["end"], c["end"]) - max(s["start"], c["start"])
            if ov > best_ov:
                best, best_ov = c, ov
            i += 1
        length = max(1, s["end"] - s["start"])
        out.append(best if best is not None and best_ov / length >= 0.5 else None)
    return out


def load_articles(corpus: str, splits: list[str], *, corpus_dir: str | None = None,
                  data_dir: str | None = None) -> list[dict[str, Any]]:
    """Gold articles (text + labelled sentences) of a corpus's splits."""
    if corpus == "real":
        from kratom_nlp.corpora.real import load

        return [a for s in splits for a in load(s, data_dir=data_dir, root=corpus_dir)]
    from kratom_nlp.corpora.gold import iter_articles
    from kratom_nlp.paths import corpora_dir

    gold = Path(corpus_dir) if corpus_dir else corpora_dir() / "gold"
    # the written corpus has no annotation rounds: "dev@1" reads its dev split
    return [a for s in splits for a in iter_articles(gold / f"{s.partition('@')[0]}.jsonl")]


def evaluate(articles: list[dict[str, Any]], nlp: Any, batch_size: int = 16) -> dict[str, Any]:
    """Run the pipeline over ``articles`` and score it (:func:`score`)."""
    from kratom_nlp.api import analyze_many
    from kratom_nlp.ingest import read_text

    analyses = []
    t0 = time.perf_counter()
    docs = (read_text(a["text"], source=a["id"]) for a in articles)
    for analysis in analyze_many(docs, nlp, batch_size=batch_size):
        analyses.append(analysis)
    elapsed = time.perf_counter() - t0
    if len(analyses) != len(articles):
        raise RuntimeError(f"{len(articles)} articles but {len(analyses)} analyses")
    metrics, rows = score(articles, analyses)
    n_words = sum(len(a["text"].split()) for a in articles)
    metrics["words_per_second"] = n_words / elapsed if elapsed else 0.0
    return {"metrics": metrics, "rows": rows, "analyses": analyses}


def score(articles: list[dict[str, Any]], analyses: list[dict[str, Any]]
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The metrics of analyses against their gold articles, and one row per gold sentence."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    gold_claim, pred_claim = [], []
    ev_g, ev_p, st_g, st_p = [], [], [], []
    adv_g, adv_p, oc_g, oc_p = [], [], [], []
    rows = []
    for art, analysis in zip(articles, analyses, strict=True):
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
    p, r, f, _ = precision_recall_fscore_support(gold_claim, pred_claim, average="binary",
                                                 zero_division=0)
    op, orr, of, _ = precision_recall_fscore_support(oc_g, oc_p, average="binary",
                                                     zero_division=0)
    ap_, ar, af, _ = precision_recall_fscore_support(adv_g, adv_p, average="binary",
                                                     zero_division=0)
    metrics = {
        "articles": len(articles),
        "sentences": len(gold_claim),
        "gold_claims": int(sum(gold_claim)),
        "claim": {"precision": p, "recall": r, "f1": f},
        "evidence": {"accuracy": accuracy_score(ev_g, ev_p) if ev_g else 0.0,
                     "macro_f1": f1_score(ev_g, ev_p, average="macro", zero_division=0)
                     if ev_g else 0.0, "n": len(ev_g)},
        "strength": {"macro_f1": f1_score(st_g, st_p, average="macro", zero_division=0)
                     if st_g else 0.0,
                     "accuracy": accuracy_score(st_g, st_p) if st_g else 0.0, "n": len(st_g)},
        "advice": {"precision": ap_, "recall": ar, "f1": af},
        "overclaim": {"precision": op, "recall": orr, "f1": of},
        "confusion": {
            "evidence": Counter(f"{g}->{q}" for g, q in zip(ev_g, ev_p, strict=True) if g != q)
            .most_common(12),
            "strength": Counter(f"{g}->{q}" for g, q in zip(st_g, st_p, strict=True) if g != q)
            .most_common(8),
        },
    }
    if any("studies" in a for a in articles):
        metrics["studies"] = study_metrics(articles, analyses)
    return metrics, rows


HEADLINE = (("claim F1", ("claim", "f1")), ("evidence accuracy", ("evidence", "accuracy")),
            ("evidence macro-F1", ("evidence", "macro_f1")),
            ("strength macro-F1", ("strength", "macro_f1")), ("advice F1", ("advice", "f1")),
            ("overclaim F1", ("overclaim", "f1")))
#: the figures the bootstrap gives intervals for: the headline ones and the study figures
INTERVALS = HEADLINE + (("studies precision", ("studies", "precision")),
                        ("studies recall", ("studies", "recall")),
                        ("design accuracy", ("studies", "design_accuracy")),
                        ("resolution accuracy", ("studies", "resolution_accuracy")))


def _ci95(values: list[float]) -> list[float]:
    """The 2.5th and 97.5th percentiles, rounded."""
    import numpy as np

    return [round(float(np.percentile(values, 2.5)), 3),
            round(float(np.percentile(values, 97.5)), 3)]


def _defined(m: dict[str, Any], a: str, b: str) -> bool:
    """Whether a figure has a denominator in this sample (a resample may hold no claim the
    pipeline found, or no matched study): such a draw is left out of that figure's interval."""
    if a in ("evidence", "strength"):
        return m[a]["n"] > 0
    if a == "studies":
        return {"precision": m[a]["predicted"], "recall": m[a]["gold"],
                "design_accuracy": m[a]["matched"],
                "resolution_accuracy": m[a]["resolution_n"]}.get(b, 1) > 0
    return True


def bootstrap(articles: list[dict[str, Any]], analyses: list[dict[str, Any]], n: int,
              seed: int = 0) -> dict[str, Any]:
    """95% percentile intervals of the headline figures over ``n`` resamples of the articles
    (with replacement): the sentences of one article are not independent, so the article is
    the unit a new sample of real text would change."""
    import numpy as np

    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {label: [] for label, _ in INTERVALS}
    for _ in range(n):
        pick = rng.integers(0, len(articles), len(articles))
        m, _ = score([articles[i] for i in pick], [analyses[i] for i in pick])
        for label, (a, b) in INTERVALS:
            if a in m and _defined(m, a, b):
                draws[label].append(float(m[a][b]))
    return {"resamples": n, "seed": seed, "unit": "article",
            "ci95": {label: _ci95(v) for label, v in draws.items() if v}}


def match_studies(article: dict[str, Any], analysis: dict[str, Any]) -> dict[str, str]:
    """Gold study id → predicted study id: a predicted study matches a gold one when one of
    its mentions overlaps the gold description, or lies in the gold description's sentence;
    one-to-one, largest overlap first."""
    sents = article["sentences"]

    def sentence_of(offset: int) -> int | None:
        return next((i for i, s in enumerate(sents) if s["start"] <= offset < s["end"]), None)

    pairs = []
    for g in article.get("studies", []):
        for p in analysis.get("studies", []):
            mentions = p.get("mentions") or [[p["start"], p["end"]]]
            overlap = max(min(g["end"], b) - max(g["start"], a) for a, b in mentions)
            same = any(sentence_of(a) == g["sentence"] for a, _ in mentions)
            if overlap > 0 or same:
                pairs.append((overlap > 0, overlap, g["id"], p["id"]))
    out: dict[str, str] = {}
    used: set[str] = set()
    for _, _, gid, pid in sorted(pairs, reverse=True):
        if gid not in out and pid not in used:
            out[gid] = pid
            used.add(pid)
    return out


def _resolved(claim: dict[str, Any], gold: dict[str, Any], match: dict[str, str]) -> bool:
    """Whether a predicted claim rests on the predicted study matched to its gold study."""
    study = claim["evidence"].get("study")
    return study is not None and study == match.get(gold["study"])


def study_metrics(articles: list[dict[str, Any]], analyses: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    """Study-mention detection, design / population / size of the matched studies, and
    reference resolution: for gold claims that rest on a study and that the pipeline finds,
    is ``evidence.study`` that study?"""
    tp = n_gold = n_pred = 0
    design = pop = size = size_n = 0
    resolved = res_n = 0
    for art, an in zip(articles, analyses, strict=True):
        if "studies" not in art:
            continue
        match = match_studies(art, an)
        n_gold += len(art["studies"])
        n_pred += len(an.get("studies", []))
        tp += len(match)
        pred = {p["id"]: p for p in an.get("studies", [])}
        for g in art["studies"]:
            if g["id"] in match:
                p = pred[match[g["id"]]]
                design += p["design"] == g["design"]
                pop += p["population"] == g["population"]
                if g.get("n") is not None:
                    size_n += 1
                    size += p.get("n") == g["n"]
        for s, c in zip(art["sentences"], align(art, an), strict=True):
            if s["claim"] and s.get("study") and c is not None:
                res_n += 1
                resolved += _resolved(c, s, match)
    return {"gold": n_gold, "predicted": n_pred, "matched": tp,
            "precision": tp / n_pred if n_pred else 0.0, "recall": tp / n_gold if n_gold else 0.0,
            "design_accuracy": design / tp if tp else 0.0,
            "population_accuracy": pop / tp if tp else 0.0,
            "n_accuracy": size / size_n if size_n else 0.0,
            "resolution_accuracy": resolved / res_n if res_n else 0.0, "resolution_n": res_n}


def shared_claims(articles: list[dict[str, Any]], base: list[dict[str, Any]],
                  other: list[dict[str, Any]]) -> dict[str, Any]:
    """Two pipelines' analyses item by item: the gold claims and non-claims one finds and the
    other does not, and, over the gold claims both find, how many have the right evidence
    level, strength and (for claims on a study) study in each, with the items one got right
    and the other wrong. Figures over matched claims (evidence accuracy, strength, reference
    resolution) change with the set of claims found; these counts show whether any claim
    both find got worse (the decision rule's items)."""
    fields = ("evidence", "strength", "resolution")
    out: dict[str, Any] = {"gold_claims_found": {"gained": 0, "lost": 0},
                           "non_claims_found": {"gained": 0, "lost": 0}, "shared_claims": 0}
    for f in fields:
        out[f] = {"n": 0, "base": 0, "other": 0, "fixed": 0, "broken": 0}
    for art, a, b in zip(articles, base, other, strict=True):
        match_a, match_b = match_studies(art, a), match_studies(art, b)
        for s, ca, cb in zip(art["sentences"], align(art, a), align(art, b), strict=True):
            if (ca is None) != (cb is None):
                key = "gold_claims_found" if s["claim"] else "non_claims_found"
                out[key]["gained" if cb is not None else "lost"] += 1
            if not (s["claim"] and ca is not None and cb is not None):
                continue
            out["shared_claims"] += 1
            right = {"evidence": (ca["evidence"]["level"] == s["evidence"],
                                  cb["evidence"]["level"] == s["evidence"]),
                     "strength": (ca["strength"] == s["strength"],
                                  cb["strength"] == s["strength"])}
            if s.get("study"):
                right["resolution"] = (_resolved(ca, s, match_a), _resolved(cb, s, match_b))
            for f, (ok_a, ok_b) in right.items():
                d = out[f]
                d["n"] += 1
                d["base"] += ok_a
                d["other"] += ok_b
                d["fixed"] += ok_b and not ok_a
                d["broken"] += ok_a and not ok_b
    return out


def paired_bootstrap(articles: list[dict[str, Any]], base: list[dict[str, Any]],
                     other: list[dict[str, Any]], n: int, seed: int = 0) -> dict[str, Any]:
    """Two pipelines' analyses of the same articles, compared on the same resamples: for each
    headline figure the difference (``other`` − ``base``), its 95% interval, and the share of
    resamples in which ``other`` is ahead. A difference whose interval holds 0 is not a
    measured improvement."""
    import numpy as np

    rng = np.random.default_rng(seed)
    point_a, _ = score(articles, base)
    point_b, _ = score(articles, other)
    diffs: dict[str, list[float]] = {label: [] for label, _ in INTERVALS}
    for _ in range(n):
        pick = rng.integers(0, len(articles), len(articles))
        arts = [articles[i] for i in pick]
        ma, _ = score(arts, [base[i] for i in pick])
        mb, _ = score(arts, [other[i] for i in pick])
        for label, (a, b) in INTERVALS:
            if a in ma and _defined(ma, a, b) and _defined(mb, a, b):
                diffs[label].append(float(mb[a][b]) - float(ma[a][b]))
    out: dict[str, Any] = {}
    for label, (a, b) in INTERVALS:
        v = diffs[label]
        if not v or a not in point_a:
            continue
        out[label] = {"base": round(float(point_a[a][b]), 3),
                      "other": round(float(point_b[a][b]), 3),
                      "diff": round(float(point_b[a][b]) - float(point_a[a][b]), 3),
                      "ci95": _ci95(v),
                      "p_ahead": round(float(np.mean(np.asarray(v) > 0)), 3)}
    return {"resamples": n, "seed": seed, "unit": "article", "figures": out}


def c3_scores(split: str, nlp: Any, data_dir: str | None = None, corpus_dir: str | None = None
              ) -> tuple[list[str], list[int], list[float], list[float], set[str]]:
    """The releases of the split's pool with a C3 verdict (annotated or not; ``split`` may
    name several splits, "train,dev": their pools together), their verdicts (1 satisfactory),
    the pipeline's ``support_score`` and ``overclaim_rate`` for each, and the annotated train
    articles (whose labels the learned models are fitted on)."""
    from kratom_nlp.api import analyze_many
    from kratom_nlp.corpora.real import RealCorpus, read_pool, real_root
    from kratom_nlp.ingest import read_text

    pool = read_pool(data_dir)
    corpus = RealCorpus(Path(corpus_dir) if corpus_dir else real_root())
    ids = [i for name in split.split(",") for i in corpus.splits[name]["pool"]
           if pool.get(i, {}).get("criteria", {}).get("C3") in ("Satisfactory",
                                                                "Not Satisfactory")]
    docs = (read_text(pool[i]["text"], source=i) for i in ids)
    y, support, rate = [], [], []
    for i, an in zip(ids, analyze_many(docs, nlp), strict=True):
        y.append(int(pool[i]["criteria"]["C3"] == "Satisfactory"))
        support.append(an["summary"]["support_score"])
        rate.append(an["summary"]["overclaim_rate"])
    return ids, y, support, rate, set(corpus.splits.get("train", {}).get("annotated", []))


def c3_auc(split: str, nlp: Any, data_dir: str | None = None,
           corpus_dir: str | None = None, resamples: int = 0) -> dict[str, Any]:
    """AUC of the article scores against the reviewers' criterion C3 ("does it grasp the
    quality of the evidence?", Satisfactory = 1) over every press release of the split's pool
    (:func:`c3_scores`): ``support_score`` should be higher, ``overclaim_rate`` lower, for the
    satisfactory ones; with several splits, also over the releases outside the annotated train
    split (:func:`c3_figures`)."""
    ids, y, support, rate, fitted = c3_scores(split, nlp, data_dir, corpus_dir)
    return c3_figures(ids, y, support, rate, fitted, resamples)


def paired_auc_ci(y: Any, base: Any, other: Any, n: int, seed: int = 0) -> list[float]:
    """The 95% interval of AUC(other) − AUC(base) over ``n`` resamples of the releases, both
    scored on the same draws (a draw with one class only has no AUC and is left out)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    ya, a, b = np.asarray(y), np.asarray(base), np.asarray(other)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n):
        pick = rng.integers(0, len(ya), len(ya))
        if len(set(ya[pick].tolist())) == 2:
            diffs.append(roc_auc_score(ya[pick], b[pick]) - roc_auc_score(ya[pick], a[pick]))
    return _ci95(diffs)


def c3_paired(ids: list[str], y: list[int], base: tuple[list[float], list[float]],
              other: tuple[list[float], list[float]], fitted: set[str], resamples: int = 0,
              seed: int = 0) -> dict[str, Any]:
    """Two pipelines' C3 AUCs on the same releases (``base`` and ``other``: support scores
    and overclaim rates per release), over all of them and over those outside ``fitted``:
    each AUC's two values, the paired 95% interval of other − base over ``resamples`` draws,
    and ``one_release``: the highest AUC the other pipeline reaches when a single release gets
    its base scores back. ``within_one_release`` is true when the AUC does not fall or one
    release restores it: the C3 half of the README's decision rule."""
    from sklearn.metrics import roc_auc_score

    def auc(keep: list[int], scores: list[float], sign: int) -> float:
        return float(roc_auc_score([y[k] for k in keep], [sign * scores[k] for k in keep]))

    out: dict[str, Any] = {}
    groups = {"pools": list(range(len(ids))),
              "unfitted": [k for k, i in enumerate(ids) if i not in fitted]}
    for group, keep in groups.items():
        if len({y[k] for k in keep}) < 2 or (group == "unfitted" and len(keep) == len(ids)):
            continue
        res: dict[str, Any] = {"releases": len(keep)}
        for name, col, sign in (("auc_support_score", 0, 1), ("auc_overclaim_rate", 1, -1)):
            a, b = auc(keep, base[col], sign), auc(keep, other[col], sign)
            restored = []
            for k in keep:
                back = list(other[col])
                back[k] = base[col][k]
                restored.append(auc(keep, back, sign))
            d: dict[str, Any] = {"base": round(a, 3), "other": round(b, 3),
                                 "diff": round(b - a, 3), "one_release": round(max(restored), 3),
                                 "within_one_release": bool(b >= a or max(restored) >= a)}
            if resamples:
                d["ci95"] = paired_auc_ci([y[k] for k in keep],
                                          [sign * base[col][k] for k in keep],
                                          [sign * other[col][k] for k in keep], resamples, seed)
            res[name] = d
        out[group] = res
    return out


def c3_figures(ids: list[str], y: list[int], support: list[float], rate: list[float],
               fitted: set[str], resamples: int = 0) -> dict[str, Any]:
    """The two C3 AUCs of releases ``ids`` (verdicts ``y``: 1 satisfactory), with intervals
    over ``resamples`` resamples; and, when some of the releases are in ``fitted`` (the
    annotated train articles, whose labels the learned models are trained on or would be when
    retrained), the same over
    the others under ``"unfitted"``. Labels can agree or disagree with the reviewers, so over
    fitted releases the AUC measures the labels as much as the pipeline."""
    from sklearn.metrics import roc_auc_score

    def aucs(keep: list[int]) -> dict[str, Any]:
        ys = [y[k] for k in keep]
        sup, neg = [support[k] for k in keep], [-rate[k] for k in keep]
        ok = len(set(ys)) == 2
        res: dict[str, Any] = {
            "articles": len(keep), "satisfactory": sum(ys),
            "auc_support_score": roc_auc_score(ys, sup) if ok else None,
            "auc_overclaim_rate": roc_auc_score(ys, neg) if ok else None}
        if resamples and ok:
            res["bootstrap"] = auc_intervals(ys, sup, neg, resamples)
        return res

    out = aucs(list(range(len(ids))))
    unfitted = [k for k, i in enumerate(ids) if i not in fitted]
    if len(unfitted) < len(ids):
        out["unfitted"] = aucs(unfitted)
    return out


def c3_gold(articles: list[dict[str, Any]], analyses: list[dict[str, Any]],
            resamples: int = 0, seed: int = 0) -> dict[str, Any] | None:
    """The C3 AUCs of the article summary computed from the gold labels (every gold claim
    with its gold evidence and overclaim flag, :func:`summarize`) and from the pipeline, over
    the annotated releases that carry a verdict; with ``resamples``, the paired interval of
    pipeline − gold. What the labels themselves reach tells how far C3 can judge the labels: a
    pipeline that agreed with them exactly would score the gold AUC."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from kratom_nlp.grading.summary import summarize

    y, gold, pred = [], [], []
    for art, an in zip(articles, analyses, strict=True):
        verdict = (art.get("criteria") or {}).get("C3")
        if verdict not in ("Satisfactory", "Not Satisfactory"):
            continue
        s = summarize({"evidence": {"level": u["evidence"]}, "strength": u["strength"],
                       "overclaim": {"flag": bool(u["overclaim"])}, "advice": bool(u["advice"])}
                      for u in art["sentences"] if u["claim"])
        y.append(int(verdict == "Satisfactory"))
        gold.append((s["support_score"], -s["overclaim_rate"]))
        pred.append((an["summary"]["support_score"], -an["summary"]["overclaim_rate"]))
    if len(set(y)) < 2:
        return None
    ya, ga, pa = np.asarray(y), np.asarray(gold), np.asarray(pred)
    out: dict[str, Any] = {"articles": len(y), "satisfactory": int(ya.sum())}
    for k, name in enumerate(("auc_support_score", "auc_overclaim_rate")):
        out[name] = {"gold": roc_auc_score(ya, ga[:, k]), "pipeline": roc_auc_score(ya, pa[:, k])}
    if resamples:
        for k, name in enumerate(("auc_support_score", "auc_overclaim_rate")):
            out[name]["pipeline_minus_gold_ci95"] = paired_auc_ci(ya, ga[:, k], pa[:, k],
                                                                  resamples, seed)
    return out


def auc_intervals(y: list[int], support: list[float], neg_rate: list[float], n: int,
                  seed: int = 0) -> dict[str, Any]:
    """95% percentile intervals of the two C3 AUCs over ``n`` resamples of the releases (a
    resample with one class only has no AUC and is left out)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    ya, sa, ra = np.asarray(y), np.asarray(support), np.asarray(neg_rate)
    draws: dict[str, list[float]] = {"auc_support_score": [], "auc_overclaim_rate": []}
    for _ in range(n):
        pick = rng.integers(0, len(ya), len(ya))
        if len(set(ya[pick].tolist())) < 2:
            continue
        draws["auc_support_score"].append(roc_auc_score(ya[pick], sa[pick]))
        draws["auc_overclaim_rate"].append(roc_auc_score(ya[pick], ra[pick]))
    return {"resamples": n, "seed": seed, "unit": "release",
            "kept": len(draws["auc_support_score"]),
            "ci95": {k: _ci95(v) for k, v in draws.items()}}


def print_c3_gold(g: dict[str, Any]) -> None:
    print(f"  C3 gold    {g['articles']} annotated releases, {g['satisfactory']} satisfactory:")
    for name in ("auc_support_score", "auc_overclaim_rate"):
        d = g[name]
        ci = d.get("pipeline_minus_gold_ci95")
        print(f"    {name[4:]:<15} gold labels {d['gold']:.3f}  pipeline {d['pipeline']:.3f}"
              + (f"  (pipeline − gold {ci[0]:+.3f} to {ci[1]:+.3f})" if ci else ""))


def table(results: dict[str, dict[str, Any]]) -> str:
    """The headline figures, one column per corpus."""
    names = list(results)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def cell(m: dict[str, Any], label: str, a: str, b: str) -> str:
        ci = m.get("bootstrap", {}).get("ci95", {}).get(label)
        return f"{m[a][b]:.3f}" + (f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "")

    for label, (a, b) in HEADLINE:
        lines.append(f"| {label} | " + " | ".join(cell(results[n], label, a, b) for n in names)
                     + " |")
    lines.append("| articles / sentences | " + " | ".join(
        f"{results[n]['articles']} / {results[n]['sentences']}" for n in names) + " |")
    return "\n".join(lines)


def print_errors(rows: list[dict[str, Any]], n: int) -> None:
    shown: Counter[str] = Counter()
    for row in rows:
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
            kinds.append("oc_fn" if g["overclaim"] else f"oc_fp[{c['overclaim']['rule']}]")
        for k in kinds:
            key = k.split()[0]
            if shown[key] < n:
                shown[key] += 1
                print(f"  [{k}] {row['text'][:150]}")


def backend_overrides(backend: str | None) -> dict[str, Any]:
    """Config overrides that give the claim, evidence and strength components one backend."""
    if backend is None:
        return {}
    from kratom_nlp.registry import backend_ref

    pipes = {"claim": "kratom_claims", "evidence": "kratom_evidence",
             "strength": "kratom_strength"}
    return {f"components.{p}.backend": {"@kratom_backends": backend_ref(backend), "task": t}
            for t, p in pipes.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", action="append", choices=CORPORA,
                    help="real and/or written (repeatable; default: both, real first)")
    ap.add_argument("--split", default="dev",
                    help="train, dev, test or all; for the real corpus also one annotation "
                         "round of a split: dev@0 (the first selection), dev@1 (its first "
                         "extension), …; several joined by commas are read as one set "
                         "(train@2,train@3: the rounds a model was not trained on)")
    ap.add_argument("--corpus-dir", default=None,
                    help="folder of one corpus (default corpora/real or corpora/gold)")
    ap.add_argument("--data-dir", default=None,
                    help="FakeHealth real_news folder (default ../shared/data/real_news or "
                         "$KRATOM_NLP_REAL_NEWS)")
    ap.add_argument("--config", default=None, help="pipeline config.cfg")
    ap.add_argument("--backend", default=None,
                    help="one registered backend for the claim, evidence and strength "
                         "components (e.g. rules); default: the config's")
    ap.add_argument("--json", default=None, help="write the metrics here")
    ap.add_argument("--errors", type=int, default=0, help="print N disagreements per field")
    ap.add_argument("--bootstrap", type=int, default=0, metavar="N",
                    help="also 95%% intervals of the headline figures over N resamples of the "
                         "articles (1,000 is usual)")
    ap.add_argument("--against-config", default=None, metavar="CFG",
                    help="also run this config over the same articles and compare it with the "
                         "main one on the same resamples (needs --bootstrap); with --c3-pools, "
                         "also their C3 AUCs, and whether one release restores a fall")
    ap.add_argument("--against-backend", default=None, metavar="NAME",
                    help="as --against-config, with one backend for the claim, evidence and "
                         "strength components (e.g. rules)")
    ap.add_argument("--c3", action="store_true",
                    help="also the AUC of the article scores against the reviewers' C3 over the "
                         "split's press-release pool")
    ap.add_argument("--c3-pools", default=None, metavar="SPLITS",
                    help="also that AUC over the pools of these splits together (e.g. "
                         "train,dev: 101 releases, where dev alone has 27; no verdict is "
                         "used in training), and over those of them outside the annotated "
                         "train split, whose labels no model was trained on")
    ap.add_argument("--c3-gold", action="store_true",
                    help="also the C3 AUCs of the summary computed from the gold labels of the "
                         "split's annotated releases, beside the pipeline's on the same releases "
                         "(with --bootstrap, the paired interval of the difference)")
    args = ap.parse_args(argv)

    from kratom_nlp.pipeline import build_pipeline

    corpora = args.corpus or list(CORPORA)
    # "train@2,train@3": several splits or annotation rounds read as one set of articles
    splits = ["train", "dev", "test"] if args.split == "all" else args.split.split(",")
    nlp = build_pipeline(args.config, backend_overrides(args.backend))
    other_nlp = None
    if args.against_config or args.against_backend:
        if not args.bootstrap:
            ap.error("--against-config / --against-backend compare on resamples: add "
                     "--bootstrap N")
        other_nlp = build_pipeline(args.against_config, backend_overrides(args.against_backend))
    results: dict[str, dict[str, Any]] = {}
    for corpus in corpora:
        articles = load_articles(corpus, splits, corpus_dir=args.corpus_dir,
                                 data_dir=args.data_dir)
        result = evaluate(articles, nlp)
        m = results[corpus] = result["metrics"]
        print(f"corpus={corpus} split={args.split} articles={m['articles']} "
              f"sentences={m['sentences']} gold claims={m['gold_claims']}")
        print(f"  claim      P={m['claim']['precision']:.3f} R={m['claim']['recall']:.3f} "
              f"F1={m['claim']['f1']:.3f}")
        print(f"  evidence   acc={m['evidence']['accuracy']:.3f} "
              f"macro-F1={m['evidence']['macro_f1']:.3f} (n={m['evidence']['n']})")
        print(f"  strength   macro-F1={m['strength']['macro_f1']:.3f} "
              f"acc={m['strength']['accuracy']:.3f} (n={m['strength']['n']})")
        print(f"  advice     P={m['advice']['precision']:.3f} R={m['advice']['recall']:.3f} "
              f"F1={m['advice']['f1']:.3f}")
        print(f"  overclaim  P={m['overclaim']['precision']:.3f} "
              f"R={m['overclaim']['recall']:.3f} F1={m['overclaim']['f1']:.3f}")
        print(f"  speed      {m['words_per_second']:.0f} words/s")
        if "studies" in m:
            st = m["studies"]
            print(f"  studies    P={st['precision']:.3f} R={st['recall']:.3f} "
                  f"design={st['design_accuracy']:.3f} population="
                  f"{st['population_accuracy']:.3f} n={st['n_accuracy']:.3f} "
                  f"resolution={st['resolution_accuracy']:.3f} (n={st['resolution_n']})")
        base_split = args.split.partition("@")[0]  # C3 reads the whole pool of the split
        if args.c3 and corpus == "real" and base_split in ("dev", "test") and \
                "," not in args.split:
            m["c3"] = c3_auc(base_split, nlp, args.data_dir, args.corpus_dir, args.bootstrap)
            print(f"  C3         AUC support_score={m['c3']['auc_support_score']:.3f} "
                  f"overclaim_rate={m['c3']['auc_overclaim_rate']:.3f} "
                  f"({m['c3']['articles']} releases, {m['c3']['satisfactory']} satisfactory)")
            if "bootstrap" in m["c3"]:
                ci = m["c3"]["bootstrap"]["ci95"]
                print("             95% intervals: support_score "
                      f"{ci['auc_support_score'][0]:.3f}–{ci['auc_support_score'][1]:.3f}, "
                      f"overclaim_rate {ci['auc_overclaim_rate'][0]:.3f}–"
                      f"{ci['auc_overclaim_rate'][1]:.3f}")
        if args.c3_gold and corpus == "real":
            m["c3_gold"] = c3_gold(articles, result["analyses"], args.bootstrap)
            if m["c3_gold"]:
                print_c3_gold(m["c3_gold"])
        pool_scores = None
        if args.c3_pools and corpus == "real":
            pool_scores = c3_scores(args.c3_pools, nlp, args.data_dir, args.corpus_dir)
            m["c3_pools"] = c3_figures(*pool_scores, resamples=args.bootstrap)
            m["c3_pools"]["pools"] = args.c3_pools.split(",")
            print(f"  C3 pools   AUC support_score={m['c3_pools']['auc_support_score']:.3f} "
                  f"overclaim_rate={m['c3_pools']['auc_overclaim_rate']:.3f} "
                  f"({args.c3_pools}: {m['c3_pools']['articles']} releases, "
                  f"{m['c3_pools']['satisfactory']} satisfactory)")
            un = m["c3_pools"].get("unfitted")
            if un and un["auc_support_score"] is not None:
                print(f"  C3 unfitted AUC support_score={un['auc_support_score']:.3f} "
                      f"overclaim_rate={un['auc_overclaim_rate']:.3f} ({un['articles']} "
                      f"releases outside the annotated train split, {un['satisfactory']} "
                      "satisfactory)")
        if other_nlp is not None:
            other = evaluate(articles, other_nlp)
            m["paired"] = paired_bootstrap(articles, result["analyses"], other["analyses"],
                                           args.bootstrap)
            m["paired"]["other"] = {"config": args.against_config,
                                    "backend": args.against_backend}
            print(f"  compared with {args.against_config or args.against_backend} on the same "
                  f"{args.bootstrap} resamples (other − this; interval; share ahead):")
            for label, d in m["paired"]["figures"].items():
                print(f"    {label:<20} {d['base']:.3f} → {d['other']:.3f}  {d['diff']:+.3f} "
                      f"({d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f}; {d['p_ahead']:.2f})")
            sh = m["paired"]["shared"] = shared_claims(articles, result["analyses"],
                                                       other["analyses"])
            g, ng = sh["gold_claims_found"], sh["non_claims_found"]
            print(f"    items (other against this): gold claims found +{g['gained']} "
                  f"−{g['lost']}, non-claims found +{ng['gained']} −{ng['lost']}; over the "
                  f"{sh['shared_claims']} gold claims both find:")
            for f in ("evidence", "strength", "resolution"):
                d = sh[f]
                print(f"      {f:<11} right {d['base']} → {d['other']} of {d['n']} "
                      f"(fixed {d['fixed']}, broken {d['broken']})")
            if pool_scores is not None:
                ids, y, support, rate, fitted = pool_scores
                o = c3_scores(args.c3_pools, other_nlp, args.data_dir, args.corpus_dir)
                m["paired_c3"] = c3_paired(ids, y, (support, rate), (o[2], o[3]), fitted,
                                           args.bootstrap)
                for group, res in m["paired_c3"].items():
                    for name in ("auc_support_score", "auc_overclaim_rate"):
                        d = res[name]
                        ci = d.get("ci95")
                        print(f"    C3 {group} {name[4:]:<15} {d['base']:.3f} → {d['other']:.3f}"
                              f"  {d['diff']:+.3f}"
                              + (f" ({ci[0]:+.3f} to {ci[1]:+.3f})" if ci else "")
                              + f"; one release back: {d['one_release']:.3f}"
                              + ("" if d["within_one_release"] else "  FALLS"))
        if args.bootstrap:
            m["bootstrap"] = bootstrap(articles, result["analyses"], args.bootstrap)
            print(f"  95% intervals over {args.bootstrap} resamples of the articles:")
            for label, (lo, hi) in m["bootstrap"]["ci95"].items():
                print(f"    {label:<20} {lo:.3f}–{hi:.3f}")
        print("  evidence errors:", m["confusion"]["evidence"])
        print("  strength errors:", m["confusion"]["strength"])
        if args.errors:
            print_errors(result["rows"], args.errors)
    print()
    print(table(results))
    if args.json:
        out = {"split": args.split, "config": args.config or "default",
               "backend": args.backend or "config", "corpora": results}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
