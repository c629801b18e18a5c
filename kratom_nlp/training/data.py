"""Training and evaluation data as :class:`~kratom_nlp.backends.learned.features.Example` rows.

Texts go through the pipeline up to the sentence analysis (``kratom_sentences``) with the
sentence boundaries fixed from the data (gold offsets, or one sentence per public record); the
rule features are read from the Doc's sentence spans, exactly what the backends see inside the
pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from kratom_nlp.backends.learned.features import Example, features_of

BACKEND_COMPONENTS = ("kratom_claims", "kratom_evidence", "kratom_strength", "kratom_overclaim")
DATA_SOURCES = ("real", "gold", "pubmed", "insciout", "certainty")


@dataclass
class Row:
    """One sentence: the model input plus every label the data has for it."""

    example: Example
    labels: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def prefix_disable(nlp: Language) -> list[str]:
    """Components to switch off so that only tagging, cues and the sentence analysis run."""
    return [n for n in nlp.pipe_names if n == "kratom_segmenter" or n in BACKEND_COMPONENTS]


def annotate(nlp: Language, items: Iterable[tuple[str, Sequence[int]]],
             batch_size: int = 64) -> list[Doc]:
    """Docs for ``(text, sentence start offsets)`` pairs, annotated up to ``kratom_sentences``."""
    from kratom_nlp.pipeline.scoring import doc_with_sentence_starts

    docs = [doc_with_sentence_starts(nlp, text, starts) for text, starts in items]
    return list(nlp.pipe(docs, disable=prefix_disable(nlp), batch_size=batch_size))


def sentences_at(doc: Doc, offsets: Sequence[int]) -> list[Span | None]:
    """The sentence spans that start at (or cover, or follow) each character offset."""
    sents = list(doc.spans.get("sentences", []))
    by_start = {s.start_char: s for s in sents}
    out: list[Span | None] = []
    for off in offsets:
        out.append(by_start.get(off) or next((s for s in sents if s.start_char <= off
                                              < s.end_char), None)
                   or next((s for s in sents if s.start_char >= off), None))
    return out


def rule_features_at(doc: Doc, offsets: Sequence[int]) -> list[dict[str, float | str]]:
    """The model features of the sentences that start at (or cover) each offset."""
    return [features_of(s) for s in sentences_at(doc, offsets)]


def evidence_source(sentence: dict[str, Any]) -> str:
    """The gold source of a claim's evidence (``backends.evidence.SOURCES``)."""
    level = sentence["evidence"]
    if not sentence["claim"] or level == "none":
        return "none"
    if sentence.get("study"):
        return "study"
    if level == "expert_opinion":
        return "expert"
    if level == "anecdotal":
        return "anecdote"
    return "cue"


def sentence_rows(nlp: Language, texts: Sequence[str], labels: Sequence[dict[str, Any]]
                  ) -> list[Row]:
    """Rows for stand-alone sentences (each text is one sentence, no context)."""
    docs = annotate(nlp, ((t, [0]) for t in texts))
    rows = []
    for doc, text, lab in zip(docs, texts, labels, strict=True):
        feats = rule_features_at(doc, [len(text) - len(text.lstrip())])[0]
        rows.append(Row(Example(text=text, context="", rules=feats), dict(lab)))
    return rows


def article_rows(nlp: Language, arts: Sequence[tuple[str, dict[str, Any]]]) -> list[Row]:
    """One row per sentence of gold articles (``(split, article)`` pairs of either corpus):
    gold texts, the previous sentence as context, the Doc's features, every label."""
    docs = annotate(nlp, ((a["text"], [s["start"] for s in a["sentences"]]) for _, a in arts))
    rows: list[Row] = []
    for (split, art), doc in zip(arts, docs, strict=True):
        sents = art["sentences"]
        spans = sentences_at(doc, [s["start"] for s in sents])
        contexts = [""] + [s["text"] for s in sents[:-1]]
        for i, (s, span, ctx) in enumerate(zip(sents, spans, contexts, strict=True)):
            ex = Example(text=s["text"], context=ctx, rules=features_of(span),
                         claim_type=s["claim_type"] if s["claim"] else None)
            scope = span._.study if span is not None else None
            design = next((st._.design for st in doc.spans.get("studies", [])
                           if st._.study_id == scope), None)
            rows.append(Row(ex, {
                "claim": s["claim_type"] if s["claim"] else "none",
                "is_claim": bool(s["claim"]),
                "evidence": evidence_source(s),
                "evidence_level": s["evidence"],
                "strength": s["strength"],
                "advice": "advice" if s["advice"] else "no_advice",
                "overclaim": bool(s["overclaim"]),
            }, {"article_id": art["id"], "split": split, "index": i, "kind": s["kind"],
                "genre": art.get("genre", ""), "corpus": art.get("corpus", "written"),
                "rules_evidence": (span._.rules.get("evidence", "none") if span is not None
                                   else "none"),
                "scope_design": design, "has_scope": scope is not None}))
    return rows


