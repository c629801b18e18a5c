"""Loaders for the public data sets kept outside the repository (``../shared/data``).

Each loader takes the data folder (or the file itself) and returns a ``datasets`` object with
``ClassLabel`` columns where the data has classes. The files are read at run time and never
copied into the repository; see ``../shared/data/README.md`` for sources and licences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kratom_nlp.errors import CorpusError
from kratom_nlp.fileio import json_line_problem
from kratom_nlp.paths import shared_data_dir
from kratom_nlp.taxonomy import STRENGTHS

DEFAULT_DATA_DIR = shared_data_dir()

CLAIM_STRENGTH_FILE = "claim_strength/pubmed_conclusions.jsonl"
INSCIOUT_FILE = "claim_strength/insciout_train.jsonl"
CERTAINTY_FILE = "certainty/sentence_level_certainty.jsonl"
CONCLUSION_DIR = "conclusion_detection"

EXAGGERATION_LABELS: tuple[str, ...] = ("downplays", "same", "exaggerates")
CONCLUSION_LABELS: tuple[str, ...] = ("other", "main_finding")

# Licences and citations of the public sets (for model cards and reports).
SOURCES: dict[str, dict[str, str]] = {
    "pubmed": {
        "file": CLAIM_STRENGTH_FILE, "license": "GPL-3.0",
        "citation": "Yu, Li & Wang (EMNLP 2019), junwang4/causal-language-use-in-science",
    },
    "insciout": {
        "file": INSCIOUT_FILE, "license": "GPL-3.0",
        "citation": "Wright & Augenstein (EMNLP 2021), copenlu/scientific-exaggeration-detection",
    },
    "certainty": {
        "file": CERTAINTY_FILE, "license": "MIT",
        "citation": "Pei & Jurgens (EMNLP 2021), Jiaxin-Pei/Certainty-in-Science-Communication",
    },
    "conclusion_detection": {
        "file": CONCLUSION_DIR + "/{train,dev}.jsonl", "license": "GPL-3.0",
        "citation": "Wright & Augenstein (EMNLP 2021)",
    },
}

__all__ = [
    "DEFAULT_DATA_DIR", "SOURCES", "load_certainty", "load_claim_strength",
    "load_conclusion_detection", "load_insciout", "resolve",
]


def resolve(path: str | Path | None, relative: str) -> Path:
    """The file ``relative`` under the data folder ``path``; ``path`` may also be the file."""
    base = Path(path) if path is not None else DEFAULT_DATA_DIR
    target = base if base.is_file() else base / relative
    if not target.is_file():
        raise FileNotFoundError(
            f"expected the public data file {relative!r} at {target}; pass the folder that "
            f"holds ../shared/data (e.g. --data-dir ../shared/data)")
    return target


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line.rstrip("\r\n")))
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{n}: {json_line_problem(line, exc)}") from exc
    return rows


def load_claim_strength(path: str | Path | None = None) -> Any:
    """PubMed conclusion sentences with a claim strength: ``text`` and ``label`` (ClassLabel)."""
    import datasets

    rows = _read_jsonl(resolve(path, CLAIM_STRENGTH_FILE))
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=list(STRENGTHS))})
    return datasets.Dataset.from_list([{"text": r["text"], "label": r["label"]} for r in rows],
                                      features=features)


def load_insciout(path: str | Path | None = None) -> Any:
    """Press-release / abstract conclusion pairs with strengths and an exaggeration label."""
    import datasets

    rows = _read_jsonl(resolve(path, INSCIOUT_FILE))
    strength = datasets.ClassLabel(names=list(STRENGTHS))
    features = datasets.Features({
        "press_release_conclusion": datasets.Value("string"),
        "press_release_strength": strength,
        "abstract_conclusion": datasets.Value("string"),
        "abstract_strength": strength,
        "exaggeration_label": datasets.ClassLabel(names=list(EXAGGERATION_LABELS)),
    })
    keep = list(features)
    return datasets.Dataset.from_list([{k: r[k] for k in keep} for r in rows], features=features)


def load_certainty(path: str | Path | None = None) -> Any:
    """Findings with a sentence-level certainty (1–6) as a DatasetDict (``train``, ``val``)."""
    import datasets

    rows = _read_jsonl(resolve(path, CERTAINTY_FILE))
    features = datasets.Features({"id": datasets.Value("int64"),
                                  "finding": datasets.Value("string"),
                                  "sentence-level-certainty": datasets.Value("float32")})
    out = {}
    for split in ("train", "val"):
        part = [{k: r[k] for k in features} for r in rows if r.get("split") == split]
        out[split] = datasets.Dataset.from_list(part, features=features)
    return datasets.DatasetDict(out)


def load_conclusion_detection(path: str | Path | None = None) -> Any:
    """Sentences labelled 1 when they state a study's main finding (``train``, ``dev``)."""
    import datasets

    base = Path(path) if path is not None else DEFAULT_DATA_DIR
    if base.name == CONCLUSION_DIR:
        base = base.parent
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=list(CONCLUSION_LABELS))})
    out = {}
    for split in ("train", "dev"):
        rows = _read_jsonl(resolve(base, f"{CONCLUSION_DIR}/{split}.jsonl"))
        out[split] = datasets.Dataset.from_list(
            [{"text": r["text"], "label": int(r["label"])} for r in rows], features=features)
    return datasets.DatasetDict(out)
