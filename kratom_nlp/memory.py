"""Giving freed memory back to the system.

glibc's malloc keeps the pages of freed blocks for reuse: the activations of a forward pass
(torch), a tok2vec batch (thinc keeps every layer's output until the network returns) or a
batch's analyses are freed, but the process stays as large as its largest batch. Trimming the
heap after such a step keeps a long ``batch`` run flat: without it ``batch`` grew to 2.4 GB at
1,000 documents and 3.7 GB at 10,000 (see ``eval/results/speed.md`` for today's figures).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["release_memory"]


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
