"""``kratom-nlp serve``: the fact-checkers' desk, a local web app.

An article goes in (pasted, or a .txt / .md / .html file), the analysis comes out as a report
with highlighted claims; a person reviews each claim, the reviews are kept in SQLite and export
as Label Studio tasks for ``kratom-nlp annotate import``. See ``docs/serve.md``.

Modules: ``app`` (FastAPI routes, middleware, errors), ``store`` (SQLite and its migrations),
``runner`` (bounded analyses off the event loop, input readers), ``review`` (checking reviews,
the analysis as reviewed), ``export`` (Label Studio tasks, CSV), ``render`` (the highlighted
text), ``server`` (running the app in a thread, for tests and benchmarks).

Needs the ``serve`` extra (FastAPI, uvicorn, python-multipart, Jinja2).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServeSettings", "create_app"]


def __getattr__(name: str) -> Any:  # lazy: importing the package does not import FastAPI
    if name in __all__:
        from kratom_nlp.serve import app

        return getattr(app, name)
    raise AttributeError(name)
