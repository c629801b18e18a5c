"""Where a claim's evidence comes from, and what level that gives it.

Real writing rarely puts a cue in every claim. The evidence a claim rests on is one of five
*sources*:

* ``cue`` — a cue in the sentence itself, or carried from the sentence before it ("Research
  shows…", "These findings…"): the rules' evidence level and cue spans;
* ``study`` — a study the article describes, referred to by this sentence ("the study found",
  "participants who…", a lede before the study is named): the design of the study in scope
  (``kratom_studies``), with the study's description as the cue, wherever it is;
* ``expert`` — a quoted or reported professional speaking without a study: expert_opinion;
* ``anecdote`` — a person's own experience: anecdotal;
* ``none`` — nothing offered.

The rules backend decides the source from cues and discourse features; a learned evidence
model predicts the source distribution. Either way :func:`resolve` turns the source into the
level, the cue spans and the study id, so every backend shows the cue that justified a level.
An expert's or a person's word shows the attribution ("said Dr. Lee") in the sentence or in the
one before or after it (a quotation runs over several sentences and names its speaker once);
a quotation whose speaker is named further away keeps the source's level without a cue span.
Before, such a claim fell to ``none``: on the real dev split, trusting the source moved evidence
accuracy 0.724 → 0.750 and macro-F1 0.628 → 0.685 (the neighbouring attribution alone: 0.737).
"""

from __future__ import annotations

import bisect
from typing import Any

from spacy.tokens import Doc, Span

from kratom_nlp.backends.base import EvidencePrediction
from kratom_nlp.pipeline.extensions import SpanValues
from kratom_nlp.taxonomy import ABSTRACT_FINDINGS

SOURCES: tuple[str, ...] = ("none", "cue", "study", "expert", "anecdote")


def study_spans(doc: Doc) -> dict[str, Span]:
    """The studies of a Doc by id."""
    return {SpanValues(s).get("study_id"): s for s in doc.spans.get("studies", [])}


def rule_source(sent: Span) -> str:
    """The labelling rules' choice of source for a sentence (no model)."""
    v = SpanValues(sent)
    r = v.get("rules")
    d = v.get("discourse") or {}
    study, relation = v.get("study"), v.get("study_relation")
    own = [c for c in r.get("candidates", []) if c.get("level")]
    if _abstract_study(study, d, r):
        return "study"
    if r.get("evidence", "none") not in ("none", "anecdotal") and (own or r.get("from_context")):
        if study is not None and relation == "mention" and \
                r.get("evidence") in ("unspecified", "clinical_trial", "observational",
                                      "preclinical", "systematic_review"):
            return "study"
        return "cue"
    if study is not None and relation in ("mention", "before") and _refers(d):
        return "study"
    if _speaker_judges(d) and not d.get("q_said_company"):  # a seller's is no expert's
        return "expert"
    if r.get("evidence") == "anecdotal" or d.get("q_first_person"):
        return "anecdote"
    return "none"


def _mentioned_study(sent: Span, cues: list[dict[str, Any]], studies: dict[str, Span]
                     ) -> str | None:
    """The study whose mention is the claim's own cue ("The trial found ..."): the study in
    scope when it is mentioned in the sentence and a cue overlaps one of its mentions."""
    v = SpanValues(sent)
    st = studies.get(v.get("study")) if v.get("study_relation") == "mention" else None
    if st is None:
        return None
    sv = SpanValues(st)
    spans = sv.get("mentions") or [[st.start_char, st.end_char]]
    for c in cues:
        if any(c["start"] < b and a < c["end"] for a, b in spans):
            return sv.get("study_id")
    return None


def _attribution_cue(sent: Span, words: frozenset[str], level: str) -> list[dict[str, Any]]:
    for t in sent:
        if t.lower_ in words:
            return [{"start": t.idx, "end": t.idx + len(t), "text": t.text, "level": level}]
    return []


def _neighbour_cue(sent: Span, words: frozenset[str], level: str) -> list[dict[str, Any]]:
    """An attribution in the sentence before or after ``sent``: a quotation runs over several
    sentences and names its speaker once ("... ," said Dr. Lee. "We see it as ...")."""
    sents = sent.doc.spans.get("sentences")
    if sents is None:
        return []
    # O(log n) look-ups of the span group: no list of every sentence per claim
    i = bisect.bisect_left(sents, sent.start_char, key=lambda s: s.start_char)
    if i >= len(sents) or sents[i].start_char != sent.start_char:
        return []
    for j in (i - 1, i + 1):
        if 0 <= j < len(sents):
            cue = _attribution_cue(sents[j], words, level)
            if cue:
                return cue
    return []


FIRST_PERSON = frozenset({"i", "my", "me", "i'm", "i've"})


# levels of a sentence's own cue that outrank a quoted expert in the same sentence (§9.2)
OWN_CUE_OVER_EXPERT = frozenset({"systematic_review", "clinical_trial", "observational",
                                 "preclinical", "anecdotal", "regulatory"})


