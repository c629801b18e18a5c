"""``--engine ray``: the same per-batch work on Ray Data actors (``pip install kratom_nlp[ray]``).

The dataset is read natively by Ray (``read_parquet``; ``read_text`` for JSONL, one row per
line; ``read_csv``; a ``datasets`` folder's Arrow table through ``from_arrow``) or, for a folder,
built from the list of its files (``from_items``: paths only; the actors read the files).
``map_batches`` runs :class:`RayAnalyzer` - a stateful callable class that loads the pipeline
once per actor - with ``concurrency=N`` actors and ``batch_size`` rows per call; each row comes
back as ``(raw_id, status, payload)`` with the analysis or error as JSON.

The driver consumes the results in input order (``preserve_order``) and writes them through
the same OUT writer as the local engine, so ids, duplicate renaming, ``errors.jsonl``,
exactly-once resume and the tables are identical. On ``--resume`` the actors skip the records
whose id is certainly done (a cheap pre-pass over the input's ids finds them).

Ray starts a local instance (``ray.init(num_cpus=N, include_dashboard=False)``) unless
``RAY_ADDRESS`` is set, in which case it connects to that cluster; every worker needs
kratom_nlp installed, and a folder or file INPUT must be readable at the same path there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kratom_nlp.batch.engines import BatchOptions, RunState
from kratom_nlp.batch.sources import (
    IdAssigner,
    Item,
    Source,
    duplicate_warning,
    file_item,
    id_value,
    jsonl_line_item,
    record_item,
)
from kratom_nlp.errors import BatchError

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["RayAnalyzer", "RayEngine", "RowReader", "skippable_ids"]

_INSTALL_HINT = "--engine ray needs Ray: pip install 'kratom_nlp[ray]' (ray[data]==2.60.0)"


class RayEngine:
    """``--engine ray``: the engine interface (:mod:`kratom_nlp.batch.engines`) on Ray Data.

    ``nlp`` is accepted for the interface and not used: every actor loads its own pipeline.
    """

    name = "ray"

    def __init__(self, *, nlp: Language | None = None) -> None:
        del nlp

    def prepare(self, opts: BatchOptions) -> None:
        """Check that Ray is installed (:class:`~kratom_nlp.errors.BatchError` otherwise)."""
        try:
            import ray  # noqa: F401
            import ray.data  # noqa: F401
        except ImportError:
            raise BatchError(_INSTALL_HINT) from None

    def run(self, opts: BatchOptions, source: Source, state: RunState) -> None:
        """Analyse INPUT on Ray Data actors; results reach ``state`` in input order."""
        run_ray(opts, source, state)


class RowReader:
    """What an actor makes of one row of the Ray dataset (see :func:`_dataset`): the same
    :class:`Item` the local engine reads from INPUT, or ``"blank"`` / ``"skip"``."""

    def __init__(self, kind: str, text_field: str, id_field: str, max_bytes: int,
                 skip: frozenset[str] = frozenset(), root: str | None = None) -> None:
        self.kind = kind
        self.root = Path(root) if root else None
        self.text_field = text_field
        self.id_field = id_field
        self.max_bytes = max_bytes
        self.skip = skip

    def item(self, row: dict[str, Any]) -> tuple[Item | str, str | None]:
        """``(Item, raw id)``, or ``("blank" | "skip", raw id)``."""
        if self.kind == "folder":
            rel = row["rel"]
            if rel in self.skip:
                return "skip", rel
            return file_item(Path(row["path"]), rel, max_bytes=self.max_bytes,
                             root=self.root), rel
        if self.kind == "jsonl":
            line = row["text"]
            if not line.strip():
                return "blank", None
            raw = line.encode("latin-1")  # read as latin-1: the exact bytes of the line
            if self.skip:
                try:
                    rec = json.loads(raw)
                    rid = id_value(rec.get(self.id_field)) if isinstance(rec, dict) else None
                except (ValueError, RecursionError):
                    rid = None
                if rid is not None and rid in self.skip:
                    return "skip", rid
            item = jsonl_line_item(raw, position=0, source="", text_field=self.text_field,
                                   id_field=self.id_field, max_bytes=self.max_bytes)
            return item, item.raw_id
        rid = id_value(row.get(self.id_field))
        if rid is not None and rid in self.skip:
            return "skip", rid
        return record_item(row, position=0, source="", text_field=self.text_field,
                           id_field=self.id_field, max_bytes=self.max_bytes), rid


class RayAnalyzer:
    """Ray Data callable class: the pipeline is loaded once per actor."""

    def __init__(self, kind: str, text_field: str, id_field: str, max_bytes: int,
                 config: str | None, batch_size: int, skip: list[Any] | None = None,
                 root: str | None = None) -> None:
        from kratom_nlp.api import load

        self.batch_size = batch_size
        self.nlp = load(config)
        done: frozenset[str] = frozenset()
        if skip:
            import ray

            done = frozenset(ray.get(skip[0]))
        self.reader = RowReader(kind, text_field, id_field, max_bytes, done, root)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        from kratom_nlp.batch.process import analyze_stream, error_record

        rows = batch.to_pylist()
        ids: list[str | None] = [None] * len(rows)
        status: list[str] = ["error"] * len(rows)
        payload: list[str] = [""] * len(rows)
        todo = []
        for i, row in enumerate(rows):
            try:
                item, ids[i] = self.reader.item(row)
            except Exception as exc:  # noqa: BLE001  (never end the batch)
                payload[i] = json.dumps(error_record("", "", exc), ensure_ascii=False)
                continue
            if isinstance(item, str):
                status[i] = item
                continue
            if item.error is not None:
                payload[i] = json.dumps(error_record("", item.source, item.error),
                                        ensure_ascii=False)
            elif item.document is not None:
                todo.append((str(i), item.document))
        for outcome in analyze_stream(self.nlp, todo, n_process=1, batch_size=self.batch_size):
            i = int(outcome.id)
            if outcome.analysis is not None:
                status[i] = "ok"
                payload[i] = json.dumps(outcome.analysis, ensure_ascii=False)
            else:
                payload[i] = json.dumps(outcome.error, ensure_ascii=False)
        return pa.table({"raw_id": pa.array(ids, pa.string()),
                         "status": pa.array(status, pa.string()),
                         "payload": pa.array(payload, pa.string())})


def skippable_ids(source: Source, done: set[str]) -> set[str]:
    """Raw ids whose every occurrence in INPUT already has its (final) id in ``done``."""
    assign = IdAssigner()
    ok: dict[str, bool] = {}
    for position, raw in source.raw_ids():
        final = assign(raw if raw is not None else f"row-{position}")
        if raw is not None:
            ok[raw] = ok.get(raw, True) and final in done
    return {raw for raw, all_done in ok.items() if all_done}


def _init_ray(n: int) -> bool:
    """Connect to ``RAY_ADDRESS`` or start a local instance; True when we started it."""
    import ray

    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "configure_logging": True, "logging_level": "ERROR"}
    if os.environ.get("RAY_ADDRESS"):
        ray.init(**quiet)
    else:
        ray.init(num_cpus=n, include_dashboard=False, **quiet)
    return True


def _dataset(source: Source, wanted: list[str], n: int) -> Any:
    """The Ray dataset of INPUT, in at least ``4 * n`` blocks so that all ``n`` actors work."""
    import ray

    path = str(source.path)
    blocks = 4 * n
    # Reads take no CPU slot: the N actors hold the N CPUs of a local instance, and a read
    # task waiting for a free CPU would never start.
    light = 0
    if source.kind == "folder":
        items = [{"rel": rel, "path": str(p.absolute())} for p, rel in source.files()]
        return ray.data.from_items(items, override_num_blocks=max(1, min(len(items), blocks)))
    size = source.path.stat().st_size if source.path.is_file() else 0
    blocks = max(blocks, size // (16 << 20) + 1)  # and at most ~16 MB of input per block
    if source.kind == "jsonl":
        return ray.data.read_text(path, encoding="latin-1", drop_empty_lines=False,
                                  num_cpus=light, override_num_blocks=blocks)
    if source.kind == "parquet":
        # The DataSource V2 path adds a ListFiles task that needs a whole CPU; the classic
        # single read operator honours num_cpus=0.
        ray.data.DataContext.get_current().use_datasource_v2 = False
        return ray.data.read_parquet(path, columns=wanted, num_cpus=light,
                                     override_num_blocks=blocks)
    if source.kind == "csv":
        import pyarrow as pa
        import pyarrow.csv as pacsv

        convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in wanted},
                                       include_columns=wanted, strings_can_be_null=False)
        return ray.data.read_csv(path, convert_options=convert, num_cpus=light,
                                 override_num_blocks=blocks)
    # datasets folder: from_huggingface would first ask the Hub for Parquet files (we are
    # offline); hand Ray the memory-mapped Arrow table in slices instead (copied into the
    # object store, which spills to disk when it is large).
    hf = source.hf_dataset().select_columns(wanted)
    if getattr(hf, "_indices", None) is not None:
        hf = hf.flatten_indices()
    table = hf.data.table
    step = max(1, min(1024, -(-len(table) // blocks)))
    return ray.data.from_arrow([table.slice(i, step) for i in range(0, max(len(table), 1), step)])


def run_ray(opts: BatchOptions, source: Source, state: RunState) -> None:
    """Analyse INPUT on Ray Data actors; results go to ``state`` in input order."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise BatchError(_INSTALL_HINT) from None
    try:
        started = _init_ray(opts.n_process)
    except Exception as exc:  # noqa: BLE001  (connection errors come in many types)
        raise BatchError(f"cannot start or reach Ray: {exc}") from None
    ctx = ray.data.DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars,
             ctx.use_datasource_v2)
    try:
        _run(opts, source, state)
    finally:
        (ctx.execution_options.preserve_order, ctx.enable_progress_bars,
         ctx.use_datasource_v2) = saved
        if started:
            ray.shutdown()


