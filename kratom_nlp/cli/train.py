"""``kratom-nlp train`` (fit and store a learned model) and ``kratom-nlp classify`` (label the
sentences of a JSONL file with one task's backend)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail

EXIT_LINES_FAILED = 3
EXIT_NO_MODEL = 20


class Task(StrEnum):
    claim = "claim"
    evidence = "evidence"
    strength = "strength"
    advice = "advice"
    certainty = "certainty"


class LearnedBackend(StrEnum):
    sklearn = "sklearn"
    transformer = "transformer"


class AnyBackend(StrEnum):
    default = "default"
    rules = "rules"
    sklearn = "sklearn"
    transformer = "transformer"


@app.command()
def train(
    task: Task = typer.Argument(..., help="What to learn."),
    backend: LearnedBackend = typer.Option(LearnedBackend.sklearn, "--backend", "-b",
                                           help="Model family."),
    data: str = typer.Option(
        "gold", "--data", "-d",
        help="Training data: gold, pubmed, insciout (strength), certainty; join with '+' "
             "(e.g. gold+pubmed)."),
    data_dir: Path | None = typer.Option(None, "--data-dir",
                                         help="Public data folder (default ../shared/data)."),
    corpus: Path | None = typer.Option(None, "--corpus",
                                       help="Gold corpus folder (default corpora/gold)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (results are reproducible)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Transformer epochs (default 4)."),
    lr: float | None = typer.Option(None, "--lr", help="Transformer learning rate."),
    max_length: int | None = typer.Option(None, "--max-length",
                                          help="Transformer max tokens per input."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Model folder (default models/<task>-<backend>)."),
    run_eval: bool = typer.Option(True, "--eval/--no-eval",
                                  help="Score the model on its protocol for the card."),
) -> None:
    """Train a model for TASK and store it (weights, config.json, model card README.md)."""
    from kratom_nlp.training.train import train_model

    params: dict[str, Any] = {}
    if lr is not None:
        params["lr"] = lr
    if max_length is not None:
        params["max_length"] = max_length
    command = " ".join(
        [f"kratom-nlp train {task.value} --backend {backend.value} --data {data} --seed {seed}"]
        + ([f"--data-dir {data_dir}"] if data_dir else [])
        + ([f"--corpus {corpus}"] if corpus else [])
        + ([f"--epochs {epochs}"] if epochs is not None else [])
        + ([f"--lr {lr}"] if lr is not None else [])
        + ([f"--max-length {max_length}"] if max_length is not None else [])
        + ([f"-o {output}"] if output else []))
    try:
        out = train_model(task.value, backend.value, data, data_dir=data_dir, corpus=corpus,
                          seed=seed, epochs=epochs, output=output, params=params,
                          run_eval=run_eval, command=command,
                          log=lambda m: typer.echo(m, err=True))
    except (FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    typer.secho(f"model stored in {out}", err=True, fg="green")


# --------------------------------------------------------------------------- classify
def _predictor(task: str, backend: str, model: Path | None) -> tuple[str, Any]:
    """(backend name, field model or None for the rules) for ``task``."""
    from kratom_nlp.backends.learned import (
        default_backend,
        load_field_model,
        resolve_model_dir,
    )

    name = default_backend(task) if backend == "default" else backend
    if model is not None and name == "rules":
        raise ValueError("--model needs --backend sklearn or transformer")
    if name == "rules":
        return name, None
    folder = resolve_model_dir(name, task, model)
    if folder is None:
        where = str(model) if model is not None else "models/manifest.json"
        raise FileNotFoundError(f"no trained {name} model for {task!r} ({where}); train one "
                                f"with `kratom-nlp train {task} --backend {name}`")
    fm = load_field_model(folder)
    if fm.task != task:
        raise ValueError(f"{folder} holds a {fm.task!r} model, not {task!r}")
    return name, fm


def _label_batch(task: str, fm: Any, nlp: Any, records: list[tuple[str, str]]) -> list[Any]:
    """(prediction, scores) for each (text, context) pair."""
    from kratom_nlp.backends.learned import TASK_LABELS, examples_for_spans
    from kratom_nlp.training.data import Row, annotate
    from kratom_nlp.training.evaluate import rules_predictions

    items = []
    for text, ctx in records:
        if ctx:
            items.append((f"{ctx}\n{text}", [0, len(ctx) + 1]))
        else:
            items.append((text, [0]))
    docs = annotate(nlp, items)
    spans = [list(d.sents)[-1] for d in docs]
    examples = examples_for_spans(spans, texts=[t for t, _ in records],
                                  contexts=[c for _, c in records])
    labels = TASK_LABELS[task]
    out: list[Any] = []
    if fm is None:
        preds = rules_predictions(task, [Row(e) for e in examples])
        for p, e in zip(preds, examples, strict=True):
            if labels is None:
                out.append((round(float(p), 3), None))
            elif task == "claim":
                out.append((p, {"claim": round(float(e.rules["r_claim_score"]), 4)}))
            else:
                out.append((p, {p: 1.0}))
        return out
    raw = fm.predict(examples)
    for row in raw:
        if labels is None:
            out.append((round(float(row), 3), None))
            continue
        scores = {lab: round(float(v), 4) for lab, v in zip(labels, row, strict=True)}
        out.append((max(scores, key=lambda k: scores[k]), scores))
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
    backend: AnyBackend = typer.Option(
        AnyBackend.default, "--backend", "-b",
        help="rules, sklearn, transformer, or default (the manifest's choice)."),
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
    if not input_path.is_file():
        fail(FileNotFoundError(f"{input_path}: no such file"), 10)
    try:
        name, fm = _predictor(task.value, backend.value, model)
    except (FileNotFoundError, ValueError, OSError, ImportError) as exc:
        fail(exc, EXIT_NO_MODEL)
    from kratom_nlp.pipeline import load_pipeline

    nlp = load_pipeline()
    output.parent.mkdir(parents=True, exist_ok=True)
    err_file = errors_path or output.with_name(output.name + ".errors.jsonl")
    n_ok = n_bad = 0
    pending: list[tuple[dict[str, Any], str, str]] = []

    with input_path.open(encoding="utf-8", errors="replace") as fh, \
            output.open("w", encoding="utf-8") as out, err_file.open("w", encoding="utf-8") as ef:

        def flush() -> None:
            nonlocal n_ok
            if not pending:
                return
            results = _label_batch(task.value, fm, nlp, [(t, c) for _, t, c in pending])
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
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                n_bad += 1
                _report(ef, input_path, line_no, f"invalid JSON ({exc.msg}, column {exc.colno})")
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
        raise typer.Exit(EXIT_LINES_FAILED)
