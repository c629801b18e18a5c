"""``run_batch``: INPUT -> OUT with the local engine (``nlp.pipe``) or Ray."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.batch.output import SUMMARY, OutputDir, OutputError, check, prepare
from kratom_nlp.batch.sources import InputSpecError, Source, assign_ids, open_source
from kratom_nlp.batch.stats import Stats, summary_table
from kratom_nlp.ingest import DEFAULT_MAX_BYTES, Document

__all__ = ["BatchError", "BatchOptions", "BatchResult", "Progress", "run_batch"]

EXIT_OK = 0
EXIT_SOME_FAILED = 3
EXIT_CONFIG = 20
EXIT_RAY = 22
EXIT_INTERRUPTED = 130


class BatchError(Exception):
    """A fatal error: the batch cannot start or go on (``exit_code`` for the CLI)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code


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


@dataclass
class BatchResult:
    """What a run did: this run's and OUT's totals, and the exit code it earns."""

    out: Path
    run: Stats
    total: Stats
    skipped: int
    elapsed: float
    processing: float = 0.0
    notes: list[str] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.total.errors else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {"this_run": self.run.to_dict(), "all_in_out": self.total.to_dict(),
                "skipped": self.skipped, "elapsed_s": round(self.elapsed, 3),
                "processing_s": round(self.processing, 3),
                "docs_per_s": round(self.docs_per_s, 3), "exit_code": self.exit_code}

    @property
    def docs_per_s(self) -> float:
        """Documents per second while streaming (pipeline load and tables excluded)."""
        return self.run.documents / self.processing if self.processing > 0 else 0.0


