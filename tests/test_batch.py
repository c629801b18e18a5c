"""Tests for ``kratom-nlp batch`` (kratom_nlp.batch): inputs, errors, tables, resume, engines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kratom_nlp.batch.output import truncate_torn_line
from kratom_nlp.batch.runner import BatchOptions, run_batch
from kratom_nlp.errors import KratomError

ROOT = Path(__file__).resolve().parents[1]

# Short articles written for these tests (not taken from any corpus).
SENTENCES = [
    "A randomized controlled trial of 120 adults found that fish oil lowered triglycerides.",
    "Kratom cures anxiety and restores energy, according to one seller.",
    "Some users say melatonin helped them sleep, but no study was cited.",
    "A systematic review of 14 trials reported that exercise reduces depressive symptoms.",
    "In mice, turmeric extract reduced inflammation in the joints.",
    "The agency warned that the supplement may cause liver injury.",
    "Experts say ashwagandha could lower stress in some people.",
    "Take two capsules every morning to boost your immune system.",
    "An observational study linked coffee drinking with a lower risk of diabetes.",
    "My uncle swears that CBD oil stopped his back pain in a week.",
    "Researchers cautioned that the evidence for kratom is still limited.",
    "The company says its gummies melt away belly fat without dieting.",
]


def article(i: int, n_sentences: int = 4) -> str:
    """A small deterministic article made of the sentences above."""
    parts = [SENTENCES[(i * 5 + k * 7) % len(SENTENCES)] for k in range(n_sentences)]
    return f"Health note {i}\n" + " ".join(parts) + "\n"


def records(n: int) -> list[dict]:
    return [{"id": f"doc-{i:03d}", "text": article(i)} for i in range(n)]


def lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def by_id(path: Path) -> dict[str, dict]:
    return {rec["id"]: rec for rec in lines(path)}


def run(nlp, input_path: Path, out: Path, **kw) -> object:
    return run_batch(BatchOptions(input=input_path, out=out, quiet=True, **kw), nlp=nlp)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def content(rec: dict) -> dict:
    """The parts of an analysis that do not depend on where the text came from."""
    return {k: rec[k] for k in ("text", "claims", "summary", "language")}


# --------------------------------------------------------------------------- folders / CLI


@pytest.fixture()
def messy_folder(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(article(1), encoding="utf-8")
    (root / "b.md").write_text("# A title\n\n" + article(2), encoding="utf-8")
    (root / "sub" / "c.html").write_text(
        f"<html><head><title>Note</title></head><body><main><p>{article(3)}</p></main>"
        "</body></html>", encoding="utf-8")
    (root / "corrupt.txt").write_bytes("Caf\u00e9 au lait ".encode("latin-1") * 10)
    (root / "empty.txt").write_bytes(b"  \n\t\n")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 8)
    (root / ".hidden.txt").write_text(article(4), encoding="utf-8")
    return root


def test_folder_with_bad_files_reports_them_and_exits_3(nlp, messy_folder, tmp_path):
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app
    from kratom_nlp.outputs.contract import validate_analysis

    _register()
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(messy_folder), "-o", str(out), "-q"])
    assert result.exit_code == 3, result.output
    errors = by_id(out / "errors.jsonl")
    assert set(errors) == {"corrupt.txt", "empty.txt", "binary.txt"}
    assert errors["corrupt.txt"]["exit_code"] == 14 and "utf-8" in errors["corrupt.txt"]["reason"]
    assert errors["empty.txt"]["exit_code"] == 12 and "empty" in errors["empty.txt"]["reason"]
    assert errors["binary.txt"]["exit_code"] == 13 and "binary" in errors["binary.txt"]["reason"]
    for rec in errors.values():
        assert set(rec) >= {"id", "source", "reason", "exit_code"}
    analyses = lines(out / "analyses.jsonl")
    assert [a["id"] for a in analyses] == ["a.txt", "b.md", "sub/c.html"]  # sorted, recursive
    for a in analyses:
        validate_analysis({k: v for k, v in a.items() if k != "id"})
        assert a["source"] == a["id"]
    assert analyses[0]["claims"], "the trial sentence should give at least one claim"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["this_run"]["documents"] == 3 and summary["this_run"]["errors"] == 3


def test_clean_folder_exits_0_and_non_empty_out_needs_resume(nlp, tmp_path):
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    root = tmp_path / "in"
    root.mkdir()
    for i in range(3):
        (root / f"{i}.txt").write_text(article(i), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["batch", str(root), "-o", str(out), "-q"]).exit_code == 0
    again = runner.invoke(app, ["batch", str(root), "-o", str(out), "-q"])
    assert again.exit_code == 22
    assert "--resume" in again.output
    resumed = runner.invoke(app, ["batch", str(root), "-o", str(out), "-q", "--resume"])
    assert resumed.exit_code == 0
    assert len(lines(out / "analyses.jsonl")) == 3
    assert json.loads((out / "summary.json").read_text())["skipped"] == 3


def test_fatal_input_errors(nlp, tmp_path):
    with pytest.raises(KratomError) as missing:
        run(nlp, tmp_path / "nope", tmp_path / "o1")
    assert missing.value.exit_code == 10
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(KratomError) as unsupported:
        run(nlp, tmp_path / "x.pdf", tmp_path / "o2")
    assert unsupported.value.exit_code == 16
    (tmp_path / "t.csv").write_text("id,body\n1,hello\n", encoding="utf-8")
    with pytest.raises(KratomError) as column:
        run(nlp, tmp_path / "t.csv", tmp_path / "o3")
    assert column.value.exit_code == 2 and "body" in str(column.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(KratomError) as out_is_file:
        run(nlp, tmp_path / "t.csv", tmp_path / "file", text_field="body")
    assert out_is_file.value.exit_code == 22


# --------------------------------------------------------------------------- record inputs


def test_jsonl_ids_duplicates_and_bad_records(nlp, tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [json.dumps(r) for r in records(3)]
    rows += [
        json.dumps({"id": "doc-001", "text": article(7)}),  # duplicate id -> doc-001#2
        json.dumps({"text": article(8)}),  # no id -> row-5
        "{not json",  # malformed -> row-6
        json.dumps({"id": "no-text", "body": "x"}),
        json.dumps({"id": 42, "text": 17}),  # text not a string
        "",  # blank line: ignored
        json.dumps({"id": "big", "text": "x " * 400}),
    ]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(nlp, src, out, max_bytes=500)
    assert result.exit_code == 3
    analyses = by_id(out / "analyses.jsonl")
    assert list(analyses) == ["doc-000", "doc-001", "doc-002", "doc-001#2", "row-5"]
    assert any("duplicate id" in w for w in analyses["doc-001#2"]["warnings"])
    assert analyses["row-5"]["source"] == "in.jsonl:5"
    errors = by_id(out / "errors.jsonl")
    assert set(errors) == {"row-6", "no-text", "42", "big"}
    assert "invalid JSON" in errors["row-6"]["reason"]
    assert "missing text field 'text'" in errors["no-text"]["reason"]
    assert "not a string" in errors["42"]["reason"]
    assert errors["big"]["exit_code"] == 15
    assert {e["exit_code"] for k, e in errors.items() if k != "big"} == {19}


@pytest.fixture(scope="module")
def record_inputs(tmp_path_factory) -> dict[str, Path]:
    """The same six records as JSONL, CSV, Parquet and a datasets folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    d = tmp_path_factory.mktemp("records")
    rows = records(6)
    rows[2]["text"] = "Line one, with a comma.\nLine two: \"quoted\" text; kratom helps pain."
    paths = {"jsonl": write_jsonl(d / "r.jsonl", rows)}
    import csv

    with (d / "r.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "text"])
        w.writeheader()
        w.writerows(rows)
    paths["csv"] = d / "r.csv"
    pq.write_table(pa.Table.from_pylist(rows), d / "r.parquet", row_group_size=4)
    paths["parquet"] = d / "r.parquet"
    Dataset.from_list(rows).save_to_disk(str(d / "hf"))
    paths["hf"] = d / "hf"
    return paths


def test_record_inputs_give_the_same_analyses(nlp, record_inputs, tmp_path):
    got = {}
    for kind, path in record_inputs.items():
        result = run(nlp, path, tmp_path / kind)
        assert result.exit_code == 0, kind
        got[kind] = {k: content(v) for k, v in by_id(tmp_path / kind / "analyses.jsonl").items()}
    assert list(got["jsonl"]) == [f"doc-{i:03d}" for i in range(6)]
    for kind in ("csv", "parquet", "hf"):
        assert got[kind] == got["jsonl"], kind
    assert by_id(tmp_path / "parquet" / "analyses.jsonl")["doc-004"]["source"] == "r.parquet:5"


def test_tables_load_with_pandas_and_datasets(nlp, record_inputs, tmp_path):
    import pandas as pd
    from datasets import Dataset

    out = tmp_path / "out"
    run(nlp, record_inputs["jsonl"], out, formats=("jsonl", "parquet", "csv"))
    analyses = lines(out / "analyses.jsonl")
    n_claims = sum(len(a["claims"]) for a in analyses)
    assert n_claims > 0
    for fmt, reader in (("parquet", pd.read_parquet), ("csv", pd.read_csv)):
        docs = reader(out / f"documents.{fmt}")
        claims = reader(out / f"claims.{fmt}")
        assert list(docs["id"]) == [a["id"] for a in analyses]
        assert int(docs["claims"].sum()) == n_claims == len(claims)
        assert {"doc_id", "claim_id", "start", "end", "text", "claim_type", "by_context",
                "substances",
                "outcomes", "evidence_level", "evidence_cues", "from_context", "strength",
                "certainty", "advice", "overclaim", "overclaim_reason", "overclaim_rule",
                "overclaim_score"} <= set(claims.columns)
        assert set(claims["doc_id"]) <= set(docs["id"])
        assert "evidence_clinical_trial" in docs.columns
    first = analyses[0]["claims"][0] if analyses[0]["claims"] else None
    claims_pq = pd.read_parquet(out / "claims.parquet")
    if first is not None:
        row = claims_pq[(claims_pq.doc_id == analyses[0]["id"]) & (claims_pq.claim_id == "c1")]
        assert row.iloc[0]["text"] == first["text"]
        assert row.iloc[0]["evidence_level"] == first["evidence"]["level"]
        assert bool(row.iloc[0]["by_context"]) == first["by_context"]
    for fmt in ("parquet", "csv"):
        loader = Dataset.from_parquet if fmt == "parquet" else Dataset.from_csv
        ds = loader(str(out / f"claims.{fmt}"), cache_dir=str(tmp_path / "hf-cache"))
        assert ds.num_rows == n_claims and "overclaim_score" in ds.column_names


# --------------------------------------------------------------------------- resume


def test_truncate_torn_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"id": "a"}\n{"id": "b"}\n{"id": "c", "te')
    assert truncate_torn_line(p) == len(b'{"id": "c", "te')
    assert p.read_bytes() == b'{"id": "a"}\n{"id": "b"}\n'
    assert truncate_torn_line(p) == 0
    q = tmp_path / "b.jsonl"
    q.write_bytes(b'{"id": "only", "torn')
    truncate_torn_line(q)
    assert q.read_bytes() == b""


@pytest.mark.slow
def test_sigkill_then_resume_is_exactly_once(nlp, tmp_path):
    rows = [{"id": f"k{i:02d}", "text": article(i, n_sentences=6)} for i in range(24)]
    rows[5]["text"] = "   "  # one error among them
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "kratom_nlp", "batch", str(src), "-o", str(out),
           "--batch-size", "2", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    analyses = out / "analyses.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        # one whole analysis written: a kill while the first line is still being written
        # would leave nothing complete to skip on resume
        if analyses.exists() and b"\n" in analyses.read_bytes():
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done_before = len(analyses.read_bytes().splitlines())
    assert 0 < done_before < len(rows)
    with analyses.open("ab") as fh:  # what a kill in the middle of a write leaves
        fh.write(b'{"id": "k23", "schema_version": "1.0.0", "text": "Health')
    result = run(nlp, src, out, resume=True, batch_size=2)
    assert result.exit_code == 3
    assert any("torn" in n for n in result.notes)
    assert result.skipped > 0
    ids = [r["id"] for r in lines(analyses)] + [r["id"] for r in lines(out / "errors.jsonl")]
    assert sorted(ids) == sorted(r["id"] for r in rows)  # every id exactly once
    assert [r["id"] for r in lines(out / "errors.jsonl")] == ["k05"]


# --------------------------------------------------------------------------- engines


@pytest.mark.slow
def test_n_process_2_gives_the_same_analyses_as_1(nlp, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records(10))
    run(nlp, src, tmp_path / "one", n_process=1, batch_size=3)
    run(nlp, src, tmp_path / "two", n_process=2, batch_size=3)
    one = by_id(tmp_path / "one" / "analyses.jsonl")
    two = by_id(tmp_path / "two" / "analyses.jsonl")
    assert len(one) == 10 and one == two


def test_a_document_that_breaks_the_pipeline_is_reported(tmp_path):
    import spacy
    from spacy.language import Language

    import kratom_nlp.pipeline.extensions  # noqa: F401  (doc extensions for the contract)
    from kratom_nlp.batch.process import analyze_stream
    from kratom_nlp.ingest import read_text

    @Language.component("kratom_test_breaker")
    def breaker(doc):
        if "BOOM" in doc.text:
            raise RuntimeError("component exploded")
        return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("kratom_test_breaker")
    docs = [(f"d{i}", read_text(t, source=f"s{i}")) for i, t in
            enumerate(["fine one", "this goes BOOM", "fine two", "BOOM again", "fine three"])]
    outcomes = list(analyze_stream(nlp, docs, batch_size=2))
    assert [o.id for o in outcomes] == ["d0", "d1", "d2", "d3", "d4"]
    assert [o.error is None for o in outcomes] == [True, False, True, False, True]
    assert outcomes[1].error["exit_code"] == 1
    assert "component exploded" in outcomes[1].error["reason"]
    with pytest.raises(RuntimeError):  # the original error handler is restored
        nlp("BOOM")


def _blank_with(name: str, component):
    import spacy
    from spacy.language import Language

    import kratom_nlp.pipeline.extensions  # noqa: F401  (doc extensions for the contract)

    Language.component(name, func=component)
    nlp = spacy.blank("en")
    nlp.add_pipe(name)
    return nlp


def test_worker_processes_send_analyses_in_input_order():
    """With ``n_process`` 2 the documents go to forked workers in chunks and come back as
    analyses, in input order, a failing document as its error record; the input is read only
    as far as the chunks in flight."""
    from kratom_nlp.batch.process import CHUNKS_PER_WORKER, analyze_stream
    from kratom_nlp.ingest import read_text

    def breaker(doc):
        if "BOOM" in doc.text:
            raise RuntimeError("component exploded")
        return doc

    nlp = _blank_with("kratom_test_worker_breaker", breaker)
    read = []

    def items():
        for i in range(40):
            read.append(i)
            yield f"d{i}", read_text(f"note {i}" + (" BOOM" if i % 7 == 3 else ""),
                                     source=f"s{i}")

    stream = analyze_stream(nlp, items(), n_process=2, batch_size=2)
    first = next(stream)
    assert first.id == "d0" and first.analysis is not None
    assert len(read) <= CHUNKS_PER_WORKER * 2 * 2 + 2
    outcomes = [first, *stream]
    assert [o.id for o in outcomes] == [f"d{i}" for i in range(40)]
    assert [o.error is not None for o in outcomes] == [i % 7 == 3 for i in range(40)]
    assert "component exploded" in outcomes[3].error["reason"]
    assert outcomes[5].analysis["text"] == "note 5" and outcomes[5].document.source == "s5"


def test_analyze_many_with_workers_gives_the_same_analyses_and_errors(nlp):
    """``kratom_nlp.analyze_many`` streams through the batch's ``analyze_stream`` (with
    ``n_process=2``, its workers): the analyses of one process, in order; a document the
    pipeline fails on raises the pipeline's own error, after the documents before it, with one
    process or several."""
    from kratom_nlp.api import analyze_many
    from kratom_nlp.ingest import read_text

    docs = [read_text(article(i), source=f"s{i}") for i in range(5)]
    assert list(analyze_many(docs, nlp, n_process=2, batch_size=2)) == \
        list(analyze_many(docs, nlp, batch_size=2))

    def breaker(doc):
        if "BOOM" in doc.text:
            raise RuntimeError("component exploded")
        return doc

    blank = _blank_with("kratom_test_many_breaker", breaker)
    for n_process in (1, 2):
        stream = analyze_many([read_text(t) for t in ("fine one", "fine two", "BOOM", "fine")],
                              blank, n_process=n_process, batch_size=1)
        assert [a["text"] for a in (next(stream), next(stream))] == ["fine one", "fine two"]
        with pytest.raises(RuntimeError, match="component exploded"):
            next(stream)
        del stream
    with pytest.raises(RuntimeError):  # the pipeline's own error handler is back
        blank("BOOM")


def test_a_stream_closed_early_ends_its_workers():
    import multiprocessing

    from kratom_nlp.batch.process import analyze_stream
    from kratom_nlp.ingest import read_text

    nlp = _blank_with("kratom_test_worker_plain", lambda doc: doc)
    docs = ((f"d{i}", read_text(f"note {i}")) for i in range(1000))
    stream = analyze_stream(nlp, docs, n_process=2, batch_size=4)
    assert [next(stream).id for _ in range(5)] == [f"d{i}" for i in range(5)]
    stream.close()
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("kratom-")]


