"""Read one article (path, stdin, bytes or str) into a :class:`Document`.

All byte inputs go through :func:`read_bytes`, which checks, in order:
size -> format -> empty -> binary -> encoding -> (HTML extraction) -> language.
:func:`read_path` checks existence, directory and size (via ``stat``, without
reading) before that.  Failures raise :mod:`kratom_nlp.ingest.errors` classes.

Plain-text and Markdown documents keep the decoded text *exactly* as read (no
newline normalisation, no stripping; only a byte order mark is dropped), because
downstream character offsets index it.  HTML goes through :func:`html_to_text`.

A UTF-16 or UTF-32 byte order mark is recognised when the expected encoding is
UTF-8 (the default): the file is decoded accordingly, with a warning.  Without a
BOM, UTF-16 text is refused as binary with a hint to use ``--encoding utf-16``.

trafilatura is imported lazily, and only for HTML.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
import sys
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, TextIO

from kratom_nlp.errors import UsageError
from kratom_nlp.text.geometry import BULLET_RE

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
from .language import detect_language, language_name

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MEDIA_TYPES",
    "SUPPORTED_SUFFIXES",
    "Document",
    "check_max_bytes",
    "html_to_text",
    "media_type_for_suffix",
    "read_bytes",
    "read_path",
    "read_stdin",
    "read_text",
]

DEFAULT_MAX_BYTES = 10_000_000

#: suffix (lower case) -> media type; "" (no suffix) is plain text.
_SUFFIX_MEDIA_TYPES: dict[str, str] = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    "": "text/plain",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(s for s in _SUFFIX_MEDIA_TYPES if s)
MEDIA_TYPES: tuple[str, ...] = ("text/plain", "text/markdown", "text/html")

_BOM = codecs.BOM_UTF8
#: Byte order marks recognised when UTF-8 is expected: (BOM, codec, name). UTF-32 first: its
#: little-endian BOM starts with UTF-16's.
_WIDE_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_SNIFF_BYTES = 8192
_BINARY_CONTROL_RATIO = 0.30
# Every byte except C0 controls (minus \t \n \f \r) and DEL; deleting these from a
# sample leaves exactly its control bytes.
_NON_CONTROL_BYTES = bytes(
    b for b in range(256) if not ((b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D)) or b == 0x7F)
)
_HTML_SNIFF_RE = re.compile(r"\A\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_MD_TITLE_RE = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass
class Document:
    """One article as text, plus where it came from and non-fatal warnings."""

    text: str
    source: str
    media_type: str = "text/plain"
    title: str | None = None
    language: str = "en"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- helpers


def media_type_for_suffix(suffix: str, *, source: str = "<input>") -> str:
    """Media type for a file suffix (``".md"``, ``".HTML"``, ``""``)."""
    key = suffix.lower()
    if key and not key.startswith("."):
        key = "." + key
    try:
        return _SUFFIX_MEDIA_TYPES[key]
    except KeyError:
        raise UnsupportedFormatError(source, suffix=suffix, supported=SUPPORTED_SUFFIXES) from None


def _codec_name(encoding: str, source: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise EncodingInputError(
            source,
            encoding=encoding,
            message=f"unknown encoding {encoding!r}",
            hint="use a Python codec name such as utf-8, latin-1 or cp1252",
        ) from None


def _is_wide(codec: str) -> bool:
    """UTF-16/32 legitimately contain NUL bytes, so byte sniffing does not apply."""
    return codec.startswith(("utf-16", "utf-32"))


def check_max_bytes(max_bytes: int) -> int:
    """``max_bytes`` when it is a positive number of bytes; :class:`UsageError` otherwise."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise UsageError(f"--max-bytes must be a positive number of bytes, not {max_bytes!r}")
    return max_bytes


def _wide_bom(data: bytes) -> tuple[str, str] | None:
    """``(codec, name)`` of a UTF-16/UTF-32 byte order mark at the start of ``data``."""
    for bom, codec, name in _WIDE_BOMS:
        if data.startswith(bom):
            return codec, name
    return None


