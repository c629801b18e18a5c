"""Where the study and reference-resolution errors come from, on a real split.

Two tallies over the same articles (``kratom_studies`` against the gold studies of
``corpora/real``):

1. **Study mentions.** Every gold study no predicted study matches (:func:`match_studies`) is
   *merged* when a predicted mention lies in its description or its sentence (the pipeline saw
   it but grouped it with another study) or *missed* when none does; every predicted study that
   matches no gold study is a *duplicate* of a matched one (one of its mentions lies where a
   matched gold study is described or referred to), *on an unmatched gold study* (there, but
   another predicted study took the match) or *without a gold study* (nothing there).
2. **Reference resolution.** Every gold claim that rests on a gold study and that the pipeline
   finds: resolved; its gold study not found (the claim rests on another study or on none);
   resting on another found study; or resting on none, by the level of its own evidence (an
   expert quoted, a cue of the sentence, none).

    python eval/study_errors.py --split dev
    python eval/study_errors.py --split train@9,train@10,train@11 --json /tmp/study_errors.json

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

from evaluate_pipeline import align, evaluate, load_articles, match_studies  # noqa: E402


def _sentence_of(article: dict[str, Any], offset: int) -> int | None:
    return next((i for i, s in enumerate(article["sentences"])
                 if s["start"] <= offset < s["end"]), None)


def study_errors(article: dict[str, Any], analysis: dict[str, Any]) -> Counter[str]:
    """The study-mention error classes of one article (module doc, part 1)."""
    out: Counter[str] = Counter()
    if "studies" not in article:
        return out
    match = match_studies(article, analysis)
    used = set(match.values())
    # each gold study's sentences: its description's and those that refer to it
    where: dict[int, set[str]] = {}
    for i, s in enumerate(article["sentences"]):
        if s.get("study"):
            where.setdefault(i, set()).add(s["study"])
    for g in article["studies"]:
        where.setdefault(g["sentence"], set()).add(g["id"])
    mentions = [(a, b, p["id"]) for p in analysis.get("studies", [])
                for a, b in (p.get("mentions") or [[p["start"], p["end"]]])]
    for g in article["studies"]:
        if g["id"] in match:
            continue
        seen = any(min(b, g["end"]) > max(a, g["start"])
                   or _sentence_of(article, a) == g["sentence"] for a, b, _ in mentions)
        out["gold study merged" if seen else "gold study missed"] += 1
    for p in analysis.get("studies", []):
        if p["id"] in used:
            continue
        spans = p.get("mentions") or [[p["start"], p["end"]]]
        golds = set().union(*(where.get(_sentence_of(article, a), set()) for a, _ in spans))
        out["predicted: duplicate of a matched study" if golds & set(match) else
            "predicted: on an unmatched gold study" if golds else
            "predicted: no gold study there"] += 1
    return out


def resolution_errors(article: dict[str, Any], analysis: dict[str, Any]) -> Counter[str]:
    """The reference-resolution classes of one article's claims (module doc, part 2)."""
    out: Counter[str] = Counter()
    if "studies" not in article:
        return out
    match = match_studies(article, analysis)
    for s, claim in zip(article["sentences"], align(article, analysis), strict=True):
        if not (s["claim"] and s.get("study") and claim is not None):
            continue
        got, want = claim["evidence"].get("study"), match.get(s["study"])
        if got is not None and got == want:
            out["resolved"] += 1
        elif want is None:
            out["gold study not found: rests on " + ("none" if got is None else
                                                     "another study")] += 1
        elif got is None:
            out[f"rests on no study (own evidence {claim['evidence']['level']})"] += 1
        else:
            out["rests on another found study"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="dev",
                    help="real corpus split(s), comma-separated (dev, train@3, ...)")
    ap.add_argument("--corpus-dir", default=None,
                    help="the real corpus folder (default: corpora/real)")
    ap.add_argument("--config", default=None, help="a pipeline config (default: the bundled)")
    ap.add_argument("--json", type=Path, default=None, help="write the counts here")
    args = ap.parse_args(argv)
    from kratom_nlp.api import load

    kwargs = {"corpus_dir": args.corpus_dir} if args.corpus_dir else {}
    articles = load_articles("real", args.split.split(","), **kwargs)
    result = evaluate(articles, load(args.config))
    studies: Counter[str] = Counter()
    resolution: Counter[str] = Counter()
    for art, an in zip(articles, result["analyses"], strict=True):
        studies.update(study_errors(art, an))
        resolution.update(resolution_errors(art, an))
    report = {"split": args.split, "articles": len(articles),
              "studies": dict(studies.most_common()),
              "resolution": dict(resolution.most_common())}
    for part in ("studies", "resolution"):
        print(f"{part}:")
        for k, v in report[part].items():
            print(f"  {v:5d}  {k}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
