"""Where trained models live, the manifest that lists them, and the integrity check.

The models folder is, in this order: an explicit ``models_dir``, ``$KRATOM_NLP_MODELS``, or the
``kratom_nlp_models`` data package that ``pip install`` makes of the repository's ``models/``
folder (located through :mod:`importlib.resources`, never through the checkout layout).

``manifest.json`` maps each task to its model folders, names the default backend, and records
the sha256 of every file of every listed model::

    {"claim": {"sklearn": "claim-sklearn", "default": "sklearn"}, ...,
     "files": {"claim-sklearn/weights.safetensors": "<sha256>", ...}}

A model is loaded only after every file its metadata lists matches the manifest's digest (for
a folder outside the manifest, the digests in its own ``metadata.json``): a file that was
changed or swapped is refused before any of it is parsed. This module is the only reader and
writer of the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from kratom_nlp.errors import ModelError

MODELS_ENV = "KRATOM_NLP_MODELS"
MANIFEST_NAME = "manifest.json"
METADATA_NAME = "metadata.json"
TASKS: tuple[str, ...] = ("claim", "evidence", "strength", "advice", "certainty")
LEARNED_BACKENDS: tuple[str, ...] = ("sklearn", "transformer", "ensemble")


def models_dir(path: str | Path | None = None) -> Path:
    """The models folder (see the module doc)."""
    if path is not None:
        return Path(path)
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env)
    try:
        from importlib.resources import files

        return Path(str(files("kratom_nlp_models")))
    except ModuleNotFoundError:
        return Path("models")


def models_folder_of(folder: str | Path) -> Path | None:
    """The models folder a model folder sits in, whose manifest must list it: the configured
    one (:func:`models_dir`), or any folder with a manifest of its own (a copy of the models
    folder that ``$KRATOM_NLP_MODELS`` or ``[paths] models`` will name later). None elsewhere:
    a model folder outside any models folder is checked against its own metadata only."""
    parent = Path(folder).resolve().parent
    if parent == models_dir().resolve() or (parent / MANIFEST_NAME).is_file():
        return parent
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(root: str | Path | None = None) -> dict[str, Any]:
    """The manifest (``{}`` when there is none). Task entries are dicts; ``files`` maps
    ``<folder>/<file>`` to its sha256."""
    path = models_dir(root) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path}: the manifest must be a JSON object")
    return data


def write_manifest(data: dict[str, Any], root: str | Path | None = None) -> Path:
    path = models_dir(root) / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: data[k] for k in (*TASKS, "files") if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    path.write_text(json.dumps(ordered, indent=1) + "\n", encoding="utf-8")
    return path


def default_backend(task: str, root: str | Path | None = None) -> str:
    """The backend the manifest names as default for ``task`` (``rules`` when none)."""
    entry = read_manifest(root).get(task) or {}
    name = entry.get("default", "rules") if isinstance(entry, dict) else "rules"
    if name != "rules" and name not in entry:
        return "rules"
    return name


def _inference(root: str | Path | None) -> dict[str, Any]:
    """The manifest's ``inference`` entry (``{}`` when absent or not an object)."""
    entry = read_manifest(root).get("inference")
    return entry if isinstance(entry, dict) else {}


def inference_precision(root: str | Path | None = None) -> str:
    """The manifest's ``inference.precision`` for the transformer models (``auto`` when
    unset): ``auto``, ``fp32`` or ``bf16`` (see :mod:`kratom_nlp.backends.learned.minilm`)."""
    return str(_inference(root).get("precision", "auto"))


def inference_batch_size(root: str | Path | None = None) -> int | None:
    """The manifest's ``inference.batch_size``: the most sentences per forward pass of a
    transformer model (None when unset: each model's own ``inference_batch_size``, or 64)."""
    value = _inference(root).get("batch_size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelError(f"manifest: inference.batch_size must be a positive integer, "
                         f"not {value!r}")
    return value


def ensemble_weights(task: str, root: str | Path | None = None) -> dict[str, float] | None:
    """The members of a task's ensemble and their weights (``{"sklearn": 0.7, ...}``)."""
    entry = read_manifest(root).get(task) or {}
    value = entry.get("ensemble") if isinstance(entry, dict) else None
    if not isinstance(value, dict) or not value:
        return None
    return {str(k): float(v) for k, v in value.items()}


