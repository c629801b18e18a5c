"""Text geometry: where a sentence sits on its line, and what kind of line that is.

One definition of bullets, headings and sentence ends for the whole toolkit (segmenter, sentence
analysis, annotation import/export, corpora). Everything works on the document text and character
offsets, so a caller reads ``doc.text`` once per document, never once per sentence.
"""

from __future__ import annotations

import re

BULLET_MARKS = "-*•·–—✔✓✅☑►▶➤➢→◆◇■□●○◦▪▫♦✦✗✘❌"
"""The characters that mark a bullet: dashes, stars and dots, and the check marks, arrows,
squares and crosses that web pages put before their benefits and drawbacks ("✔ Better sleep")."""

BULLET_RE = re.compile(rf"^\s*(?:[{re.escape(BULLET_MARKS)}]\ufe0f?|\d+[.)])\s+")
"""A bullet or numbered-list marker at the start of a line, with the space after it (an emoji
mark may carry its variation selector: "✔️")."""

BULLET_TOKENS: frozenset[str] = frozenset({*BULLET_MARKS, *(m + "\ufe0f" for m in BULLET_MARKS)})
"""Tokens that mark a bullet (stripped from the start of a sentence's content span)."""

TERMINAL: tuple[str, ...] = (".", "!", "?", ".\"", "!\"", "?\"", ".”", "?”", "!”", ".)", ".'",
                             "…")
"""Endings of a finished sentence (a line without one is a heading or a label)."""

_MARKER_CHARS = " \t\ufe0f" + BULLET_MARKS + "0123456789.)"
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


CITATION_RE = re.compile(
    r"\b(?:19|20)\d{2}[a-z]?\s*;\s*\d+\s*(?:\(\s*[\w-]+\s*\))?\s*:\s*[eE]?\d+"  # 2012;17(12):1161
    r"|\bdoi\s*:\s*10\.|\bdoi\.org/10\.|\bPMID\s*:?\s*\d+|\bet al\b|https?://"
    r"|\(\s*(?:19|20)\d{2}[a-z]?\s*\)|\.\s+(?:19|20)\d{2}[a-z]?\s*[.;]", re.I)
"""What marks a bibliographic entry: a journal's year;volume(issue):pages, a DOI or PMID,
"et al.", a web address, or a year in brackets or between full stops."""


def section_label(text: str) -> str:
    """A line (or the words before a colon) read as a section label, as the cue files list
    them: lower case, no Markdown marks, no closing colon or full stop, commas dropped, "&"
    read as "and", a curly apostrophe straight, one space between words ("## Design, Setting
    & Participants:" → "design setting and participants")."""
    text = text.strip().lstrip("#").lower().replace("&", " and ").replace(",", " ")
    return " ".join(text.replace("’", "'").split()).rstrip(":.").strip()


_OPENING_LABEL_RE = re.compile(r"^\s*([A-Za-z][A-Za-z ,&'’/-]{0,60}?)\s*:\s")


def opening_label(text: str) -> str | None:
    """The label a line or sentence opens with, read by :func:`section_label` ("RESULTS: Itch
    fell …" → "results", "Journal reference: Lund M …" → "journal reference"), or None."""
    m = _OPENING_LABEL_RE.match(text)
    return section_label(m.group(1)) if m else None


def reference_ranges(text: str, headings: frozenset[str]) -> list[tuple[int, int]]:
    """The character ranges of ``text`` that are reference lists: from a line that is one of
    ``headings`` ("References", "Sources", "Bibliography"; the whole line, case aside) to the
    next line that labels another section (a short line with no final punctuation and no mark
    of an entry) or the end of the text, when a line of the range looks like an entry
    (:data:`CITATION_RE`: "Sources" over a list of foods is no reference list); and a line that
    opens with such a heading as its label ("Reference: Lund M, ...", "Journal reference: ...").
    Empty when ``headings`` is."""
    if not headings:
        return []
    out: list[tuple[int, int]] = []
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        a, b = lines[i]
        line = text[a:b]
        label = section_label(line)
        if label in headings:
            j = i + 1
            while j < len(lines):
                body = text[lines[j][0]:lines[j][1]].strip()
                if body and section_label(body) not in headings and not body.endswith(TERMINAL) \
                        and len(body.split()) <= 8 and not CITATION_RE.search(body) \
                        and not BULLET_RE.match(body):
                    break  # the next section's heading
                j += 1
            if any(CITATION_RE.search(text[x:y]) for x, y in lines[i + 1:j]):
                out.append((b, lines[j - 1][1] if j > i + 1 else b))
            i = j
            continue
        if opening_label(line) in headings:
            out.append((a, b))
        i += 1
    return out


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


def fills_line(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` all the text of its line(s), a bullet or list marker aside?"""
    return _fills(text, start, end, *line_bounds(text, start, end))


def _fills(text: str, start: int, end: int, ls: int, le: int) -> bool:
    return text[ls:start].strip(_MARKER_CHARS) == "" and text[end:le].strip() == ""


def is_question(text: str) -> bool:
    """Does the unit end with a question mark (closing quotes and brackets aside)?"""
    return text.rstrip("\"'”’) ").endswith("?")


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
    if not _fills(text, start, end, ls, le):
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