def test_a_worker_that_dies_loses_no_document():
    import os

    from kratom_nlp.batch.process import analyze_stream
    from kratom_nlp.ingest import read_text

    parent = os.getpid()

    def crasher(doc):
        if "CRASH" in doc.text and os.getpid() != parent:
            os._exit(3)  # a worker killed mid-chunk (out of memory, say)
        return doc

    nlp = _blank_with("kratom_test_worker_crasher", crasher)
    docs = [(f"d{i}", read_text(f"note {i}" + (" CRASH" if i == 9 else ""))) for i in range(30)]
    with pytest.warns(RuntimeWarning, match="ended unexpectedly"):
        outcomes = list(analyze_stream(nlp, docs, n_process=2, batch_size=3))
    assert [o.id for o in outcomes] == [f"d{i}" for i in range(30)]
    assert all(o.analysis is not None for o in outcomes)


def test_windows_are_lazy_and_consecutive():
    from kratom_nlp.memory import windows

    read = []

    def items():
        for i in range(7):
            read.append(i)
            yield i

    it = windows(items(), 3)
    first = next(it)
    assert read == [0]  # only a window's first item is read ahead
    assert list(first) == [0, 1, 2]
    assert [list(w) for w in it] == [[3, 4, 5], [6]]
    with pytest.raises(ValueError):
        next(windows([1], 0))


