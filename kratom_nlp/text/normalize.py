"""A normalised view of a text for matching, with a map back to the original offsets.

Invisible characters and look-alike letters can hide a claim from every matcher: a zero-width
space or soft hyphen inside "kratom", a Cyrillic "а" in "kratom", a right-to-left override
before "clinical trial". The pipeline therefore reads a normalised copy of the text:

* format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens, word
  joiners, bidirectional controls, the byte-order mark) are removed;
* letters and digits are put in NFKC form (compatibility forms such as "ﬁ", full-width
  letters, superscript digits); punctuation and spaces are left as they are, so sentence
  boundaries do not move;
* Cyrillic and Greek letters that look like Latin ones are folded to Latin inside words that also
  hold Latin letters (a word written wholly in another script is left alone).

Every output character remembers the original character it came from, so offsets found in the
normalised text map back onto the original (:meth:`Normalized.span`), and the analysis always
indexes the text exactly as the user gave it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# Cyrillic and Greek letters that render like Latin letters (lower and upper case).
CONFUSABLES: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ɡ": "g", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e"
                          "\u200f\u061c")


@dataclass
class Normalized:
    """The normalised text and, for each of its characters, the original character index."""

    original: str
    text: str
    origin: list[int] | None = None  # None: the text did not change
    removed: int = 0  # format characters removed
    folded: int = 0  # look-alike letters folded to Latin
    bidi: int = 0  # bidirectional controls among the removed
    changed_forms: int = 0  # characters changed by NFKC
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.origin is not None

    def start(self, i: int) -> int:
        """Original offset of normalised offset ``i`` (a span start)."""
        if self.origin is None:
            return i
        if i >= len(self.origin):
            return len(self.original)
        return self.origin[i]

    def end(self, j: int) -> int:
        """Original offset of normalised offset ``j`` (a span end, exclusive)."""
        if self.origin is None:
            return j
        if j <= 0:
            return 0
        return self.origin[min(j, len(self.origin)) - 1] + 1

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self.start(i), max(self.start(i), self.end(j))

    def warnings(self) -> list[str]:
        """One line for the analysis when something was changed for matching."""
        parts = []
        if self.removed:
            kind = " (including bidirectional controls)" if self.bidi else ""
            parts.append(f"{self.removed} invisible formatting character(s){kind}")
        if self.folded:
            parts.append(f"{self.folded} look-alike letter(s) from another script")
        if self.changed_forms:
            parts.append(f"{self.changed_forms} compatibility character(s)")
        if not parts:
            return []
        return ["hidden or look-alike characters found: " + ", ".join(parts)
                + "; they were ignored or read as plain letters when matching (offsets index "
                  "the original text)"]


def _mixed_word_chars(text: str) -> set[int]:
    """Indices of confusable letters inside words that also contain Latin letters."""
    out: set[int] = set()
    i, n = 0, len(text)
    while i < n:
        if not (text[i].isalpha() or unicodedata.category(text[i]) == "Cf"):
            i += 1
            continue
        j = i
        while j < n and (text[j].isalpha() or unicodedata.category(text[j]) == "Cf"):
            j += 1
        word = range(i, j)
        has_latin = any("LATIN" in unicodedata.name(text[k], "") for k in word)
        if has_latin:
            out.update(k for k in word if text[k] in CONFUSABLES)
        i = j
    return out


def normalize(text: str) -> Normalized:
    """The normalised view of ``text`` (see the module doc); cheap when nothing changes."""
    if text.isascii():
        return Normalized(text, text)
    fold = _mixed_word_chars(text)
    out: list[str] = []
    origin: list[int] = []
    result = Normalized(text, text)
    for k, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            result.removed += 1
            result.bidi += ch in BIDI_CONTROLS
            continue
        if k in fold:
            out.append(CONFUSABLES[ch])
            origin.append(k)
            result.folded += 1
            continue
        norm = ch
        if not ch.isascii() and ch.isalnum():
            norm = unicodedata.normalize("NFKC", ch) or ch
            if norm != ch:
                result.changed_forms += 1
        out.append(norm)
        origin.extend([k] * len(norm))
    if not (result.removed or result.folded or result.changed_forms):
        return result
    result.text = "".join(out)
    result.origin = origin
    return result
