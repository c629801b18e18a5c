"""Corpora: the project's gold corpora (``load``) and loaders for the public data sets.

Two gold corpora: ``written`` (articles the project wrote, ``corpora/gold``) and ``real``
(articles written by others, FakeHealth, stored stand-off in ``corpora/real``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CORPORA", "build", "counts", "load", "to_docbin"]

CORPORA: tuple[str, ...] = ("written", "real")


def load(path: Any = None, *, level: str = "sentence", corpus: str = "written",
         split: str | None = None, data_dir: Any = None, layer: str = "gold") -> Any:
    """A gold corpus.

    ``corpus="written"`` (default): the project-written corpus as a ``datasets.DatasetDict``
    (see :func:`kratom_nlp.corpora.gold.load`; ``path``, ``level``).
    ``corpus="real"``: the real-text corpus as a list of articles with their texts resolved
    from a local copy of FakeHealth and hash-checked (see :func:`kratom_nlp.corpora.real.load`;
    ``split``, ``data_dir``, ``layer``, and ``path`` for another corpus folder).
    """
    if corpus == "real":
        from kratom_nlp.corpora.real import load as _load_real

        return _load_real(split, data_dir, layer, root=path)
    if corpus != "written":
        raise ValueError(f"unknown corpus {corpus!r}: one of {', '.join(CORPORA)}")
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
