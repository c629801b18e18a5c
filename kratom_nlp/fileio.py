"""Files the toolkit writes and JSON lines it reads, done the same way by every command.

* :func:`check_output_file` refuses a destination that cannot be written (a directory, a parent
  that is a file, a folder without write permission) *before* the work is done;
* :func:`write_atomic` writes to a temporary file in the same folder and renames it over the
  destination, so a reader never sees a half-written file and a failure leaves the old one;
  a replaced file keeps its permission bits, a new one gets the usual ``0o666 & ~umask``;
* :func:`json_line_problem` describes a JSON line that does not parse, calling a cut-off line
  "truncated" (not "invalid control character", which is what ``json`` says when the cut string
  runs into the line's newline).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from pathlib import Path

from kratom_nlp.errors import OutputError

__all__ = ["check_output_file", "default_file_mode", "json_line_problem", "write_atomic"]

_UMASK_LOCK = threading.Lock()


def default_file_mode() -> int:
    """The mode a new file gets from ``open()``: ``0o666`` less the process umask."""
    try:  # Linux: read it without changing it
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output_file(path: str | Path) -> Path:
    """Raise :class:`~kratom_nlp.errors.OutputError` unless ``path`` can be written as a file.

    A missing parent folder is fine (it is created when writing) as long as the nearest folder
    that exists is a folder and writable. Nothing is created or changed.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{p}: is a folder; give a file name (for example {p / 'out.json'})")
    ancestor = _nearest_existing(p.parent)
    if not ancestor.is_dir():
        raise OutputError(f"{p}: cannot create the folder, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{p}: no permission to write in {ancestor}")
    return p


def write_atomic(path: str | Path, content: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``content`` to ``path`` atomically (temporary file, ``fsync``, rename).

    Missing parent folders are created. An existing file keeps its permission bits; a symbolic
    link keeps pointing at the (replaced) file. Raises :class:`~kratom_nlp.errors.OutputError`
    (one line) when the file cannot be written. Returns the path written.
    """
    p = check_output_file(path)
    if p.is_symlink():  # replace the file the link points to, and keep the link
        p = check_output_file(p.resolve())
    data = content.encode(encoding) if isinstance(content, str) else content
    tmp: str | None = None
    try:
        mode = stat.S_IMODE(p.stat().st_mode) if p.exists() else default_file_mode()
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise OutputError(f"{p}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return p


def json_line_problem(line: str | bytes, exc: json.JSONDecodeError) -> str:
    """A one-line description of why ``line`` (one JSON value per line) does not parse.

    A line that ends inside a value, an unterminated string included, is called truncated;
    parse ``line`` without its line ending (``line.rstrip("\\r\\n")``) for exact columns.
    """
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    body = text.rstrip("\r\n")
    rest = body[exc.pos:] if exc.pos <= len(body) else ""
    cut = (exc.pos >= len(body.rstrip())
           or exc.msg.startswith("Unterminated string")
           or (exc.msg.startswith("Invalid control character") and not rest.strip("\r\n")))
    if cut:
        return (f"truncated JSON: the line ends inside an unfinished value ({exc.msg} at column "
                f"{exc.colno})")
    return f"invalid JSON at column {exc.colno}: {exc.msg}"
