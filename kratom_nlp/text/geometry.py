"""Text geometry: where a sentence sits on its line, and what kind of line that is.

One definition of bullets, headings and sentence ends for the whole toolkit (segmenter, sentence
analysis, annotation import/export, corpora). Everything works on the document text and character
offsets, so a caller reads ``doc.text`` once per document, never once per sentence.
"""

from __future__ import annotations

import re

BULLET_RE = re.compile(r"^\s*(?:[-*•·–—]|\d+[.)])\s+")
"""A bullet or numbered-list marker at the start of a line, with the space after it."""

BULLET_TOKENS: frozenset[str] = frozenset({"-", "*", "•", "·", "–", "—"})
"""Tokens that mark a bullet (stripped from the start of a sentence's content span)."""

TERMINAL: tuple[str, ...] = (".", "!", "?", ".\"", "!\"", "?\"", ".”", "?”", "!”", ".)", ".'",
                             "…")
"""Endings of a finished sentence (a line without one is a heading or a label)."""

_MARKER_CHARS = " \t-*•·–—0123456789.)"
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_QUESTION_HEAD = re.compile(r"^(how|what|why|when|where|which|who|can|does|do|is|are|should|"
                            r"will)\b", re.I)

KINDS: tuple[str, ...] = ("sentence", "heading", "bullet")

END_MARKER_RE = re.compile(r"^[ \t]*(?:#[ \t]*#[ \t]*#[# \t]*|-+[ \t]*30[ \t]*-+"
                           r"|-*[ \t]*ENDS?[ \t]*-*)[ \t]*$", re.M)
"""A line that ends a press release by the wire services' convention: "###" (or "# # #"),
"-30-", "-ENDS-". What follows is the notes to editors, the "About ..." paragraph and the
media contacts."""


def release_end(text: str) -> int | None:
    """The offset after the first end-of-release marker line of ``text``, or None."""
    m = END_MARKER_RE.search(text)
    return m.end() if m else None


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end offsets of the line(s) holding ``text[start:end]``."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    return ls, (len(text) if le < 0 else le)


def strip_bullet(line: str) -> str:
    """A line without its bullet or list-number marker."""
    return BULLET_RE.sub("", line, count=1)


def _only_line(text: str, ls: int, le: int) -> bool:
    """Is ``text[ls:le]`` all the text there is (whitespace aside)? Scans only the whitespace
    around it, never the whole text: this runs once per sentence."""
    i = 0
    while i < ls and text[i].isspace():
        i += 1
    if i < ls:
        return False
    j = len(text)
    while j > le and text[j - 1].isspace():
        j -= 1
    return j <= le


def line_kind(text: str, start: int, end: int) -> str:
    """``heading``, ``bullet`` or ``sentence`` for the span ``text[start:end]``.

    A span that fills its line is a heading when it starts with ``#``, ends with a colon (a
    label), or has no sentence-final punctuation; a bulleted line is a bullet unless it reads
    like a headline (title case, or a question word, without final punctuation). A span that
    shares its line with other text is a sentence, and so is a line that is the whole text
    ("Kratom cures depression", pasted without a stop).
    """
    if end <= start:
        return "sentence"
    ls, le = line_bounds(text, start, end)
    line = text[ls:le]
    stripped = line.strip()
    if stripped.startswith("#"):
        return "heading"
    whole_line = text[ls:start].strip(_MARKER_CHARS) == "" and text[end:le].strip() == ""
    if not whole_line:
        return "sentence"
    if _only_line(text, ls, le):
        return "sentence"  # a text of one line is what it says, not a title over nothing
    ends = stripped.endswith(TERMINAL)
    words = [w for w in _WORD_RE.findall(stripped) if len(w) > 3]
    title_ratio = sum(w[0].isupper() for w in words) / len(words) if words else 1.0
    if stripped.endswith(":") and len(stripped) < 120:
        return "heading"
    if BULLET_RE.match(line):
        body = strip_bullet(line).strip()
        headline = not ends and (title_ratio >= 0.6 and len(words) > 1
                                 or _QUESTION_HEAD.match(body) is not None)
        return "heading" if headline else "bullet"
    if not ends:
        return "heading"
    return "sentence"
