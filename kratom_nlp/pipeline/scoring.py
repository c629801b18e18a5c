"""Scores for every sentence, not only the claims: the pipeline's own components, run on all
sentences as claim candidates (for ``classify`` and active learning)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

DOWNSTREAM = ("kratom_evidence", "kratom_strength", "kratom_overclaim")


def candidates_from_sentences(doc: Doc, kinds: Sequence[str] | None = None) -> list[Span]:
    """Every sentence span (of ``kinds``) as a claim candidate in ``doc.spans["claims"]``; the
    detector's own decision stays in ``span._.is_claim``."""
    out = []
    for index, sent in enumerate(doc.spans.get("sentences", [])):
        if kinds is not None and sent.label_ not in kinds:
            continue
        cand = Span(doc, sent.start, sent.end, label=sent._.claim_type or "efficacy")
        cand._.sentence_index = index
        out.append(cand)
    doc.spans["claims"] = out
    return out


def score_sentences(nlp: Language, texts: Iterable[str], *, batch_size: int = 16,
                    kinds: Sequence[str] | None = ("sentence", "bullet")) -> list[Doc]:
    """Docs whose sentence spans carry the claim, evidence and strength scores of the
    pipeline's backends (claims group = every sentence of ``kinds``; no overclaim decision)."""
    disable = [n for n in DOWNSTREAM if n in nlp.pipe_names]
    docs = list(nlp.pipe(texts, batch_size=batch_size, disable=disable))
    for doc in docs:
        candidates_from_sentences(doc, kinds)
    for name in ("kratom_evidence", "kratom_strength"):
        if name in nlp.pipe_names:
            nlp.get_pipe(name).process(docs)
    return docs


def doc_with_sentence_starts(nlp: Language, text: str, starts: Iterable[int]) -> Doc:
    """``nlp.make_doc(text)`` with sentences starting exactly at the tokens that hold the
    character offsets ``starts`` (and at the first token)."""
    doc = nlp.make_doc(text)
    tok_starts = set()
    for off in starts:
        span = doc.char_span(off, min(len(text), off + 1), alignment_mode="expand")
        if span is not None:
            tok_starts.add(span.start)
    for tok in doc:
        tok.is_sent_start = tok.i == 0 or tok.i in tok_starts
    return doc


def docs_with_sentences(nlp: Language, items: Iterable[tuple[str, Sequence[int]]],
                        batch_size: int = 32) -> list[Doc]:
    """Docs for ``(text, sentence start offsets)`` with those boundaries fixed, run through the
    pipeline up to the claim detector (the segmenter and the downstream components are off)."""
    docs = [doc_with_sentence_starts(nlp, text, starts) for text, starts in items]
    off = [n for n in ("kratom_segmenter", *DOWNSTREAM) if n in nlp.pipe_names]
    return list(nlp.pipe(docs, disable=off, batch_size=batch_size))


def score_spans(nlp: Language, docs: Sequence[Doc],
                offsets: Sequence[Sequence[int]]) -> list[list[Span | None]]:
    """For each doc, the sentence span starting at (or covering) each character offset, after
    the evidence and strength components ran on those sentences as claim candidates."""
    out: list[list[Span | None]] = []
    for doc, offs in zip(docs, offsets, strict=True):
        sents = list(doc.spans.get("sentences", []))
        by_start = {s.start_char: i for i, s in enumerate(sents)}
        chosen: list[Span | None] = []
        cands = []
        for off in offs:
            i = by_start.get(off)
            if i is None:
                i = next((j for j, s in enumerate(sents) if s.start_char <= off < s.end_char),
                         None)
            if i is None:
                chosen.append(None)
                continue
            sent = sents[i]
            cand = Span(doc, sent.start, sent.end, label=sent._.claim_type or "efficacy")
            cand._.sentence_index = i
            cands.append(cand)
            chosen.append(cand)
        doc.spans["claims"] = cands
        out.append(chosen)
    for name in ("kratom_evidence", "kratom_strength"):
        if name in nlp.pipe_names:
            nlp.get_pipe(name).process(list(docs))
    return out
