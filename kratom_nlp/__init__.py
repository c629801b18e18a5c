"""kratom_nlp: find the health claims in an article, grade the evidence behind each one, and
show where the prose claims more than that evidence supports.

Layout: ``ingest`` (reading articles) → ``pipeline`` (spaCy components) → ``backends`` (rules,
scikit-learn, transformer) → ``grading`` (overclaim rules, article score) → ``outputs`` (JSON,
text, HTML, ClaimReview). ``corpora`` loads the gold corpus and public data; ``cli`` is the
``kratom-nlp`` command.
"""

from __future__ import annotations

import os
from typing import Any

# torch's OpenMP threads (GNU libgomp, loaded with spaCy's thinc) spin for 300,000 iterations
# after each parallel region by default. With two processes on two cores (a batch beside a
# desk, two commands at once) each spins on the core the other needs. `eval/benchmark_openmp.py`
# measured two cold `analyze` runs at once: 7.09 s with the default, 3.92 s with this value; one
# process pays about 3% of its words/s for it (2,583 vs 2,645 on the real dev split). It must
# be set before libgomp is loaded; a value the user set is kept.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "load"]


def __getattr__(name: str) -> Any:  # lazy: importing kratom_nlp stays cheap
    if name in ("analyze", "load", "analyze_document", "analyze_many"):
        from kratom_nlp import api

        return getattr(api, name)
    raise AttributeError(name)
