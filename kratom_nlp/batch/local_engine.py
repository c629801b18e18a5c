"""``--engine local``: ``nlp.pipe`` in this process, with ``--n-process`` worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kratom_nlp.batch.engines import BatchOptions, RunState, pipeline_for
from kratom_nlp.batch.sources import Source, assign_ids
from kratom_nlp.ingest import Document

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["LocalEngine"]


class LocalEngine:
    """The default engine: documents stream through ``analyze_stream``
    (:mod:`kratom_nlp.batch.process`) in input order; the pipeline is loaded once."""

    name = "local"

    def __init__(self, *, nlp: Language | None = None) -> None:
        self.nlp = nlp

    def prepare(self, opts: BatchOptions) -> None:
        """Load the pipeline (:class:`~kratom_nlp.errors.ConfigError` when it cannot be)."""
        if self.nlp is None:
            self.nlp = pipeline_for(opts.config)

    def run(self, opts: BatchOptions, source: Source, state: RunState) -> None:
        """Analyse every document of ``source`` not yet in OUT."""
        from kratom_nlp.batch.process import analyze_stream, error_record

        self.prepare(opts)
        assert self.nlp is not None
        done = state.done

        def feed() -> Iterator[tuple[str, Document]]:
            for item in assign_ids(source):
                if item.id in done:
                    state.skip()
                elif item.error is not None:
                    state.error(error_record(item.id, item.source, item.error))
                elif item.document is not None:
                    yield item.id, item.document

        for outcome in analyze_stream(self.nlp, feed(), n_process=opts.n_process,
                                      batch_size=opts.batch_size):
            if outcome.analysis is not None:
                state.analysis(outcome.id, outcome.analysis)
            elif outcome.error is not None:
                state.error(outcome.error)
