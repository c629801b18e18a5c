"""Errors of the annotation round trip; each names the file and, where known, the task.

``str(err)`` is one line: ``"<source> task <task>: <message>"``. The exit codes (30-37) are
listed in the one exit-code table, :mod:`kratom_nlp.errors`; an article that cannot be read keeps
its input code (10-19), an output that cannot be written is :class:`kratom_nlp.errors.OutputError`
(22).
"""

from __future__ import annotations

from kratom_nlp.errors import KratomError

__all__ = [
    "MESSAGE_LIMIT", "VALUE_LIMIT", "AnnotateError", "FormatError", "ImportFailed",
    "InconsistentLabelsError", "JSONSyntaxError", "LossyImportError", "NothingToImportError",
    "OffsetError", "UnknownLabelError", "clip",
]

VALUE_LIMIT = 60
"""Characters of a value from the file (a label, a choice) quoted in a message."""
MESSAGE_LIMIT = 1000
"""Characters of one message: a file's content is never echoed whole on stderr."""


def clip(value: object, limit: int = VALUE_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters, saying how much was left out."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class AnnotateError(KratomError):
    """Base class: an annotation file or task that cannot be converted."""

    exit_code: int = 30

    def __init__(self, message: str, *, source: str | None = None,
                 task: str | int | None = None) -> None:
        text = " ".join(str(message).split())
        if len(text) > MESSAGE_LIMIT:
            text = f"{text[:MESSAGE_LIMIT]}… ({len(text) - MESSAGE_LIMIT:,} more characters)"
        super().__init__(text)
        self.message = text
        self.source = source
        name = None if task is None else str(task)
        if name is not None and len(name) > VALUE_LIMIT:
            name = f"{name[:VALUE_LIMIT]}…"
        self.task = name

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.task is not None:
            where.append(f"task {self.task}")
        return f"{' '.join(where)}: {self.message}" if where else self.message


class FormatError(AnnotateError):
    exit_code = 31


class JSONSyntaxError(AnnotateError):
    exit_code = 32


class OffsetError(AnnotateError):
    exit_code = 33


class UnknownLabelError(AnnotateError):
    exit_code = 34


class LossyImportError(AnnotateError):
    exit_code = 35


class InconsistentLabelsError(AnnotateError):
    exit_code = 36


class NothingToImportError(AnnotateError):
    exit_code = 37


class ImportFailed(AnnotateError):
    """Several problems found in one file; ``problems`` lists them all (first one sets the code)."""

    def __init__(self, problems: list[AnnotateError], *, source: str | None = None) -> None:
        first = problems[0]
        super().__init__(f"{len(problems)} problem(s); first: {first}", source=None)
        self.problems = problems
        self.exit_code = first.exit_code
        self.source = source
