"""The cue annotator: one pass of phrase and token matchers over the document.

It writes span groups that later components read:

* ``substances`` / ``conditions`` (label = canonical name, ``span._.canonical``) and ``anaphors``;
* ``evidence_candidates`` (label = evidence level; cues in a "more research is needed" context are
  left out);
* one group per claim cue list of ``claim_cues.json`` (``hedge``, ``association``, ``risk``, …).
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from kratom_nlp.pipeline import extensions  # noqa: F401  (registers extensions)
from kratom_nlp.resources import CLAIM_CUE_GROUPS, CueResources


def slot_pattern(pattern: str) -> list[dict]:
    """Compile a slot pattern ("a|b c? *") into a spaCy Matcher pattern."""
    out: list[dict] = []
    for slot in pattern.split():
        optional = slot.endswith("?") and len(slot) > 1
        slot = slot[:-1] if optional else slot
        if slot == "*":
            tok: dict = {"OP": "?"}
        else:
            tok = {"LOWER": {"IN": [a for a in slot.split("|") if a]}}
            if optional:
                tok["OP"] = "?"
        out.append(tok)
    return out


class CueAnnotator:
    def __init__(self, nlp: Language, cues: CueResources, discover: bool = True,
                 discover_min_count: int = 3) -> None:
        self.discover = discover
        self.discover_min_count = discover_min_count
        self.lexicon = cues.lexicon
        self.evidence = cues.evidence_cues
        self.claim_cues = cues.claim_cues
        make = nlp.make_doc

        def docs(phrases: Iterable[str]) -> list[Doc]:
            return [make(p) for p in sorted(set(phrases)) if p.strip()]

        self.entities = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.kind: dict[str, str] = {}
        for entry in self.lexicon.substances:
            self.entities.add(f"S|{entry.name}", docs(entry.aliases))
            self.kind[entry.name] = entry.kind
        for entry in self.lexicon.conditions:
            self.entities.add(f"C|{entry.name}", docs(entry.aliases))
        self.entities.add("A|anaphor", docs(self.lexicon.anaphors))

        self.ev_phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.ev_cased = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.ev_patterns = Matcher(nlp.vocab)
        for level, cues in self.evidence.levels.items():
            if cues.phrases:
                self.ev_phrases.add(level, docs(cues.phrases))
            if cues.phrases_cased:
                self.ev_cased.add(level, docs(cues.phrases_cased))
            if cues.patterns:
                self.ev_patterns.add(level, [slot_pattern(p) for p in cues.patterns])
        self.neg_before = frozenset(self.evidence.negators_before)
        self.neg_after = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.neg_after.add("NEG", docs(self.evidence.negators_after))

        cc = self.claim_cues
        self.generic = frozenset(self.lexicon.generic_nouns)
        self.cues = PhraseMatcher(nlp.vocab, attr="LOWER")
        for name, phrases in cc.groups().items():
            self.cues.add(name, docs(phrases))

    def _discover(self, doc: Doc, subs: list[Span], conds: list[Span]) -> list[Span]:
        """Substances the lexicon lacks: nouns of the article's title (its first line) that
        recur in the body, e.g. "Moonleaf" in "Moonleaf Tea and Anxiety"."""
        if not len(doc):
            return []
        first_line_end = doc.text.find("\n")
        if first_line_end < 0:
            return []
        taken = {t.i for sp in [*subs, *conds] for t in sp}
        title = [t for t in doc if t.idx < first_line_end and t.pos_ in ("NOUN", "PROPN")
                 and t.i not in taken and t.lower_ not in self.generic and t.is_alpha
                 and len(t) > 2]
        if not title:
            return []
        out: list[Span] = []
        for cand in {t.lemma_.lower() for t in title}:
            hits = [t for t in doc if t.lemma_.lower() == cand and t.i not in taken]
            if len(hits) < self.discover_min_count:
                continue
            for t in hits:
                span = Span(doc, t.i, t.i + 1, label=cand)
                span._.canonical = cand
                out.append(span)
        return out

    def _negated(self, doc: Doc, span: Span, neg_after_starts: set[int]) -> bool:
        sent_start = span.sent.start
        window = self.evidence.negator_window
        for tok in doc[max(sent_start, span.start - window):span.start]:
            if tok.lower_ in self.neg_before:
                return True
        return any(span.end <= s <= span.end + 1 for s in neg_after_starts)

    def __call__(self, doc: Doc) -> Doc:
        vocab = doc.vocab
        subs: list[Span] = []
        conds: list[Span] = []
        anas: list[Span] = []
        ent_spans = filter_spans(
            [Span(doc, s, e, label=m) for m, s, e in self.entities(doc)]
        )
        for span in ent_spans:
            kind, name = vocab.strings[span.label].split("|", 1)
            if kind == "A":
                span = Span(doc, span.start, span.end, label="anaphor")
                anas.append(span)
                continue
            span = Span(doc, span.start, span.end, label=name)
            span._.canonical = name
            (subs if kind == "S" else conds).append(span)
        if self.discover:
            subs = filter_spans(subs + self._discover(doc, subs, conds))
        doc.spans["substances"] = subs
        doc.spans["conditions"] = conds
        doc.spans["anaphors"] = anas
        counts: dict[str, int] = {}
        for s in subs:
            if self.kind.get(s.label_) != "constituent":
                counts[s.label_] = counts.get(s.label_, 0) + 1
        doc._.topic_substances = sorted(counts, key=lambda k: (-counts[k], k))

        neg_after_starts = {s for _, s, _ in self.neg_after(doc)}
        cands = [Span(doc, s, e, label=m) for m, s, e in self.ev_phrases(doc)]
        cands += [Span(doc, s, e, label=m) for m, s, e in self.ev_cased(doc)]
        cands += [Span(doc, s, e, label=m) for m, s, e in self.ev_patterns(doc)]
        kept: list[Span] = []
        seen: set[tuple[int, int, str]] = set()
        # longest first so "clinical trials" wins over "trials" at the same place
        for span in sorted(cands, key=lambda s: (s.start, -(s.end - s.start))):
            key = (span.start, span.end, span.label_)
            if key in seen or self._negated(doc, span, neg_after_starts):
                continue
            if any(k.start <= span.start and span.end <= k.end
                   and (k.end - k.start) > (span.end - span.start) for k in kept):
                continue  # a longer, more specific cue already covers this one
            seen.add(key)
            kept.append(span)
        doc.spans["evidence_candidates"] = kept

        by_group: dict[str, list[Span]] = {g: [] for g in CLAIM_CUE_GROUPS}
        for m, s, e in self.cues(doc):
            by_group[vocab.strings[m]].append(Span(doc, s, e, label=m))
        for group, spans in by_group.items():
            doc.spans[group] = spans
        return doc


@Language.factory(
    "kratom_lexicon",
    default_config={"cues": {"@misc": "kratom.cues.v1"}, "discover": True,
                    "discover_min_count": 3},
)
def make_cue_annotator(nlp: Language, name: str, cues: CueResources, discover: bool,
                       discover_min_count: int) -> CueAnnotator:
    return CueAnnotator(nlp, cues, discover, discover_min_count)
