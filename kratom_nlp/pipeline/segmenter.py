"""Sentence segmentation for web prose.

Lines are hard boundaries (headings, bullets and unpunctuated lines never merge with the next
paragraph); inside a line a sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes/brackets)
followed by whitespace and an upper-case letter, digit, quote or bracket, unless the full stop
belongs to a known abbreviation ("U.S.", "e.g.", "Dr.") or an initial.
"""

from __future__ import annotations

import re

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from kratom_nlp.pipeline import extensions  # noqa: F401  (doc._.warnings)
from kratom_nlp.text.geometry import BULLET_RE

DEFAULT_ABBREVIATIONS: list[str] = [
    "u.s.", "u.k.", "u.n.", "e.g.", "i.e.", "etc.", "vs.", "v.", "dr.", "mr.", "mrs.", "ms.",
    "prof.", "st.", "no.", "fig.", "figs.", "approx.", "al.", "ca.", "cf.", "inc.", "ltd.",
    "co.", "corp.", "jr.", "sr.", "dept.", "univ.", "vol.", "p.", "pp.", "mg.", "min.",
    "max.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.",
    "nov.", "dec.", "mt.", "ft.", "est.", "a.m.", "p.m.", "ph.d.", "m.d.", "b.c.", "a.d.",
]

_NEVER_FINAL = frozenset({"e.g.", "i.e.", "dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "no.",
                          "fig.", "figs.", "vs.", "v.", "cf.", "approx.", "ca.", "vol.", "p.",
                          "pp.", "mt.", "ft.", "jr.", "sr.", "dept.", "univ."})
_SENTENCE_STARTERS = frozenset("""the a an this that these those it its it's we our i i'm i've
he she they their there but and or so yet however in on at for from to if when while as after
before because although though some many most no not one two three several all each every
studies study research researchers scientists experts doctors clinical controlled trials
still also then now today overall instead meanwhile finally first second third""".split())

_NUMBERED_HEADING = re.compile(r"^\s*#+\s*\d+[.)]\s+")
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


def sentence_spans(text: str, abbreviations: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace excluded)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        line_start = pos
        pos += len(line)
        body = line.rstrip("\r\n")
        if not body.strip():
            continue
        m = BULLET_RE.match(body)
        start = line_start + (m.end() if m else len(body) - len(body.lstrip()))
        offset = start - line_start
        # a Markdown heading's list number ("## 2. It Reduces Redness") ends no sentence
        numbered = _NUMBERED_HEADING.match(body)
        for end_m in _END.finditer(body, numbered.end() if numbered else offset):
            stop = end_m.end()
            word_start = body.rfind(" ", offset, end_m.start()) + 1
            word = body[word_start:end_m.start() + 1].lower().lstrip("(\"'“‘")
            multi = end_m.group().startswith(".") and re.fullmatch(r"(?:[a-z]\.){2,}", word)
            if word in abbreviations or re.fullmatch(r"[a-z]\.", word) or multi:
                nxt = body[end_m.end():].lstrip().split(" ", 1)[0].strip("\"'“‘(")
                # "across the U.S. In this study ..." ends a sentence; "U.S. Food" does not
                if word in _NEVER_FINAL or nxt.lower() not in _SENTENCE_STARTERS:
                    continue
            seg = body[offset:stop]
            if seg.strip():
                spans.append((line_start + offset + (len(seg) - len(seg.lstrip())),
                              line_start + stop))
            offset = stop
        seg = body[offset:]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            spans.append((line_start + offset + lead, line_start + len(body.rstrip())))
    return spans


def split_long(text: str, spans: list[tuple[int, int]], limit: int
               ) -> tuple[list[tuple[int, int]], int]:
    """Spans longer than ``limit`` characters cut into pieces (after ``;``, ``,`` or a space
    near the limit); returns the spans and how many were cut."""
    if limit <= 0:
        return spans, 0
    out: list[tuple[int, int]] = []
    cut_count = 0
    for a, b in spans:
        if b - a <= limit:
            out.append((a, b))
            continue
        cut_count += 1
        while b - a > limit:
            window = text[a:a + limit]
            cut = max(window.rfind("; "), window.rfind(", "))
            if cut < limit // 2:
                cut = window.rfind(" ")
            cut = limit if cut <= 0 else cut + 1
            piece_end = a + cut
            while piece_end > a and text[piece_end - 1].isspace():
                piece_end -= 1
            out.append((a, piece_end if piece_end > a else a + cut))
            a += cut
            while a < b and text[a].isspace():
                a += 1
        if a < b:
            out.append((a, b))
    return out, cut_count


class WebSentenceSegmenter:
    """Sets ``token.is_sent_start`` from :func:`sentence_spans`; a sentence longer than
    ``max_sentence_chars`` is cut into pieces (and the Doc gets a warning saying so)."""

    def __init__(self, abbreviations: list[str], max_sentence_chars: int = 2000) -> None:
        self.abbreviations = frozenset(a.lower() for a in abbreviations)
        self.max_sentence_chars = max_sentence_chars

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        spans, cut = split_long(text, sentence_spans(text, self.abbreviations),
                                self.max_sentence_chars)
        if cut:
            doc._.warnings = [*doc._.warnings,
                              f"{cut} sentence(s) longer than {self.max_sentence_chars} "
                              "characters (no sentence punctuation) were cut into pieces "
                              "to be analysed"]
        starts = {s for s, _ in spans}
        # one array for the whole Doc: spaCy's ``Token.is_sent_start`` setter scans every token
        # of the Doc on each call (whether a parse is set), which made this loop quadratic
        values = numpy.full((len(doc), 1), -1, dtype=numpy.int64)  # -1: not a start
        prev = None
        for i, token in enumerate(doc):
            if prev is None or token.idx in starts or (
                    "\n" in prev.text and not token.is_space) or (
                    prev.is_space and "\n" in prev.text_with_ws):
                values[i, 0] = 1
            prev = token
        if len(doc):
            doc.from_array([SENT_START], values.astype(numpy.uint64))
        return doc


@Language.factory(
    "kratom_segmenter",
    default_config={"abbreviations": DEFAULT_ABBREVIATIONS, "max_sentence_chars": 2000},
)
def make_segmenter(nlp: Language, name: str, abbreviations: list[str],
                   max_sentence_chars: int) -> WebSentenceSegmenter:
    return WebSentenceSegmenter(abbreviations, max_sentence_chars)
