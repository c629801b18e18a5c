"""The registries that ``config.cfg`` names: backends and the cue resources.

As spacy-llm does with ``registry.llm_models``, kratom_nlp adds a ``kratom_backends`` registry to
spaCy's, so a pipeline config chooses a backend by name::

    [components.kratom_claims.backend]
    @kratom_backends = "kratom.sklearn.v1"
    task = "claim"

and the cue resources through spaCy's ``misc`` registry (``@misc = "kratom.cues.v1"``). Other
packages can register their own backends under the same registry (entry point group
``spacy_kratom_backends``). The CLI's backend choices are read from here
(:func:`backend_names`), so a registered backend is selectable everywhere.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import spacy

ENTRY_POINT_GROUP = "spacy_kratom_backends"
BACKEND_PREFIX = "kratom."

if "kratom_backends" not in spacy.util.registry.get_registry_names():
    spacy.util.registry.create("kratom_backends", entry_points=True)

registry = spacy.util.registry
"""spaCy's registry, with ``kratom_backends`` added."""


def backend_keys() -> list[str]:
    """Every registered backend key: the entry points of ``spacy_kratom_backends`` (the
    built-in ones are declared there in ``pyproject.toml``) and the functions registered in
    this process."""
    keys = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    keys |= set(registry.kratom_backends.get_all())
    return sorted(keys)


def backend_names() -> list[str]:
    """Short names of the registered backends (``rules``, ``sklearn``, ``transformer``,
    ``default`` and any a plugin adds), from the keys ``kratom.<name>.v<N>``."""
    names: list[str] = []
    for key in backend_keys():
        if key.startswith(BACKEND_PREFIX):
            short = key[len(BACKEND_PREFIX):].rsplit(".v", 1)[0]
            if short not in names:
                names.append(short)
    return names


def backend_ref(name: str) -> str:
    """The newest registry key of a backend given by its short name (``sklearn`` →
    ``kratom.sklearn.v1``); a full key is returned as it is."""
    import kratom_nlp.backends  # noqa: F401  (registers the built-in backends)

    keys = backend_keys()
    if name in keys:
        return name
    found = [k for k in keys if k.startswith(f"{BACKEND_PREFIX}{name}.v")]
    if not found:
        raise ValueError(f"unknown backend {name!r}; registered: {', '.join(backend_names())}")
    return max(found, key=lambda k: int(k.rsplit(".v", 1)[1]))


def backend_block(name: str, task: str, model: str | None = None) -> dict[str, Any]:
    """A config block (``{"@kratom_backends": ..., "task": ..., ...}``) for a backend."""
    block: dict[str, Any] = {"@kratom_backends": backend_ref(name), "task": task}
    if model is not None:
        block["model"] = model
    return block


@registry.misc("kratom.cues.v1")
def cues(lexicon_path: str | None = None, evidence_cues_path: str | None = None,
         claim_cues_path: str | None = None, study_cues_path: str | None = None) -> Any:
    """The lexicon and cue lists (packaged JSON unless paths are given), loaded once per
    process: every block of a config that names the same files shares one object."""
    from kratom_nlp.resources import load_cues

    return load_cues(lexicon_path, evidence_cues_path, claim_cues_path, study_cues_path)


@registry.misc("kratom.overclaim_rules.v1")
def overclaim_rules(path: str | None = None) -> Any:
    """The overclaim rules, verdict thresholds and evidence weights."""
    from kratom_nlp.resources import load_overclaim_rules

    return load_overclaim_rules(path)


@registry.misc("kratom.caveat_cues.v1")
def caveat_cues(path: str | None = None) -> Any:
    """The caveat phrases (packaged ``caveat_cues.json`` unless a path is given)."""
    from kratom_nlp.resources import load_caveat_cues

    return load_caveat_cues(path)
