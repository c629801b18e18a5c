"""Null results: "glucose did not improve their mood", "produced no improvement in survival".

The labelling rules make a null result a claim with **no relationship**: it tells the reader
that an effect is absent. The learned strength models read the effect verb and often say
direct_causal. :class:`NullResultFinder` finds a null result stated plainly (no contrast, no
hedge, not inside a description of people) so that ``kratom_strength`` can set the strength
and say which words did it (``claim._.strength_cue``). Everything it matches is data:
``claim_cues.json`` → ``null_results``.

A contrast cancels the rule only inside the claim: a "But" that opens it, or a "however"
set off before the result, contrasts with what was said before (claim cues 1.12.0).

Chosen on the real train and dev splits (the written corpus checked beside them): on gold
claims the pipeline finds, the rule fires on 15 real train claims (13 gold no_relationship,
5 of them corrected) and on 4 real dev claims (3 gold no_relationship, all 3 corrected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kratom_nlp.resources import NullResultCues

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
_WORD = re.compile(r"[\w']+")


def _phrase(text: str) -> str:
    """A phrase as a regex: its words escaped, any run of spaces between them."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(_phrase(p) for p in sorted(phrases, key=len, reverse=True))


@dataclass(frozen=True)
class NullResult:
    """Where a null result was found: character offsets into the searched text."""

    start: int
    end: int
    text: str


class NullResultFinder:
    """Finds a plainly stated null result in a claim's text (see the module doc)."""

    def __init__(self, cues: NullResultCues) -> None:
        self.cues = cues
        parts = []
        if cues.negated_auxiliaries and cues.effect_stems:
            fillers = [_phrase(f) for f in cues.fillers]
            if cues.filler_adverb_suffix:
                fillers.append(rf"\w+{re.escape(cues.filler_adverb_suffix)}")
            filler = f"(?:(?:{'|'.join(fillers)})\\s+)?" if fillers else ""
            parts.append(rf"\b(?:{_alternatives(cues.negated_auxiliaries)})\s+{filler}"
                         rf"(?:{_alternatives(cues.effect_stems)})\w*\b")
        if cues.no_nouns:
            modifier = (f"(?:(?:{_alternatives(cues.no_modifiers)})\\s+)?"
                        if cues.no_modifiers else "")
            parts.append(rf"\bno\s+{modifier}(?:{_alternatives(cues.no_nouns)})s?\b")
        if cues.phrases:
            parts.append(rf"\b(?:{_alternatives(cues.phrases)})\b")
        self._patterns = [re.compile(p, re.IGNORECASE) for p in parts]
        self._none = re.compile(
            rf"\b(?:{_alternatives(cues.none_words)})\b((?:\W+[\w']+){{0,{cues.none_window}}}?)"
            rf"\W+(?:{_alternatives(cues.none_shown_words)})\b",
            re.IGNORECASE) if cues.none_words and cues.none_shown_words else None
        self._blockers = re.compile(rf"\b(?:{_alternatives(cues.blockers)})\b",
                                    re.IGNORECASE) if cues.blockers else None
        self._relative = frozenset(w.lower() for w in cues.relative_words)
        self._adverbs = frozenset(w.lower() for w in cues.adverb_blockers)
        self._openers = frozenset(w.lower() for w in cues.opening_blockers)
        # most claims state no null result: a claim without a trigger (a negation) is passed
        # over after one search; every pattern must hold one, or that test would hide it
        triggers = {t.lower() for t in cues.triggers}
        for phrase in (*cues.negated_auxiliaries, *cues.phrases, *cues.none_words, "no") \
                if triggers else ():
            words = set(_WORD.findall(phrase.lower().translate(_APOSTROPHES)))
            if not any(w in triggers or any(w.endswith(t) for t in triggers if "'" in t)
                       for w in words):
                raise ValueError(f"null_results: {phrase!r} holds none of the triggers "
                                 f"{sorted(triggers)}")
        # over the lower-cased text, either apostrophe; the whole words in one group (a
        # \b before each of a dozen alternatives made this search 6x slower)
        words = sorted((t for t in triggers if "'" not in t), key=len, reverse=True)
        parts = [re.escape(t).replace("'", "['’]")
                 for t in sorted(triggers - set(words), key=len, reverse=True)]
        if words:
            parts.append(rf"\b(?:{'|'.join(map(re.escape, words))})\b")
        self._any = re.compile("|".join(parts)) if triggers else None

    def find(self, text: str) -> NullResult | None:
        """The first null result stated in ``text``, or None (also when a blocker or a
        relative word before it cancels it)."""
        if self._any is not None and self._any.search(text.lower()) is None:
            return None
        norm = text.translate(_APOSTROPHES)
        blockers = list(self._blockers.finditer(norm)) if self._blockers is not None else []
        found = None
        for pattern in self._patterns:
            m = pattern.search(norm)
            if m is not None:
                found = m
                break
        if found is None and self._none is not None:
            found = self._none.search(norm)
        if found is None or any(self._blocks(b, found.start(), norm) for b in blockers):
            return None
        before = _WORD.findall(norm[:found.start()].lower())[-self.cues.relative_window:]
        if self._relative and any(w in self._relative for w in before):
            return None
        return NullResult(found.start(), found.end(), text[found.start():found.end()])

    def _blocks(self, blocker: re.Match[str], start: int, norm: str) -> bool:
        """Whether a blocker cancels the null result found at ``start``: not when it is one
        of ``opening_blockers`` and opens the text ("But a fourth cup is no better": the
        contrast is with the sentence before), nor when it is one of ``adverb_blockers``
        inside the text before the result ("The authors added, however, that the balm did
        not ease ..."). "Though it did not cure the pain, it helped" stays blocked."""
        word = blocker.group(0).lower()
        if not _WORD.search(norm[:blocker.start()]):  # it opens the text
            return word not in self._openers  # "Though it did not cure …, it …" contrasts
        # a sentence adverb is set off: a comma before it, a comma or colon after it ("The
        # balm eased pain, though it did not help sleep" is a contrast inside the claim)
        set_off = norm[:blocker.start()].rstrip().endswith(",") and \
            norm[blocker.end():].lstrip()[:1] in (",", ":")
        return not (blocker.start() < start and word in self._adverbs and set_off)


__all__ = ["NullResult", "NullResultFinder"]
