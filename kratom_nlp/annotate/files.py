"""Reading annotation files (JSON, JSONL) with exact error positions; writing with backups."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kratom_nlp.annotate.errors import FormatError, JSONSyntaxError
from kratom_nlp.errors import OutputError
from kratom_nlp.fileio import json_line_problem, write_atomic

_WS = " \t\r\n"


def read_text_file(path: str | Path) -> str:
    """The file as text (UTF-8, a BOM is dropped); a clear error when it cannot be read."""
    from kratom_nlp.ingest import MissingPathError

    p = Path(path)
    if not p.exists():
        raise MissingPathError(str(p))
    if p.is_dir():
        raise FormatError("is a directory, expected one annotation file", source=str(p))
    try:
        return p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", source=str(p)) from exc


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _syntax(text: str, pos: int, msg: str, source: str, what: str) -> JSONSyntaxError:
    line, col = _line_col(text, pos)
    end = len(text.rstrip(_WS))
    if pos >= end or msg.startswith("Unterminated string"):
        eline, ecol = _line_col(text, end)
        head = f"truncated JSON {what}".rstrip()
        return JSONSyntaxError(f"{head}: the file ends at line {eline} column {ecol} (char "
                               f"{end}) inside an unfinished value ({msg} at line {line} "
                               f"column {col})", source=source)
    return JSONSyntaxError(f"invalid JSON {what}at line {line} column {col} (char {pos}): {msg}",
                           source=source)


def _task_name(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "article_id"):
            if key in item and isinstance(item[key], str | int):
                return f"#{index} (id {item[key]})"
    return f"#{index}"


def parse_json(text: str, source: str) -> Any:
    """Parse a JSON document; a top-level array is read item by item so that an error names the
    task it falls in (``task #k``) as well as the line, column and character position."""
    dec = json.JSONDecoder()
    i = len(text) - len(text.lstrip(_WS))
    if not text.strip(_WS):
        raise JSONSyntaxError("empty file (no JSON)", source=source)
    if text[i] != "[":
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise _syntax(text, exc.pos, exc.msg, source, "") from exc
        if text[end:].strip(_WS):
            raise _syntax(text, end, "extra data after the JSON value", source, "")
        return obj
    items: list[Any] = []
    pos = i + 1
    while True:
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        if pos < len(text) and text[pos] == "]" and not items:
            pos += 1
            break
        try:
            item, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            after = f"after task {_task_name(items[-1], len(items))} " if items else ""
            raise _syntax(text, exc.pos, exc.msg, source,
                          f"in task #{len(items) + 1} {after}") from exc
        items.append(item)
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        if pos >= len(text):
            raise _syntax(text, pos, "expected ',' or ']'", source,
                          f"after task {_task_name(item, len(items))} ")
        if text[pos] == ",":
            pos += 1
            continue
        if text[pos] == "]":
            pos += 1
            break
        raise _syntax(text, pos, "expected ',' or ']'", source,
                      f"after task {_task_name(item, len(items))} ")
    if text[pos:].strip(_WS):
        raise _syntax(text, pos, "extra data after the JSON array", source, "")
    return items


def parse_jsonl(text: str, source: str) -> list[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line; a bad line raises with its position."""
    out: list[tuple[int, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise JSONSyntaxError(json_line_problem(line, exc), source=source,
                                  task=f"line {n}") from exc
        except RecursionError:
            raise JSONSyntaxError("JSON nested too deeply", source=source,
                                  task=f"line {n}") from None
    return out


def looks_like_jsonl(text: str) -> bool:
    """True when the text holds one JSON value per line (more than one line of values)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return bool(lines) and lines[0].lstrip().startswith("{") and _one_value(lines[0])
    return lines[0].lstrip().startswith("{") and _one_value(lines[0])


def _one_value(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def backup_path(path: Path) -> Path:
    """``<name>.bak-<timestamp>`` next to ``path`` (a counter is added if that exists)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    cand = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while cand.exists():
        cand = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    return cand


def write_safely(path: str | Path, content: str) -> Path | None:
    """Write ``content`` atomically (:func:`kratom_nlp.fileio.write_atomic`: a replaced file
    keeps its permission bits); an existing file is first copied to a backup, whose path is
    returned (None when there was nothing to back up). Raises
    :class:`~kratom_nlp.errors.OutputError`."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{p}: is a folder; give a file name")
    backup = None
    if p.exists():
        backup = backup_path(p)
        try:
            shutil.copy2(p, backup)
        except OSError as exc:
            raise OutputError(f"{p}: cannot back it up to {backup} "
                              f"({exc.strerror or exc})") from exc
    write_atomic(p, content)
    return backup


def dumps_jsonl(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
