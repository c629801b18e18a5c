"""Hardening (issue 13): every bad input gets a clear one-line error and its exit code from the
one table (kratom_nlp.errors), and nothing is lost. Fixtures are made by the tests; the table of
cases is docs/reliability.md."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from kratom_nlp.batch.engines import BatchOptions
from kratom_nlp.batch.output import LOCK, acquire_lock, lock_owner
from kratom_nlp.batch.runner import run_batch
from kratom_nlp.errors import LockedError, OutputError, UsageError

ARTICLE = FIXTURES / "articles" / "evidence_levels.txt"
TEXT = ("Kratom cures depression, a seller claims. A randomized controlled trial of 120 adults "
        "found that fish oil lowered triglycerides.\n")


@pytest.fixture(scope="module")
def cli():
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    return lambda *a, **kw: CliRunner().invoke(app, [str(x) for x in a], **kw)


def no_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make loading the pipeline fail: a check that must come first then shows that it did."""
    import kratom_nlp.api

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the pipeline was loaded before the bad argument was refused")

    monkeypatch.setattr(kratom_nlp.api, "load", refuse)


def one_line_error(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output
    return errors[0]


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# --------------------------------------------------------------------------- 2. batch lock

HOLD = textwrap.dedent("""
    import sys, time
    from kratom_nlp.batch.output import acquire_lock
    lock = acquire_lock(sys.argv[1])
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
    lock.release()
""")


@pytest.fixture
def held_lock(tmp_path: Path):
    """OUT locked by another live process (the way a running batch holds it)."""
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield out, proc
    if proc.poll() is None:
        proc.communicate("", timeout=30)


def _folder(tmp_path: Path, n: int = 3) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(n):
        (src / f"{i}.txt").write_text(f"Note {i}\n{TEXT}", encoding="utf-8")
    return src


def test_a_second_run_on_a_locked_out_is_refused(nlp, tmp_path, held_lock, cli):
    out, proc = held_lock
    src = _folder(tmp_path)
    owner = lock_owner(out)
    assert owner is not None and owner["pid"] == proc.pid
    with pytest.raises(LockedError) as err:
        run_batch(BatchOptions(input=src, out=out, resume=True, quiet=True), nlp=nlp)
    assert err.value.exit_code == 42 and f"pid {proc.pid}" in str(err.value)
    res = cli("batch", src, "-o", out, "-q", "--resume")
    assert res.exit_code == 42
    assert "in use by another batch run" in one_line_error(res.output)
    assert sorted(p.name for p in out.iterdir()) == [LOCK]  # nothing written by the refused runs
    proc.communicate("", timeout=30)  # the first run ends and lets go
    assert not (out / LOCK).exists() and lock_owner(out) is None
    result = run_batch(BatchOptions(input=src, out=out, resume=True, quiet=True), nlp=nlp)
    assert result.exit_code == 0
    ids = [a["id"] for a in jsonl(out / "analyses.jsonl")]
    assert sorted(ids) == ["0.txt", "1.txt", "2.txt"]  # each document once
    assert not (out / LOCK).exists()  # released at the end of the run


def test_a_stale_lock_is_taken_over_with_a_note(nlp, tmp_path, capsys):
    src = _folder(tmp_path, 2)
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)  # a process that has ended: its lock is stale
    (out / LOCK).write_text(json.dumps({"pid": pid, "host": os.uname().nodename,
                                        "started": "2026-01-01T00:00:00+00:00"}))
    assert lock_owner(out) is None
    result = run_batch(BatchOptions(input=src, out=out, quiet=True), nlp=nlp)
    assert result.exit_code == 0 and result.run.documents == 2
    assert any(f"stale lock of pid {pid}" in n for n in result.notes)
    assert f"stale lock of pid {pid}" in capsys.readouterr().err
    assert not (out / LOCK).exists()


def test_without_flock_the_owner_pid_decides(tmp_path, monkeypatch):
    """On a filesystem without ``flock`` the lock falls back to checking the owner's pid."""
    from kratom_nlp.batch import output

    monkeypatch.setattr(output, "_try_flock", lambda fd: None)
    out = tmp_path / "out"
    out.mkdir()
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        (out / LOCK).write_text(json.dumps({"pid": alive.pid, "host": os.uname().nodename}))
        assert lock_owner(out) == {"pid": alive.pid, "host": os.uname().nodename}
        with pytest.raises(LockedError, match=f"pid {alive.pid}"):
            acquire_lock(out)
    finally:
        alive.communicate(b"", timeout=30)
    assert lock_owner(out) is None  # the owner has ended: stale
    with acquire_lock(out) as lock:
        assert f"stale lock of pid {alive.pid}" in (lock.note or "")
        assert json.loads((out / LOCK).read_text())["pid"] == os.getpid()
    assert not (out / LOCK).exists()


