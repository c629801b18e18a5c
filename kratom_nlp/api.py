"""The Python API: ``analyze`` an article, or ``load`` the pipeline and stream many."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language

from kratom_nlp.ingest import Document, read_path, read_text
from kratom_nlp.text.normalize import Normalized, normalize


def load(config: str | Path | None = None) -> Language:
    """The kratom_nlp pipeline (built once per process and config)."""
    from kratom_nlp.pipeline import load_pipeline

    return load_pipeline(str(config) if config else None)


def unload() -> None:
    """Forget the pipelines and models this process has loaded: the next :func:`load` builds
    them again, and their memory goes back to the system once nothing else holds them
    (``kratom-nlp batch`` does this before it writes its tables)."""
    import gc
    import sys

    from kratom_nlp.memory import release_memory
    from kratom_nlp.pipeline import load_pipeline

    load_pipeline.cache_clear()
    models = sys.modules.get("kratom_nlp.backends.learned.models")
    if models is not None:
        models.forget_loaded()
    gc.collect()
    release_memory()


MAX_PIECE_CHARS = 100_000
"""Longer texts are analysed in pieces of at most this many characters, cut at line ends (the
pipeline's memory grows with the length of a document; spaCy refuses more than 1,000,000)."""


def pieces(text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` pieces of ``text`` no longer than ``limit`` (default
    :data:`MAX_PIECE_CHARS`), cut after a line end when there is one, else after a space, else
    anywhere."""
    limit = limit or MAX_PIECE_CHARS
    out = []
    start, n = 0, len(text)
    while n - start > limit:
        cut = text.rfind("\n", start, start + limit)
        if cut <= start:
            cut = text.rfind(" ", start, start + limit)
        cut = start + limit if cut <= start else cut + 1
        out.append((start, cut))
        start = cut
    out.append((start, n))
    return out


def _remap(analysis: dict[str, Any], norm: Normalized, shift: int) -> None:
    """Offsets of a piece's analysis (normalised text, from ``shift``) → original offsets."""
    original = norm.original

    def fix(obj: dict[str, Any]) -> None:
        a, b = norm.span(obj["start"] + shift, obj["end"] + shift)
        obj["start"], obj["end"] = a, b
        if "text" in obj:
            obj["text"] = original[a:b]

    for claim in analysis["claims"]:
        fix(claim)
        for cue in claim["evidence"]["cues"]:
            fix(cue)
    for caveat in analysis.get("caveats", []):
        fix(caveat)
    for study in analysis.get("studies", []):
        fix(study)
        study["mentions"] = [list(norm.span(m[0] + shift, m[1] + shift))
                             for m in study.get("mentions", [])]


def finish_analysis(parts: list[tuple[int, dict[str, Any]]], document: Document,
                    norm: Normalized, nlp: Language) -> dict[str, Any]:
    """One analysis from the analyses of a document's pieces: offsets into the original
    text, claims and studies numbered across pieces, the summary over all of them."""
    from kratom_nlp.grading.summary import summarize

    claims: list[dict[str, Any]] = []
    studies: list[dict[str, Any]] = []
    caveats: list[dict[str, Any]] = []
    warnings = list(document.warnings) + norm.warnings()
    sentences = 0
    for shift, part in parts:
        _remap(part, norm, shift)
        study_ids: dict[str, str] = {}
        for st in part.get("studies", []):
            study_ids[st["id"]] = st["id"] = f"s{len(studies) + 1}"
            studies.append(st)
        claim_ids: dict[str, str] = {}
        for c in part["claims"]:
            claim_ids[c["id"]] = c["id"] = f"c{len(claims) + 1}"
            if c["evidence"].get("study"):
                c["evidence"]["study"] = study_ids.get(c["evidence"]["study"])
            claims.append(c)
        for st in part.get("studies", []):
            st["claims"] = [claim_ids.get(x, x) for x in st.get("claims", [])]
        caveats += part.get("caveats", [])
        sentences += int(part["summary"].get("sentences", 0))
        warnings += [w for w in part.get("warnings", []) if w not in warnings]
    if len(parts) > 1:
        warnings.append(f"a long document ({len(norm.original):,} characters) was analysed "
                        f"in {len(parts)} pieces cut at line ends (or spaces); evidence is not "
                        "carried across a cut")
    rules = nlp.get_pipe("kratom_overclaim").rules if "kratom_overclaim" in nlp.pipe_names \
        else None
    first = parts[0][1]
    return {**first, "text": norm.original, "warnings": warnings, "claims": claims,
            "studies": studies, "caveats": caveats,
            "summary": summarize(claims, sentences=sentences, rules=rules,
                                 caveats=len(caveats))}


def analyze_document(document: Document, nlp: Language | None = None) -> dict[str, Any]:
    """Analyse one ingested document; returns the analysis contract dict.

    The pipeline reads a normalised view of the text (invisible characters removed, look-alike
    letters folded; :mod:`kratom_nlp.text.normalize`), in pieces when it is very long; every
    offset of the analysis indexes ``document.text`` as given."""
    from kratom_nlp.outputs.contract import doc_to_analysis

    nlp = nlp or load()
    norm = normalize(document.text)
    parts = []
    for a, b in pieces(norm.text):
        doc = nlp(norm.text[a:b])
        parts.append((a, doc_to_analysis(doc, source=document.source,
                                         language=document.language, warnings=[])))
    return finish_analysis(parts, document, norm, nlp)


def analysis_of_doc(doc: Any, document: Document, norm: Normalized,
                    nlp: Language) -> dict[str, Any]:
    """The analysis of a document processed in one piece (``nlp.pipe`` over
    ``normalize(document.text).text``)."""
    from kratom_nlp.outputs.contract import doc_to_analysis

    part = doc_to_analysis(doc, source=document.source, language=document.language,
                           warnings=[])
    return finish_analysis([(0, part)], document, norm, nlp)


def analyze(text: str | None = None, *, path: str | Path | None = None,
            source: str = "<text>", nlp: Language | None = None) -> dict[str, Any]:
    """Analyse an article given as ``text`` or as a file ``path`` (txt, md, html)."""
    if (text is None) == (path is None):
        raise ValueError("give exactly one of text= or path=")
    document = read_path(path) if path is not None else read_text(text, source=source)
    return analyze_document(document, nlp)


def analyze_many(documents: Iterable[Document], nlp: Language | None = None, *,
                 batch_size: int = 32, n_process: int = 1) -> Iterator[dict[str, Any]]:
    """Stream analyses of many documents, in order: the documents go through
    :func:`kratom_nlp.batch.process.analyze_stream` as in ``kratom-nlp batch`` (``nlp.pipe``
    over the normalised text, a document too long for one piece analysed on its own in pieces,
    windows of documents in spaCy memory zones so that the vocabulary does not grow with the
    corpus; with ``n_process`` above 1, worker processes that send back analyses). Unlike the
    batch, a document the pipeline fails on raises the pipeline's own error, after the
    documents before it: a worker's failure is analysed again in this process to raise it."""
    from kratom_nlp.batch.process import analyze_stream

    nlp = nlp or load()
    for outcome in analyze_stream(nlp, ((str(i), d) for i, d in enumerate(documents)),
                                  n_process=n_process, batch_size=batch_size):
        if outcome.analysis is not None:
            yield outcome.analysis
        elif outcome.exception is not None:
            raise outcome.exception
        else:
            yield analyze_document(outcome.document, nlp)
