"""spaCy's ``tok2vec`` run over a bounded number of tokens at a time.

thinc's ``chain`` keeps every layer's output until the whole network has run, for the
backward pass, even when it only predicts: the tok2vec of ``en_core_web_sm`` (a hash embedding
and four maxout window layers) holds about 16 KB per token until it returns. Fed a batch of
32 documents (8,000 tokens) it lifts the process by 125 MB, and one 100,000-character piece of
a long article by more than 300 MB.

:class:`BoundedTok2Vec` is the same component with the same weights (the sourced one's class
is swapped when the pipeline is built, see :func:`bound_tok2vec`); its ``predict`` runs the
model on groups of documents of at most ``token_budget`` tokens, and a longer document in
overlapping windows. Each output vector depends only on the tokens within ``depth ×
window_size`` (4) of it, so windows that overlap by ``overlap`` (16) tokens and keep only
their middles give the vectors of the whole document. The heap is trimmed after each call.

The vectors (``doc.tensor``, 96 floats a token) are read by the tagger and by nothing after it;
``kratom_drop_tensor`` empties them once the tagger has run, so a document in flight, or one
sent back from a ``--n-process`` worker, does not carry them (they were 60% of its bytes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.pipeline.tok2vec import Tok2Vec
from spacy.tokens import Doc

from kratom_nlp.memory import release_memory

TOKEN_BUDGET = 2_048
OVERLAP = 16


class BoundedTok2Vec(Tok2Vec):
    """:class:`spacy.pipeline.Tok2Vec` whose ``predict`` sees at most ``token_budget``
    tokens per call of the model."""

    token_budget: int = TOKEN_BUDGET
    overlap: int = OVERLAP

    def predict(self, docs: Iterable[Doc]) -> list[Any]:
        docs = list(docs)
        out: list[Any] = [None] * len(docs)
        group: list[int] = []
        tokens = 0

        def flush() -> None:
            nonlocal tokens
            if group:
                for i, vecs in zip(group, Tok2Vec.predict(self, [docs[i] for i in group]),
                                   strict=True):
                    out[i] = vecs
                group.clear()
            tokens = 0

        for i, doc in enumerate(docs):
            if len(doc) > self.token_budget:
                out[i] = self._windows(doc)
                continue
            if group and tokens + len(doc) > self.token_budget:
                flush()
            group.append(i)
            tokens += len(doc)
        flush()
        release_memory()  # the layers' outputs, freed, back to the system (kratom_nlp.memory)
        return out

    def _windows(self, doc: Doc) -> Any:
        """The vectors of a document longer than the budget, from overlapping windows."""
        step = self.token_budget - 2 * self.overlap
        parts = []
        for a in range(0, len(doc), step):
            b = min(len(doc), a + step)
            lo, hi = max(0, a - self.overlap), min(len(doc), b + self.overlap)
            vecs = Tok2Vec.predict(self, [doc[lo:hi].as_doc()])[0]
            parts.append(vecs[a - lo:b - lo])
        return self.model.ops.xp.concatenate(parts)


def bound_tok2vec(nlp: Language) -> None:
    """Swap each plain ``tok2vec`` component of ``nlp`` for a :class:`BoundedTok2Vec`
    (the same object and weights; only ``predict`` differs)."""
    for _, proc in nlp.pipeline:
        if type(proc) is Tok2Vec:
            proc.__class__ = BoundedTok2Vec


class DropTensor:
    """Empty ``doc.tensor`` (as a new ``Doc`` has it), once the components that read it have
    run."""

    def __call__(self, doc: Doc) -> Doc:
        doc.tensor = np.zeros((0,), dtype="float32")
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)


@Language.factory("kratom_drop_tensor", default_config={})
def make_drop_tensor(nlp: Language, name: str) -> DropTensor:
    """The tok2vec's vectors dropped after the tagger (see the module's docstring); a
    pipeline that adds a component reading ``doc.tensor`` puts it before this one."""
    return DropTensor()
