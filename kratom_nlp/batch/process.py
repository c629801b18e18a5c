"""The per-batch work shared by the local and the Ray engine: documents in, analyses out.

:func:`analyze_stream` runs ``nlp.pipe(..., as_tuples=True, batch_size)`` over ``(id,
Document)`` pairs and yields one :class:`Outcome` per pair, in input order; with ``n_process``
above 1, in that many forked worker processes that send back analyses, not ``Doc`` objects
(:func:`_analyze_in_workers`). A document
that makes a pipeline component raise does not end the stream: while piping, spaCy's error
handler is set to drop the failing document (or, in a worker process, its sub-batch); every
document that does not come back is then re-run alone with errors raised, so it either gets its
analysis or an error record (``exit_code`` 1, what ``kratom-nlp analyze`` would return).
The stream goes through in windows, each in a spaCy memory zone (:func:`kratom_nlp.memory.zone`).
"""

from __future__ import annotations

import multiprocessing
import queue
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from spacy.language import Language

from kratom_nlp.ingest import Document, InputError
from kratom_nlp.text.normalize import Normalized, normalize

__all__ = ["Outcome", "analyze_stream", "error_record", "tolerant_errors"]

#: ``exit_code`` of a document the pipeline itself failed on (an uncaught exception in analyze).
PIPELINE_FAILURE = 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_record(doc_id: str, source: str, exc: BaseException) -> dict[str, Any]:
    """The ``errors.jsonl`` line for a document that failed."""
    if isinstance(exc, InputError):
        return {"id": doc_id, "source": source, "reason": _one_line(exc.message),
                "exit_code": int(exc.exit_code), "error": type(exc).__name__,
                "hint": _one_line(exc.hint) if exc.hint else None}
    return {"id": doc_id, "source": source,
            "reason": _one_line(f"pipeline failed: {type(exc).__name__}: {exc}")[:2000],
            "exit_code": PIPELINE_FAILURE, "error": "PipelineError", "hint": None}


@dataclass
class Outcome:
    """The result for one document: ``analysis`` or ``error`` (an errors.jsonl record), and
    with an error made in this process the exception itself (None for a worker's)."""

    id: str
    document: Document
    analysis: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    exception: BaseException | None = None


class _DropErrors:
    """spaCy error handler: drop failing documents while piping; raise when ``strict``."""

    def __init__(self) -> None:
        self.strict = False
        self.dropped = 0

    def __call__(self, proc_name: Any, proc: Any, docs: Any, e: Exception) -> None:
        if self.strict:
            raise e
        self.dropped += 1


@contextmanager
def tolerant_errors(nlp: Language) -> Iterator[_DropErrors]:
    """Install :class:`_DropErrors` on ``nlp`` and its components; restore the old ones."""
    handler = _DropErrors()
    saved_default = nlp.default_error_handler
    saved = {name: proc.get_error_handler() for name, proc in nlp.pipeline
             if hasattr(proc, "get_error_handler")}
    nlp.set_error_handler(handler)
    try:
        yield handler
    finally:
        nlp.default_error_handler = saved_default
        for name, proc in nlp.pipeline:
            if name in saved:
                proc.set_error_handler(saved[name])


@contextmanager
def _fast_msgpack_codecs() -> Iterator[None]:
    """Cache srsly's msgpack codec registries while documents cross process boundaries.

    With ``n_process > 1`` every ``Doc`` is serialised in a worker and deserialised here, and
    each ``srsly.msgpack_dumps``/``loads`` call asks ``catalogue`` for all codecs, which scans
    the installed packages' entry points and the whole registry: on this project's environment
    that cost more than the NLP itself. The codecs do not change during a batch, so they are
    looked up once (entry points included) and restored afterwards; forked workers inherit the
    cache.
    """
    try:
        import srsly.msgpack as sm
    except ImportError:  # pragma: no cover - srsly is a spaCy dependency
        yield
        return
    patched = [reg for reg in (sm.msgpack_encoders, sm.msgpack_decoders)
               if "get_all" not in reg.__dict__]  # re-entrant: an outer call already did it
    for reg in patched:
        frozen = reg.get_all()
        reg.get_all = lambda frozen=frozen: dict(frozen)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for reg in patched:
            reg.__dict__.pop("get_all", None)


