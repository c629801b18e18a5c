"""``kratom-nlp corpus build|stats`` and ``kratom-nlp agreement``: the gold corpora (written and
real) and their inter-annotator agreement."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail

corpus_app = typer.Typer(
    name="corpus",
    help="Build and describe the project's gold corpus (corpora/).",
    no_args_is_help=True,
)
app.add_typer(corpus_app, name="corpus")


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _default_corpus() -> Path:
    from kratom_nlp.corpora.gold import DEFAULT_CORPUS

    return DEFAULT_CORPUS


def _check_output(output: Path | None) -> None:
    """Refuse an ``-o`` that cannot be written before the work (exit 22)."""
    from kratom_nlp.errors import OutputError
    from kratom_nlp.fileio import check_output_file

    if output is not None:
        try:
            check_output_file(output)
        except OutputError as exc:
            fail(exc)


def _emit(rendered: str, output: Path | None, what: str) -> None:
    from kratom_nlp.errors import OutputError
    from kratom_nlp.fileio import write_atomic

    if output is None:
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
        return
    try:
        write_atomic(output, rendered)
    except OutputError as exc:
        fail(exc)
    typer.secho(f"wrote {output} ({what})", err=True, fg="green")


@corpus_app.command("build")
def corpus_build(
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus folder (default: the "
                                       "repository's corpora/)."),
) -> None:
    """Compile corpora/articles/*.json into corpora/gold/{train,dev,test}.jsonl."""
    from kratom_nlp.corpora.gold import build
    from kratom_nlp.errors import CorpusError

    root = corpus or _default_corpus()
    if not (root / "articles").is_dir():
        fail(CorpusError(f"{root}: no articles folder (the corpus is built from "
                         f"{root / 'articles'}/*.json)"))
    try:
        per_split = build(root)
    except CorpusError as exc:
        fail(exc)
    except OSError as exc:
        fail(CorpusError(f"cannot build the corpus in {root}: {exc.strerror or exc}"))
    total = sum(per_split.values())
    typer.echo(f"built {root / 'gold'}: {total} articles ("
               + ", ".join(f"{k} {v}" for k, v in per_split.items()) + ")")


Rows = list[tuple[str, list[int]]]


def _render_tables(splits: list[str], tables: list[tuple[str, Rows]]) -> str:
    """Aligned plain-text tables (rich): one column per split and a total."""
    import io

    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=110, file=io.StringIO())
    for title, rows in tables:
        t = Table(title=title, title_justify="left")
        t.add_column("")
        for s in [*splits, "total"]:
            t.add_column(s, justify="right")
        for name, vals in rows:
            t.add_row(name, *[str(v) for v in vals], str(sum(vals)))
        console.print(t)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _label_rows(stats: dict[str, Any], key: str, labels: list[str] | tuple[str, ...]) -> Rows:
    """One row per label: its count under ``stats[split][key]`` in each split."""
    return [(lab, [stats[s][key].get(lab, 0) for s in stats]) for lab in labels]


def _total_rows(stats: dict[str, Any], keys: tuple[str, ...]) -> Rows:
    return [(k, [stats[s][k] for s in stats]) for k in keys]


def _stats_table(stats: dict[str, Any]) -> str:
    """Per-split counts of the written corpus, one row per label."""
    from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, GENRES, STRENGTHS

    subs = sorted({x for s in stats for x in stats[s]["substances"]})
    return _render_tables(list(stats), [
        ("Totals", _total_rows(stats, ("articles", "sentences", "claims", "overclaims",
                                       "advice"))),
        ("Evidence level (all sentences)", _label_rows(stats, "evidence", EVIDENCE_LEVELS)),
        ("Strength (claims)", _label_rows(stats, "strength", STRENGTHS)),
        ("Claim type (claims)", _label_rows(stats, "claim_type", CLAIM_TYPES)),
        ("Genre (articles)", _label_rows(stats, "genres", GENRES)),
        ("Substance (articles)", _label_rows(stats, "substances", subs)),
    ])


def _real_stats_table(stats: dict[str, Any]) -> str:
    """Per-split counts of the real corpus, one row per label."""
    from kratom_nlp.corpora.real import STUDY_KINDS
    from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, STRENGTHS

    kinds = [k for k in STUDY_KINDS if any(stats[s]["study_kind"].get(k) for s in stats)]
    return _render_tables(list(stats), [
        ("Totals", _total_rows(stats, (
            "articles", "press_releases", "news_stories", "sentences", "headings",
            "boilerplate", "claims", "overclaims", "advice", "studies",
            "claims_linked_to_a_study", "cues_from_context"))),
        ("Evidence level (claims)", _label_rows(stats, "evidence", EVIDENCE_LEVELS)),
        ("Strength (claims)", _label_rows(stats, "strength", STRENGTHS)),
        ("Claim type (claims)", _label_rows(stats, "claim_type", CLAIM_TYPES)),
        ("Study design (study mentions)",
         _label_rows(stats, "study_design", [lev for lev in EVIDENCE_LEVELS if lev != "none"])),
        ("Study kind (study mentions)", _label_rows(stats, "study_kind", kinds)),
    ])


@corpus_app.command("stats")
def corpus_stats(
    gold: Path | None = typer.Option(None, "--gold", help="Folder of the split JSONL files "
                                     "(default: corpora/gold)."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f",
                                     help="text tables or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    real: bool = typer.Option(False, "--real", help="The real-text corpus (corpora/real): "
                              "counts from its stand-off records (no texts needed)."),
    layer: str = typer.Option("gold", "--layer", help="With --real: gold, A or B."),
) -> None:
    """Label counts per split of the gold corpus (for the data card)."""
    from kratom_nlp.corpora.gold import counts
    from kratom_nlp.errors import CorpusError

    _check_output(output)
    if real:
        from kratom_nlp.corpora.real import counts as real_counts

        try:
            stats = real_counts(layer=layer)
        except (OSError, ValueError) as exc:
            fail(CorpusError(f"cannot read the real corpus: {exc}"))
        if fmt is ReportFormat.json:
            rendered = json.dumps(stats, indent=1, ensure_ascii=False) + "\n"
        elif fmt is ReportFormat.markdown:
            rendered = "```text\n" + _real_stats_table(stats) + "```\n"
        else:
            rendered = _real_stats_table(stats)
        _emit(rendered, output, "real corpus stats")
        return
    folder = gold or _default_corpus() / "gold"
    try:
        stats = counts(folder)
    except (OSError, ValueError) as exc:
        fail(CorpusError(f"cannot read the gold corpus in {folder}: {exc}; "
                         "run `kratom-nlp corpus build`"))
    if fmt is ReportFormat.json:
        rendered = json.dumps(stats, indent=1, ensure_ascii=False) + "\n"
    elif fmt is ReportFormat.markdown:
        rendered = "```text\n" + _stats_table(stats) + "```\n"
    else:
        rendered = _stats_table(stats)
    _emit(rendered, output, "corpus stats")


def _looks_standoff(path: Path) -> bool:
    """Whether ``path`` (a file or a folder) holds stand-off records of the real corpus."""
    from kratom_nlp.corpora.agreement import is_standoff_record

    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        return False
    try:
        return is_standoff_record(json.loads(files[0].read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


@app.command("agreement")
def agreement(
    a: Path = typer.Argument(..., help="Annotations A: article JSON file(s) in a folder, one "
                             "article file, gold JSONL, or a folder of real-corpus stand-off "
                             "records."),
    b: Path = typer.Argument(..., help="Annotations B, in any of the same formats."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    common_only: bool = typer.Option(False, "--common-only", help="Compare only the articles "
                                     "annotated on both sides (the rest are counted)."),
    real: bool | None = typer.Option(None, "--real/--no-real", help="Stand-off records of the "
                                     "real corpus (corpora/real/annotations/A, B): A restricted "
                                     "to B's articles, plus study-mention and claim→study link "
                                     "agreement. Default: detected from the files."),
) -> None:
    """Inter-annotator agreement between two annotations of the same articles."""
    from kratom_nlp.corpora.agreement import (
        AnnotationError,
        compare,
        compare_real,
        load_annotations,
        render_agreement,
    )

    _check_output(output)
    if real is None:
        real = _looks_standoff(a) and _looks_standoff(b)
    command = " ".join(["kratom-nlp agreement", str(a), str(b)]
                       + (["--real"] if real else [])
                       + (["--common-only"] if common_only and not real else [])
                       + [f"--format {fmt.value}"] + ([f"--output {output}"] if output else []))
    try:
        if real:
            report = compare_real(a, b)
        else:
            report = compare(load_annotations(a), load_annotations(b), common_only=common_only)
    except AnnotationError as exc:
        fail(exc)
    if not report["sentences"]["compared"]:
        fail(AnnotationError(f"no sentence of {a} aligns with one of {b} "
                             "(same article id and offsets)"))
    rendered = render_agreement(report, fmt.value, a=str(a), b=str(b),
                                command=command if real else None)
    _emit(rendered, output, f"{report['sentences']['compared']} sentences compared")
