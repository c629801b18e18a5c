"""Analyses off the event loop, with bounded concurrency, and the desk's input readers.

The pipeline (one per process) runs in a pool of ``workers`` threads; at most ``max_queue``
further analyses wait for a thread, and a request beyond that is refused at once with
:class:`Busy` (HTTP 503 with ``Retry-After``) instead of piling up. Reading the input (decoding,
HTML extraction with trafilatura) runs in the same pool, so the event loop only moves bytes.
spaCy's inference is read-only on the pipeline, so threads share it (the tests check that
concurrent analyses equal serial ones).

With ``zones`` (``kratom-nlp serve``, whose pipeline nothing else uses), every busy period, from
the first admitted analysis to the moment none is left, runs in one spaCy memory zone
(:func:`kratom_nlp.memory.zone`): the words the period's articles added to the vocabulary are
evicted when the desk goes idle, so a desk that runs for months does not grow with every
article it has read.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

from spacy.language import Language

from kratom_nlp.errors import KratomError
from kratom_nlp.ingest import Document, read_bytes

T = TypeVar("T")

FORMATS: dict[str, str] = {"text": ".txt", "markdown": ".md", "html": ".html"}
"""The formats of pasted text (``auto`` sniffs HTML, as ``analyze -`` does) and their suffix."""

_HTML_SNIFF = re.compile(r"\A\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)

__all__ = ["FORMATS", "Analyzer", "Busy", "document_from_text", "document_from_upload",
           "upload_source"]


class Busy(KratomError):
    """Every worker is busy and the queue is full (HTTP 503)."""


def document_from_text(text: str, *, source: str, fmt: str = "auto",
                       max_bytes: int) -> Document:
    """Pasted text as a :class:`Document`, through the same checks as ``kratom-nlp analyze``
    (size, empty, binary, encoding, HTML extraction) - the text is read as its UTF-8 bytes."""
    if fmt != "auto" and fmt not in FORMATS:
        raise ValueError(f"format must be auto or one of {', '.join(FORMATS)}")
    data = text.encode("utf-8", "surrogatepass")  # lone surrogates fail as bad UTF-8 below
    if fmt == "auto":
        fmt = "html" if _HTML_SNIFF.match(text) else "text"
    return read_bytes(data, source=source, suffix=FORMATS[fmt], max_bytes=max_bytes)


def upload_source(filename: str | None) -> str:
    """The name an uploaded file is known by: its base name (no folders), or ``<upload>``."""
    name = (filename or "").replace("\x00", "")
    name = PureWindowsPath(PurePosixPath(name).name).name.strip()
    return name[:255] or "<upload>"


def document_from_upload(data: bytes, filename: str | None, *, max_bytes: int,
                         encoding: str = "utf-8") -> Document:
    """An uploaded file as a :class:`Document`; its suffix picks the format (``.txt``, ``.md``,
    ``.html``; none = plain text), as for ``kratom-nlp analyze PATH``."""
    source = upload_source(filename)
    suffix = PurePosixPath(source).suffix if source != "<upload>" else ""
    return read_bytes(data, source=source, suffix=suffix, max_bytes=max_bytes,
                      encoding=encoding)


class Analyzer:
    """Runs analyses on a bounded thread pool next to the event loop."""

    def __init__(self, nlp: Language, *, workers: int = 2, max_queue: int = 16,
                 zones: bool = False) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if max_queue < 0:
            raise ValueError("max_queue must be 0 or more")
        self.nlp = nlp
        self.workers = workers
        self.max_queue = max_queue
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kratom-analyse")
        self._lock = threading.Lock()
        self._admitted = 0
        self.completed = 0
        self.zones = zones
        self._zone: Any = None  # the open memory zone of the busy period

    @property
    def in_flight(self) -> int:
        """Analyses running or waiting for a worker."""
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a worker thread; :class:`Busy` when the queue is full. A slot is
        freed when the work itself ends (not when a client that went away stops waiting)."""
        with self._lock:
            if self._admitted >= self.workers + self.max_queue:
                raise Busy(f"all {self.workers} analysis workers are busy and "
                           f"{self.max_queue} analyses are waiting; try again shortly")
            if self.zones and self._zone is None:
                from kratom_nlp.memory import zone

                self._zone = zone(self.nlp)
                self._zone.__enter__()
            self._admitted += 1
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future: object) -> None:
        with self._lock:
            self._admitted -= 1
            self.completed += 1
            if self._admitted == 0 and self._zone is not None:
                zone, self._zone = self._zone, None
                zone.__exit__(None, None, None)  # idle: no Doc of the period is in use

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
