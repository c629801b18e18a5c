"""kratom_nlp: find the health claims in an article, grade the evidence behind each one, and
show where the prose claims more than that evidence supports.

Layout: ``ingest`` (reading articles) → ``pipeline`` (spaCy components) → ``backends`` (rules,
scikit-learn, transformer) → ``grading`` (overclaim rules, article score) → ``outputs`` (JSON,
text, HTML, ClaimReview). ``corpora`` loads the gold corpus and public data; ``cli`` is the
``kratom-nlp`` command.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "load"]


def __getattr__(name: str) -> Any:  # lazy: importing kratom_nlp stays cheap
    if name in ("analyze", "load", "analyze_document", "analyze_many"):
        from kratom_nlp import api

        return getattr(api, name)
    raise AttributeError(name)
