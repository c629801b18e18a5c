"""spaCy pipeline components of kratom_nlp and the function that builds the pipeline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from spacy.language import Language

from kratom_nlp.pipeline.attributes import table_attribute_ruler
from kratom_nlp.pipeline.extensions import register_extensions
from kratom_nlp.pipeline.tok2vec import bound_tok2vec

DEFAULT_CONFIG = Path(__file__).with_name("config.cfg")

__all__ = ["DEFAULT_CONFIG", "build_pipeline", "load_pipeline", "register_extensions"]


def _register_factories() -> None:
    import warnings

    # scispaCy's detector runs an empty global matcher on every doc; spaCy warns each time
    warnings.filterwarnings("ignore", message=r".*\[W036\]")
    import scispacy.abbreviation  # noqa: F401  (registers "abbreviation_detector")

    import kratom_nlp.backends  # noqa: F401  (registers the backends)
    import kratom_nlp.pipeline.caveats  # noqa: F401
    import kratom_nlp.pipeline.components  # noqa: F401
    import kratom_nlp.pipeline.lexicon  # noqa: F401
    import kratom_nlp.pipeline.segmenter  # noqa: F401
    import kratom_nlp.pipeline.studies  # noqa: F401
    import kratom_nlp.registry  # noqa: F401  (the kratom_backends registry, the resources)


def build_pipeline(config: str | Path | None = None,
                   overrides: dict[str, object] | None = None) -> Language:
    """Build the pipeline from a ``config.cfg`` (default: the bundled one)."""
    from spacy import util

    _register_factories()
    register_extensions()
    cfg = util.load_config(Path(config) if config else DEFAULT_CONFIG,
                           overrides=dict(overrides or {}), interpolate=True)
    nlp = util.load_model_from_config(cfg, auto_fill=True, validate=True)
    bound_tok2vec(nlp)  # the same tok2vec, its memory bounded (kratom_nlp.pipeline.tok2vec)
    table_attribute_ruler(nlp)  # the same patterns, applied by look-up (.attributes)
    return nlp


@lru_cache(maxsize=4)
def load_pipeline(config: str | None = None) -> Language:
    """The pipeline, built once per process and configuration."""
    return build_pipeline(config)
