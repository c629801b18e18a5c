"""Helpers shared by the sub-commands: clear one-line errors and warnings on stderr."""

from __future__ import annotations

from typing import NoReturn

import typer


def warn(message: str) -> None:
    typer.secho(f"warning: {message}", err=True, fg="yellow")


def fail(exc: Exception, code: int | None = None) -> NoReturn:
    """Print ``exc`` as one line and exit with its ``exit_code`` (or ``code``, or 1)."""
    typer.secho(f"error: {exc}", err=True, fg="red")
    raise typer.Exit(code if code is not None else int(getattr(exc, "exit_code", 1)))