def _run(opts: BatchOptions, source: Source, state: RunState) -> None:
    import logging

    import ray
    from ray.data import ActorPoolStrategy, DataContext

    for name in ("ray.data", "ray.data._internal.execution.streaming_executor"):
        logging.getLogger(name).setLevel(logging.ERROR)  # our own progress bar and summary
    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    done = state.done
    skip = [ray.put(sorted(skippable_ids(source, done)))] if done else None
    columns: list[str] = []
    if source.kind == "csv":
        columns = source.csv_header()
    elif source.kind in ("parquet", "hf"):
        columns = source.columns()
    wanted = [c for c in (source.text_field, source.id_field) if c in columns]
    ds = _dataset(source, wanted, opts.n_process).map_batches(
        RayAnalyzer, batch_format="pyarrow", batch_size=opts.batch_size,
        compute=ActorPoolStrategy(size=opts.n_process), num_cpus=1,
        fn_constructor_kwargs={
            "kind": source.kind, "text_field": source.text_field, "id_field": source.id_field,
            "max_bytes": source.max_bytes, "batch_size": opts.batch_size,
            "config": str(opts.config) if opts.config else None, "skip": skip,
            "root": str(source.path.resolve()) if source.kind == "folder" else None,
        })
    assign = IdAssigner()
    position = 0
    records = source.kind != "folder"
    try:
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            cols = batch.to_pydict()
            for raw_id, status, payload in zip(cols["raw_id"], cols["status"], cols["payload"],
                                               strict=True):
                position += 1
                if status == "blank":
                    continue
                base = raw_id if raw_id is not None else f"row-{position}"
                final = assign(base)
                if final in done:
                    state.skip()
                    continue
                rec = json.loads(payload) if payload else {}
                if status == "skip" or not rec:  # cannot happen: skipped only when done
                    rec = {"source": base, "reason": "internal: record was skipped by a Ray "
                           "worker but is not in OUT; rerun with --resume", "exit_code": 1,
                           "error": "InternalError", "hint": None}
                    status = "error"
                if records:
                    rec["source"] = f"{source.name}:{position}"
                if status == "ok":
                    if final != base:
                        rec.setdefault("warnings", []).append(duplicate_warning(base, final))
                    state.analysis(final, rec)
                else:
                    rec["id"] = final
                    state.error({"id": final, **{k: v for k, v in rec.items() if k != "id"}})
    except BatchError:
        raise
    except (ray.exceptions.RayError, OSError, ValueError) as exc:
        raise BatchError(f"the Ray run failed: {' '.join(str(exc).split())[:500]} (results so "
                         "far are kept; fix the cause and rerun with --resume)") from None
