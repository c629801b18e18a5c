"""``kratom-nlp train`` (fit and store a learned model) and ``kratom-nlp classify`` (label the
sentences of a JSONL file with one task's backend)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import Backend, Task, fail

TrainTask = StrEnum("TrainTask", {**{t.value: t.value for t in Task},  # type: ignore[misc]
                                  "multitask": "multitask"})
DEFAULT_DATA = "real+gold:0.5"


class LearnedBackend(StrEnum):
    sklearn = "sklearn"
    transformer = "transformer"


@app.command()
def train(
    task: TrainTask = typer.Argument(
        ..., help="What to learn; multitask: one MiniLM with claim, evidence and strength "
                  "heads (--backend transformer)."),
    backend: LearnedBackend = typer.Option(LearnedBackend.sklearn, "--backend", "-b",
                                           help="Model family."),
    data: str = typer.Option(
        DEFAULT_DATA, "--data", "-d",
        help="Training data: real (the real corpus's train split), gold (the written corpus's "
             "train split), pubmed, insciout (strength), certainty; join with '+', weight "
             "with ':' (e.g. real+gold:0.5+pubmed:0.3). multitask: default "
             "real+gold+pubmed+insciout."),
    data_dir: Path | None = typer.Option(None, "--data-dir",
                                         help="Public data folder (default ../shared/data)."),
    corpus: Path | None = typer.Option(None, "--corpus",
                                       help="Written gold corpus folder (default corpora/gold)."),
    real_data_dir: Path | None = typer.Option(
        None, "--real-data-dir", help="FakeHealth real_news folder (default "
                                      "../shared/data/real_news or $KRATOM_NLP_REAL_NEWS)."),
    real_corpus: Path | None = typer.Option(None, "--real-corpus",
                                            help="Real corpus folder (default corpora/real)."),
    make_default: bool = typer.Option(False, "--default",
                                      help="Make it the task's default in the manifest."),
    seed: int = typer.Option(0, "--seed", help="Random seed (results are reproducible)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Transformer epochs (default 4)."),
    lr: float | None = typer.Option(None, "--lr", help="Transformer learning rate."),
    max_length: int | None = typer.Option(None, "--max-length",
                                          help="Transformer max tokens per input."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Model folder (default models/<task>-<backend>)."),
    run_eval: bool = typer.Option(True, "--eval/--no-eval",
                                  help="Score the model on its protocol for the card."),
    context: bool | None = typer.Option(None, "--context/--no-context",
                                        help="Also read the previous sentence (default: "
                                             "evidence only)."),
    classifier: str | None = typer.Option(None, "--classifier",
                                          help="scikit-learn: logreg or linearsvc."),
    c_value: float | None = typer.Option(None, "--C", help="scikit-learn: regularisation C."),
) -> None:
    """Train a model for TASK and store it (weights, config.json, model card README.md)."""
    from kratom_nlp.errors import CorpusError, KratomError, UsageError
    from kratom_nlp.training.train import train_model

    if task.value == "multitask" and data == DEFAULT_DATA:
        from kratom_nlp.training.multitask import MULTITASK_DATA

        data = MULTITASK_DATA
    params: dict[str, Any] = {}
    if lr is not None:
        params["lr"] = lr
    if max_length is not None:
        params["max_length"] = max_length
    if context is not None:
        params["context"] = context
    if classifier is not None:
        params["classifier"] = classifier
    if c_value is not None:
        params["C"] = c_value
    command = " ".join(
        [f"kratom-nlp train {task.value} --backend {backend.value} --data {data} --seed {seed}"]
        + ([f"--data-dir {data_dir}"] if data_dir else [])
        + ([f"--corpus {corpus}"] if corpus else [])
        + ([f"--real-data-dir {real_data_dir}"] if real_data_dir else [])
        + ([f"--real-corpus {real_corpus}"] if real_corpus else [])
        + ([f"--epochs {epochs}"] if epochs is not None else [])
        + ([f"--lr {lr}"] if lr is not None else [])
        + ([f"--max-length {max_length}"] if max_length is not None else [])
        + (["--context" if context else "--no-context"] if context is not None else [])
        + ([f"--classifier {classifier}"] if classifier else [])
        + ([f"--C {c_value:g}"] if c_value is not None else [])
        + ([f"-o {output}"] if output else []))
    try:
        if task.value == "multitask":
            if backend.value != "transformer":
                raise UsageError("the multi-task model is a transformer: use --backend "
                                 "transformer")
            from kratom_nlp.training.multitask import train_multitask

            out = train_multitask(data, data_dir=data_dir, corpus=corpus,
                                  real_data_dir=real_data_dir, real_corpus=real_corpus,
                                  seed=seed, epochs=epochs, output=output, params=params,
                                  command=command, log=lambda m: typer.echo(m, err=True))
            typer.secho(f"model stored in {out}", err=True, fg="green")
            return
        out = train_model(task.value, backend.value, data, data_dir=data_dir, corpus=corpus,
                          real_data_dir=real_data_dir, real_corpus=real_corpus, seed=seed,
                          epochs=epochs, output=output, params=params, run_eval=run_eval,
                          command=command, make_default=make_default,
                          log=lambda m: typer.echo(m, err=True))
    except KratomError as exc:
        fail(exc)
    except FileNotFoundError as exc:  # a corpus or data-set file is missing
        fail(CorpusError(str(exc)))
    except ValueError as exc:  # a task, data or backend value that does not fit
        fail(UsageError(str(exc)))
    typer.secho(f"model stored in {out}", err=True, fg="green")


# --------------------------------------------------------------------------- classify
TASK_PIPES = {"claim": "kratom_claims", "evidence": "kratom_evidence",
              "strength": "kratom_strength", "advice": "kratom_strength",
              "certainty": "kratom_strength"}


def classify_pipeline(task: str, backend: str, model: Path | None) -> Any:
    """The pipeline with ``backend`` (and ``model``) for the component that decides ``task``."""
    from kratom_nlp.errors import ModelError
    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.registry import backend_ref

    if model is not None and backend in ("rules", "default"):
        raise ModelError("--model needs --backend sklearn or transformer")
    block: dict[str, Any] = {"@kratom_backends": backend_ref(backend), "task": task}
    if backend in ("sklearn", "transformer"):
        block["strict"] = True
        if model is not None:
            block["model"] = str(model)
    return build_pipeline(overrides={f"components.{TASK_PIPES[task]}.backend": block})


def label_records(task: str, nlp: Any, records: list[tuple[str, str]]) -> list[Any]:
    """(prediction, scores) for each (text, context) pair, read from the processed Docs: the
    pipeline runs up to the claim detector, then every sentence is handed to the evidence and
    strength components as a claim candidate (so they answer for non-claims too)."""
    from kratom_nlp.pipeline.scoring import candidates_from_sentences
    from kratom_nlp.training.data import annotate

    items = [(f"{ctx}\n{text}", [0, len(ctx) + 1]) if ctx else (text, [0])
             for text, ctx in records]
    docs = annotate(nlp, items)
    nlp.get_pipe("kratom_claims").process(docs)
    targets = []
    for doc in docs:
        cands = candidates_from_sentences(doc)
        if not cands:
            raise ValueError("a record has no sentence text")
        doc.spans["claims"] = cands[-1:]
        targets.append(cands[-1])
    if task != "claim":
        nlp.get_pipe("kratom_evidence").process(docs)
    if task in ("strength", "advice", "certainty"):
        nlp.get_pipe("kratom_strength").process(docs)
    out: list[Any] = []
    for span in targets:
        if task == "claim":
            scores = dict(span._.claim_scores) or {"claim": round(float(span._.claim_score), 4)}
            out.append((span._.claim_type if span._.is_claim else "none", scores))
        elif task == "evidence":
            out.append((span._.evidence_level, dict(span._.evidence_scores)))
        elif task == "strength":
            scores = {k: v for k, v in span._.strength_scores.items() if k != "advice"}
            out.append((span._.strength, scores))
        elif task == "advice":
            p = span._.strength_scores.get("advice")
            out.append(("advice" if span._.advice else "no_advice",
                        {"advice": p} if p is not None else {}))
        else:
            value = span._.certainty
            out.append((None if value is None else round(float(value), 3), None))
    return out


def _report(errors: TextIO | None, path: Path, line_no: int, message: str) -> None:
    typer.secho(f"error: {path}:{line_no}: {message}", err=True, fg="red")
    if errors is not None:
        errors.write(json.dumps({"line": line_no, "error": message}) + "\n")
        errors.flush()


@app.command()
def classify(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl",
                                      help="JSONL records, one per line."),
    task: Task = typer.Option(..., "--task", "-t", help="What to predict."),
    text_field: str = typer.Option("text", "--text-field", help="Field holding the sentence."),
    context_field: str | None = typer.Option(
        None, "--context-field", help="Field holding the previous sentence (optional)."),
    backend: Backend = typer.Option(
        "default", "--backend", "-b",
        help="A registered backend; default = the manifest's choice for the task."),
    model: Path | None = typer.Option(None, "--model", "-m",
                                      help="A model folder (default: from the manifest)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output JSONL."),
    errors_path: Path | None = typer.Option(
        None, "--errors", help="Where to write the line errors (default OUT.errors.jsonl)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Records per batch."),
) -> None:
    """Add `prediction` and `scores` to each record of INPUT.jsonl (streaming).

    Malformed lines and records without the text field are reported with their line numbers
    (stderr and the errors file) and skipped; the exit code is 3 when any line failed.
    """
    from kratom_nlp.errors import EXIT_SOME_FAILED, KratomError, ModelError
    from kratom_nlp.fileio import check_output_file, json_line_problem
    from kratom_nlp.ingest import IsADirectoryInputError, MissingPathError

    if input_path.is_dir():
        fail(IsADirectoryInputError(str(input_path), message="is a folder, expected a JSONL "
                                    "file", hint="give one .jsonl file of records"))
    if not input_path.is_file():
        fail(MissingPathError(str(input_path)))
    err_file = errors_path or output.with_name(output.name + ".errors.jsonl")
    try:
        check_output_file(output)
        check_output_file(err_file)
    except KratomError as exc:
        fail(exc)
    try:
        nlp = classify_pipeline(task.value, backend.value, model)
    except KratomError as exc:
        fail(exc)
    except (ValueError, OSError, ImportError) as exc:
        fail(ModelError(str(exc)))
    name = backend.value
    output.parent.mkdir(parents=True, exist_ok=True)
    err_file.parent.mkdir(parents=True, exist_ok=True)
    n_ok = n_bad = 0
    pending: list[tuple[dict[str, Any], str, str]] = []

    with input_path.open(encoding="utf-8", errors="replace") as fh, \
            output.open("w", encoding="utf-8") as out, err_file.open("w", encoding="utf-8") as ef:

        def flush() -> None:
            nonlocal n_ok
            if not pending:
                return
            results = label_records(task.value, nlp, [(t, c) for _, t, c in pending])
            for (rec, _, _), (pred, scores) in zip(pending, results, strict=True):
                rec["prediction"] = pred
                if scores is not None:
                    rec["scores"] = scores
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            out.flush()
            n_ok += len(pending)
            pending.clear()

        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                n_bad += 1
                _report(ef, input_path, line_no, json_line_problem(line, exc))
                continue
            except RecursionError:
                n_bad += 1
                _report(ef, input_path, line_no, "JSON nested too deeply")
                continue
            if not isinstance(rec, dict):
                n_bad += 1
                _report(ef, input_path, line_no, "not a JSON object")
                continue
            text = rec.get(text_field)
            if not isinstance(text, str) or not text.strip():
                n_bad += 1
                why = "is missing" if text_field not in rec else "is not a non-empty string"
                _report(ef, input_path, line_no, f"the text field {text_field!r} {why} "
                        f"(fields: {', '.join(sorted(rec)) or 'none'}; choose one with "
                        f"--text-field)")
                continue
            ctx = rec.get(context_field) if context_field else ""
            pending.append((rec, text.strip(), ctx.strip() if isinstance(ctx, str) else ""))
            if len(pending) >= batch_size:
                flush()
        flush()
    typer.secho(f"wrote {output} ({n_ok} records labelled with {name}, {n_bad} lines failed"
                + (f"; see {err_file}" if n_bad else "") + ")", err=True,
                fg="yellow" if n_bad else "green")
    if not n_bad:
        err_file.unlink(missing_ok=True)
    if n_bad:
        raise typer.Exit(EXIT_SOME_FAILED)


# --------------------------------------------------------------------------- models
models_app = typer.Typer(name="models", no_args_is_help=True,
                         help="Inspect, verify and convert the trained models.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(models_dir: Path | None = typer.Option(None, "--models-dir")) -> None:
    """The models of the manifest, each task's default, and whether every file checks out."""
    from kratom_nlp.backends.learned import store
    from kratom_nlp.errors import ModelError

    manifest = store.read_manifest(models_dir)
    for task in store.TASKS:
        entry = manifest.get(task) or {}
        weights = entry.get("ensemble")
        if isinstance(weights, dict):
            mark = " (default)" if entry.get("default") == "ensemble" else ""
            members = " + ".join(f"{b} {w:g}" for b, w in weights.items())
            typer.echo(f"{task:10} {'ensemble':12} {members}{mark}")
        for backend, folder in entry.items():
            if backend == "default" or not isinstance(folder, str):
                continue
            path = store.models_dir(models_dir) / folder
            try:
                store.verify_metadata(path, models_dir)
                store.verify_files(path, store.read_metadata(path), models_dir)
                state = "ok"
            except ModelError as exc:
                state = f"FAILED: {exc}"
            mark = " (default)" if entry.get("default") == backend else ""
            typer.echo(f"{task:10} {backend:12} {folder}{mark}  {state}")


