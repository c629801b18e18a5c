"""The toolkit's errors and the one exit-code table of the ``kratom-nlp`` command.

Every error the toolkit raises on purpose derives from :class:`KratomError`, carries a one-line
message and an ``exit_code``; the CLI prints ``error: <message>`` and exits with that code
(:func:`kratom_nlp.cli.common.fail`), never a traceback. This table is the only one: the
documentation and every sub-command refer to it. Codes are grouped by what went wrong:

====  ==========================  ==========================================================
code  class                       meaning
====  ==========================  ==========================================================
 0    (success)                   everything was done
 1    KratomError                 any other failure the toolkit reports (or a bug)
 2    UsageError                  a bad option or argument value
 3    (partial success)           the run finished, but some documents or lines failed
                                  (``batch``: OUT/errors.jsonl; ``classify``: the errors file)
10    MissingPathError            the input path does not exist
11    IsADirectoryInputError      the input path is a directory (use ``batch``)
12    EmptyInputError             the input is empty or whitespace only
13    BinaryInputError            the input looks binary (NUL or control bytes)
14    EncodingInputError          the bytes are not valid in the chosen encoding
15    TooLargeError               the input is larger than ``--max-bytes``
16    UnsupportedFormatError      a format the readers cannot read (.pdf, .docx, ...)
17    NoTextError                 no main text could be extracted (e.g. empty HTML)
19    InputError                  any other unreadable input (permission denied, a symbolic
                                  link out of a batch folder, a malformed record, ...)
20    ConfigError                 the pipeline config cannot be loaded
21    ModelError                  a model is missing, unreadable, or fails its integrity check
22    OutputError                 the output cannot be written (a directory, a parent that
                                  cannot be created, no permission, a non-empty batch OUT, the
                                  input file itself, the gold corpus)
30    AnnotateError               any other problem with an annotation file
31    FormatError                 an annotation file's format is not recognised
32    JSONSyntaxError             truncated or invalid JSON / JSONL
33    OffsetError                 a span's text differs from the text at its offsets
34    UnknownLabelError           a label outside the label set
35    LossyImportError            a label the corpus format cannot hold
36    InconsistentLabelsError     labels that break the labelling rules
37    NothingToImportError        no task of the file carries an annotation
40    BatchError                  a batch run cannot start or continue (Ray missing or failing)
41    InputSpecError              a batch INPUT (Parquet, ``datasets`` folder) cannot be read
42    LockedError                 another live run holds the batch OUT folder
50    CorpusError                 a corpus file is missing, altered or invalid (authoring,
                                  agreement, real corpus)
130   (interrupted)               Ctrl-C; a batch keeps its results (rerun with ``--resume``)
====  ==========================  ==========================================================

Input errors (10-19) are defined in :mod:`kratom_nlp.ingest.errors`, annotation errors (30-37)
in :mod:`kratom_nlp.annotate.errors`, the corpus errors (``AuthoringError``, ``AnnotationError``,
``RealCorpusError``) next to their readers in :mod:`kratom_nlp.corpora`; all derive from the
classes here.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CODES", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SOME_FAILED", "BatchError", "ConfigError",
    "CorpusError", "InputSpecError", "KratomError", "LockedError", "ModelError", "OutputError",
    "UsageError", "exit_code_of",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 3
"""A run that finished, but some documents (``batch``) or lines (``classify``) failed."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, the shell's convention)."""


class KratomError(Exception):
    """Base of every error the toolkit reports; ``str(err)`` is one line."""

    exit_code: int = 1

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class UsageError(KratomError, ValueError):
    """A bad option or argument value (the same code as Click's own usage errors)."""

    exit_code = 2


class ConfigError(KratomError, ValueError):
    """The pipeline config cannot be read or resolved."""

    exit_code = 20


class ModelError(KratomError, ValueError):
    """A model is missing, unreadable, of an unknown format, or fails its sha256 check."""

    exit_code = 21


class OutputError(KratomError, OSError):
    """The output cannot be written (a directory, a missing parent, no permission, ...)."""

    exit_code = 22


class BatchError(KratomError):
    """A batch run cannot start or go on (for example Ray is missing or its run failed)."""

    exit_code = 40


class InputSpecError(BatchError):
    """A batch INPUT cannot be read as the kind it claims to be (corrupt Parquet, ...)."""

    exit_code = 41


class LockedError(BatchError):
    """Another live run holds the output folder's lock."""

    exit_code = 42


class CorpusError(KratomError, ValueError):
    """A corpus file is missing, altered or invalid; the message names the file and place."""

    exit_code = 50


EXIT_CODES: dict[int, str] = {
    0: "success", 1: "failure", 2: "usage", 3: "some documents failed", 10: "missing path",
    11: "directory", 12: "empty input", 13: "binary input", 14: "encoding", 15: "too large",
    16: "unsupported format", 17: "no main text", 19: "unreadable input", 20: "config",
    21: "model", 22: "output", 30: "annotation", 31: "annotation format", 32: "JSON syntax",
    33: "offsets", 34: "unknown label", 35: "lossy import", 36: "inconsistent labels",
    37: "nothing to import", 40: "batch", 41: "batch input", 42: "locked", 50: "corpus",
    130: "interrupted",
}
"""Exit code → short meaning (the table above, for ``--help`` texts and tests)."""


def exit_code_of(exc: BaseException) -> int:
    """The exit code for ``exc``: its ``exit_code`` when it is a :class:`KratomError`, else 1."""
    return int(exc.exit_code) if isinstance(exc, KratomError) else 1