def _finish(nlp: Language, doc_id: str, document: Document, doc: Any,
            norm: Normalized) -> Outcome:
    from kratom_nlp.api import analysis_of_doc

    try:
        return Outcome(doc_id, document, analysis=analysis_of_doc(doc, document, norm, nlp))
    except Exception as exc:  # noqa: BLE001  (a bug must not end the batch)
        return Outcome(doc_id, document, error=error_record(doc_id, document.source, exc),
                       exception=exc)


def _alone(nlp: Language, handler: _DropErrors, doc_id: str, document: Document) -> Outcome:
    """One document analysed on its own (dropped from a batch by an error, or too long for
    one piece): the same path as ``kratom-nlp analyze``."""
    from kratom_nlp.api import analyze_document

    handler.strict = True
    try:
        return Outcome(doc_id, document, analysis=analyze_document(document, nlp))
    except Exception as exc:  # noqa: BLE001
        return Outcome(doc_id, document, error=error_record(doc_id, document.source, exc),
                       exception=exc)
    finally:
        handler.strict = False


def analyze_stream(nlp: Language, items: Iterable[tuple[str, Document]], *, n_process: int = 1,
                   batch_size: int = 32, zone_docs: int | None = None) -> Iterator[Outcome]:
    """Analyse ``(id, Document)`` pairs (ids unique) with ``nlp.pipe``; outcomes in input order.

    ``items`` is consumed lazily, so it may be an endless stream; only the documents in flight
    (a few batches) are held. The stream goes through in windows of ``zone_docs`` documents
    (default 1,000; per worker with ``n_process`` above 1, or 10,000 on spaCy's own
    multiprocessing where the platform cannot fork), each in a spaCy memory zone, so that the
    vocabulary does not grow with the corpus.
    """
    from kratom_nlp import memory

    if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
        yield from _analyze_in_workers(nlp, items, n_process, batch_size,
                                       zone_docs or memory.ZONE_DOCS)
        return
    size = zone_docs or memory.zone_docs(n_process)
    with tolerant_errors(nlp) as handler, _fast_msgpack_codecs():
        for window in memory.windows(items, size):
            with memory.zone(nlp):
                yield from _analyze_window(nlp, handler, window, n_process, batch_size)


# --------------------------------------------------------------------------- worker processes
#: chunks of ``batch_size`` documents queued or in work per worker process
CHUNKS_PER_WORKER = 3
#: seconds between checks that the workers are alive while waiting for a result
WORKER_POLL_S = 1.0

_Result = tuple[str, "dict[str, Any] | None", "dict[str, Any] | None"]


def _work(nlp: Language, tasks: Any, results: Any, batch_size: int, zone_size: int) -> None:
    """A worker process (forked: it shares the loaded pipeline's pages): analyses chunks of
    ``(id, Document)`` pairs from ``tasks`` and puts ``(chunk number, [(id, analysis, error),
    ...])`` on ``results``, until it gets None. Its documents go through in memory zones of
    ``zone_size`` documents, as in one process."""
    import signal

    from kratom_nlp import memory

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    with tolerant_errors(nlp) as handler:
        done = False
        while not done:
            with memory.zone(nlp):
                seen = 0
                while seen < zone_size:
                    task = tasks.get()
                    if task is None:
                        done = True
                        break
                    k, chunk = task
                    try:
                        out: list[_Result] | str = [
                            (o.id, o.analysis, o.error)
                            for o in _analyze_window(nlp, handler, chunk, 1, batch_size)]
                    except Exception as exc:  # noqa: BLE001  (the main process re-runs it)
                        out = f"{type(exc).__name__}: {exc}"
                    results.put((k, out))
                    seen += len(chunk)


