"""``kratom-nlp analyze``: one article in, its claims, evidence and overclaims out."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail, load_pipeline_or_fail, warn


class Format(StrEnum):
    json = "json"
    text = "text"
    html = "html"
    claimreview = "claimreview"


@app.command()
def analyze(
    path: str = typer.Argument("-", help="Article file (.txt, .md, .html) or '-' for stdin."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o",
        help="Write here, not stdout (checked before the analysis; written atomically)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
    max_bytes: int = typer.Option(10_000_000, min=1, help="Refuse inputs larger than this."),
    encoding: str = typer.Option("utf-8", help="Text encoding of the input (a UTF-16 or "
                                 "UTF-32 byte order mark is recognised)."),
    url: str | None = typer.Option(None, help="The article's http(s) URL (for ClaimReview)."),
) -> None:
    """Analyse one article and print (or write) the report."""
    from kratom_nlp.errors import KratomError, OutputError
    from kratom_nlp.fileio import check_output_file, write_atomic
    from kratom_nlp.ingest import read_path, read_stdin
    from kratom_nlp.outputs.claimreview import NO_URL_NOTE, check_url

    try:  # everything that can be checked before the (slow) analysis
        if output is not None:
            check_output_file(output)
            if path != "-" and Path(path).exists() and output.exists() \
                    and output.samefile(path):
                raise OutputError(f"{output}: is the article being analysed; write the report "
                                  "to another file")
        if url is not None:
            url = check_url(url)
        doc = (read_stdin(max_bytes=max_bytes, encoding=encoding) if path == "-"
               else read_path(path, max_bytes=max_bytes, encoding=encoding))
    except KratomError as exc:
        fail(exc)
    for w in doc.warnings:
        warn(w)
    if fmt is Format.claimreview and url is None:
        warn(NO_URL_NOTE)

    from kratom_nlp.api import analyze_document

    nlp = load_pipeline_or_fail(config)
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
    if not rendered.endswith("\n"):
        rendered += "\n"
    if output is None:
        sys.stdout.write(rendered)
        return
    try:
        write_atomic(output, rendered)
    except KratomError as exc:
        fail(exc)
    typer.secho(f"wrote {output} ({analysis['summary']['claims']} claims, "
                f"{analysis['summary']['overclaims']} overclaims)", err=True, fg="green")
