"""Default locations of the project's data, relative to the working folder (never to the
installed package): a user runs the commands from a checkout, or points at the data with an
option or an environment variable. Models are found through their package instead
(:mod:`kratom_nlp.backends.learned.store`)."""

from __future__ import annotations

import os
from pathlib import Path

CORPORA_ENV = "KRATOM_NLP_CORPORA"
DATA_ENV = "KRATOM_NLP_DATA"


def corpora_dir() -> Path:
    """The project's corpora folder: ``$KRATOM_NLP_CORPORA``, else ``./corpora``."""
    return Path(os.environ.get(CORPORA_ENV) or "corpora")


def shared_data_dir() -> Path:
    """The public data sets: ``$KRATOM_NLP_DATA``, else ``../shared/data``."""
    return Path(os.environ.get(DATA_ENV) or Path("..") / "shared" / "data")
