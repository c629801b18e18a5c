"""Shared fixtures: the pipeline is built once per test session (once per pytest-xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed" / "000_68acead6d6c22a90.txt"


@pytest.fixture(scope="session")
def nlp():
    from kratom_nlp.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def analyze_text(nlp):
    from kratom_nlp.api import analyze

    def run(text: str) -> dict:
        return analyze(text, nlp=nlp)

    return run


@pytest.fixture(scope="session")
def docs_of(nlp):
    """``docs_of(texts)``: the session pipeline's Docs for ``texts``, each text analysed once
    per test session (several tests export or round-trip the same gold articles). The Docs
    are shared: read them, never change them."""
    cache: dict[str, object] = {}

    def run(texts: list[str]) -> list:
        todo = list(dict.fromkeys(t for t in texts if t not in cache))
        cache.update(zip(todo, nlp.pipe(todo, batch_size=16), strict=True))
        return [cache[t] for t in texts]

    return run


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.exists():
        pytest.skip("../shared/data is not present")
    return path