def _utf16_hint(sample: bytes) -> str | None:
    """A hint when NUL bytes look like UTF-16 text (every other byte NUL, BOM or not)."""
    wide = _wide_bom(sample)
    if wide is not None:
        return f"the file starts with a {wide[1]} byte order mark; re-run with --encoding " \
               f"{wide[0]}"
    pairs = sample[: len(sample) - len(sample) % 2]
    if len(pairs) < 8:
        return None
    even, odd = pairs[0::2], pairs[1::2]
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) == 0:
            return f"it looks like UTF-16 text; re-run with --encoding {name}"
    return None


def _binary_reason(sample: bytes) -> str | None:
    if b"\x00" in sample:
        return "contains NUL bytes"
    if sample:
        controls = len(sample.translate(None, _NON_CONTROL_BYTES))
        if controls / len(sample) > _BINARY_CONTROL_RATIO:
            return f"{controls / len(sample):.0%} control characters"
    return None


def _binary_reason_text(sample: str) -> str | None:
    if "\x00" in sample:
        return "contains NUL characters"
    if sample:
        controls = sum(
            1 for ch in sample if (ord(ch) < 0x20 and ch not in "\t\n\r\f") or ch == "\x7f"
        )
        if controls / len(sample) > _BINARY_CONTROL_RATIO:
            return f"{controls / len(sample):.0%} control characters"
    return None


def _language_warnings(text: str) -> tuple[str, list[str]]:
    code, confidence = detect_language(text)
    if code in ("en", "und"):
        return code, []
    warning = (
        f"The article looks like {language_name(code)} [{code}] "
        f"(confidence {confidence:.2f}); kratom_nlp's lexicons and models are "
        "English-only; results will be unreliable."
    )
    return code, [warning]


def _markdown_title(text: str) -> str | None:
    match = _MD_TITLE_RE.search(text[:2000])
    return match.group(1) if match else None


# --------------------------------------------------------------------------- HTML


@functools.lru_cache(maxsize=1)
def _load_trafilatura() -> tuple[ModuleType | None, str | None]:
    """Import trafilatura once; (None, reason) when it is unavailable or broken."""
    try:
        import trafilatura
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken dependency chain
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]
    return trafilatura, None


#: below this many characters, trafilatura's text is checked against the built-in extractor's
#: (see :func:`_html_to_text`)
SHORT_EXTRACT_CHARS = 2000


def _trafilatura_extract(html: str) -> tuple[str, str | None, str | None]:
    """(text, title, problem); text is "" when trafilatura is missing or finds nothing."""
    module, problem = _load_trafilatura()
    if module is None:
        return "", None, f"trafilatura unavailable ({problem})"
    try:
        text = module.extract(
            html,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            output_format="txt",
        ) or ""
    except Exception as exc:  # noqa: BLE001 - any extractor failure means "use fallback"
        return "", None, f"trafilatura failed ({type(exc).__name__}: {exc})"
    title: str | None = None
    try:
        metadata = module.extract_metadata(html)
        raw_title = getattr(metadata, "title", None) if metadata is not None else None
        if isinstance(raw_title, str) and raw_title.strip():
            title = raw_title.strip()
    except Exception:  # noqa: BLE001 - a title is optional
        title = None
    return text or "", title, None


