"""Errors raised while reading an article into text (exit codes 10-19).

Every error is an :class:`InputError` (a :class:`kratom_nlp.errors.KratomError`) carrying a
human ``message``, the ``source`` it concerns (a path, ``"<stdin>"`` or a record id), an
optional ``hint`` telling the user what to do, and an ``exit_code`` for the CLI.
``str(err)`` is a single line: ``"<source>: <message> (hint: <hint>)"``.

The exit code of each class is listed in the one exit-code table, :mod:`kratom_nlp.errors`;
all input errors live in 10-19, so a caller can test ``10 <= rc <= 19`` for "bad input".
"""

from __future__ import annotations

from typing import Any

from kratom_nlp.errors import KratomError

__all__ = [
    "BinaryInputError",
    "EmptyInputError",
    "EncodingInputError",
    "InputError",
    "IsADirectoryInputError",
    "MissingPathError",
    "NoTextError",
    "TooLargeError",
    "UnsupportedFormatError",
]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _rebuild(cls: type[InputError], state: dict[str, Any]) -> InputError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, state.get("message", ""))
    return err


class InputError(KratomError):
    """Base class: the input could not be turned into article text."""

    exit_code: int = 19
    default_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        source: str = "<input>",
        hint: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.source: str = source
        self.hint: str | None = hint if hint is not None else self.default_hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        text = f"{self.source}: {_one_line(self.message)}"
        if self.hint:
            text += f" (hint: {_one_line(self.hint)})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, source={self.source!r}, "
            f"exit_code={self.exit_code!r}, hint={self.hint!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses have keyword-only constructors; pickle via the instance dict
        # so errors survive multiprocessing (batch mode).
        return (_rebuild, (type(self), dict(self.__dict__)))


class MissingPathError(InputError):
    exit_code = 10

    def __init__(self, source: str, *, message: str | None = None, hint: str | None = None):
        super().__init__(
            message or "no such file",
            source=source,
            hint=hint or "check the path (relative paths start from the current directory)",
        )


class IsADirectoryInputError(InputError):
    exit_code = 11

    def __init__(self, source: str, *, message: str | None = None, hint: str | None = None):
        super().__init__(
            message or "is a directory, expected a single article file",
            source=source,
            hint=hint or "pass one file, or use the batch command for many articles",
        )


class EmptyInputError(InputError):
    exit_code = 12

    def __init__(self, source: str, *, message: str | None = None, hint: str | None = None):
        super().__init__(
            message or "input is empty (no non-whitespace text)",
            source=source,
            hint=hint,
        )


class BinaryInputError(InputError):
    exit_code = 13

    def __init__(
        self,
        source: str,
        *,
        reason: str = "contains NUL bytes",
        message: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(
            message or f"input looks binary ({reason}), not text",
            source=source,
            hint=hint or "convert the document to plain text, Markdown or HTML first",
        )
        self.reason: str = reason


class EncodingInputError(InputError):
    exit_code = 14

    def __init__(
        self,
        source: str,
        *,
        encoding: str,
        offset: int | None = None,
        bad_byte: int | None = None,
        message: str | None = None,
        hint: str | None = None,
    ):
        if message is None:
            message = f"input is not valid {encoding}"
            if bad_byte is not None and offset is not None:
                message += f": byte 0x{bad_byte:02X} at offset {offset} cannot be decoded"
            elif offset is not None:
                message += f": first undecodable byte at offset {offset}"
        super().__init__(
            message,
            source=source,
            hint=hint
            or "re-run with --encoding latin-1 (or the file's real encoding, e.g. cp1252)",
        )
        self.encoding: str = encoding
        self.offset: int | None = offset
        self.bad_byte: int | None = bad_byte


class TooLargeError(InputError):
    exit_code = 15

    def __init__(
        self,
        source: str,
        *,
        limit: int,
        size: int | None = None,
        message: str | None = None,
        hint: str | None = None,
    ):
        if message is None:
            got = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
            message = f"input is too large ({got})"
        super().__init__(
            message,
            source=source,
            hint=hint
            or f"the limit is {limit:,} bytes; raise it with --max-bytes N if this is intended",
        )
        self.limit: int = limit
        self.size: int | None = size


class UnsupportedFormatError(InputError):
    exit_code = 16

    def __init__(
        self,
        source: str,
        *,
        suffix: str,
        supported: tuple[str, ...] = (),
        message: str | None = None,
        hint: str | None = None,
    ):
        shown = suffix or "(none)"
        if message is None:
            message = f"unsupported file type {shown!r}"
        if hint is None:
            listing = ", ".join(supported) if supported else "plain text, Markdown, HTML"
            hint = (
                f"supported suffixes: {listing} (no suffix = plain text); "
                "convert PDF/DOCX to text first, e.g. with pdftotext or pandoc"
            )
        super().__init__(message, source=source, hint=hint)
        self.suffix: str = suffix
        self.supported: tuple[str, ...] = tuple(supported)


class NoTextError(InputError):
    exit_code = 17

    def __init__(self, source: str, *, message: str | None = None, hint: str | None = None):
        super().__init__(
            message or "no article text could be extracted",
            source=source,
            hint=hint or "the page may be empty or rendered by JavaScript; save the text instead",
        )