@models_app.command("convert")
def models_convert(
    src: Path = typer.Argument(..., help="An old scikit-learn model folder (model.skops)."),
    dst: Path | None = typer.Option(None, "--output", "-o",
                                    help="Where to write it (default: convert in place)."),
) -> None:
    """Convert an old skops model folder to the array format, once (needs the `convert` extra).

    The skops file is opened trusting only the exact scikit-learn classes such a model is made
    of; anything else is refused. The analyzer itself never opens skops or pickle files.
    """
    from kratom_nlp.backends.learned import store
    from kratom_nlp.errors import KratomError, ModelError
    from kratom_nlp.training.convert import convert_folder

    out = dst or src
    try:
        digests = convert_folder(src, out)
    except ModuleNotFoundError as exc:
        fail(ModelError(f"{exc.name} is needed to read skops files: "
                        "pip install 'kratom-nlp[convert]'"))
    except KratomError as exc:
        fail(exc)
    except (OSError, ValueError) as exc:
        fail(ModelError(str(exc)))
    meta = store.read_metadata(out)
    manifest = None
    try:
        base = store.models_folder_of(out)
        if base is not None:
            manifest = store.register_model(meta["task"], "sklearn", out, digests, root=base)
    except ValueError:
        manifest = None
    typer.secho(f"converted {src} -> {out}" + (f" (registered in {manifest})" if manifest
                                                else ""), err=True, fg="green")
