"""``kratom-nlp batch``: analyse a whole corpus - streaming, resumable, multi-process, or on Ray.

INPUT is a folder of ``.txt``/``.md``/``.html`` files, a ``.jsonl``/``.csv``/``.parquet`` file of
records, or a ``datasets`` ``save_to_disk`` folder (:mod:`kratom_nlp.batch.sources`). OUT is a
folder with ``analyses.jsonl``, ``errors.jsonl`` and, on request, ``documents``/``claims``
tables (:mod:`kratom_nlp.batch.output`, :mod:`kratom_nlp.batch.tables`). See ``docs/batch.md``.

Exit codes of ``kratom-nlp batch``:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     every document was analysed (or was already done)
3     the batch finished, but some documents failed: see ``OUT/errors.jsonl``
1     unexpected internal error
2     usage error (bad option value; ``--text-field`` column not in INPUT)
10    INPUT does not exist
16    INPUT is not a supported kind (or is a ``DatasetDict``: pass one split)
19    INPUT cannot be read (corrupt Parquet, broken ``datasets`` folder)
20    the pipeline ``--config`` cannot be loaded
21    OUT cannot be used (not empty without ``--resume``, not a folder, or started
      with another ``--id-field``/``--text-field``)
22    ``--engine ray``: Ray is not installed, cannot start, or the Ray run failed
130   interrupted (Ctrl-C): results so far are kept; rerun with ``--resume``
====  ==========================================================================

Each line of ``errors.jsonl`` carries the ``exit_code`` that ``kratom-nlp analyze`` would give
that document alone: 10-19 for input problems (12 empty, 13 binary, 14 encoding, 15 too large,
16 unsupported file type, 17 no text in HTML, 19 malformed record / missing text field), 1 when
the pipeline itself failed on it.

Importing this package is light (no spaCy model, no Ray); :func:`run_batch` loads what it needs.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXIT_CODES",
    "BatchError",
    "BatchOptions",
    "BatchResult",
    "run_batch",
    "write_tables",
]

EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "internal_error": 1,
    "usage": 2,
    "some_documents_failed": 3,
    "input_missing": 10,
    "input_unsupported": 16,
    "input_unreadable": 19,
    "config": 20,
    "out_unusable": 21,
    "ray": 22,
    "interrupted": 130,
}


def __getattr__(name: str) -> Any:
    if name in ("BatchError", "BatchOptions", "BatchResult", "run_batch", "print_summary"):
        from kratom_nlp.batch import runner

        return getattr(runner, name)
    if name == "write_tables":
        from kratom_nlp.batch.tables import write_tables

        return write_tables
    raise AttributeError(name)