def test_windowed_stream_keeps_the_vocabulary_flat_and_the_analyses_equal(nlp):
    """Every window of the stream runs in a spaCy memory zone: the words it added (made-up
    names and numbers here) are gone from the vocabulary afterwards, and the analyses are
    the ones ``analyze_document`` gives outside any zone."""
    from kratom_nlp.api import analyze_document
    from kratom_nlp.batch.process import analyze_stream
    from kratom_nlp.ingest import read_text

    texts = [f"{article(i)} Dr. Zorvath{i}quel of Blenmoor{i} said the trial NCT{9100 + i}"
             f" enrolled {4100 + i:,} adults." for i in range(7)]
    docs = [(f"d{i}", read_text(t, source=f"s{i}")) for i, t in enumerate(texts)]
    list(analyze_stream(nlp, [("w", read_text(article(0)))]))  # a pipeline's first window is
    strings = len(nlp.vocab.strings)                          # never zoned (see the next test)
    zoned = [o.analysis for o in analyze_stream(nlp, docs, batch_size=2, zone_docs=3)]
    assert len(nlp.vocab.strings) == strings
    assert "Zorvath3quel" not in nlp.vocab.strings
    plain = [analyze_document(d, nlp) for _, d in docs]
    assert "Zorvath3quel" in nlp.vocab.strings  # outside a zone the words stay
    assert zoned == plain


