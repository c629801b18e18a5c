"""``kratom-nlp analyze``: one article in, its claims, evidence and overclaims out."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail, warn


class Format(StrEnum):
    json = "json"
    text = "text"
    html = "html"
    claimreview = "claimreview"


@app.command()
def analyze(
    path: str = typer.Argument("-", help="Article file (.txt, .md, .html) or '-' for stdin."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
    max_bytes: int = typer.Option(10_000_000, help="Refuse inputs larger than this."),
    encoding: str = typer.Option("utf-8", help="Text encoding of the input."),
    url: str | None = typer.Option(None, help="The article's URL (for ClaimReview)."),
) -> None:
    """Analyse one article and print (or write) the report."""
    from kratom_nlp.ingest import InputError, read_path, read_stdin

    try:
        doc = (read_stdin(max_bytes=max_bytes, encoding=encoding) if path == "-"
               else read_path(path, max_bytes=max_bytes, encoding=encoding))
    except InputError as exc:
        fail(exc)
    for w in doc.warnings:
        warn(w)

    from kratom_nlp.api import analyze_document, load

    try:
        nlp = load(config)
    except (OSError, ValueError) as exc:
        typer.secho(f"error: cannot load the pipeline config {config}: {exc}", err=True,
                    fg="red")
        raise typer.Exit(20) from exc
    analysis = analyze_document(doc, nlp)
    if fmt is Format.claimreview:
        from kratom_nlp.outputs.claimreview import render_claimreview

        rendered = render_claimreview(analysis, url=url)
    elif fmt is Format.text and output is None:
        from kratom_nlp.outputs.text import print_text

        print_text(analysis)
        return
    else:
        from kratom_nlp.outputs import render

        rendered = render(analysis, fmt.value)
    if output is None:
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(rendered, encoding="utf-8")
        typer.secho(f"wrote {output} ({analysis['summary']['claims']} claims, "
                    f"{analysis['summary']['overclaims']} overclaims)", err=True, fg="green")
