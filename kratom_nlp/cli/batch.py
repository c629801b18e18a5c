"""``kratom-nlp batch``: analyse a corpus into an OUT folder (streaming, resumable)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail


def _engine_names() -> list[str]:
    from kratom_nlp.batch.engines import engine_names

    return list(engine_names())


class TableFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"
    csv = "csv"


Engine = StrEnum("Engine", {n: n for n in _engine_names()})  # type: ignore[misc]
"""The registered batch engines (:data:`kratom_nlp.batch.engines.ENGINES`)."""

_EPILOG = (
    "Exit codes: 0 all documents analysed; 3 finished but some documents failed "
    "(OUT/errors.jsonl); 2 usage; 10/16 INPUT missing/unsupported; 20 config; 22 OUT not "
    "usable (non-empty without --resume); 40 Ray; 41 INPUT unreadable; 42 OUT in use by "
    "another run; 130 interrupted (use --resume). The full table: docs/reliability.md."
)


@app.command(epilog=_EPILOG)
def batch(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT",
        help="A folder of .txt/.md/.html files, a .jsonl/.csv/.parquet file, or a datasets "
             "save_to_disk folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created if missing)."),
    text_field: str = typer.Option("text", help="Record field holding the article text."),
    id_field: str = typer.Option("id", help="Record field holding the document id."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1,
                                  help="Worker processes (Ray: actors)."),
    batch_size: int = typer.Option(32, "--batch-size", "-b", min=1,
                                   help="Documents per nlp.pipe batch (and per fsync)."),
    fmt: list[TableFormat] = typer.Option(
        [TableFormat.jsonl], "--format", "-f",
        help="jsonl (always written); parquet and/or csv add documents/claims tables. "
             "Repeat for several."),
    engine: Engine = typer.Option("local", help="local (nlp.pipe) or ray (Ray Data)."),
    resume: bool = typer.Option(False, "--resume",
                                help="Continue an earlier run into a non-empty OUT."),
    max_bytes: int = typer.Option(10_000_000, min=1, help="Skip documents larger than this."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="No progress bar and no summary table."),
) -> None:
    """Analyse every document of INPUT into OUT/analyses.jsonl (+ errors.jsonl, tables)."""
    from kratom_nlp.batch.runner import BatchOptions, print_summary, run_batch
    from kratom_nlp.errors import EXIT_INTERRUPTED, KratomError

    opts = BatchOptions(
        input=input_path, out=out, text_field=text_field, id_field=id_field,
        n_process=n_process, batch_size=batch_size,
        formats=tuple(dict.fromkeys(["jsonl", *(f.value for f in fmt)])), engine=engine.value,
        resume=resume, max_bytes=max_bytes, config=config, quiet=quiet,
        unload_before_tables=True)
    try:
        result = run_batch(opts)
    except KratomError as exc:
        fail(exc)
    except KeyboardInterrupt:
        typer.secho(f"interrupted: results so far are in {out}; rerun with --resume to "
                    "continue", err=True, fg="yellow")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        print_summary(result)
    if result.run.errors:
        typer.secho(f"{result.run.errors} document(s) failed; see {out / 'errors.jsonl'}",
                    err=True, fg="yellow")
    raise typer.Exit(result.exit_code)