class _TextExtractor(HTMLParser):
    """Stdlib fallback: visible text with block breaks, boilerplate dropped.

    * contents of script/style/noscript/template/iframe/svg/math are dropped;
    * nav/aside/form are dropped everywhere, header/footer outside <main>/<article>;
    * if the page has <main>/<article>/[role=main] text, only that is returned.
    """

    SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "math"})
    BOILERPLATE = frozenset({"nav", "aside", "form", "button", "select", "dialog"})
    PAGE_CHROME = frozenset({"header", "footer"})
    MAIN = frozenset({"main", "article"})
    BLOCK = frozenset(
        {
            *("address", "article", "aside", "blockquote", "body", "br", "caption"),
            *("dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption"),
            *("figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
            *("hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary"),
            *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._skip: dict[str, int] = {}
        self._main_stack: list[str] = []
        self._pre = 0
        self._in_title = False
        self._in_h1 = False
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.all_parts: list[str] = []
        self.main_parts: list[str] = []
        # a list item's "- " waits for the item's first words (an item may open with a block)
        self._bullet = False

    # -- state
    def _skipping(self) -> bool:
        return any(self._skip.values())

    def _is_skip(self, tag: str) -> bool:
        if tag in self.SKIP or tag in self.BOILERPLATE:
            return True
        return tag in self.PAGE_CHROME and not self._main_stack

    def _emit(self, piece: str) -> None:
        self.all_parts.append(piece)
        if self._main_stack:
            self.main_parts.append(piece)

    # -- HTMLParser hooks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping():
            if tag in self._skip:
                self._skip[tag] += 1
            return
        if tag == "title":
            self._in_title = not self.title_parts
            return
        if self._is_skip(tag):
            self._skip[tag] = self._skip.get(tag, 0) + 1
            return
        if tag in self.MAIN or dict(attrs).get("role") == "main":
            self._main_stack.append(tag)
        if tag == "pre":
            self._pre += 1
        if tag == "h1" and not self.h1_parts:
            self._in_h1 = True
        if tag in self.BLOCK:
            self._emit("\n")
        if tag == "li":
            self._bullet = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <svg/>, <hr/>: no content follows, so never enter a skip region.
        if not self._skipping() and tag in self.BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if self._skip.get(tag):
            self._skip[tag] -= 1
            return
        if self._skipping():
            return
        if tag in self.BLOCK:
            self._emit("\n")
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag == "h1":
            self._in_h1 = False
        if tag == "li":
            self._bullet = False
        if self._main_stack and self._main_stack[-1] == tag:
            self._main_stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._skipping():
            return
        if self._in_h1:
            self.h1_parts.append(data)
        if self._bullet and data.strip():
            # a bulleted line stays a bullet: the sentence geometry reads "- " as one
            self._emit("- ")
            self._bullet = False
        if self._pre:
            self._emit(data)
        else:
            self._emit(re.sub(r"\s+", " ", data))

    # -- result
    @staticmethod
    def _finish(parts: list[str]) -> str:
        lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
        return "\n".join(line for line in lines if line)

    def result(self) -> tuple[str, str | None]:
        text = self._finish(self.main_parts) or self._finish(self.all_parts)
        title = " ".join("".join(self.title_parts).split())
        h1 = " ".join("".join(self.h1_parts).split())
        # "<h1> | Site name" in <title>: the headline alone is the better title.
        if h1 and (not title or h1 in title):
            title = h1
        return text, title or None


def _fallback_extract(html: str) -> tuple[str, str | None]:
    parser = _TextExtractor()
    # html.parser is lenient; keep whatever was collected if it chokes at the end.
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(html)
        parser.close()
    return parser.result()


def _holds_lines(fuller: str, text: str) -> bool:
    """Does ``fuller`` hold every line of ``text`` (whitespace and list markers aside)? Then
    both extractors read the same part of the page and ``fuller`` only keeps more of it."""
    def norm(line: str) -> str:
        return " ".join(BULLET_RE.sub("", line, count=1).split())

    held = " \n ".join(norm(line) for line in fuller.splitlines())
    return all(norm(line) in held for line in text.splitlines() if line.strip())


# a superscript citation mark: "adults.<sup>1</sup>", "<sup><a href="#r2">[2, 5]</a></sup>"
_SUP_CITATION = re.compile(
    r"<sup\b[^>]*>\s*(<a\b[^>]*>\s*)?\[?\s*(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\s*\]?\s*"
    r"(?:</a>\s*)?</sup>", re.I)
_BEFORE_CITATION = re.compile(r"(?:[.,;:!?)\]”\"']|[A-Za-z]{3})$")


def _citation_marks(html: str) -> str:
    """Superscript citation numbers as bracketed marks ("adults.<sup>1</sup>" → "adults.[1]"),
    so the extracted text does not run them into the word or full stop before them
    ("adults.1", "insomnia12"). Only a superscript that links somewhere, or that follows
    punctuation or a word of three letters or more, is a citation: "m<sup>2</sup>" after a
    unit and "10<sup>9</sup>" after a number are exponents and stay as they are."""
    def mark(m: re.Match[str]) -> str:
        before = html[max(0, m.start() - 3):m.start()]
        if m.group(1) or _BEFORE_CITATION.search(before):
            return "[" + re.sub(r"\s+", "", m.group(2)) + "]"
        return m.group(0)

    return _SUP_CITATION.sub(mark, html) if "<sup" in html.lower() else html


def _html_to_text(html: str, source: str) -> tuple[str, str | None, list[str]]:
    html = _citation_marks(html)
    text, title, problem = _trafilatura_extract(html)
    warnings: list[str] = []
    if text.strip() and len(text) < SHORT_EXTRACT_CHARS:
        # on a short page trafilatura (precision-oriented) can drop a heading and a bulleted
        # list of benefits, the very claims a fact-checker pasted the page for; the built-in
        # extractor (navigation, sidebars, page header and footer dropped) is taken when it
        # keeps clearly more
        fb_text, fb_title = _fallback_extract(html)
        if len(fb_text) > 1.2 * len(text) and _holds_lines(fb_text, text):
            text, title = fb_text, title or fb_title
    if not text.strip():
        fb_text, fb_title = _fallback_extract(html)
        if fb_text.strip() and problem:
            warnings.append(
                f"{problem}; used the built-in HTML extractor, whose boilerplate removal "
                "is less precise."
            )
        text, title = fb_text, title or fb_title
    if not text.strip():
        raise NoTextError(source, message="no main text found in the HTML")
    return text, title, warnings


def html_to_text(html: str, *, source: str = "<html>") -> tuple[str, str | None]:
    """Main text and title of an HTML page.

    Uses trafilatura (precision-oriented, no comments/tables, plain text); falls back
    to a stdlib extractor when trafilatura is unavailable, fails or finds nothing.
    Raises :class:`NoTextError` when neither yields any text.
    """
    text, title, _ = _html_to_text(html, source)
    return text, title


# --------------------------------------------------------------------------- readers


def _document_from_text(
    text: str, *, source: str, media_type: str, warnings: list[str] | None = None
) -> Document:
    if not text.strip():
        raise EmptyInputError(source)
    warnings = list(warnings or [])
    title: str | None = None
    if media_type == "text/html":
        text, title, html_warnings = _html_to_text(text, source)
        warnings.extend(html_warnings)
    elif media_type == "text/markdown":
        title = _markdown_title(text)
    language, language_warnings = _language_warnings(text)
    warnings.extend(language_warnings)
    return Document(
        text=text,
        source=source,
        media_type=media_type,
        title=title,
        language=language,
        warnings=warnings,
    )


def _decode(data: bytes, *, source: str, encoding: str,
            warnings: list[str] | None = None) -> str:
    """Empty/binary/encoding checks; returns the decoded text (``warnings`` gets a line when a
    UTF-16/32 byte order mark overrode an expected UTF-8)."""
    codec = _codec_name(encoding, source)
    bom_len = 0
    if codec == "utf-8" and data.startswith(_BOM):
        bom_len = len(_BOM)
        data = data[bom_len:]
    elif codec == "utf-8" and (wide := _wide_bom(data)) is not None:
        codec, name = wide
        if warnings is not None:
            warnings.append(f"decoded as {name}: the input starts with a {name} byte order "
                            f"mark (not {encoding})")
    if not data.strip():
        raise EmptyInputError(source)
    if not _is_wide(codec):
        reason = _binary_reason(data[:_SNIFF_BYTES])
        if reason:
            raise BinaryInputError(source, reason=reason,
                                   hint=_utf16_hint(data[:_SNIFF_BYTES]) if "NUL" in reason
                                   else None)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        bad = data[exc.start] if exc.start < len(data) else None
        raise EncodingInputError(
            source, encoding=encoding, offset=exc.start + bom_len, bad_byte=bad
        ) from None
    if _is_wide(codec):
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise EmptyInputError(source)
        reason = _binary_reason_text(text[:_SNIFF_BYTES])
        if reason:
            raise BinaryInputError(source, reason=reason)
    return text


def _read_bytes(
    data: bytes,
    *,
    source: str,
    media_type: str | None,
    max_bytes: int,
    encoding: str,
) -> Document:
    if len(data) > max_bytes:
        raise TooLargeError(source, limit=max_bytes, size=len(data))
    warnings: list[str] = []
    text = _decode(data, source=source, encoding=encoding, warnings=warnings)
    if media_type is None:  # sniff (stdin)
        media_type = "text/html" if _HTML_SNIFF_RE.match(text) else "text/plain"
    return _document_from_text(text, source=source, media_type=media_type, warnings=warnings)


def read_bytes(
    data: bytes,
    *,
    source: str,
    suffix: str = ".txt",
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str = "utf-8",
) -> Document:
    """Turn raw bytes (a file's content, a batch record) into a :class:`Document`.

    ``suffix`` picks the format (``.txt``/``.text``/``""`` plain text, ``.md``/
    ``.markdown`` Markdown, ``.html``/``.htm`` HTML).  Raises :class:`TooLargeError`,
    :class:`UnsupportedFormatError`, :class:`EmptyInputError`,
    :class:`BinaryInputError`, :class:`EncodingInputError` or :class:`NoTextError`;
    :class:`~kratom_nlp.errors.UsageError` when ``max_bytes`` is not positive.
    """
    check_max_bytes(max_bytes)
    if len(data) > max_bytes:
        raise TooLargeError(source, limit=max_bytes, size=len(data))
    media_type = media_type_for_suffix(suffix, source=source)
    return _read_bytes(
        data, source=source, media_type=media_type, max_bytes=max_bytes, encoding=encoding
    )


def read_path(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str = "utf-8",
) -> Document:
    """Read one article file.

    Checks, in order: missing -> :class:`MissingPathError`; directory ->
    :class:`IsADirectoryInputError`; ``stat`` size > ``max_bytes`` ->
    :class:`TooLargeError` (nothing is read); unsupported suffix ->
    :class:`UnsupportedFormatError`; then the content checks of :func:`read_bytes`.
    """
    check_max_bytes(max_bytes)
    p = Path(path)
    source = str(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise MissingPathError(source) from None
    except NotADirectoryError:  # a path component is a file
        raise MissingPathError(source) from None
    except OSError as exc:
        raise InputError(f"cannot access: {exc.strerror or exc}", source=source) from None
    if p.is_dir():
        raise IsADirectoryInputError(source)
    if st.st_size > max_bytes:
        raise TooLargeError(source, limit=max_bytes, size=st.st_size)
    media_type = media_type_for_suffix(p.suffix, source=source)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # bounded even if the file grows / is a FIFO
    except IsADirectoryError:
        raise IsADirectoryInputError(source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    return _read_bytes(
        data, source=source, media_type=media_type, max_bytes=max_bytes, encoding=encoding
    )


def read_text(
    text: str,
    *,
    source: str = "<text>",
    media_type: str = "text/plain",
) -> Document:
    """Wrap an in-memory string as a :class:`Document` (HTML is extracted)."""
    if media_type not in MEDIA_TYPES:
        raise UnsupportedFormatError(
            source,
            suffix=media_type,
            message=f"unsupported media type {media_type!r}",
            hint=f"use one of: {', '.join(MEDIA_TYPES)}",
        )
    return _document_from_text(text, source=source, media_type=media_type)


def read_stdin(
    stream: BinaryIO | TextIO | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str = "utf-8",
) -> Document:
    """Read one article from ``stream`` (default ``sys.stdin.buffer``), bounded.

    At most ``max_bytes + 1`` bytes are read, so an endless pipe fails with
    :class:`TooLargeError` instead of exhausting memory.  HTML is recognised when the
    text starts with ``<!doctype html`` or ``<html`` (case-insensitive, after
    whitespace); anything else is plain text.  A text stream is accepted too.
    """
    check_max_bytes(max_bytes)
    source = "<stdin>"
    if stream is None:
        stream = sys.stdin
    if stream is None:  # interpreter started without a standard input
        raise EmptyInputError(source, message="no standard input is available")
    stream = getattr(stream, "buffer", stream)  # text wrapper -> its byte buffer
    try:
        data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if data is None:
        data = b""
    if isinstance(data, str):  # an already-decoded text stream (e.g. io.StringIO)
        if len(data) > max_bytes or len(data.encode("utf-8", "surrogatepass")) > max_bytes:
            raise TooLargeError(source, limit=max_bytes)
        reason = _binary_reason_text(data[:_SNIFF_BYTES]) if data.strip() else None
        if reason:
            raise BinaryInputError(source, reason=reason)
        media_type = "text/html" if _HTML_SNIFF_RE.match(data) else "text/plain"
        return _document_from_text(data, source=source, media_type=media_type)
    if len(data) > max_bytes:
        raise TooLargeError(source, limit=max_bytes)
    return _read_bytes(
        bytes(data), source=source, media_type=None, max_bytes=max_bytes, encoding=encoding
    )