def _analyze_in_workers(nlp: Language, items: Iterable[tuple[str, Document]], n_process: int,
                        batch_size: int, zone_size: int) -> Iterator[Outcome]:
    """:func:`analyze_stream` with ``n_process`` forked worker processes that return the
    analyses, not the ``Doc`` objects: a processed ``Doc`` with this pipeline's span groups
    and extension values crosses as msgpack bytes, written in the worker and read back here
    (on 300 documents this process spent 1.67 CPU-seconds reading them, against 0.21 now; the
    workers 36.8 against 35.2), where its analysis dict is a small pickle. Chunks of
    ``batch_size`` documents go to whichever worker is free, at most
    :data:`CHUNKS_PER_WORKER` per worker at a time (the input is read as it is needed), and
    their outcomes come back in input order. A worker that dies (killed, out of memory) ends
    the workers; the chunks not yet returned and the rest of the input are then analysed in
    this process, with a warning, so that nothing is lost."""
    ctx = multiprocessing.get_context("fork")
    tasks = ctx.Queue()
    results = ctx.Queue()
    workers = [ctx.Process(target=_work, args=(nlp, tasks, results, batch_size, zone_size),
                           daemon=True, name=f"kratom-worker-{i}") for i in range(n_process)]
    for w in workers:
        w.start()
    chunks = enumerate(_chunks(items, batch_size))
    sent: dict[int, list[tuple[str, Document]]] = {}  # chunk number -> its documents
    ready: dict[int, list[_Result] | str] = {}
    next_k = 0
    exhausted = False
    failed = False
    dead: list[str] = []
    finished = False  # every chunk came back (not stopped early by the caller or Ctrl-C)

    def send() -> None:
        nonlocal exhausted
        while not exhausted and len(sent) < CHUNKS_PER_WORKER * n_process:
            item = next(chunks, None)
            if item is None:
                exhausted = True
                return
            sent[item[0]] = item[1]
            tasks.put(item)

    try:
        send()
        while sent:
            while next_k in ready:
                out = ready.pop(next_k)
                chunk = sent.pop(next_k)
                next_k += 1
                if isinstance(out, str):  # the worker's own error: analyse the chunk here
                    yield from _in_this_process(nlp, chunk, batch_size)
                    continue
                docs = dict(chunk)
                for doc_id, analysis, error in out:
                    yield Outcome(doc_id, docs[doc_id], analysis=analysis, error=error)
                send()
            if not sent:
                break
            try:
                k, out = results.get(timeout=WORKER_POLL_S)
            except queue.Empty:
                dead = [w.name for w in workers if not w.is_alive()]
                if not dead:
                    continue
                failed = True
                break
            ready[k] = out
        finished = not failed
    finally:
        # a worker ends when it reads None after its last chunk; stopped early (the caller
        # closed the stream, Ctrl-C) or after a failure, the workers are ended at once
        for _ in workers:
            tasks.put(None)
        for w in workers:
            w.join(timeout=5 if finished else 0)
            if w.is_alive():
                w.terminate()
                w.join()
    if failed:
        warnings.warn(f"a worker process ended unexpectedly ({', '.join(dead)});"
                      " the remaining documents are analysed in the main process",
                      RuntimeWarning, stacklevel=2)
        rest = [pair for k in sorted(sent) for pair in sent[k]]
        yield from _in_this_process(nlp, chain(rest, (pair for _, c in chunks for pair in c)),
                                    batch_size)


def _chunks(items: Iterable[tuple[str, Document]], size: int
            ) -> Iterator[list[tuple[str, Document]]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _in_this_process(nlp: Language, items: Iterable[tuple[str, Document]],
                     batch_size: int) -> Iterator[Outcome]:
    """The documents a worker did not return, through the one-process stream."""
    yield from analyze_stream(nlp, items, n_process=1, batch_size=batch_size)


def _analyze_window(nlp: Language, handler: _DropErrors, items: Iterable[tuple[str, Document]],
                    n_process: int, batch_size: int) -> Iterator[Outcome]:
    from kratom_nlp.api import MAX_PIECE_CHARS

    pending: OrderedDict[str, tuple[Document, Normalized | None]] = OrderedDict()

    def feed() -> Iterator[tuple[str, str]]:
        for doc_id, document in items:
            norm = normalize(document.text)
            long = len(norm.text) > MAX_PIECE_CHARS
            pending[doc_id] = (document, None if long else norm)
            yield ("" if long else norm.text), doc_id

    stream = nlp.pipe(feed(), as_tuples=True, n_process=n_process, batch_size=batch_size)
    for doc, doc_id in stream:
        while pending:
            pid, (document, norm) = pending.popitem(last=False)
            if pid == doc_id and norm is not None:
                yield _finish(nlp, pid, document, doc, norm)
                break
            # dropped by the error handler, or too long for one piece
            yield _alone(nlp, handler, pid, document)
            if pid == doc_id:
                break
    while pending:
        pid, (document, _) = pending.popitem(last=False)
        yield _alone(nlp, handler, pid, document)