def test_the_first_window_of_a_pipeline_warms_the_tokenizer_outside_any_zone():
    """spaCy's tokenizer fills no cache inside a zone: a pipeline's first window runs outside
    one, so its words stay (and tokenize from the cache); every later window is zoned."""
    import spacy

    from kratom_nlp.memory import zone

    blank = spacy.blank("en")
    with zone(blank):
        blank("Glorptastic words in the first window.")
    assert not blank.vocab.in_memory_zone and "Glorptastic" in blank.vocab.strings
    with zone(blank):
        blank("Snarvelous words in the second one.")
        assert blank.vocab.in_memory_zone
    assert "Snarvelous" not in blank.vocab.strings and "Glorptastic" in blank.vocab.strings


def test_a_zone_inside_an_open_zone_does_nothing_and_the_lemma_cache_is_bounded(nlp,
                                                                                monkeypatch):
    import kratom_nlp.memory as memory

    with memory.zone(nlp):  # the pipeline's first window, if no test before made it
        pass
    lemmatizer = nlp.get_pipe("lemmatizer")
    with nlp.memory_zone():
        with memory.zone(nlp):  # nested zones are not allowed in spaCy: this one is a no-op
            nlp("Quorblets were glimmering brightly in the clinic.")
        assert nlp.vocab.in_memory_zone
    monkeypatch.setattr(memory, "LEMMA_CACHE_MAX", 0)
    with memory.zone(nlp):
        nlp("Dravlings were flibbering in the trial.")
    assert lemmatizer.cache == {}
    assert nlp("The drug lowered pain.")[2].lemma_ == "lower"  # still lemmatizes


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
    yield ray
    if started:
        ray.shutdown()


