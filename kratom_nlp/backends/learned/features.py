"""What a learned model sees for one sentence, read from the Doc.

The ``kratom_sentences`` component stores on every sentence span its text's previous sentence
(``span._.context``) and the rules' analysis (``span._.rules``, whose ``features`` are the rule
decisions and cue counts). A claim span finds its sentence through ``span._.sentence_index``.
Nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Span

from kratom_nlp.pipeline.extensions import SpanValues


@dataclass
class Example:
    """One sentence as model input (also built from data sets for training)."""

    text: str
    context: str = ""  # the previous sentence
    rules: dict[str, float | str] = field(default_factory=dict)  # rule decisions and cues
    claim_type: str | None = None  # the claim detector's type (used for the advice kind)

    def row(self) -> dict[str, Any]:
        return {"text": self.text, "context": self.context, "rules": self.rules}


def sentence_of(span: Span) -> Span:
    """The ``sentences`` span of a span: itself, or the claim's sentence."""
    v = SpanValues(span)
    if v.get("rules"):
        return span
    index = v.get("sentence_index")
    if index is None or index < 0:
        raise ValueError(f"span {span.start_char}:{span.end_char} is neither a sentence span "
                         "nor a claim with a sentence index; run the kratom_sentences component")
    return span.doc.spans["sentences"][index]


def rules_of(span: Span) -> dict[str, Any]:
    """The rules' analysis of a span's sentence (a plain dict, see ``SentenceRules``)."""
    return SpanValues(sentence_of(span)).get("rules")


def features_of(sent: Span | None) -> dict[str, float | str]:
    """What a learned model sees of a sentence besides its text: the rules' decisions and cue
    counts (``kratom_sentences``) and the study and discourse features (``kratom_studies``).
    Training and inference both read them through this function."""
    if sent is None:
        return {}
    v = SpanValues(sent)
    return _features(v.get("rules"), v.get("discourse"))


def _features(rules: dict[str, Any], discourse: dict[str, Any] | None
              ) -> dict[str, float | str]:
    """:func:`features_of` from a sentence's rules and discourse values."""
    return {**rules.get("features", {}), **(discourse or {})}


def examples_for_spans(spans: Sequence[Span]) -> list[Example]:
    """One :class:`Example` per span (a sentence span or a claim span)."""
    out = []
    for span in spans:
        v = SpanValues(span)  # plain look-ups in doc.user_data (``span._`` is ~7x slower)
        rules = v.get("rules")
        sv = v
        if not rules:  # a claim over part of a sentence: its sentence's values
            sent = sentence_of(span)
            sv = SpanValues(sent)
            rules = sv.get("rules")
        else:  # a sentence, or a claim over a whole sentence (same extension values)
            sent = span
        out.append(Example(text=sv.get("text") or sent.text, context=sv.get("context") or "",
                           rules=_features(rules, sv.get("discourse")),
                           claim_type=v.get("claim_type") or None))
    return out
