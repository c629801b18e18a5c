"""The Python API: ``analyze`` an article, or ``load`` the pipeline and stream many."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language

from kratom_nlp.ingest import Document, read_path, read_text


def load(config: str | Path | None = None) -> Language:
    """The kratom_nlp pipeline (built once per process and config)."""
    from kratom_nlp.pipeline import load_pipeline

    return load_pipeline(str(config) if config else None)


def analyze_document(document: Document, nlp: Language | None = None) -> dict[str, Any]:
    """Analyse one ingested document; returns the analysis contract dict."""
    from kratom_nlp.outputs.contract import doc_to_analysis

    nlp = nlp or load()
    doc = nlp(document.text)
    return doc_to_analysis(doc, source=document.source, language=document.language,
                           warnings=list(document.warnings))


def analyze(text: str | None = None, *, path: str | Path | None = None,
            source: str = "<text>", nlp: Language | None = None) -> dict[str, Any]:
    """Analyse an article given as ``text`` or as a file ``path`` (txt, md, html)."""
    if (text is None) == (path is None):
        raise ValueError("give exactly one of text= or path=")
    document = read_path(path) if path is not None else read_text(text, source=source)
    return analyze_document(document, nlp)


def analyze_many(documents: Iterable[Document], nlp: Language | None = None, *,
                 batch_size: int = 32, n_process: int = 1) -> Iterator[dict[str, Any]]:
    """Stream analyses of many documents through ``nlp.pipe``."""
    from kratom_nlp.outputs.contract import doc_to_analysis

    nlp = nlp or load()

    def pairs() -> Iterator[tuple[str, Document]]:
        for d in documents:
            yield d.text, d

    for doc, d in nlp.pipe(pairs(), as_tuples=True, batch_size=batch_size, n_process=n_process):
        yield doc_to_analysis(doc, source=d.source, language=d.language,
                              warnings=list(d.warnings))