class Progress:
    """A rich progress bar on stderr (documents, rate, ETA); silent when off or not a TTY."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0
        if not enabled:
            return
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        # auto_refresh=False: no refresh thread (n_process forks workers while it runs).
        self._bar = RichProgress(
            TextColumn("[bold]documents"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=console, auto_refresh=False, transient=False)

    @property
    def active(self) -> bool:
        return self._bar is not None

    def start(self, total: int | None, completed: int) -> None:
        """Show the bar (``total`` may be None: no ETA)."""
        if self._bar is None:
            return
        self._bar.start()
        if total is not None:
            completed = min(completed, total)
        self._task = self._bar.add_task("batch", total=total, completed=completed, rate="")
        self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        """``n`` more documents done (redrawn at most 5 times a second)."""
        if self._bar is None:
            return
        self._bar.advance(self._task, n)
        now = time.monotonic()
        if now - self._last >= 0.2:
            speed = self._bar.tasks[0].speed
            self._bar.update(self._task, rate=f"{speed:.1f} docs/s" if speed else "")
            self._bar.refresh()
            self._last = now

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.refresh()
            self._bar.stop()


class _Run:
    """Mutable state of one run, shared by the engines."""

    def __init__(self, od: OutputDir, progress: Progress) -> None:
        self.od = od
        self.progress = progress
        self.stats = Stats()
        self.skipped = 0

    def analysis(self, doc_id: str, analysis: dict[str, Any]) -> None:
        self.od.write_analysis(doc_id, analysis)
        self.stats.add_analysis(analysis)
        self.progress.advance()

    def error(self, record: dict[str, Any]) -> None:
        self.od.write_error(record)
        self.stats.add_error(record)
        self.progress.advance()


def _load_nlp(config: Path | None) -> Any:
    from kratom_nlp.api import load

    try:
        return load(config)
    except (OSError, ValueError) as exc:
        raise BatchError(f"cannot load the pipeline config {config}: {exc}", EXIT_CONFIG) from exc


def _check_config(config: Path | None) -> None:
    """Fail early (exit 20) on a --config that is missing or does not parse."""
    if config is None:
        return
    from spacy import util

    try:
        util.load_config(Path(config), interpolate=False)
    except (OSError, ValueError) as exc:
        raise BatchError(f"cannot load the pipeline config {config}: {exc}", EXIT_CONFIG) from exc


def _run_local(opts: BatchOptions, source: Source, run: _Run, nlp: Any) -> None:
    from kratom_nlp.batch.process import analyze_stream, error_record

    done = run.od.done

    def feed() -> Iterator[tuple[str, Document]]:
        for item in assign_ids(source):
            if item.id in done:
                run.skipped += 1
            elif item.error is not None:
                run.error(error_record(item.id, item.source, item.error))
            elif item.document is not None:
                yield item.id, item.document

    for outcome in analyze_stream(nlp, feed(), n_process=opts.n_process,
                                  batch_size=opts.batch_size):
        if outcome.analysis is not None:
            run.analysis(outcome.id, outcome.analysis)
        elif outcome.error is not None:
            run.error(outcome.error)


def run_batch(opts: BatchOptions, *, nlp: Any = None) -> BatchResult:
    """Analyse every document of ``opts.input`` into ``opts.out`` (see ``docs/batch.md``).

    Raises :class:`BatchError` for fatal problems (bad INPUT, unusable OUT, config, Ray);
    documents that fail are written to ``errors.jsonl`` and the batch goes on.
    ``KeyboardInterrupt`` propagates after the results so far are synced to disk.
    """
    if opts.n_process < 1 or opts.batch_size < 1:
        raise BatchError("--n-process and --batch-size must be at least 1", 2)
    if opts.engine not in ("local", "ray"):
        raise BatchError(f"unknown engine {opts.engine!r} (local or ray)", 2)
    started = time.perf_counter()
    try:
        source = open_source(opts.input, text_field=opts.text_field, id_field=opts.id_field,
                             max_bytes=opts.max_bytes)
    except InputSpecError as exc:
        raise BatchError(str(exc), exc.exit_code) from None
    from kratom_nlp import __version__
    from kratom_nlp.outputs.contract import SCHEMA_VERSION

    manifest = {
        "kratom_nlp": __version__, "schema_version": SCHEMA_VERSION,
        "input": str(Path(opts.input).resolve()), "kind": source.kind,
        "text_field": opts.text_field, "id_field": opts.id_field,
        "config": str(Path(opts.config).resolve()) if opts.config else None,
        "engine": opts.engine,
    }
    try:
        check(opts.out, resume=opts.resume)  # before the (slow) pipeline load
        _check_config(opts.config)
        if opts.engine == "local" and nlp is None:  # before OUT is touched
            nlp = _load_nlp(opts.config)
        od = prepare(opts.out, resume=opts.resume, manifest=manifest)
    except OutputError as exc:
        raise BatchError(str(exc), exc.exit_code) from None
    for note in od.notes:
        print(f"note: {note}", file=sys.stderr)
    od.open_writers(opts.batch_size)
    progress = Progress(enabled=not opts.quiet)
    run = _Run(od, progress)
    streaming = time.perf_counter()
    try:
        progress.start(source.total() if progress.active else None, len(od.done))
        if opts.engine == "ray":
            from kratom_nlp.batch.ray_engine import run_ray

            run_ray(opts, source, run)
        else:
            _run_local(opts, source, run, nlp)
    finally:
        progress.stop()
        od.close()
    processing = time.perf_counter() - streaming
    tables = []
    if any(f in ("parquet", "csv") for f in opts.formats):
        from kratom_nlp.batch.tables import write_tables

        tables = write_tables(od.path, opts.formats)
    elapsed = time.perf_counter() - started
    result = BatchResult(out=od.path, run=run.stats, total=od.prior.merged(run.stats),
                         skipped=run.skipped, elapsed=elapsed, processing=processing,
                         notes=od.notes, tables=tables)
    od.write_json(SUMMARY, result.to_dict())
    return result


def print_summary(result: BatchResult) -> None:
    """The closing summary table, on stderr."""
    from rich.console import Console

    Console(stderr=True).print(summary_table(result.run, result.total, skipped=result.skipped,
                                             elapsed=result.elapsed,
                                             docs_per_s=result.docs_per_s))
