"""Errors of the annotation round trip; each names the file and, where known, the task.

``str(err)`` is one line: ``"<source> task <task>: <message>"``. Exit codes of
``kratom-nlp annotate`` (input errors of the article readers keep their codes 10-19, a pipeline
that cannot be loaded is 20):

=========================  ====  ===========================================================
class                      code  meaning
=========================  ====  ===========================================================
AnnotateError (base)        30   any other problem with an annotation file
FormatError                 31   the file's format cannot be recognised or is not the one named
JSONSyntaxError             32   truncated or invalid JSON / JSONL (the message gives the position)
OffsetError                 33   a span's text differs from ``text[start:end]`` or lies outside it
UnknownLabelError           34   a label, choice value or control name outside the label set
LossyImportError            35   a label the corpus format cannot hold (refused, never dropped)
InconsistentLabelsError     36   labels that break the labelling rules (overlapping sentences,
                                 evidence without a cue, ...)
NothingToImportError        37   no task of the file carries an annotation
OutputError                 38   the output cannot be written (or would replace the gold corpus)
=========================  ====  ===========================================================
"""

from __future__ import annotations

__all__ = [
    "EXIT_CODES", "AnnotateError", "FormatError", "ImportFailed", "InconsistentLabelsError",
    "JSONSyntaxError", "LossyImportError", "NothingToImportError", "OffsetError", "OutputError",
    "UnknownLabelError",
]


class AnnotateError(Exception):
    """Base class: an annotation file or task that cannot be converted."""

    exit_code: int = 30

    def __init__(self, message: str, *, source: str | None = None,
                 task: str | int | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(str(message).split())
        self.source = source
        self.task = None if task is None else str(task)

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


class OutputError(AnnotateError):
    exit_code = 38


class ImportFailed(AnnotateError):
    """Several problems found in one file; ``problems`` lists them all (first one sets the code)."""

    def __init__(self, problems: list[AnnotateError], *, source: str | None = None) -> None:
        first = problems[0]
        super().__init__(f"{len(problems)} problem(s); first: {first}", source=None)
        self.problems = problems
        self.exit_code = first.exit_code
        self.source = source


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (AnnotateError, FormatError, JSONSyntaxError, OffsetError, UnknownLabelError,
                LossyImportError, InconsistentLabelsError, NothingToImportError, OutputError)
}
