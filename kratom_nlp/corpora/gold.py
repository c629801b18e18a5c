"""The project's gold corpus: build the split files from the article sources, load them.

``corpora/articles/*.json`` (authoring format, ``corpora/AUTHORING.md``) are compiled into
``corpora/gold/{train,dev,test}.jsonl`` — one article per line with sentence offsets and labels.
Splits are by article and fixed in ``corpora/splits.json``; a new article is assigned by a hash
of its id, so existing assignments never move.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kratom_nlp.corpora.authoring import compile_file
from kratom_nlp.paths import corpora_dir
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, STRENGTHS

SPLITS = ("train", "dev", "test")
DEFAULT_CORPUS = corpora_dir()


def assign_split(article_id: str) -> str:
    h = int(hashlib.sha1(article_id.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if h < 70 else "dev" if h < 85 else "test"


def build(corpus_dir: str | Path = DEFAULT_CORPUS) -> dict[str, int]:
    """Compile ``articles/`` into ``gold/<split>.jsonl``; returns articles per split."""
    corpus = Path(corpus_dir)
    splits_file = corpus / "splits.json"
    splits: dict[str, str] = (json.loads(splits_file.read_text(encoding="utf-8"))
                              if splits_file.exists() else {})
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for path in sorted((corpus / "articles").glob("*.json")):
        rec = compile_file(path)
        split = splits.setdefault(rec["id"], assign_split(rec["id"]))
        rec["split"] = split
        records[split].append(rec)
    out = corpus / "gold"
    out.mkdir(parents=True, exist_ok=True)
    for split, recs in records.items():
        with (out / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for rec in recs:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    splits_file.write_text(json.dumps(dict(sorted(splits.items())), indent=1) + "\n",
                           encoding="utf-8")
    return {s: len(r) for s, r in records.items()}


def iter_articles(path: str | Path) -> Iterator[dict[str, Any]]:
    """Gold articles from a JSONL file, one dict per line."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def sentence_rows(article: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One flat row per sentence, with the previous sentence as ``context``."""
    prev = ""
    for i, s in enumerate(article["sentences"]):
        yield {
            "article_id": article["id"],
            "sentence_index": i,
            "text": s["text"],
            "context": prev,
            "start": s["start"],
            "end": s["end"],
            "kind": s["kind"],
            "claim": bool(s["claim"]),
            "claim_type": s["claim_type"] or "none",
            "evidence": s["evidence"],
            "cues": json.dumps(s["cues"], ensure_ascii=False),
            "from_context": bool(s["from_context"]),
            "strength": s["strength"],
            "advice": bool(s["advice"]),
            "overclaim": bool(s["overclaim"]),
            "overclaim_reason": s["overclaim_reason"] or "",
            "genre": article["genre"],
            "substance": article["substance"],
            "version": article.get("version", "1.0"),
        }
        prev = s["text"]


def load(path: str | Path | None = None, *, level: str = "sentence") -> Any:
    """The gold corpus as a ``datasets.DatasetDict`` with train / dev / test splits.

    ``level="sentence"`` gives one row per sentence with class-label columns
    (``evidence``, ``strength``, ``claim_type``); ``level="article"`` one row per article.
    """
    import datasets

    gold = Path(path) if path else DEFAULT_CORPUS / "gold"
    if not (gold / "train.jsonl").exists():
        raise FileNotFoundError(f"no gold corpus at {gold}; run `kratom-nlp corpus build`")
    out = {}
    for split in SPLITS:
        arts = list(iter_articles(gold / f"{split}.jsonl"))
        if level == "article":
            rows = [{k: (json.dumps(v, ensure_ascii=False) if k == "sentences" else v)
                     for k, v in a.items()} for a in arts]
            out[split] = datasets.Dataset.from_list(rows)
            continue
        rows = [r for a in arts for r in sentence_rows(a)]
        features = datasets.Features({
            "article_id": datasets.Value("string"),
            "sentence_index": datasets.Value("int32"),
            "text": datasets.Value("string"),
            "context": datasets.Value("string"),
            "start": datasets.Value("int32"),
            "end": datasets.Value("int32"),
            "kind": datasets.Value("string"),
            "claim": datasets.Value("bool"),
            "claim_type": datasets.ClassLabel(names=["none", *CLAIM_TYPES]),
            "evidence": datasets.ClassLabel(names=list(EVIDENCE_LEVELS)),
            "cues": datasets.Value("string"),
            "from_context": datasets.Value("bool"),
            "strength": datasets.ClassLabel(names=list(STRENGTHS)),
            "advice": datasets.Value("bool"),
            "overclaim": datasets.Value("bool"),
            "overclaim_reason": datasets.Value("string"),
            "genre": datasets.Value("string"),
            "substance": datasets.Value("string"),
            "version": datasets.Value("string"),
        })
        out[split] = datasets.Dataset.from_list(rows, features=features)
    return datasets.DatasetDict(out)


def to_docbin(articles_path: str | Path, nlp: Any = None) -> Any:
    """Gold articles as a spaCy ``DocBin``: sentence boundaries, ``claims`` and
    ``evidence_cues`` span groups and the claim labels in span extensions (for training)."""
    import spacy
    from spacy.tokens import DocBin

    from kratom_nlp.pipeline.extensions import register_extensions

    register_extensions()
    nlp = nlp or spacy.blank("en")
    db = DocBin(store_user_data=True)
    for art in iter_articles(articles_path):
        doc = nlp.make_doc(art["text"])
        starts = {s["start"] for s in art["sentences"]}
        for tok in doc:
            tok.is_sent_start = tok.i == 0 or tok.idx in starts
        claims, cues = [], []
        for s in art["sentences"]:
            for c in s["cues"]:
                cs = doc.char_span(c["start"], c["end"], label=c["level"],
                                   alignment_mode="expand")
                if cs is not None:
                    cues.append(cs)
            if not s["claim"]:
                continue
            span = doc.char_span(s["start"], s["end"], label=s["claim_type"],
                                 alignment_mode="expand")
            if span is None:
                continue
            span._.claim_type = s["claim_type"]
            span._.evidence_level = s["evidence"]
            span._.evidence_cues = s["cues"]
            span._.evidence_from_context = s["from_context"]
            span._.strength = s["strength"]
            span._.advice = s["advice"]
            span._.overclaim = s["overclaim"]
            span._.overclaim_reason = s["overclaim_reason"]
            claims.append(span)
        doc.spans["claims"] = claims
        doc.spans["evidence_cues"] = cues
        db.add(doc)
    return db


def counts(path: str | Path | None = None) -> dict[str, Any]:
    """Label counts per split, computed from the gold files (for the data card and tests)."""
    from collections import Counter

    gold = Path(path) if path else DEFAULT_CORPUS / "gold"
    result: dict[str, Any] = {}
    for split in SPLITS:
        arts = list(iter_articles(gold / f"{split}.jsonl"))
        sents = [s for a in arts for s in a["sentences"]]
        result[split] = {
            "articles": len(arts),
            "sentences": len(sents),
            "claims": sum(s["claim"] for s in sents),
            "overclaims": sum(s["overclaim"] for s in sents),
            "advice": sum(s["advice"] for s in sents),
            "evidence": dict(Counter(s["evidence"] for s in sents)),
            "strength": dict(Counter(s["strength"] for s in sents if s["claim"])),
            "claim_type": dict(Counter(s["claim_type"] for s in sents if s["claim"])),
            "genres": dict(Counter(a["genre"] for a in arts)),
            "substances": dict(Counter(a["substance"] for a in arts)),
        }
    return result
