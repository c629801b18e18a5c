"""Run the desk with uvicorn: in the foreground (``kratom-nlp serve``) or on a free port in a
background thread (tests, the browser test, the load benchmark)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

__all__ = ["background_server", "uvicorn_config"]


def uvicorn_config(app: FastAPI, host: str, port: int, *, log_level: str = "info"
                   ) -> uvicorn.Config:
    """One process, no reload, no proxy headers trusted, server header off."""
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, workers=1,
                          proxy_headers=False, server_header=False, access_log=False,
                          timeout_graceful_shutdown=5)


@contextmanager
def background_server(app: FastAPI, host: str = "127.0.0.1", *,
                      startup_timeout: float = 60.0) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` in a thread; yields its base URL and stops it
    on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, host, port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="kratom-serve")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the desk did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