def gold_rows(nlp: Language, splits: Sequence[str] = ("train", "dev"),
              corpus: str | Path | None = None) -> list[Row]:
    """One row per sentence of the written gold corpus's ``splits``."""
    from kratom_nlp.corpora.gold import DEFAULT_CORPUS, iter_articles

    gold = Path(corpus) if corpus else DEFAULT_CORPUS / "gold"
    if (gold / "gold").is_dir():
        gold = gold / "gold"
    arts = []
    for split in splits:
        path = gold / f"{split}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"no gold split {split!r} at {path}; run "
                                    "`kratom-nlp corpus build` or pass --corpus")
        arts += [(split, {**a, "corpus": "written"}) for a in iter_articles(path)]
    return article_rows(nlp, arts)


def real_rows(nlp: Language, splits: Sequence[str] = ("train",),
              data_dir: str | Path | None = None, root: str | Path | None = None) -> list[Row]:
    """One row per sentence of the real corpus's ``splits`` (texts from FakeHealth)."""
    from kratom_nlp.corpora.real import load

    arts = [(split, {**a, "corpus": "real"}) for split in splits
            for a in load(split, data_dir=data_dir, root=root)]
    return article_rows(nlp, arts)


def pubmed_rows(nlp: Language, data_dir: str | Path | None = None) -> list[Row]:
    """Claim-strength rows from the PubMed conclusions (Yu et al. 2019)."""
    from kratom_nlp.corpora.public import load_claim_strength

    ds = load_claim_strength(data_dir)
    names = ds.features["label"].names
    return sentence_rows(nlp, ds["text"], [{"strength": names[y]} for y in ds["label"]])


def insciout_rows(nlp: Language, data_dir: str | Path | None = None) -> list[Row]:
    """Claim-strength rows from both sides of the InSciOut pairs."""
    from kratom_nlp.corpora.public import load_insciout

    ds = load_insciout(data_dir)
    names = ds.features["press_release_strength"].names
    texts, labels = [], []
    for r in ds:
        for side in ("press_release", "abstract"):
            texts.append(r[f"{side}_conclusion"])
            labels.append({"strength": names[r[f"{side}_strength"]]})
    return sentence_rows(nlp, texts, labels)


def certainty_rows(nlp: Language, split: str, data_dir: str | Path | None = None) -> list[Row]:
    """Certainty rows (``train`` or ``val``) from Pei & Jurgens (2021)."""
    from kratom_nlp.corpora.public import load_certainty

    ds = load_certainty(data_dir)[split]
    return sentence_rows(nlp, ds["finding"],
                         [{"certainty": float(v)} for v in ds["sentence-level-certainty"]])


def fingerprint(paths: Sequence[str | Path]) -> str:
    """A short sha256 over the given files (to tie a model or a result to its data)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(str(x) for x in paths):
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def gold_fingerprint(corpus: str | Path | None = None) -> str:
    """Fingerprint of the gold split files."""
    from kratom_nlp.corpora.gold import DEFAULT_CORPUS

    gold = Path(corpus) if corpus else DEFAULT_CORPUS / "gold"
    if (gold / "gold").is_dir():
        gold = gold / "gold"
    return fingerprint([gold / f"{s}.jsonl" for s in ("train", "dev", "test")
                        if (gold / f"{s}.jsonl").is_file()])


def task_rows(rows: Sequence[Row], task: str, *, claims_only: bool | None = None) -> list[Row]:
    """The rows that carry a label for ``task``; strength, evidence and advice of gold rows are
    taken from claim sentences only (the pipeline asks for them only there)."""
    if claims_only is None:
        claims_only = task in ("evidence", "strength", "advice")
    out = []
    for r in rows:
        if task not in r.labels:
            continue
        if claims_only and "is_claim" in r.labels and not r.labels["is_claim"]:
            continue
        out.append(r)
    return out
