"""``kratom-nlp serve``: the fact-checkers' desk, a local web app (see ``docs/serve.md``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from kratom_nlp.cli import app
from kratom_nlp.cli.common import fail, load_pipeline_or_fail, warn

_EPILOG = (
    "Exit codes: 0 stopped normally; 2 usage (or the serve extra is missing); 20 the pipeline "
    "config cannot be loaded; 22 the database cannot be opened or migrated, or the port is in "
    "use."
)


def is_loopback(host: str) -> bool:
    """Does ``host`` only accept connections from this computer?"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command(epilog=_EPILOG)
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind. Anything but a loopback "
                             "address exposes the desk to the network (a warning is printed)."),
    port: int = typer.Option(8000, min=0, max=65535, help="TCP port."),
    db: Path = typer.Option(Path("kratom-nlp-desk.sqlite3"), "--db",
                            help="The SQLite file of articles and reviews (created and "
                                 "migrated as needed)."),
    max_bytes: int = typer.Option(10_000_000, min=1, help="Refuse articles larger than this."),
    workers: int = typer.Option(2, min=1, max=64, help="Analyses run at the same time."),
    queue: int = typer.Option(16, min=0, max=10_000,
                              help="Analyses that may wait for a worker; more are refused "
                                   "with 503."),
    reviewer: str | None = typer.Option(None, help="Name recorded on reviews (default: your "
                                                   "user name)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="A pipeline config.cfg."),
) -> None:
    """Start the fact-checkers' desk: analyse articles, review claims, export the reviews."""
    try:
        from kratom_nlp.serve.app import LOOPBACK_HOSTS, ServeSettings, create_app
        from kratom_nlp.serve.server import uvicorn_config
    except ModuleNotFoundError as exc:
        from kratom_nlp.errors import UsageError

        fail(UsageError(f"the web desk needs {exc.name}; install it with "
                        "pip install -c constraints.txt -e \".[serve]\""))
    import uvicorn

    from kratom_nlp.serve.store import StoreError

    loopback = is_loopback(host)
    if not loopback:
        warn(f"binding {host}: the desk has no login, and anyone who can reach this address "
             "can read the articles and change the reviews; use 127.0.0.1 unless you mean it")
    settings = ServeSettings(db=db, max_bytes=max_bytes, workers=workers, max_queue=queue,
                             allowed_hosts=(*LOOPBACK_HOSTS, host) if loopback else None,
                             config=config)
    if reviewer:
        settings.reviewer = reviewer
    nlp = load_pipeline_or_fail(config)
    try:
        application = create_app(settings, nlp=nlp)
    except StoreError as exc:  # exit code 22, as an output that cannot be written
        fail(exc)
    shown = f"[{host}]" if ":" in host else host
    typer.secho(f"kratom_nlp desk on http://{shown}:{port}  (database {db.resolve()}; "
                "Ctrl+C stops)", err=True, fg="green")
    server = uvicorn.Server(uvicorn_config(application, host, port))
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind (port in use, no such address)
        if not server.started:
            typer.secho(f"error: cannot listen on {shown}:{port} (see above)", err=True,
                        fg="red")
            raise typer.Exit(22) from None
        raise
