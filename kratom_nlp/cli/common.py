"""Helpers shared by the sub-commands: clear one-line errors and warnings on stderr, and the
choices that come from the registries (read from entry points, without importing spaCy)."""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

import typer

TASKS: tuple[str, ...] = ("claim", "evidence", "strength", "advice", "certainty")


def backend_choices() -> list[str]:
    """Short names of the registered backends (entry points of ``spacy_kratom_backends``)."""
    from importlib.metadata import entry_points

    names: list[str] = []
    for ep in sorted(entry_points(group="spacy_kratom_backends"), key=lambda e: e.name):
        if ep.name.startswith("kratom."):
            short = ep.name[len("kratom."):].rsplit(".v", 1)[0]
            if short not in names:
                names.append(short)
    return names or ["rules"]


Backend = StrEnum("Backend", {n: n for n in backend_choices()})  # type: ignore[misc]
"""Every registered backend (``default`` = the manifest's choice)."""

Task = StrEnum("Task", {t: t for t in TASKS})  # type: ignore[misc]


def warn(message: str) -> None:
    typer.secho(f"warning: {message}", err=True, fg="yellow")


def fail(exc: Exception, code: int | None = None) -> NoReturn:
    """Print ``exc`` as one line and exit with its ``exit_code`` (or ``code``, or 1)."""
    typer.secho(f"error: {exc}", err=True, fg="red")
    raise typer.Exit(code if code is not None else int(getattr(exc, "exit_code", 1)))
