"""Active learning: which unlabelled sentences (or articles) to annotate next.

Each sentence gets an *uncertainty* in [0, 1] from the scores the pipeline's own components
wrote on the Doc (the rules' coarse scores, or the learned backends' probabilities when the
pipeline uses them); ``rank`` runs the evidence and strength components on every sentence
(:func:`kratom_nlp.pipeline.scoring.score_sentences`), so non-claims have those scores too:

* claim: ``margin`` = 1 - |p - t| / max(t, 1 - t) around the claim threshold t, or ``entropy``
  = the binary entropy of p (base 2);
* evidence and strength: ``margin`` = 1 - (p1 - p2) of the two most probable classes, or
  ``entropy`` = H(p) / log(number of classes);
* combined: ``u = 0.5 u_claim + 0.25 w (u_evidence + u_strength)`` with ``w = min(1, p / t)``,
  so evidence and strength doubts count only as far as the sentence looks like a claim. A
  sentence without evidence or strength scores (a Doc from the plain pipeline, where only claims
  get them) counts as fully uncertain on those fields.

Items are then chosen by maximal marginal relevance over TF-IDF vectors (scikit-learn):
``score = λ u - (1 - λ) max cos(item, already chosen)``; the chosen items come out in order of
that score, highest first (it never increases from one pick to the next).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from kratom_nlp.taxonomy import EVIDENCE_LEVELS, STRENGTHS

STRATEGIES = ("margin", "entropy")


@dataclass
class Item:
    """A sentence (or an article) in the pool, with its uncertainty and, once chosen, score."""

    id: str
    article_id: str
    start: int
    end: int
    text: str
    kind: str
    p_claim: float
    u_claim: float
    u_evidence: float
    u_strength: float
    uncertainty: float
    context_start: int = 0
    score: float = 0.0
    rank: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("p_claim", "u_claim", "u_evidence", "u_strength", "uncertainty", "score"):
            d[k] = round(d[k], 4)
        return d


def _probs(scores: dict[str, float]) -> list[float]:
    vals = sorted((max(0.0, float(v)) for v in (scores or {}).values()), reverse=True)
    total = sum(vals)
    return [v / total for v in vals] if total > 0 else []


def class_uncertainty(scores: dict[str, float], n_classes: int, strategy: str) -> float:
    """Uncertainty of a class distribution (``{label: score}``; missing labels count as 0)."""
    p = _probs(scores)
    if not p:
        return 1.0
    if strategy == "entropy":
        h = -sum(x * math.log(x) for x in p if x > 0)
        return min(1.0, h / math.log(n_classes)) if n_classes > 1 else 0.0
    second = p[1] if len(p) > 1 else 0.0
    return 1.0 - (p[0] - second)


def claim_uncertainty(p: float, threshold: float, strategy: str) -> float:
    p = min(1.0, max(0.0, float(p)))
    if strategy == "entropy":
        if p in (0.0, 1.0):
            return 0.0
        return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))
    return max(0.0, 1.0 - abs(p - threshold) / max(threshold, 1 - threshold))


def sentence_items(doc: Doc, article_id: str, threshold: float = 0.5,
                   strategy: str = "margin") -> list[Item]:
    """Every non-heading sentence of a processed doc with its uncertainties (read from the
    Doc's sentence spans)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    items = []
    prev_start = None
    for sent in doc.spans.get("sentences", []):
        ctx = sent.start_char if prev_start is None else prev_start
        prev_start = sent.start_char
        if sent.label_ == "heading":
            continue
        p = float(sent._.claim_score)
        uc = claim_uncertainty(p, threshold, strategy)
        ev, st = sent._.evidence_scores, {k: v for k, v in sent._.strength_scores.items()
                                          if k != "advice"}
        ue = class_uncertainty(ev, len(EVIDENCE_LEVELS), strategy) if ev else 1.0
        us = class_uncertainty(st, len(STRENGTHS), strategy) if st else 1.0
        w = min(1.0, p / threshold) if threshold > 0 else 1.0
        u = 0.5 * uc + 0.25 * w * (ue + us)
        items.append(Item(id=f"{article_id}#{len(items) + 1}", article_id=article_id,
                          start=sent.start_char, end=sent.end_char, text=sent.text,
                          kind=sent.label_, p_claim=p, u_claim=uc, u_evidence=ue,
                          u_strength=us, uncertainty=u, context_start=ctx))
    return items


def article_item(article_id: str, text: str, items: Sequence[Item], top: int = 5) -> Item:
    """An article as one item: the mean uncertainty of its ``top`` most uncertain sentences."""
    us = sorted((it.uncertainty for it in items), reverse=True)[:top]

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return Item(id=article_id, article_id=article_id, start=0, end=len(text), text=text,
                kind="article", p_claim=mean([it.p_claim for it in items]),
                u_claim=mean([it.u_claim for it in items]),
                u_evidence=mean([it.u_evidence for it in items]),
                u_strength=mean([it.u_strength for it in items]), uncertainty=mean(us))


def mmr_select(items: Sequence[Item], n: int, lam: float = 0.7) -> list[Item]:
    """``n`` distinct items by maximal marginal relevance (uncertainty vs TF-IDF similarity)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    seen: set[str] = set()
    pool: list[Item] = []
    for it in items:  # identical texts (boilerplate) are one item
        key = " ".join(it.text.lower().split())
        if key and key not in seen and it.id not in seen:
            seen.update((key, it.id))
            pool.append(it)
    if not pool or n <= 0:
        return []
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x = vec.fit_transform([it.text for it in pool])
    best_sim = [0.0] * len(pool)
    chosen: list[Item] = []
    remaining = set(range(len(pool)))
    while remaining and len(chosen) < n:
        i = max(remaining, key=lambda j: (lam * pool[j].uncertainty - (1 - lam) * best_sim[j],
                                          pool[j].uncertainty, -j))
        it = pool[i]
        it.score = lam * it.uncertainty - (1 - lam) * best_sim[i]
        it.rank = len(chosen) + 1
        chosen.append(it)
        remaining.discard(i)
        if remaining:
            idx = sorted(remaining)
            sims = (x[idx] @ x[i].T).toarray().ravel()
            for j, s in zip(idx, sims, strict=True):
                if s > best_sim[j]:
                    best_sim[j] = float(s)
    return chosen


def rank(sources: Sequence[Any], nlp: Language, n: int, *, unit: str = "sentence",
         strategy: str = "margin", lam: float = 0.7, batch_size: int = 16) -> list[Item]:
    """The ``n`` sentences (``unit="sentence"``) or articles (``"article"``) of ``sources``
    (:class:`kratom_nlp.annotate.sources.Source`) to annotate next, best first."""
    if unit not in ("sentence", "article"):
        raise ValueError("unit must be 'sentence' or 'article'")
    from kratom_nlp.pipeline.scoring import score_sentences

    threshold = float(getattr(nlp.get_pipe("kratom_claims"), "threshold", 0.5))
    pool: list[Item] = []
    docs = score_sentences(nlp, (s.text for s in sources), batch_size=batch_size)
    for src, doc in zip(sources, docs, strict=True):
        items = sentence_items(doc, src.article_id, threshold, strategy)
        if unit == "sentence":
            pool.extend(items)
        elif items:
            pool.append(article_item(src.article_id, src.text, items))
    return mmr_select(pool, n, lam)


def excerpt_sources(chosen: Sequence[Item], sources: Sequence[Any]) -> list[Any]:
    """Tasks for chosen sentences: each is an excerpt of its article, the preceding sentence
    (context for evidence carried over) and the sentence; ``meta`` says where it came from."""
    from kratom_nlp.annotate.sources import Source

    by_id = {s.article_id: s for s in sources}
    out = []
    for it in chosen:
        src = by_id[it.article_id]
        off = it.context_start
        meta = {k: v for k, v in src.meta.items() if k in ("title", "genre", "substance",
                                                           "source")}
        meta.update({"excerpt_of": it.article_id, "offset": off,
                     "focus": [it.start - off, it.end - off], "rank": it.rank,
                     "uncertainty": round(it.uncertainty, 4), "score": round(it.score, 4)})
        out.append(Source(f"{it.article_id}--s{it.id.rsplit('#', 1)[1]}",
                          src.text[off:it.end], meta))
    return out
