"""Corpora: the project's gold corpus (``load``) and loaders for the public data sets."""

from __future__ import annotations

from typing import Any

__all__ = ["build", "counts", "load", "to_docbin"]


def load(path: Any = None, *, level: str = "sentence") -> Any:
    """The gold corpus as a ``datasets.DatasetDict`` (see :func:`kratom_nlp.corpora.gold.load`)."""
    from kratom_nlp.corpora.gold import load as _load

    return _load(path, level=level)


def build(corpus_dir: Any = None) -> dict[str, int]:
    from kratom_nlp.corpora.gold import DEFAULT_CORPUS
    from kratom_nlp.corpora.gold import build as _build

    return _build(corpus_dir or DEFAULT_CORPUS)


def counts(path: Any = None) -> dict[str, Any]:
    from kratom_nlp.corpora.gold import counts as _counts

    return _counts(path)


def to_docbin(articles_path: Any, nlp: Any = None) -> Any:
    from kratom_nlp.corpora.gold import to_docbin as _to_docbin

    return _to_docbin(articles_path, nlp)