@pytest.mark.slow
def test_ray_engine_matches_local_and_resumes(nlp, local_ray, tmp_path):
    rows = records(8) + [{"id": "doc-002", "text": article(9)}, {"text": article(10)}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n", encoding="utf-8")
    run(nlp, src, tmp_path / "local", batch_size=4)
    result = run(nlp, src, tmp_path / "ray", engine="ray", n_process=2, batch_size=4)
    assert result.exit_code == 3
    for name in ("analyses.jsonl", "errors.jsonl"):
        assert lines(tmp_path / "ray" / name) == lines(tmp_path / "local" / name), name

    # resume on Ray after losing the second half of the results
    kept = (tmp_path / "ray" / "analyses.jsonl").read_text(encoding="utf-8").splitlines(True)
    (tmp_path / "ray" / "analyses.jsonl").write_text("".join(kept[:4]), encoding="utf-8")
    again = run(nlp, src, tmp_path / "ray", engine="ray", n_process=1, batch_size=4,
                resume=True)
    assert again.skipped == 5 and again.run.documents == len(kept) - 4
    assert by_id(tmp_path / "ray" / "analyses.jsonl") == by_id(tmp_path / "local" /
                                                              "analyses.jsonl")




@pytest.mark.slow
@pytest.mark.parametrize("kind", ["parquet", "hf", "csv", "jsonl", "folder"])
def test_ray_reads_each_input_kind_as_the_local_reader_does(local_ray, record_inputs,
                                                           messy_folder, kind):
    """Ray's native readers (``read_parquet``, a datasets folder's Arrow table, ``read_csv``,
    ``read_text``, a folder's file list) and an actor's row reader give the items the local
    engine reads, bad files included; what an actor then does with an item is the same for
    every kind (the actor runs above)."""
    from kratom_nlp.batch.ray_engine import RowReader, _dataset
    from kratom_nlp.batch.sources import open_source

    source = open_source(messy_folder if kind == "folder" else record_inputs[kind])
    columns = source.csv_header() if kind == "csv" else [] if kind in ("jsonl", "folder") \
        else source.columns()
    wanted = [c for c in (source.text_field, source.id_field) if c in columns]
    reader = RowReader(kind, source.text_field, source.id_field, source.max_bytes,
                       root=str(source.path.resolve()) if kind == "folder" else None)
    got = [reader.item(row)[0] for row in _dataset(source, wanted, 1).iter_rows()]

    def seen(items: list) -> list[tuple]:
        return [(i.raw_id, i.document.text if i.document else None,
                 type(i.error).__name__ if i.error else None) for i in items]
    assert seen(got) == seen(list(source))
    if kind == "folder":
        assert sum(i.error is not None for i in got) == 3  # corrupt, empty, binary
