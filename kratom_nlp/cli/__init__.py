"""The ``kratom-nlp`` command line (Typer). Sub-commands import what they need lazily."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kratom-nlp",
    help="Find health claims in articles, grade their evidence, and flag overclaims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from kratom_nlp import __version__

        typer.echo(f"kratom-nlp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Find health claims in articles, grade their evidence, and flag overclaims."""


def _register() -> None:
    from kratom_nlp.cli import analyze  # noqa: F401
    for optional in ("batch", "corpus", "train", "annotate", "serve"):
        try:
            __import__(f"kratom_nlp.cli.{optional}")
        except ModuleNotFoundError as exc:  # a sub-command module not present in this build
            if exc.name != f"kratom_nlp.cli.{optional}":
                raise


def main() -> None:
    """Entry point of ``kratom-nlp`` and ``python -m kratom_nlp``.

    A :class:`~kratom_nlp.errors.KratomError` that a command did not handle still ends as one
    line on stderr and its exit code, never a traceback.
    """
    import gc

    from kratom_nlp.errors import KratomError, exit_code_of

    # Importing spaCy and torch and loading the models allocate millions of long-lived objects;
    # with the default thresholds (700, 10, 10) the collector rescans them again and again.
    # Collecting less often makes a cold `analyze` about 4% faster (2.90 vs 3.02 s, medians of
    # six alternating runs: `eval/benchmark_gc.py`). Cycles are still collected, only in larger
    # batches, so a long batch's memory stays bounded.
    gc.set_threshold(20_000, 20, 20)
    _register()
    try:
        app()
    except KratomError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise SystemExit(exit_code_of(exc)) from None