def _refers(d: dict[str, Any]) -> bool:
    """Does a sentence refer to the study in scope? An explicit reference ("the study",
    "participants"), a results sentence ("4.1 percent … compared with 4.3 percent of the
    placebo group"; or one that gives its statistics: "(p = 0.01)", "95% CI") or a sentence
    of a structured abstract's results or conclusions: the condition :func:`rule_source`
    reads."""
    return bool(d.get("ref_explicit", 0) or d.get("ref_results", 0) >= 3 or d.get("ref_stats")
                or _abstract_finding(d))


def _abstract_finding(d: dict[str, Any]) -> bool:
    """Is the sentence in the results or conclusions of a structured abstract, whose every
    sentence rests on the study its methods describe, cue or not (GUIDELINES §12.3)?"""
    return d.get("abs_section") in ABSTRACT_FINDINGS


def _abstract_study(study: str | None, d: dict[str, Any], rules: dict[str, Any]) -> bool:
    """A structured abstract's results or conclusions sentence rests on the study in scope
    (its methods' study) unless the sentence names a design of its own: the source both
    :func:`rule_source` and :func:`choose_source` give it first."""
    return study is not None and _abstract_finding(d) and \
        rules.get("evidence", "none") in ABSTRACT_STUDY_OVER


#: the rules' levels of a structured abstract's results or conclusions sentence that its
#: study outranks: none; research named without its kind ("These findings suggest …"); and
#: the words of experts or reports, which in an abstract's findings are the authors' reading
#: of their study ("Clinicians should consider it …", "participants reported less itch").
#: A design named in the sentence (a trial, a review, mice) keeps its own cue.
ABSTRACT_STUDY_OVER = frozenset({"none", "unspecified", "expert_opinion", "anecdotal"})


def _speaker_judges(d: dict[str, Any]) -> bool:
    """The sentence attributes its words to a professional, or to a named speaker who gives
    a judgement in the first person (discourse features of ``kratom_studies``)."""
    return bool(d.get("q_said") and (d.get("q_expert") or d.get("q_said_opinion")
                                     or d.get("q_said_known_expert")))


def _first_person_only(rules: dict[str, Any]) -> bool:
    """The rules' anecdotal reading rests on nothing but a first-person pronoun: their
    fallback when neither the sentence nor the one before it has an evidence cue, so no
    anecdotal cue of the sentence's own backs it."""
    return rules.get("evidence") == "anecdotal" and not rules.get("from_context") and \
        not any(c.get("level") == "anecdotal" for c in rules.get("candidates", []))