def set_default(task: str, backend: str, root: str | Path | None = None, *,
                ensemble: dict[str, float] | None = None) -> Path:
    """Name a task's default backend (and an ensemble's weights) in the manifest."""
    data = read_manifest(root)
    entry = data.setdefault(task, {})
    if ensemble is not None:
        entry["ensemble"] = {k: float(v) for k, v in ensemble.items()}
    if backend != "rules" and backend not in entry:
        raise ModelError(f"the manifest has no {backend!r} model for {task!r}")
    entry["default"] = backend
    return write_manifest(data, root)


def resolve_model_dir(backend: str, task: str, model: str | Path | None = None,
                      root: str | Path | None = None) -> Path | None:
    """The model folder for ``task`` and ``backend``: ``model`` (a path, or a folder name in
    the models folder), else the manifest's entry; ``None`` when nothing is there."""
    base = models_dir(root)
    if model is not None:
        p = Path(model)
        for cand in (p, base / p):
            if (cand / METADATA_NAME).is_file():
                return cand
        return None
    entry = read_manifest(base).get(task) or {}
    folder = entry.get(backend) if isinstance(entry, dict) else None
    if not folder or not isinstance(folder, str):
        return None
    cand = base / folder
    return cand if (cand / METADATA_NAME).is_file() else None


def read_metadata(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / METADATA_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{folder}: cannot read {METADATA_NAME} ({exc})") from exc
    if not isinstance(meta, dict):
        raise ModelError(f"{folder}: {METADATA_NAME} must be a JSON object")
    return meta


def expected_digests(folder: Path, meta: dict[str, Any],
                     root: str | Path | None = None) -> dict[str, str]:
    """The digests a model's files must have: the manifest's when the folder is listed there,
    else those in its own metadata."""
    files = meta.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelError(f"{folder}: {METADATA_NAME} lists no files with their sha256; this is "
                         "not a model of the current format (old skops models can be converted "
                         "once with `kratom-nlp models convert`)")
    base = models_dir(root).resolve()
    manifest_files = read_manifest(base).get("files") or {}
    try:
        rel_folder = folder.resolve().relative_to(base).as_posix()
    except ValueError:
        rel_folder = None
    out = {}
    for rel, digest in files.items():
        key = f"{rel_folder}/{rel}" if rel_folder else None
        out[rel] = manifest_files.get(key, digest) if key else digest
        if rel_folder and key not in manifest_files:
            raise ModelError(f"{folder / rel}: not listed in {base / MANIFEST_NAME}; refusing "
                             "an unlisted file in the models folder")
    return out


def verify_metadata(folder: Path, root: str | Path | None = None) -> None:
    """Refuse a listed model whose ``metadata.json`` differs from the manifest's digest."""
    base = models_dir(root).resolve()
    try:
        rel_folder = folder.resolve().relative_to(base).as_posix()
    except ValueError:
        return
    digest = (read_manifest(base).get("files") or {}).get(f"{rel_folder}/{METADATA_NAME}")
    if digest is None:
        raise ModelError(f"{folder}: not listed in {base / MANIFEST_NAME}; refusing an unlisted "
                         "model in the models folder")
    if sha256_file(folder / METADATA_NAME) != digest:
        raise ModelError(f"{folder / METADATA_NAME}: sha256 does not match the manifest; "
                         "refusing to load a changed model")


def verify_files(folder: Path, meta: dict[str, Any], root: str | Path | None = None) -> None:
    """Refuse the model when a file is missing or its sha256 differs (nothing is parsed)."""
    for rel, digest in expected_digests(folder, meta, root).items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ModelError(f"{folder}: file name {rel!r} leaves the model folder")
        if not path.is_file():
            raise ModelError(f"{path}: missing")
        actual = sha256_file(path)
        if actual != digest:
            raise ModelError(f"{path}: sha256 {actual[:12]}… does not match the recorded "
                             f"{digest[:12]}…; refusing to load a changed model file")


def register_model(task: str, backend: str, folder: Path, digests: dict[str, str], *,
                   root: str | Path | None = None, make_default: bool = False) -> Path:
    """Add (or update) a model folder of the models folder in the manifest."""
    base = models_dir(root)
    data = read_manifest(base)
    entry = data.setdefault(task, {})
    rel_folder = folder.resolve().relative_to(base.resolve()).as_posix()
    entry[backend] = rel_folder
    if make_default or "default" not in entry:
        entry["default"] = backend
    files = data.setdefault("files", {})
    for key in [k for k in files if k.startswith(f"{rel_folder}/")]:
        del files[key]
    files.update({f"{rel_folder}/{rel}": d for rel, d in sorted(digests.items())})
    return write_manifest(data, base)
