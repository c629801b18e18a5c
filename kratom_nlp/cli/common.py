"""Helpers shared by the sub-commands: clear one-line errors and warnings on stderr (every
command exits through :func:`fail` with the code of the one table in :mod:`kratom_nlp.errors`),
and the choices that come from the registries (read from entry points, without importing
spaCy)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from spacy.language import Language

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
    """``warning: <message>`` on stderr."""
    typer.secho(f"warning: {message}", err=True, fg="yellow")


def fail(exc: BaseException, *, details: Sequence[object] = ()) -> NoReturn:
    """Print ``exc`` as one line on stderr (after one ``error:`` line per item of ``details``)
    and exit with its code.

    The code is ``exc.exit_code`` for a :class:`~kratom_nlp.errors.KratomError` (the one table
    in :mod:`kratom_nlp.errors`), else 1: wrap other exceptions in the error class that says
    what went wrong before calling this.
    """
    from kratom_nlp.errors import exit_code_of

    for item in details:
        typer.secho(f"error: {' '.join(str(item).split())}", err=True, fg="red")
    message = " ".join(str(exc).split()) or type(exc).__name__
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(exit_code_of(exc))


def load_pipeline_or_fail(config: Path | None) -> Language:
    """The pipeline of ``config`` (default: the bundled one), or exit with the config error."""
    from kratom_nlp.api import load
    from kratom_nlp.errors import ConfigError, KratomError

    try:
        return load(config)
    except KratomError as exc:
        fail(exc)
    except (OSError, ValueError) as exc:
        fail(ConfigError(f"cannot load the pipeline config {config}: {exc}"))
