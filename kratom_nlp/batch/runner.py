"""``run_batch``: INPUT -> OUT with the engine named by ``--engine`` (see
:mod:`kratom_nlp.batch.engines`); the OUT folder is locked for the length of the run."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kratom_nlp.batch.engines import BatchOptions, RunState, check_config, get_engine
from kratom_nlp.batch.output import SUMMARY, acquire_lock, check, prepare
from kratom_nlp.batch.sources import open_source
from kratom_nlp.batch.stats import Stats, summary_table
from kratom_nlp.errors import EXIT_OK, EXIT_SOME_FAILED, OutputError, UsageError

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["BatchOptions", "BatchResult", "Progress", "print_summary", "run_batch"]


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


def run_batch(opts: BatchOptions, *, nlp: Language | None = None) -> BatchResult:
    """Analyse every document of ``opts.input`` into ``opts.out`` (see ``docs/batch.md``).

    Raises a :class:`~kratom_nlp.errors.KratomError` for fatal problems, each with its exit
    code: INPUT missing or of an unsupported kind (10, 16) or unreadable (41), a bad option (2),
    the config (20), OUT unusable (22), OUT locked by another live run (42), Ray (40). Documents
    that fail are written to ``errors.jsonl`` and the batch goes on. ``KeyboardInterrupt``
    propagates after the results so far are synced to disk and the lock is released.
    """
    if opts.n_process < 1 or opts.batch_size < 1:
        raise UsageError("--n-process and --batch-size must be at least 1")
    if opts.max_bytes < 1:
        raise UsageError(f"--max-bytes must be at least 1, not {opts.max_bytes}")
    engine = get_engine(opts.engine, nlp=nlp)
    started = time.perf_counter()
    source = open_source(opts.input, text_field=opts.text_field, id_field=opts.id_field,
                         max_bytes=opts.max_bytes)
    from kratom_nlp import __version__
    from kratom_nlp.outputs.contract import SCHEMA_VERSION

    manifest = {
        "kratom_nlp": __version__, "schema_version": SCHEMA_VERSION,
        "input": str(Path(opts.input).resolve()), "kind": source.kind,
        "text_field": opts.text_field, "id_field": opts.id_field,
        "config": str(Path(opts.config).resolve()) if opts.config else None,
        "engine": opts.engine,
    }
    out = Path(opts.out)
    check(out, resume=opts.resume)  # before the (slow) pipeline load
    check_config(opts.config)
    engine.prepare(opts)  # before OUT is touched
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create OUT ({exc.strerror or exc})") from exc
    with acquire_lock(out) as lock:
        od = prepare(out, resume=opts.resume, manifest=manifest, locked=True)
        if lock.note:
            od.notes.insert(0, lock.note)
        for note in od.notes:
            print(f"note: {note}", file=sys.stderr)
        od.open_writers(opts.batch_size)
        progress = Progress(enabled=not opts.quiet)
        state = RunState(od, progress.advance)
        streaming = time.perf_counter()
        try:
            progress.start(source.total() if progress.active else None, len(od.done))
            engine.run(opts, source, state)
        finally:
            progress.stop()
            od.close()
        processing = time.perf_counter() - streaming
        tables = []
        if any(f in ("parquet", "csv") for f in opts.formats):
            from kratom_nlp.batch.tables import write_tables
            from kratom_nlp.memory import release_memory

            if opts.unload_before_tables:
                from kratom_nlp.api import unload

                engine = None  # type: ignore[assignment]  # its pipeline goes with it
                unload()
            release_memory()  # the analyses' freed heap, back before pyarrow comes in
            tables = write_tables(od.path, opts.formats)
        elapsed = time.perf_counter() - started
        result = BatchResult(out=od.path, run=state.stats, total=od.prior.merged(state.stats),
                             skipped=state.skipped, elapsed=elapsed, processing=processing,
                             notes=od.notes, tables=tables)
        od.write_json(SUMMARY, result.to_dict())
    return result


def print_summary(result: BatchResult) -> None:
    """The closing summary table, on stderr."""
    from rich.console import Console

    Console(stderr=True).print(summary_table(result.run, result.total, skipped=result.skipped,
                                             elapsed=result.elapsed,
                                             docs_per_s=result.docs_per_s))
