"""The OUT folder: append-only JSONL results, crash-safe resume, and the run manifest.

Files in OUT:

``analyses.jsonl``
    one analysis-contract dict per document, with its ``"id"`` first.
``errors.jsonl``
    ``{"id", "source", "reason", "exit_code", "error", "hint"}`` per document that failed.
``run.json``
    how the run was started (INPUT, fields, config, engine), to check a ``--resume``.
``summary.json``
    the closing summary of the last run (this run and everything in OUT).
``documents.{parquet,csv}``, ``claims.{parquet,csv}``
    the tables (``--format parquet|csv``), rebuilt from ``analyses.jsonl`` at the end.
``.batch.lock``
    present while a run writes to OUT: ``{"pid", "host", "started"}`` of that run, locked with
    ``flock`` (:func:`acquire_lock`). A second run on the same OUT is refused
    (:class:`~kratom_nlp.errors.LockedError`, exit 42); a lock left by a killed run is stale
    (nobody holds its ``flock``) and is taken over with a note.

Each result is one line written with a single ``write`` and flushed as soon as the document is
done; the files are ``fsync``-ed every ``--batch-size`` lines and at the end. A process killed
at any moment leaves at most one torn (newline-less) last line, which :func:`prepare` truncates
before reading the ids already done; those ids are then skipped, so every document ends up
exactly once in ``analyses.jsonl`` or ``errors.jsonl``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import IO, Any

from kratom_nlp.batch.stats import Stats
from kratom_nlp.errors import LockedError, OutputError

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the lock falls back to a pid check
    fcntl = None

__all__ = [
    "ANALYSES",
    "ERRORS",
    "LOCK",
    "MANIFEST",
    "SUMMARY",
    "JsonlAppender",
    "OutputDir",
    "OutputLock",
    "acquire_lock",
    "check",
    "iter_jsonl",
    "lock_owner",
    "prepare",
    "truncate_torn_line",
]

ANALYSES = "analyses.jsonl"
ERRORS = "errors.jsonl"
MANIFEST = "run.json"
SUMMARY = "summary.json"
LOCK = ".batch.lock"
TABLE_STEMS = ("documents", "claims")
#: Manifest fields that must match on --resume (they decide the ids / the text analysed).
_MUST_MATCH = ("text_field", "id_field")
#: Manifest fields that only warn when they differ on --resume.
_SHOULD_MATCH = ("input", "config")


def truncate_torn_line(path: Path) -> int:
    """Cut a last line that has no ``\\n`` (a write torn by a kill); returns bytes removed."""
    if not path.exists():
        return 0
    with path.open("r+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return 0
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return 0
        pos = end
        keep = 0
        chunk = 65536
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            data = fh.read(pos - start)
            nl = data.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
        return end - keep


def iter_jsonl(path: Path) -> Any:
    """Parsed records of a results file (lines that do not parse are skipped)."""
    if not path.exists():
        return
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec


def _scan(path: Path, on_record: Callable[[dict[str, Any]], None]) -> tuple[set[str], int]:
    """Ids in a results file; lines that do not parse are removed (returns ids, dropped)."""
    ids: set[str] = set()
    bad = 0
    if not path.exists():
        return ids, bad
    with path.open("rb") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
                rid = rec["id"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            ids.add(str(rid))
            on_record(rec)
    if bad:  # never written by us, but keep the file parseable: rewrite without them
        tmp = path.with_suffix(path.suffix + ".tmp")
        with path.open("rb") as src, tmp.open("wb") as dst:
            for line in src:
                try:
                    if "id" in json.loads(line):
                        dst.write(line)
                except (ValueError, TypeError):
                    pass
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, path)
    return ids, bad


class JsonlAppender:
    """Append one JSON record per line; flush every line, ``fsync`` every ``sync_every``."""

    def __init__(self, path: Path, sync_every: int = 32) -> None:
        self.path = path
        self.sync_every = max(1, sync_every)
        self._fh: IO[bytes] = path.open("ab")
        self._unsynced = 0

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line (a single write) and flush it."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self._fh.write(line.encode("utf-8"))
        self._fh.flush()
        self._unsynced += 1
        if self._unsynced >= self.sync_every:
            self.sync()

    def sync(self) -> None:
        """``fsync`` what was written since the last sync."""
        if self._unsynced:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._unsynced = 0

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()


@dataclass
class OutputDir:
    """An opened OUT folder: the ids already done and the appenders for new results."""

    path: Path
    done: set[str] = field(default_factory=set)
    prior: Stats = field(default_factory=Stats)
    notes: list[str] = field(default_factory=list)
    analyses: JsonlAppender | None = None
    errors: JsonlAppender | None = None

    def open_writers(self, sync_every: int) -> None:
        """Open ``analyses.jsonl`` and ``errors.jsonl`` for appending."""
        self.analyses = JsonlAppender(self.path / ANALYSES, sync_every)
        self.errors = JsonlAppender(self.path / ERRORS, sync_every)

    def write_analysis(self, doc_id: str, analysis: dict[str, Any]) -> None:
        """Append one analysis, its ``id`` first."""
        assert self.analyses is not None
        self.analyses.write({"id": doc_id, **analysis})

    def write_error(self, record: dict[str, Any]) -> None:
        """Append one ``errors.jsonl`` record."""
        assert self.errors is not None
        self.errors.write(record)

    def sync(self) -> None:
        for w in (self.analyses, self.errors):
            if w is not None:
                w.sync()

    def close(self) -> None:
        for w in (self.analyses, self.errors):
            if w is not None:
                w.close()

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        """Write ``OUT/name`` atomically (temporary file, then rename)."""
        tmp = self.path / (name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / name)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- the lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _read_owner(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 4096)
        owner = json.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _try_flock(fd: int) -> bool | None:
    """Take the exclusive ``flock`` of ``fd`` without waiting: True when taken, False when
    another process holds it, None when this system or filesystem has no ``flock`` (then the
    owner's pid is checked instead)."""
    if fcntl is None:  # pragma: no cover - not POSIX
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # ENOLCK, EOPNOTSUPP: e.g. a network filesystem without locks
        return None
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _held_by_other(owner: dict[str, Any]) -> bool:
    """Without ``flock``: a live process on this host other than us owns the lock."""
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    if owner.get("host") not in (None, socket.gethostname()):
        return True  # cannot check a process on another machine: assume it runs
    return _pid_alive(pid)


def _locked_message(out: Path, owner: dict[str, Any]) -> str:
    who = f"pid {owner.get('pid', '?')} on {owner.get('host', '?')}, started " \
          f"{owner.get('started', '?')}"
    return (f"{out}: OUT is in use by another batch run ({who}); wait for it to finish or "
            f"choose another OUT (if that run is gone, delete {out / LOCK})")


@dataclass
class OutputLock:
    """The lock of one OUT folder, held by this process until :meth:`release`."""

    path: Path
    fd: int
    note: str | None = None

    def release(self) -> None:
        """Remove the lock file and let it go (idempotent)."""
        if self.fd < 0:
            return
        try:
            if _same_file(self.fd, self.path):
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = -1

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def lock_owner(path: str | Path) -> dict[str, Any] | None:
    """``{"pid", "host", "started"}`` of the live run holding OUT's lock; None when no run
    holds it (no lock file, or a stale one left by a killed run)."""
    lock = Path(path) / LOCK
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None
    try:
        owner = _read_owner(fd)
        taken = _try_flock(fd)
        if taken is None:
            return owner if _held_by_other(owner) else None
        return None if taken else owner
    finally:
        os.close(fd)


def acquire_lock(path: str | Path) -> OutputLock:
    """Lock the OUT folder ``path`` (which must exist) for this process.

    Raises :class:`~kratom_nlp.errors.LockedError` (exit 42) when a live run holds it. A stale
    lock (its owner no longer runs) is taken over; ``OutputLock.note`` then says so.
    """
    out = Path(path)
    lock = out / LOCK
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the lock file ({exc.strerror or exc})") \
                from exc
        taken = _try_flock(fd)
        old = _read_owner(fd)
        if taken is None:
            taken = not _held_by_other(old)
        if not taken:
            os.close(fd)
            raise LockedError(_locked_message(out, old))
        if not _same_file(fd, lock):  # a finishing run removed it meanwhile: lock the new one
            os.close(fd)
            continue
        note = None
        if old.get("pid") not in (None, os.getpid()):
            note = (f"took over a stale lock of pid {old.get('pid')} (started "
                    f"{old.get('started', '?')}), which no longer runs")
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()}
        data = (json.dumps(owner) + "\n").encode("utf-8")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.fsync(fd)
        return OutputLock(lock, fd, note)
    raise LockedError(f"{out}: could not lock OUT (another run keeps replacing its lock file)")


