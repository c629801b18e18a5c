"""Every custom attribute the pipeline sets, declared in one place.

Values are plain (str, bool, float, lists and dicts of those) so that documents survive
multiprocessing and ``DocBin`` round trips. Registration is idempotent (``force=True``).
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

SPAN_EXTENSIONS: dict[str, object] = {
    # sentences (doc.spans["sentences"], label = kind: sentence | heading | bullet)
    "text": "",  # the sentence's text as analysed (Span.text rebuilds it token by token)
    "context": "",  # the previous sentence's text (what the learned models see as context)
    "rules": {},  # the rules' analysis of the sentence (backends.rules.SentenceRules.to_dict())
    "study": None,  # id of the study in scope for the sentence (doc.spans["studies"])
    "study_relation": None,  # mention (named in it) | before (named earlier) | after (a lede)
    "discourse": {},  # references, result language, quotes: features for the learned models
    "claim_scores": {},  # the claim detector's class scores ("none" + the claim types)
    "is_claim": False,  # the claim detector's decision (threshold applied)
    # claims (doc.spans["claims"], label = claim type); the claim fields below are also set
    # on every sentence span by the claim detector (claim_type, claim_score)
    "sentence_index": None,  # index of the claim's sentence in doc.spans["sentences"]
    "claim_type": None,  # efficacy | safety | risk | mechanism | advice | usage
    "claim_score": 0.0,  # the claim detector's confidence
    "claim_by_context": False,  # a claim below the threshold, kept for the claim before it
    "substances": [],  # canonical substance names the claim is about
    "outcomes": [],  # canonical outcomes / conditions
    "evidence_level": "none",
    "evidence_cues": [],  # [{"start", "end", "text", "level"}] (character offsets)
    "evidence_from_context": False,
    "evidence_scores": {},
    "strength": "no_relationship",
    "strength_scores": {},  # the backend's class scores
    "strength_cue": None,  # {"start", "end", "text", "rule"} when a rule set the strength
    "certainty": None,  # 1 (uncertain) .. 6 (certain)
    "advice": False,
    "advice_kind": None,  # promotional | cautionary | None
    "overclaim": False,
    "overclaim_reason": None,
    "overclaim_rule": None,
    "overclaim_score": 0.0,
    "evidence_study": None,  # the id of the study the claim's evidence comes from
    "canonical": None,  # lexicon spans: canonical name
    # studies (doc.spans["studies"], label = design), at their fullest description
    "study_id": None,  # s1, s2, ...
    "design": None,  # an evidence level of the labelling rules
    "study_kind": None,  # randomised_trial, cohort, survey, animal, cell, ...
    "population": None,  # human | animal | cell | unknown
    "study_n": None,  # the sample size when the text states it
    "study_body": None,  # the journal, meeting or agency named with it
    "mentions": [],  # [[start, end], ...] character offsets of every mention
}

DOC_EXTENSIONS: dict[str, object] = {
    "source": None,
    "language": "en",
    "warnings": [],
    "topic_substances": [],  # substances the first line names, most mentioned first
    "topic_subjects": [],  # the same over doc.spans["subjects"] (what the rules read)
    "summary": {},
}


def register_extensions() -> None:
    """Declare all extensions (safe to call many times, in any process)."""
    for name, default in SPAN_EXTENSIONS.items():
        Span.set_extension(name, default=default, force=True)
    for name, default in DOC_EXTENSIONS.items():
        Doc.set_extension(name, default=default, force=True)


register_extensions()


_MUTABLE = (dict, list, set)


class SpanValues:
    """The extension values of one span, read and written in ``doc.user_data`` under the key
    spaCy's ``Underscore`` uses (``("._.", name, start_char, end_char)``), for the loops that
    read several values of thousands of spans: ``span._`` builds an accessor object per use
    and each value read through it costs about 1.4 µs, a look-up here about 0.2 µs. The
    values are the same ones ``span._`` reads and writes (a test checks every extension both
    ways). :meth:`get` of an unset value returns the declared default, a fresh copy when it
    is mutable that is not stored (``span._`` stores it): write with :meth:`set`."""

    __slots__ = ("_data", "_start", "_end")

    def __init__(self, span: Span) -> None:
        self._data = span.doc.user_data
        self._start = span.start_char
        self._end = span.end_char

    def get(self, name: str) -> Any:
        try:
            return self._data[("._.", name, self._start, self._end)]
        except KeyError:
            if name not in SPAN_EXTENSIONS:  # as ``span._`` does, not a KeyError
                raise AttributeError(f"no span extension {name!r}") from None
            default = SPAN_EXTENSIONS[name]
            return default.copy() if isinstance(default, _MUTABLE) else default

    def set(self, name: str, value: Any) -> None:
        if name not in SPAN_EXTENSIONS:
            raise AttributeError(f"no span extension {name!r}")
        self._data[("._.", name, self._start, self._end)] = value