def test_the_lock_is_released_when_a_run_fails(nlp, tmp_path, monkeypatch):
    src = _folder(tmp_path, 1)
    out = tmp_path / "out"
    from kratom_nlp.batch import local_engine

    def boom(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(local_engine.LocalEngine, "run", boom)
    with pytest.raises(KeyboardInterrupt):
        run_batch(BatchOptions(input=src, out=out, quiet=True), nlp=nlp)
    assert not (out / LOCK).exists()
    with acquire_lock(out) as lock:  # free again
        assert lock.note is None and (out / LOCK).exists()
    assert not (out / LOCK).exists()


# --------------------------------------------------------------------------- 5. CSV injection

def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    from kratom_nlp.batch.tables import spreadsheet_safe, write_tables

    payloads = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    out = tmp_path / "out"
    out.mkdir()
    analyses = []
    for i, p in enumerate(payloads):
        text = f"{p} cures pain."
        analyses.append({"id": p, "source": p, "language": "en", "schema_version": "1.0.0",
                         "text": text, "warnings": [p],
                         "claims": [{"id": f"c{i}", "start": 0, "end": len(text), "text": text,
                                     "claim_type": "efficacy", "substances": [p],
                                     "outcomes": [], "evidence": {"level": "none", "cues": [],
                                                                  "from_context": False},
                                     "strength": "direct_causal", "certainty": 5.0,
                                     "advice": False, "advice_kind": None,
                                     "overclaim": {"flag": True, "reason": p, "rule": "r",
                                                   "score": 0.5}}],
                         "summary": {"claims": 1}})
    analyses.append({"id": "plain id", "text": "", "claims": [], "summary": {},
                     "warnings": ["a - b"]})
    (out / "analyses.jsonl").write_text("".join(json.dumps(a) + "\n" for a in analyses))
    write_tables(out, ["csv", "parquet"])
    with (out / "documents.csv").open(encoding="utf-8", newline="") as fh:
        docs = list(csv.DictReader(fh))
    with (out / "claims.csv").open(encoding="utf-8", newline="") as fh:
        claims = list(csv.DictReader(fh))
    assert [d["id"] for d in docs] == ["'" + p for p in payloads] + ["plain id"]
    assert docs[-1]["warnings"] == "a - b"  # only the first character matters
    for row, p in zip(claims, payloads, strict=True):
        assert row["doc_id"] == row["overclaim_reason"] == row["substances"] == "'" + p
        assert row["text"] == f"'{p} cures pain."
        assert row["start"] == "0" and row["overclaim_score"] == "0.5"  # numbers untouched
    import pyarrow.parquet as pq

    assert pq.read_table(out / "documents.parquet").column("id").to_pylist()[:6] == payloads
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe("3-2") == "3-2"


def test_batch_csv_tables_of_a_hostile_corpus(nlp, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "=1+2", "text": "=Kratom cures depression."}) + "\n",
                   encoding="utf-8")
    run_batch(BatchOptions(input=src, out=tmp_path / "out", formats=("jsonl", "csv"),
                           quiet=True), nlp=nlp)
    rows = list(csv.DictReader((tmp_path / "out" / "claims.csv").open(encoding="utf-8")))
    assert rows and all(r["doc_id"] == "'=1+2" for r in rows)
    assert all(not r["text"].startswith(("=", "+", "-", "@")) for r in rows)
    assert jsonl(tmp_path / "out" / "analyses.jsonl")[0]["id"] == "=1+2"  # JSONL as it was


# --------------------------------------------------------------------------- 7. ClaimReview URLs

@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/a",
                                 "http://", "//example.org/a", "https://exa mple.org",
                                 "data:text/html,<script>alert(1)</script>"])
def test_claimreview_refuses_urls_that_are_not_http(cli, monkeypatch, url):
    no_pipeline(monkeypatch)
    res = cli("analyze", ARTICLE, "-f", "claimreview", "--url", url)
    assert res.exit_code == 2
    assert "is not accepted" in one_line_error(res.output)
    from kratom_nlp.outputs.claimreview import to_claimreview

    with pytest.raises(UsageError):
        to_claimreview({"claims": [], "source": "x"}, url=url)


