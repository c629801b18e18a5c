"""The ``kratom_caveats`` component: where an article states the limits of its evidence.

A fact-checker reads a health article for what it claims and for what it admits: that the
study was small or early, that it shows an association and not cause and effect, that more
research is needed. The reviewers of HealthNewsReview ask exactly this (criterion C3: does the
story convey how good its evidence is?). The component finds such caveats with the phrases
of ``resources/caveat_cues.json`` and puts them in ``doc.spans["caveats"]`` (label = kind:
limitation, preliminary, more_research, causation); the article summary counts them and its
support score credits them (``overclaim_rules.json``: ``caveat_credit``, ``caveat_cap``).

A phrase that names a caveat of research to come, not of the evidence told ("a larger trial
will start next year"), still counts: the article says the evidence so far is not enough.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from kratom_nlp.resources import CaveatCues


class CaveatFinder:
    """Marks the caveats of a Doc (see the module doc)."""

    def __init__(self, nlp: Language, cues: CaveatCues) -> None:
        self.cues = cues
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for kind, phrases in cues.kinds.items():
            self.matcher.add(kind, [nlp.make_doc(p) for p in sorted(set(phrases)) if p.strip()])

    def __call__(self, doc: Doc) -> Doc:
        found: list[Span] = []
        taken: set[int] = set()
        # longest first: "needs to be confirmed" is one caveat, not also "confirmed" pieces
        for m_id, start, end in sorted(self.matcher(doc), key=lambda m: (m[1], -(m[2] - m[1]))):
            if taken.intersection(range(start, end)):
                continue
            taken.update(range(start, end))
            found.append(Span(doc, start, end, label=doc.vocab.strings[m_id]))
        doc.spans["caveats"] = found
        return doc


@Language.factory("kratom_caveats",
                  default_config={"cues": {"@misc": "kratom.caveat_cues.v1"}})
def make_caveats(nlp: Language, name: str, cues: CaveatCues) -> CaveatFinder:
    return CaveatFinder(nlp, cues)


def caveats_to_dicts(doc: Doc) -> list[dict[str, object]]:
    """The caveats of a processed Doc as analysis-contract dicts."""
    return [{"start": s.start_char, "end": s.end_char, "text": s.text, "kind": s.label_}
            for s in doc.spans.get("caveats", [])]


__all__ = ["CaveatFinder", "caveats_to_dicts", "make_caveats"]
