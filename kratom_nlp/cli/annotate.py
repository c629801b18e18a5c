"""``kratom-nlp annotate``: the annotators' loop (export, import, next, merge, config).

Exit codes are those of the one table in :mod:`kratom_nlp.errors`: 10-19 an article that cannot
be read, 20 the pipeline cannot be loaded, 22 an output that cannot be written (or would replace
the file being imported, or the gold corpus), 30-37 annotation-file problems.
``docs/annotation.md`` describes the formats.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer

from kratom_nlp.annotate.agreement_loader import register as _register_agreement_loader
from kratom_nlp.cli import app
from kratom_nlp.cli.common import Backend, fail, warn

annotate_app = typer.Typer(
    name="annotate", no_args_is_help=True,
    help="Export tasks to Label Studio / Prodigy, import annotations, pick what to label next.")
app.add_typer(annotate_app, name="annotate")
_register_agreement_loader()  # `kratom-nlp agreement` then also reads tool exports directly

GOLD_DIR = Path("corpora") / "gold"  # the written gold corpus, relative to the working folder


class ExportFormat(StrEnum):
    labelstudio = "labelstudio"
    prodigy = "prodigy"


class ImportFormat(StrEnum):
    auto = "auto"
    labelstudio = "labelstudio"
    labelstudio_min = "labelstudio-min"
    prodigy = "prodigy"
    doccano = "doccano"


class Multi(StrEnum):
    error = "error"
    latest = "latest"
    per_annotator = "per-annotator"


class Unit(StrEnum):
    sentence = "sentence"
    article = "article"


class Strategy(StrEnum):
    margin = "margin"
    entropy = "entropy"


def _problem_exit(exc: Exception) -> NoReturn:
    from kratom_nlp.annotate.errors import ImportFailed

    if isinstance(exc, ImportFailed):
        fail(exc, details=exc.problems)
    fail(exc)


def _nlp(config: Path | None, backend: str, model: Path | None) -> Any:
    from kratom_nlp.annotate.predict import load_nlp
    from kratom_nlp.errors import ConfigError, KratomError

    try:
        return load_nlp(config, backend, model)
    except KratomError as exc:
        fail(exc)
    except (OSError, ValueError, ImportError) as exc:
        fail(ConfigError(f"cannot load the pipeline (backend {backend}): {exc}"))


def _sources(input_path: Path) -> list[Any]:
    from kratom_nlp.annotate.sources import collect_sources
    from kratom_nlp.errors import KratomError
    from kratom_nlp.ingest import EmptyInputError

    warnings: list[str] = []
    try:
        sources = collect_sources(input_path, warnings)
    except KratomError as exc:
        fail(exc)
    for w in warnings:
        warn(w)
    if not sources:
        fail(EmptyInputError(str(input_path), message="no article to export"))
    return sources


def _check_output(output: Path) -> None:
    from kratom_nlp.errors import KratomError
    from kratom_nlp.fileio import check_output_file

    try:
        check_output_file(output)
    except KratomError as exc:
        fail(exc)


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (links and relative paths included)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _write_tasks(tasks: list[dict[str, Any]], output: Path, fmt: str) -> None:
    from kratom_nlp.annotate.exporting import labelconfig_path, render, validate_labelstudio
    from kratom_nlp.annotate.files import write_safely
    from kratom_nlp.errors import KratomError

    try:
        if fmt == "labelstudio":
            validate_labelstudio(tasks)
        backup = write_safely(output, render(tasks, fmt))
        if backup:
            warn(f"{output} existed; previous version kept as {backup}")
        typer.secho(f"wrote {output} ({len(tasks)} {fmt} tasks)", err=True, fg="green")
        if fmt == "labelstudio":
            from kratom_nlp.annotate.labelstudio import label_config

            cfg = labelconfig_path(output)
            backup = write_safely(cfg, label_config())
            if backup:
                warn(f"{cfg} existed; previous version kept as {backup}")
            typer.secho(f"wrote {cfg} (the labeling config)", err=True, fg="green")
    except KratomError as exc:
        fail(exc)


@annotate_app.command("export")
def export_cmd(
    input_path: Path = typer.Argument(..., metavar="INPUT",
                                      help="An article (.txt/.md/.html), a folder of them, or a "
                                           "corpus JSONL (gold labels become annotations)."),
    output: Path = typer.Option(..., "--output", "-o", help="Tasks file to write."),
    fmt: ExportFormat = typer.Option(ExportFormat.labelstudio, "--format", "-f"),
    backend: Backend = typer.Option("default", help="Backend of the pre-annotations "
                                    "(default: the manifest's choice per task)."),
    model: Path | None = typer.Option(None, help="Model folder of a learned backend."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
) -> None:
    """Pre-annotate articles with the pipeline and write annotation tasks."""
    from kratom_nlp.annotate.exporting import build_tasks

    _check_output(output)
    sources = _sources(input_path)
    nlp = _nlp(config, backend.value, model)
    tasks = build_tasks(sources, nlp, fmt.value)
    _write_tasks(tasks, output, fmt.value)


@annotate_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="An export of Label Studio (JSON, JSON_MIN), Prodigy "
                                          "or doccano."),
    output: Path = typer.Option(..., "--output", "-o", help="Corpus JSONL to write."),
    fmt: ImportFormat = typer.Option(ImportFormat.auto, "--format", "-f"),
    annotator: str | None = typer.Option(None, help="Annotator name for every record."),
    multi: Multi = typer.Option(Multi.error, help="Several annotations of one article: refuse "
                                                  "(error), keep the latest, or write one file "
                                                  "per annotator."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                      help="Write the valid tasks; list the others."),
) -> None:
    """Read annotations back into the corpus format (gold JSONL)."""
    from kratom_nlp.annotate.files import dumps_jsonl, write_safely
    from kratom_nlp.annotate.importing import import_file, output_paths
    from kratom_nlp.errors import KratomError, OutputError

    if _same_file(output, file):
        fail(OutputError(f"{output}: is the file being imported; write the corpus records to "
                         "another file (-o)"))
    _check_output(output)
    try:
        result = import_file(file, fmt.value, annotator=annotator, multi=multi.value,
                             skip_invalid=skip_invalid)
    except KratomError as exc:
        _problem_exit(exc)
    for note in result.notes:
        warn(note)
    for p in result.skipped:
        warn(f"skipped: {p}")
    paths = output_paths(output, sorted(result.records))
    for path in paths.values():
        if _same_file(path, file):
            fail(OutputError(f"{path}: is the file being imported; write the corpus records "
                             "to another file (-o)"))
    try:
        for key, path in paths.items():
            recs = result.records[key]
            backup = write_safely(path, dumps_jsonl(recs))
            if backup:
                warn(f"{path} existed; previous version kept as {backup}")
            n_claims = sum(s["claim"] for r in recs for s in r["sentences"])
            typer.secho(f"wrote {path} ({len(recs)} articles, {n_claims} claims; format "
                        f"{result.format})", err=True, fg="green")
    except KratomError as exc:
        fail(exc)


@annotate_app.command("next")
def next_cmd(
    input_path: Path = typer.Argument(..., metavar="INPUT",
                                      help="Unlabelled articles: a file, a folder or a JSONL."),
    n: int = typer.Option(50, "--n", "-n", min=1, help="How many items."),
    unit: Unit = typer.Option(Unit.sentence, help="Rank sentences or whole articles."),
    strategy: Strategy = typer.Option(Strategy.margin, help="Uncertainty measure."),
    diversity: float = typer.Option(0.3, min=0.0, max=1.0,
                                    help="Weight of diversity (1 - lambda of MMR)."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Also write the items as annotation tasks."),
    fmt: ExportFormat = typer.Option(ExportFormat.labelstudio, "--format", "-f"),
    backend: Backend = typer.Option("default", help="Backend whose uncertainty ranks the "
                                    "items (default: the manifest's choice per task)."),
    model: Path | None = typer.Option(None, help="Model folder of a learned backend."),
    exclude: Path | None = typer.Option(GOLD_DIR,
                                        help="Skip articles already in this corpus folder."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """Rank unlabelled sentences (or articles) by model uncertainty and diversity."""
    from kratom_nlp.annotate.active import excerpt_sources, rank
    from kratom_nlp.annotate.exporting import build_tasks
    from kratom_nlp.annotate.sources import read_jsonl_sources
    from kratom_nlp.ingest import EmptyInputError

    if output is not None:
        _check_output(output)
    sources = _sources(input_path)
    if exclude is not None and exclude.is_dir() and exclude.resolve() != input_path.resolve() \
            and not (input_path.is_file() and input_path.resolve().parent == exclude.resolve()):
        known_ids: set[str] = set()
        known_texts: set[str] = set()
        for f in sorted(exclude.glob("*.jsonl")):
            for s in read_jsonl_sources(f):
                known_ids.add(s.article_id)
                known_texts.add(s.text)
        before = len(sources)
        sources = [s for s in sources if s.article_id not in known_ids
                   and s.text not in known_texts]
        if before != len(sources):
            warn(f"left out {before - len(sources)} article(s) already in {exclude}")
    if not sources:
        fail(EmptyInputError(str(input_path), message="no unlabelled article left to rank",
                             hint=f"every article is already in {exclude}"))
    nlp = _nlp(config, backend.value, model)
    chosen = rank(sources, nlp, n, unit=unit.value, strategy=strategy.value,
                  lam=1.0 - diversity)
    if len(chosen) < n:
        warn(f"only {len(chosen)} distinct item(s) in the pool")
    for it in chosen:
        if as_json:
            sys.stdout.write(json.dumps(it.to_dict(), ensure_ascii=False) + "\n")
        else:
            text = " ".join(it.text.split())
            sys.stdout.write(f"{it.rank}\t{it.score:.3f}\t{it.uncertainty:.3f}\t{it.id}\t"
                             f"{text[:100]}\n")
    if output is not None:
        if unit is Unit.sentence:
            todo = excerpt_sources(chosen, sources)
        else:
            by_id = {s.article_id: s for s in sources}
            todo = []
            for it in chosen:
                src = by_id[it.article_id]
                src.meta.update({"rank": it.rank, "uncertainty": round(it.uncertainty, 4),
                                 "score": round(it.score, 4)})
                todo.append(src)
        _write_tasks(build_tasks(todo, nlp, fmt.value), output, fmt.value)


@annotate_app.command("merge")
def merge_cmd(
    imported: list[Path] = typer.Argument(..., help="Imported corpus JSONL files."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder of the merged corpus."),
    gold: Path = typer.Option(GOLD_DIR, help="The gold corpus folder."),
) -> None:
    """Merge imported annotations into a copy of the gold corpus (for `kratom-nlp train`)."""
    from kratom_nlp.annotate.merge import merge_imported
    from kratom_nlp.errors import KratomError

    try:
        info = merge_imported(gold, imported, output)
    except KratomError as exc:
        fail(exc)
    typer.secho(f"wrote {output} (corpus_version {info['corpus_version']}; "
                f"{len(info['replaced'])} replaced, {len(info['added'])} added; "
                f"{info['counts']})", err=True, fg="green")


@annotate_app.command("config")
def config_cmd(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
) -> None:
    """Print (or write) the Label Studio labeling config."""
    from kratom_nlp.annotate.files import write_safely
    from kratom_nlp.annotate.labelstudio import label_config
    from kratom_nlp.errors import KratomError

    if output is None:
        sys.stdout.write(label_config())
        return
    try:
        write_safely(output, label_config())
    except KratomError as exc:
        fail(exc)