def test_claimreview_without_url_publishes_no_path(cli, tmp_path):
    res = cli("analyze", ARTICLE, "-f", "claimreview")
    assert res.exit_code == 0
    assert "warning: no article URL was given" in res.stderr
    reviews = json.loads(res.stdout)
    assert reviews and str(ARTICLE) not in res.stdout and ARTICLE.name not in res.stdout
    for review in reviews:
        assert "url" not in review and "url" not in review["itemReviewed"]["appearance"]
        assert "no article URL" in review["kratomNlp"]["note"]
    ok = cli("analyze", ARTICLE, "-f", "claimreview", "--url", "https://example.org/a?b=1")
    assert ok.exit_code == 0 and "warning: no article URL" not in ok.stderr
    assert json.loads(ok.stdout)[0]["url"] == "https://example.org/a?b=1"


# --------------------------------------------------------------------------- 8. analyze -o

def test_analyze_output_to_a_folder_or_under_a_file_is_refused_first(cli, tmp_path, monkeypatch):
    no_pipeline(monkeypatch)
    res = cli("analyze", ARTICLE, "-f", "json", "-o", tmp_path)
    assert res.exit_code == 22 and "is a folder" in one_line_error(res.output)
    (tmp_path / "file").write_text("x")
    res = cli("analyze", ARTICLE, "-f", "json", "-o", tmp_path / "file" / "sub" / "a.json")
    assert res.exit_code == 22 and "is a file" in one_line_error(res.output)
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # (root may write anywhere)
        res = cli("analyze", ARTICLE, "-f", "json", "-o", locked / "a.json")
        assert res.exit_code == 22 and "no permission" in one_line_error(res.output)
    assert (tmp_path / "file").read_text() == "x"
    article = tmp_path / "article.txt"
    article.write_text(TEXT)
    res = cli("analyze", article, "-f", "json", "-o", article)
    assert res.exit_code == 22 and "is the article being analysed" in one_line_error(res.output)
    assert article.read_text() == TEXT