# --------------------------------------------------------------------------- OUT


def check(path: str | Path, *, resume: bool, locked: bool = False) -> bool:
    """Raise :class:`~kratom_nlp.errors.OutputError` when OUT cannot be used, and
    :class:`~kratom_nlp.errors.LockedError` when another live run holds it (unless ``locked``:
    this process holds the lock). True when OUT holds earlier results.

    Without ``resume`` OUT must be missing or an empty folder; a non-empty OUT is an
    :class:`OutputError` asking for ``--resume`` or a new OUT. With ``resume`` a missing or empty
    OUT simply starts fresh. Nothing is created or changed.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: OUT exists and is not a folder; choose a folder path")
    if not locked and out.is_dir():
        owner = lock_owner(out)
        if owner is not None:
            raise LockedError(_locked_message(out, owner))
    entries = any(e.name != LOCK for e in out.iterdir()) if out.exists() else False
    ours = (out / MANIFEST).exists() or (out / ANALYSES).exists() or (out / ERRORS).exists()
    if entries and not resume:
        what = "results of an earlier run" if ours else "other files"
        raise OutputError(f"{out}: OUT is not empty (it holds {what}); add --resume to continue "
                          "that run, or choose a new OUT")
    if entries and not ours:
        raise OutputError(f"{out}: OUT holds other files and no batch results; "
                          "choose a new or empty OUT")
    return entries


def prepare(path: str | Path, *, resume: bool, manifest: dict[str, Any],
            locked: bool = False) -> OutputDir:
    """Open OUT for a run: create it, or (``resume``) truncate torn lines and read done ids.

    See :func:`check` for when OUT is refused; ``locked``: this process holds OUT's lock
    (:func:`acquire_lock`).
    """
    out = Path(path)
    entries = check(out, resume=resume, locked=locked)
    out.mkdir(parents=True, exist_ok=True)
    od = OutputDir(out)
    old = {}
    if (out / MANIFEST).exists():
        try:
            old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except ValueError:
            old = {}
    for key in _MUST_MATCH:
        if key in old and old[key] != manifest.get(key):
            raise OutputError(f"{out}: this OUT was started with --{key.replace('_', '-')} "
                              f"{old[key]!r}, not {manifest.get(key)!r}; ids would not match. "
                              "Use the same option, or a new OUT")
    for key in _SHOULD_MATCH:
        if old.get(key) not in (None, manifest.get(key)):
            od.notes.append(f"OUT was started with {key} {old[key]!r}; now {manifest.get(key)!r}")
    for name, adder in ((ANALYSES, od.prior.add_analysis), (ERRORS, od.prior.add_error)):
        torn = truncate_torn_line(out / name)
        if torn:
            od.notes.append(f"removed a torn last line ({torn} bytes) from {name}")
        ids, bad = _scan(out / name, adder)
        if bad:
            od.notes.append(f"removed {bad} unreadable line(s) from {name}")
        od.done |= ids
    for stem in TABLE_STEMS:  # derived files: rebuilt at the end of this run
        for suffix in (".parquet", ".csv"):
            (out / (stem + suffix)).unlink(missing_ok=True)
    runs = list(old.get("runs", []))
    runs.append({"started": _now(), "resume": bool(entries), "engine": manifest.get("engine")})
    od.write_json(MANIFEST, {**old, **manifest, "runs": runs})
    return od