def choose_source(sent: Span, probs: dict[str, float]) -> str:
    """The most probable source that the sentence can have. With no study in scope, the
    study's probability goes to the sentence's own cue (research the model sees but no study
    mention was found for: "some research points towards …"), as :func:`resolve` reads a
    study without a mention. A sentence that names its own kind of evidence (a trial, a
    mouse study, anecdotes) rests on it rather than on an expert it also quotes: the
    guidelines take the strongest cue of a sentence (GUIDELINES §9.2, "a trial quoted by an
    expert is clinical_trial"); on the real dev split this moved evidence accuracy
    0.713 → 0.726 and macro-F1 0.572 → 0.629. A sentence with no cue of its own that refers
    to the study in scope ("The participants also reported …", a results sentence) cannot
    rest on a cue: the cue's probability goes to the study, as the rules backend reads such a
    sentence (real dev figures unchanged; written dev evidence accuracy 0.858 → 0.863 and
    overclaim F1 0.694 → 0.701; real train overclaim F1 0.802 → 0.799). A claim the sentence
    attributes to a named professional ("Dr. Price, a psychiatrist, says …") rests on the
    expert when the model ranks ``none`` first and ``expert`` second, as the rules backend
    reads it (no corpus figure moved). A claim the model rests on an anecdote that the
    sentence attributes to a named professional ("I see patients whose sleep improves,"
    said a physician) rests on the expert: a professional's own clinical observations are expert
    opinion (GUIDELINES §9.2); over the real and written train and dev splits such claims were
    gold expert opinion 8 times and anecdotal twice; real dev evidence accuracy 0.790 → 0.803
    and macro-F1 0.706 → 0.721, nothing else moved. A claim whose sentence names a regulator
    as its source ("According to the FDA, the pill slows …") rests on that cue when the model
    ranks ``none`` first: real dev (89) evidence accuracy 0.777 → 0.778, macro-F1 0.736 →
    0.742; ``train@9`` and ``train@10`` one claim each; of the other real figures only the
    C3 AUC of the support score over the train and dev releases moved (0.712 → 0.711)."""
    v = SpanValues(sent)
    study = v.get("study")
    rules = v.get("rules") or {}
    if _abstract_study(study, v.get("discourse") or {}, rules):
        return "study"  # the evidence models never saw a structured abstract
    if study is None and "study" in probs:
        probs = {**probs, "cue": probs.get("cue", 0.0) + probs["study"], "study": 0.0}
    own_cue = rules.get("evidence") in OWN_CUE_OVER_EXPERT and not rules.get("from_context")
    d = v.get("discourse") or {}
    speaker_judges = _speaker_judges(d)
    if own_cue and speaker_judges and _first_person_only(rules):
        # the rules read "I" as an anecdote only for want of any cue; in a quotation whose
        # speaker is a professional or gives a judgement ('"I would not suggest it," Lee
        # says') the "I" is the speaker's opinion, not testimony (study cues 1.18.0)
        own_cue = False
    if rules.get("evidence", "none") == "none" and study is not None and \
            _refers(d) and "cue" in probs:
        # a sentence with no cue of its own that names the study in scope ("The participants
        # also reported ...") rests on that study when the model sees evidence in it
        probs = {**probs, "study": probs.get("study", 0.0) + probs["cue"], "cue": 0.0}
    ranked = sorted(probs, key=probs.__getitem__, reverse=True)
    if d.get("q_said") and d.get("q_expert") and ranked[:2] == ["none", "expert"]:
        # a claim the sentence attributes to a named professional ("Dr. Price, a
        # psychiatrist, says …") rests on that expert when the model's runner-up says so
        probs = {**probs, "expert": probs["none"], "none": 0.0}
    elif ranked[0] == "none" and own_cue and rules.get("evidence") == "regulatory":
        # a regulator's word in the sentence itself ("According to the FDA, the pill …",
        # "the balm, which the FDA cleared for eczema, …") is its evidence (labelling rules)
        probs = {**probs, "cue": probs["none"], "none": 0.0}
    for source in sorted(probs, key=probs.__getitem__, reverse=True):
        if source == "study" and study is None:
            continue
        if d.get("q_said_company") and not speaker_judges and (
                source == "expert" or (source == "anecdote" and not d.get("q_first_person"))):
            # a seller's word ("The company says its oils repel lice") is no expert's, nor an
            # anecdote unless told of the speaker's own experience: the claim offers what the
            # seller cites, here nothing (GUIDELINES §9.7)
            return "none"
        if source == "anecdote" and speaker_judges:
            # a professional's own clinical observations ("I see patients whose
            # sleep improves," said a physician) are expert opinion, not lay testimony
            # (GUIDELINES §9.2 table); so is a judgement a named speaker gives in the first
            # person ('"I would not suggest they switch," Lee says'; study cues 1.18.0)
            return "expert"
        return "cue" if source == "expert" and own_cue else source
    return "none"


def resolve(sent: Span, source: str, scores: dict[str, float], studies: dict[str, Span],
            expert_words: frozenset[str], attribution_words: frozenset[str]
            ) -> tuple[EvidencePrediction, str | None]:
    """The evidence of a claim whose evidence comes from ``source`` (see the module doc);
    returns the prediction and the id of the study it rests on (or None)."""
    v = SpanValues(sent)
    r = v.get("rules")
    study = v.get("study")
    if source == "study" and study in studies:
        st = studies[study]
        sv = SpanValues(st)
        level = sv.get("design") or "unspecified"
        cue = {"start": st.start_char, "end": st.end_char, "text": st.text, "level": level}
        inside = sent.start_char <= st.start_char < sent.end_char
        return EvidencePrediction(level, [cue], not inside, scores), sv.get("study_id")
    if source in ("cue", "study"):
        level = r.get("evidence", "none")
        if level != "none":
            cues = [dict(c) for c in r.get("evidence_cues", [])]
            return EvidencePrediction(level, cues, bool(r.get("from_context")), scores), \
                _mentioned_study(sent, cues, studies)
        if source == "cue":
            return EvidencePrediction("none", [], False, scores), None
    if source == "expert":
        own = [dict(c) for c in r.get("candidates", []) if c.get("level") == "expert_opinion"]
        cues = own or _attribution_cue(sent, expert_words, "expert_opinion") or \
            _attribution_cue(sent, attribution_words, "expert_opinion")
        if cues:
            return EvidencePrediction("expert_opinion", cues, False, scores), None
        # the quotation's speaker is named in the sentence before or after; or nowhere near:
        # the model's reading stands without a cue span
        near = _neighbour_cue(sent, expert_words | attribution_words, "expert_opinion")
        return EvidencePrediction("expert_opinion", near, bool(near), scores), None
    if source == "anecdote":
        own = [dict(c) for c in r.get("evidence_cues", []) if c.get("level") == "anecdotal"]
        cues = own or _attribution_cue(sent, FIRST_PERSON, "anecdotal")
        if cues:
            return EvidencePrediction("anecdotal", cues, False, scores), None
        near = _neighbour_cue(sent, attribution_words | FIRST_PERSON, "anecdotal")
        return EvidencePrediction("anecdotal", near, bool(near), scores), None
    return EvidencePrediction("none", [], False, scores), None