def test_analyze_output_is_written_atomically(cli, tmp_path, monkeypatch):
    out = tmp_path / "new" / "deeper" / "a.json"  # missing parents are created
    res = cli("analyze", ARTICLE, "-f", "json", "-o", out)
    assert res.exit_code == 0 and json.loads(out.read_text())["claims"]
    out.chmod(0o640)
    out.write_text("previous")
    import kratom_nlp.fileio as fileio

    def torn(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", torn)
    res = cli("analyze", ARTICLE, "-f", "json", "-o", out)
    assert res.exit_code == 22 and "No space left" in one_line_error(res.output)
    assert out.read_text() == "previous"  # the old file is intact
    assert sorted(p.name for p in out.parent.iterdir()) == ["a.json"]  # no temporary left
    monkeypatch.undo()
    assert cli("analyze", ARTICLE, "-f", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text())["claims"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # a replaced file keeps its mode


# --------------------------------------------------------------------------- 9. smaller ones

def test_utf16_with_a_bom_is_read_and_without_one_gets_a_hint(cli, tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes(TEXT.encode("utf-16"))
    res = cli("analyze", bom, "-f", "json")
    assert res.exit_code == 0
    analysis = json.loads(res.stdout)
    assert analysis["text"] == TEXT and analysis["claims"]
    assert any("UTF-16" in w for w in analysis["warnings"])
    bare = tmp_path / "bare.txt"
    bare.write_bytes(TEXT.encode("utf-16-le"))
    res = cli("analyze", bare)
    assert res.exit_code == 13 and "--encoding utf-16-le" in one_line_error(res.output)
    assert cli("analyze", bare, "--encoding", "utf-16-le", "-f", "json").exit_code == 0


def test_batch_does_not_follow_symlinks_out_of_the_folder(nlp, tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("SECRET kratom cures everything.\n", encoding="utf-8")
    (tmp_path / "outside" / "more.txt").write_text("MORE text.\n", encoding="utf-8")
    src = _folder(tmp_path, 1)
    (src / "link.txt").symlink_to(secret)
    (src / "linked_dir").symlink_to(secret.parent, target_is_directory=True)
    (src / "inside.txt").symlink_to(src / "0.txt")  # a link within INPUT is fine
    result = run_batch(BatchOptions(input=src, out=tmp_path / "out", quiet=True), nlp=nlp)
    assert result.exit_code == 3
    errors = {e["id"]: e for e in jsonl(tmp_path / "out" / "errors.jsonl")}
    assert set(errors) == {"link.txt", "linked_dir"}
    for e in errors.values():
        assert e["exit_code"] == 19 and "outside INPUT; not followed" in e["reason"]
    analyses = jsonl(tmp_path / "out" / "analyses.jsonl")
    assert sorted(a["id"] for a in analyses) == ["0.txt", "inside.txt"]
    assert not any("SECRET" in a["text"] or "MORE" in a["text"] for a in analyses)


def test_annotate_import_refuses_to_overwrite_its_input(cli, tmp_path):
    src = tmp_path / "tasks.json"
    content = json.dumps([{"id": 1, "data": {"text": "Kratom cures pain."}, "annotations": []}])
    src.write_text(content)
    for target in (src, tmp_path / "." / "tasks.json"):
        res = cli("annotate", "import", src, "-o", target)
        assert res.exit_code == 22 and "is the file being imported" in one_line_error(res.output)
    link = tmp_path / "link.json"
    link.symlink_to(src)
    assert cli("annotate", "import", src, "-o", link).exit_code == 22
    assert src.read_text() == content


def test_replaced_and_new_files_keep_usual_modes(tmp_path):
    from kratom_nlp.annotate.files import write_safely
    from kratom_nlp.fileio import default_file_mode, write_atomic

    old = tmp_path / "corpus.jsonl"
    old.write_text("old\n")
    old.chmod(0o644)
    backup = write_safely(old, "new\n")
    assert old.read_text() == "new\n" and backup is not None and backup.read_text() == "old\n"
    assert stat.S_IMODE(old.stat().st_mode) == 0o644
    new = write_atomic(tmp_path / "fresh.json", "{}")
    assert stat.S_IMODE(new.stat().st_mode) == default_file_mode() != 0o600
    link = tmp_path / "link.json"
    link.symlink_to(new)
    write_atomic(link, "[]")
    assert link.is_symlink() and new.read_text() == "[]"
    with pytest.raises(OutputError):
        write_safely(tmp_path, "x")


def test_a_huge_rejected_label_is_not_echoed_whole(cli, tmp_path):
    text = "Kratom cures pain."
    label = "X" * 1_000_000
    task = {"id": 1, "data": {"text": text, "article_id": "a1"},
            "annotations": [{"result": [{"id": "r1", "from_name": "claim", "to_name": "text",
                                         "type": "labels",
                                         "value": {"start": 0, "end": len(text), "text": text,
                                                   "labels": [label]}}]}]}
    src = tmp_path / "huge.json"
    src.write_text(json.dumps([task]))
    res = cli("annotate", "import", src, "-o", tmp_path / "out.jsonl")
    assert res.exit_code == 34
    assert "unknown claim label" in res.output and "more characters" in res.output
    assert len(res.output) < 5_000
    assert not (tmp_path / "out.jsonl").exists()


def test_max_bytes_must_be_positive(cli, tmp_path, monkeypatch):
    from kratom_nlp.ingest import read_bytes, read_path

    no_pipeline(monkeypatch)
    for value in ("-1", "0"):
        res = cli("analyze", ARTICLE, "--max-bytes", value)
        assert res.exit_code == 2 and "--max-bytes" in res.output
        res = cli("batch", ARTICLE.parent, "-o", tmp_path / "o", "--max-bytes", value)
        assert res.exit_code == 2 and not (tmp_path / "o").exists()
    with pytest.raises(UsageError, match="positive"):
        read_bytes(b"text", source="x", max_bytes=-1)
    with pytest.raises(UsageError):
        read_path(ARTICLE, max_bytes=0)


def test_a_truncated_json_line_is_called_truncated(nlp, cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "ok", "text": TEXT}) + "\n"
                   + '{"id": "cut", "text": "Kratom cures\n'
                   + '{"id": "bad", "text": 1,}\n', encoding="utf-8")
    run_batch(BatchOptions(input=src, out=tmp_path / "out", quiet=True), nlp=nlp)
    errors = {e["source"]: e for e in jsonl(tmp_path / "out" / "errors.jsonl")}
    assert "truncated JSON" in errors["in.jsonl:2"]["reason"]
    assert "control character" not in errors["in.jsonl:2"]["reason"]
    assert "invalid JSON" in errors["in.jsonl:3"]["reason"]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"text": "a", "spans": []}\n{"text": "Kratom cures pain", "spans": [\n')
    res = cli("annotate", "import", tasks, "-o", tmp_path / "x.jsonl")
    assert res.exit_code == 32 and "truncated JSON" in res.output


# --------------------------------------------------------------------------- 3. export -> import

# the gold dev and test splits: articles the models were not fitted on (the train split adds
# 43 more articles and 8 s to the suite, and no kind of sentence these do not have)
ROUND_TRIP = [ROOT / "corpora" / "examples", FIXTURES / "articles",
              *(ROOT / "corpora" / "gold" / f"{split}.jsonl" for split in ("dev", "test"))]


@pytest.fixture(scope="module")
def unlabelled(docs_of) -> tuple[list, list, dict]:
    """Every example article, test article and held-out gold article, as unlabelled sources,
    with their Docs and the pipeline's prediction for each (what the annotator is shown)."""
    from kratom_nlp.annotate.predict import doc_to_task
    from kratom_nlp.annotate.sources import collect_sources

    sources = []
    for path in ROUND_TRIP:
        for src in collect_sources(path, []):
            src.gold = None  # predictions only: an article nobody has labelled yet
            sources.append(src)
    assert len({s.article_id for s in sources}) == len(sources) == 10 + 12 + 11
    docs = docs_of([s.text for s in sources])
    predicted = {s.article_id: doc_to_task(doc, s.article_id)
                 for s, doc in zip(sources, docs, strict=True)}
    return sources, docs, predicted


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@pytest.mark.parametrize("fmt", ["labelstudio", "prodigy"])
def test_predictions_accepted_unchanged_import_back(nlp, unlabelled, tmp_path, fmt, cli):
    from kratom_nlp.annotate.exporting import build_tasks, render
    from kratom_nlp.annotate.importing import import_file

    sources, docs, predicted = unlabelled
    tasks = build_tasks(sources, nlp, fmt, docs=docs)
    for task in tasks:  # the annotator accepts every prediction as it is
        if fmt == "labelstudio":
            task["annotations"] = [{"result": task["predictions"][0]["result"],
                                    "was_cancelled": False, "completed_by": 1}]
        else:
            task["answer"] = "accept"
    path = tmp_path / ("accepted.json" if fmt == "labelstudio" else "accepted.jsonl")
    path.write_text(render(tasks, fmt), encoding="utf-8")
    result = import_file(path)
    records = {r["id"]: r for r in result.records[""]}
    assert set(records) == set(predicted)
    from_context = uncued = 0
    for aid, pred in predicted.items():
        rec = records[aid]
        text = rec["text"]
        by_span = {(s["start"], s["end"]): s for s in rec["sentences"]}
        cues = {c.rid: c for c in pred.cues}
        assert sum(s["claim"] for s in rec["sentences"]) == len(pred.sentences), aid
        for region in pred.sentences:
            sent = by_span[_stripped(text, region.start, region.end)]
            a = region.attrs
            assert sent["claim"] is True
            assert (sent["claim_type"], sent["evidence"], sent["strength"]) == (
                a["claim_type"], a["evidence"], a["strength"]), (aid, sent["text"])
            assert (sent["advice"], sent["overclaim"], sent["from_context"]) == (
                a["advice"], a["overclaim"], a["from_context"]), (aid, sent["text"])
            linked = [cues[cid] for rid, cid in pred.links if rid == region.rid]
            assert [(c["start"], c["end"], c["level"]) for c in sent["cues"]] == [
                (*_stripped(text, c.start, c.end), c.level) for c in linked], (aid, sent["text"])
            if sent["from_context"]:  # the sentence before, or a study described elsewhere
                from_context += 1
                assert any(not (sent["start"] <= c["start"] < sent["end"])
                           for c in sent["cues"])
            if sent["evidence"] != "none" and not sent["cues"]:
                uncued += 1
    assert from_context > 10  # evidence from outside the sentence is covered
    if uncued:  # a level without a cue region is imported, and the annotator is told
        assert any("no cue region" in n for n in result.notes)
    res = cli("annotate", "import", path, "-o", tmp_path / "corpus.jsonl")
    assert res.exit_code == 0, res.output
    assert len(jsonl(tmp_path / "corpus.jsonl")) == len(predicted)


# --------------------------------------------------------------------------- long, hidden
def test_a_document_longer_than_one_piece_is_analysed_whole(nlp, monkeypatch):
    """Documents over the piece size (spaCy refuses over 1,000,000 characters) are cut at
    line ends, analysed piece by piece, and merged with offsets into the original text."""
    from kratom_nlp import api
    from kratom_nlp.ingest import read_text
    from kratom_nlp.outputs.contract import validate_analysis

    monkeypatch.setattr(api, "MAX_PIECE_CHARS", 3000)
    para = ("Kratom relieves chronic back pain in most adults. The weather was mild that day, "
            "and the market opened late.\n")
    text = para * 120  # about 14,000 characters: five pieces
    seen: list[int] = []
    original = nlp.__class__.__call__

    def spy(self, t, *a, **k):
        seen.append(len(t))
        return original(self, t, *a, **k)

    monkeypatch.setattr(nlp.__class__, "__call__", spy)
    analysis = api.analyze_document(read_text(text), nlp)
    assert len(seen) >= 4 and max(seen) <= 3000
    validate_analysis(analysis)
    assert len(analysis["claims"]) == 120
    assert [c["id"] for c in analysis["claims"]] == [f"c{i}" for i in range(1, 121)]
    for c in analysis["claims"]:
        assert text[c["start"]:c["end"]] == c["text"]
    assert any("pieces" in w for w in analysis["warnings"])
    assert analysis["summary"]["claims"] == 120


def test_pieces_never_exceed_spacys_limit():
    from kratom_nlp.api import MAX_PIECE_CHARS, pieces

    text = ("word " * 50 + "\n") * 8000 + "x" * 250_000  # 2.3 MB, a 250 KB run of one word
    parts = pieces(text)
    assert parts[0][0] == 0 and parts[-1][1] == len(text)
    assert all(b - a <= MAX_PIECE_CHARS for a, b in parts)
    assert all(parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1))
    assert MAX_PIECE_CHARS < 1_000_000


@pytest.mark.parametrize("hidden", ["kra\u200btom", "kra\u00adtom", "kr\u0430tom",
                                    "\u2060kratom"])
def test_invisible_and_look_alike_characters_do_not_hide_a_claim(nlp, hidden):
    from kratom_nlp.api import analyze

    clean = analyze("Kratom relieves chronic back pain in adults.", nlp=nlp)
    text = f"{hidden.capitalize() if hidden[0].isalpha() else hidden} relieves chronic back " \
           "pain in adults."
    got = analyze(text, nlp=nlp)
    assert len(got["claims"]) == len(clean["claims"]) == 1
    claim = got["claims"][0]
    assert got["text"] == text and text[claim["start"]:claim["end"]] == claim["text"]
    assert claim["overclaim"]["flag"] == clean["claims"][0]["overclaim"]["flag"]
    assert any("hidden or look-alike" in w for w in got["warnings"])


def test_a_bidi_override_does_not_change_the_evidence_level(nlp):
    from kratom_nlp.api import analyze
    from kratom_nlp.outputs.html import render_html

    base = "In a randomized controlled trial, kratom relieved back pain in adults."
    clean = analyze(base, nlp=nlp)
    text = base.replace("randomized", "\u202erandomized\u202c")
    got = analyze(text, nlp=nlp)
    assert [c["evidence"]["level"] for c in got["claims"]] == \
        [c["evidence"]["level"] for c in clean["claims"]]
    for c in got["claims"]:
        for cue in c["evidence"]["cues"]:
            assert text[cue["start"]:cue["end"]] == cue["text"]
    page = render_html(got)
    assert "\u202e" not in page and "[U+202E]" in page


def test_a_long_line_without_punctuation_is_cut_not_silently_empty(nlp, monkeypatch):
    from kratom_nlp import api

    # 25,560 characters with neither punctuation nor a line end: sentences over the segmenter's
    # 2,000 characters, and (with pieces of 10,000) piece cuts that must fall at a space
    monkeypatch.setattr(api, "MAX_PIECE_CHARS", 10_000)
    # a phrase every model reads as a claim (a bare "kratom relieves chronic pain" sits at the
    # claim threshold, and a retrained model may put it on either side)
    text = "a clinical trial found that kratom relieves chronic pain in adults and " * 360
    got = api.analyze(text, nlp=nlp)
    assert got["claims"], "a long unpunctuated line must not give a silent empty result"
    assert any("longer than" in w for w in got["warnings"])
    assert all(text[c["start"]:c["end"]] == c["text"] for c in got["claims"])
