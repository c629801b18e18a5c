"""The batch engines' public interface: what :func:`~kratom_nlp.batch.runner.run_batch` asks of
an engine, the state an engine reports its results to, and the engines by name.

An engine turns the documents of a :class:`~kratom_nlp.batch.sources.Source` into analyses and
error records. It never writes OUT itself: it hands every outcome to the :class:`RunState`, in
input order, which appends it to ``analyses.jsonl`` / ``errors.jsonl`` and counts it. The two
engines are peers behind this interface:

``local``
    :class:`kratom_nlp.batch.local_engine.LocalEngine` - ``nlp.pipe`` in this process
    (``--n-process`` worker processes);
``ray``
    :class:`kratom_nlp.batch.ray_engine.RayEngine` - Ray Data actors (``pip install
    'kratom_nlp[ray]'``).

Engines are found by name in :data:`ENGINES` (``module:Class``) and imported only when chosen,
so this module, the runner and the CLI never import Ray.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kratom_nlp.batch.output import OutputDir
from kratom_nlp.batch.sources import Source
from kratom_nlp.batch.stats import Stats
from kratom_nlp.errors import ConfigError, KratomError, UsageError
from kratom_nlp.ingest import DEFAULT_MAX_BYTES

if TYPE_CHECKING:  # spaCy is imported when a pipeline is loaded, not with this module
    from spacy.language import Language

__all__ = [
    "ENGINES", "BatchOptions", "Engine", "RunState", "check_config", "engine_names",
    "get_engine", "pipeline_for",
]

ENGINES: dict[str, str] = {
    "local": "kratom_nlp.batch.local_engine:LocalEngine",
    "ray": "kratom_nlp.batch.ray_engine:RayEngine",
}
"""Engine name -> ``module:Class`` (the class takes the keyword ``nlp``)."""


@dataclass
class BatchOptions:
    """Everything ``kratom-nlp batch`` takes (see ``docs/batch.md``)."""

    input: Path
    out: Path
    text_field: str = "text"
    id_field: str = "id"
    n_process: int = 1
    batch_size: int = 32
    formats: tuple[str, ...] = ("jsonl",)
    engine: str = "local"
    resume: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    config: Path | None = None
    quiet: bool = False
    # forget the pipeline (kratom_nlp.api.unload) once the documents are analysed, before
    # the tables are written: pyarrow's ~70 MB then come on a process ~150 MB smaller. The
    # command sets it; a caller in a longer-lived process keeps its pipeline loaded.
    unload_before_tables: bool = False


class RunState:
    """One run's results so far: engines report each document here, in input order."""

    def __init__(self, out: OutputDir, advance: Callable[[], None] | None = None) -> None:
        self.out = out
        self.stats = Stats()
        self.skipped = 0
        self._advance = advance or (lambda: None)

    @property
    def done(self) -> set[str]:
        """Ids already in OUT (from earlier runs): an engine skips them with :meth:`skip`."""
        return self.out.done

    def analysis(self, doc_id: str, analysis: dict[str, Any]) -> None:
        """Append one analysis to ``analyses.jsonl`` and count it."""
        self.out.write_analysis(doc_id, analysis)
        self.stats.add_analysis(analysis)
        self._advance()

    def error(self, record: dict[str, Any]) -> None:
        """Append one ``errors.jsonl`` record and count it."""
        self.out.write_error(record)
        self.stats.add_error(record)
        self._advance()

    def skip(self) -> None:
        """Count a document whose id is already in OUT."""
        self.skipped += 1


@runtime_checkable
class Engine(Protocol):
    """A batch engine (see the module docstring)."""

    name: str

    def prepare(self, opts: BatchOptions) -> None:
        """Fail early, before OUT is touched: load the pipeline, check that Ray is there, ...

        Raises a :class:`~kratom_nlp.errors.KratomError` (config 20, batch 40, ...)."""
        ...

    def run(self, opts: BatchOptions, source: Source, state: RunState) -> None:
        """Analyse every document of ``source`` not in ``state.done``; report each outcome to
        ``state`` in input order. Per-document failures are error records, not exceptions."""
        ...


def engine_names() -> tuple[str, ...]:
    """The registered engine names (``local`` first)."""
    return tuple(ENGINES)


def get_engine(name: str, *, nlp: Language | None = None) -> Engine:
    """The engine called ``name``; ``nlp`` is a loaded pipeline an engine may reuse.

    Raises :class:`~kratom_nlp.errors.UsageError` for an unknown name.
    """
    target = ENGINES.get(name)
    if target is None:
        raise UsageError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    engine = factory(nlp=nlp)
    if not isinstance(engine, Engine):
        raise TypeError(f"{target} does not implement the batch Engine interface")
    return engine


def check_config(config: Path | None) -> None:
    """Fail early (:class:`~kratom_nlp.errors.ConfigError`) on a ``--config`` that is missing
    or does not parse; loading it fully is the engine's job."""
    if config is None:
        return
    from spacy import util

    try:
        util.load_config(Path(config), interpolate=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the pipeline config {config}: {exc}") from exc


def pipeline_for(config: Path | str | None) -> Language:
    """The pipeline for ``config`` (the bundled one when None); :class:`ConfigError` if it
    cannot be built."""
    from kratom_nlp.api import load

    try:
        return load(config)
    except KratomError:
        raise
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the pipeline config {config}: {exc}") from exc
