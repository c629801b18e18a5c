"""``kratom-nlp batch``: analyse a whole corpus - streaming, resumable, multi-process, or on Ray.

INPUT is a folder of ``.txt``/``.md``/``.html`` files, a ``.jsonl``/``.csv``/``.parquet`` file of
records, or a ``datasets`` ``save_to_disk`` folder (:mod:`kratom_nlp.batch.sources`). OUT is a
folder with ``analyses.jsonl``, ``errors.jsonl`` and, on request, ``documents``/``claims``
tables (:mod:`kratom_nlp.batch.output`, :mod:`kratom_nlp.batch.tables`), locked while a run
writes to it. The engines (``local``, ``ray``) are peers behind one interface
(:mod:`kratom_nlp.batch.engines`). See ``docs/batch.md``.

Exit codes are those of the one table in :mod:`kratom_nlp.errors`: 0 every document analysed,
3 finished but some documents failed (``OUT/errors.jsonl``), 130 interrupted (rerun with
``--resume``), or the code of the fatal error. Each line of ``errors.jsonl`` carries the
``exit_code`` that ``kratom-nlp analyze`` would give that document alone (10-19 for input
problems, 1 when the pipeline itself failed on it).

Importing this package is light (no spaCy model, no Ray); :func:`run_batch` loads what it needs.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BatchOptions",
    "BatchResult",
    "engine_names",
    "print_summary",
    "run_batch",
    "write_tables",
]

_WHERE = {
    "BatchOptions": "engines", "engine_names": "engines", "BatchResult": "runner",
    "run_batch": "runner", "print_summary": "runner", "write_tables": "tables",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"kratom_nlp.batch.{_WHERE[name]}"), name)
    raise AttributeError(name)
