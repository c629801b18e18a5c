"""Ingest layer: read one article (file, stdin, bytes, str) into a :class:`Document`.

Light to import: trafilatura is loaded lazily, only when HTML is read.
See :mod:`kratom_nlp.ingest.errors` for the error classes; their exit codes are in the one
table, :mod:`kratom_nlp.errors`.
"""

from __future__ import annotations

from .errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingInputError,
    InputError,
    IsADirectoryInputError,
    MissingPathError,
    NoTextError,
    TooLargeError,
    UnsupportedFormatError,
)
from .language import detect_language, is_english, language_name
from .readers import (
    DEFAULT_MAX_BYTES,
    MEDIA_TYPES,
    SUPPORTED_SUFFIXES,
    Document,
    html_to_text,
    media_type_for_suffix,
    read_bytes,
    read_path,
    read_stdin,
    read_text,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MEDIA_TYPES",
    "SUPPORTED_SUFFIXES",
    "BinaryInputError",
    "Document",
    "EmptyInputError",
    "EncodingInputError",
    "InputError",
    "IsADirectoryInputError",
    "MissingPathError",
    "NoTextError",
    "TooLargeError",
    "UnsupportedFormatError",
    "detect_language",
    "html_to_text",
    "is_english",
    "language_name",
    "media_type_for_suffix",
    "read_bytes",
    "read_path",
    "read_stdin",
    "read_text",
]
