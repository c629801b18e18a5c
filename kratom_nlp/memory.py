"""Giving freed memory back to the system.

glibc's malloc keeps the pages of freed blocks for reuse: the activations of a forward pass
(torch), a tok2vec batch (thinc keeps every layer's output until the network returns) or a
batch's analyses are freed, but the process stays as large as its largest batch. Trimming the
heap after such a step keeps a long ``batch`` run flat: without it ``batch`` grew to 2.4 GB at
1,000 documents and 3.7 GB at 10,000 (see ``eval/results/speed.md`` for today's figures).

spaCy's vocabulary is the other thing that grows: every new word, number or name a pipeline
sees is interned in its ``StringStore`` and ``Vocab`` for good, and the rule lemmatizer caches
a lemma per word and tag. Over millions of articles that grows without bound. :func:`zone`
wraps spaCy's ``Language.memory_zone``: what a window of documents added is evicted when the
window ends (the analyses are plain dicts by then), and an oversized lemma cache is emptied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain, islice
from typing import Any, TypeVar
from weakref import WeakSet

__all__ = ["LEMMA_CACHE_MAX", "ZONE_DOCS", "ZONE_DOCS_MULTIPROCESS", "release_memory",
           "windows", "zone", "zone_docs"]

T = TypeVar("T")

#: entries of a rule lemmatizer's cache kept after a zone (about 200 bytes each)
LEMMA_CACHE_MAX = 50_000

#: documents per memory zone with one process (and per worker process of ``batch`` and
#: ``analyze_many``), and with ``n_process > 1`` where the platform cannot fork and spaCy's own
#: ``nlp.pipe(n_process=...)`` runs, where every window starts fresh worker processes (the
#: workers' own vocabularies are dropped with them)
ZONE_DOCS = 1_000
ZONE_DOCS_MULTIPROCESS = 10_000

_warmed: WeakSet = WeakSet()  # pipelines whose first window ran outside a zone


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None elsewhere). Looked up by name, never through
    ``ctypes.util.find_library``, which forks the (large) process to run ``ldconfig``."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    fn = None
    for name in ("libc.so.6", None):
        try:
            fn = getattr(ctypes.CDLL(name), "malloc_trim", None)
        except OSError:
            continue
        if fn is not None:
            break
    if fn is not None:
        fn.argtypes = [ctypes.c_size_t]
        fn.restype = ctypes.c_int
    return fn


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). About 0.1 ms on a loaded pipeline's heap (median of 50 calls; 4 ms the
    first time)."""
    fn = _malloc_trim()
    if fn is not None:
        fn(0)


@contextmanager
def zone(nlp: Any) -> Iterator[None]:
    """A spaCy memory zone around a window of analyses: the strings and lexemes that the
    documents inside it added are evicted at its end, so a long run's vocabulary stays the
    size of one window's. No ``Doc`` made inside may be used after it (a
    :class:`spacy.tokens.Doc` is turned into an analysis dict before it ends). Inside a zone
    that is already open (zones do not nest) this does nothing.

    The first window of a pipeline runs outside any zone: spaCy's tokenizer does not fill its
    cache inside a zone, and without the common words that window leaves in it the analyses
    ran 8% slower (``eval/results/speed.md``)."""
    if nlp.vocab.in_memory_zone:
        yield
        return
    if nlp not in _warmed:
        _warmed.add(nlp)
        yield
        return
    with nlp.memory_zone():
        yield
    for _, proc in nlp.pipeline:
        cache = getattr(proc, "cache", None)  # spaCy's Lemmatizer: (orth, pos, morph) -> lemmas
        if isinstance(cache, dict) and len(cache) > LEMMA_CACHE_MAX:
            cache.clear()


def zone_docs(n_process: int) -> int:
    """Documents per memory-zone window for a run with ``n_process`` processes."""
    return ZONE_DOCS if n_process == 1 else ZONE_DOCS_MULTIPROCESS


def windows(items: Iterable[T], size: int) -> Iterator[Iterator[T]]:
    """``items`` as consecutive lazy windows of at most ``size`` (each read before the next
    is asked for); nothing is read ahead but the first item of a window."""
    if size < 1:
        raise ValueError(f"a window holds at least 1 item, not {size}")
    it = iter(items)
    end = object()
    while (first := next(it, end)) is not end:
        yield chain([first], islice(it, size - 1))
