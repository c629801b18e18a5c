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
    u = span._
    if u.rules:
        return span
    index = u.sentence_index
    if index is None or index < 0:
        raise ValueError(f"span {span.start_char}:{span.end_char} is neither a sentence span "
                         "nor a claim with a sentence index; run the kratom_sentences component")
    return span.doc.spans["sentences"][index]


def rules_of(span: Span) -> dict[str, Any]:
    """The rules' analysis of a span's sentence (a plain dict, see ``SentenceRules``)."""
    return sentence_of(span)._.rules


def features_of(sent: Span | None) -> dict[str, float | str]:
    """What a learned model sees of a sentence besides its text: the rules' decisions and cue
    counts (``kratom_sentences``) and the study and discourse features (``kratom_studies``).
    Training and inference both read them through this function."""
    if sent is None:
        return {}
    return _features(sent._)


def _features(u: Any, rules: dict[str, Any] | None = None) -> dict[str, float | str]:
    """:func:`features_of` from a sentence's extension accessor (``span._``); ``rules`` when
    the caller has read ``u.rules`` already."""
    rules = u.rules if rules is None else rules
    return {**rules.get("features", {}), **(u.discourse or {})}


def examples_for_spans(spans: Sequence[Span]) -> list[Example]:
    """One :class:`Example` per span (a sentence span or a claim span)."""
    out = []
    for span in spans:
        u = span._  # one accessor per span (each ``._`` builds a new one)
        rules = u.rules
        if rules:  # a sentence, or a claim over a whole sentence (same extension values)
            sent, su = span, u
        else:
            sent = sentence_of(span)
            su = sent._
            rules = su.rules
        out.append(Example(text=su.text or sent.text, context=su.context or "",
                           rules=_features(su, rules),
                           claim_type=u.claim_type or None))
    return out
