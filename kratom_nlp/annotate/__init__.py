"""The annotators' loop: export pre-annotated tasks to Label Studio or Prodigy, import their
annotations (and doccano's) back into the gold corpus format, pick what to annotate next, and
merge new annotations into a corpus to retrain on. See ``docs/annotation.md``.

Modules: ``core`` (regions <-> gold records), ``labelstudio``, ``prodigy``, ``doccano`` (the
formats), ``exporting`` / ``importing`` (the commands' work), ``active`` (uncertainty + MMR),
``merge`` (the retrain hook), ``errors`` (the error classes; their exit codes are in the one
table, :mod:`kratom_nlp.errors`).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "build_record", "build_tasks", "collect_sources", "gold_to_task", "import_file",
    "label_config", "merge_imported", "rank", "validate_labelstudio",
]

_WHERE = {
    "build_record": "core", "gold_to_task": "core", "build_tasks": "exporting",
    "collect_sources": "sources", "validate_labelstudio": "exporting",
    "import_file": "importing", "label_config": "labelstudio", "merge_imported": "merge",
    "rank": "active",
}


def __getattr__(name: str) -> Any:  # lazy: importing the package stays cheap
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"kratom_nlp.annotate.{_WHERE[name]}"), name)
    raise AttributeError(name)
