"""Tests for the real-text corpus (corpora/real): stand-off records, loader, splits, agreement.

The texts are FakeHealth's and never in the repository; tests that need them read
``../shared/data/real_news`` (or ``$KRATOM_NLP_REAL_NEWS``) and are skipped when it is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kratom_nlp.corpora import real
from kratom_nlp.corpora.agreement import compare_real
from kratom_nlp.corpora.real import (
    DATA_ENV,
    SPLITS,
    RealCorpus,
    RealCorpusError,
    read_pool,
    text_sha256,
    validate_record,
)

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "corpora" / "real"
DATA = Path(os.environ.get(DATA_ENV) or ROOT.parent / "shared" / "data" / "real_news")
HAVE_DATA = all((DATA / name).is_file() for name in real.POOL_FILES)
needs_data = pytest.mark.skipif(
    not HAVE_DATA, reason=f"the FakeHealth real_news files are not at {DATA} "
                          f"(set {DATA_ENV}; see corpora/real/README.md)")
LAYERS = {"gold": REAL / "gold", "A": REAL / "annotations" / "A",
          "B": REAL / "annotations" / "B"}


def _records(layer: str) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(LAYERS[layer].glob("*.json"))}


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, dict[str, Any]]]:
    return {layer: _records(layer) for layer in LAYERS}


@pytest.fixture(scope="module")
def pool() -> dict[str, dict[str, Any]]:
    if not HAVE_DATA:
        pytest.skip(f"the FakeHealth real_news files are not at {DATA}")
    return read_pool(DATA)


# --------------------------------------------------------------------------- splits and records


def test_splits_disjoint_and_every_gold_id_in_exactly_one(records: dict) -> None:
    splits = RealCorpus(REAL).splits
    pools = {s: set(splits[s]["pool"]) for s in SPLITS}
    annotated = {s: set(splits[s]["annotated"]) for s in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            assert not pools[a] & pools[b], (a, b)
            assert not annotated[a] & annotated[b], (a, b)
    for s in SPLITS:
        assert annotated[s] <= pools[s], s
    gold = set(records["gold"])
    assert len(gold) >= 80
    for doc in gold:
        assert sum(doc in annotated[s] for s in SPLITS) == 1, doc
    assert gold == set().union(*annotated.values())
    assert set(records["A"]) == gold
    assert len(records["B"]) >= 15 and set(records["B"]) <= gold


def test_annotation_rounds_partition_each_split() -> None:
    corpus = RealCorpus(REAL)
    for split in SPLITS:
        rounds = corpus.rounds(split)
        ids = corpus.ids(split)
        assert sorted(i for r in rounds for i in r) == sorted(ids), split
        for k, chosen in enumerate(rounds):
            assert corpus.ids(f"{split}@{k}") == [i for i in ids if i in set(chosen)]
    # dev gained a second round: its first selection is still the 18 articles chosen first
    assert len(corpus.rounds("dev")) >= 2 and len(corpus.ids("dev@0")) == 18
    with pytest.raises(RealCorpusError, match="rounds 0"):
        corpus.ids(f"dev@{len(corpus.rounds('dev'))}")
    with pytest.raises(RealCorpusError, match="unknown split"):
        corpus.ids("holdout")


def test_records_hold_no_text(records: dict) -> None:
    def keys(obj: Any) -> set[str]:
        if isinstance(obj, dict):
            return set(obj) | {k for v in obj.values() for k in keys(v)}
        if isinstance(obj, list):
            return {k for v in obj for k in keys(v)}
        return set()

    for layer, recs in records.items():
        for doc, rec in recs.items():
            found = keys(rec) & {"text", "title", "sentence_text", "context"}
            assert not found, (layer, doc, found)
            assert len(rec["sha256"]) == 64


def test_every_record_valid_without_text(records: dict) -> None:
    for layer, recs in records.items():
        for rec in recs.values():
            assert validate_record(rec) == [], layer


def test_gold_keeps_the_annotated_segmentation(records: dict) -> None:
    for doc, gold in records["gold"].items():
        a = records["A"][doc]
        assert gold["sha256"] == a["sha256"]
        assert [(s["start"], s["end"]) for s in gold["sentences"]] == \
            [(s["start"], s["end"]) for s in a["sentences"]], doc


# --------------------------------------------------------------------------- with the texts


@needs_data
def test_every_label_valid_against_its_text(records: dict, pool: dict) -> None:
    for layer, recs in records.items():
        for doc, rec in recs.items():
            assert text_sha256(pool[doc]["text"]) == rec["sha256"], (layer, doc)
            assert validate_record(rec, pool[doc]["text"]) == [], (layer, doc)


@needs_data
def test_offsets_on_token_boundaries(records: dict, pool: dict) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    bad = []
    for doc, rec in records["gold"].items():
        text = pool[doc]["text"]
        tokens = nlp.make_doc(text)
        starts = {t.idx for t in tokens}
        ends = {t.idx + len(t.text) for t in tokens}
        spans = [(s["start"], s["end"]) for s in rec["sentences"]]
        spans += [(c["start"], c["end"]) for s in rec["sentences"] for c in s["cues"]]
        spans += [(st["start"], st["end"]) for st in rec["studies"]]
        for a, b in spans:
            ok_a = a in starts or text[a - 1:a].isspace() or text[a:a + 1].isspace()
            ok_b = b in ends or text[b:b + 1].isspace() or text[b - 1:b].isspace()
            if not (ok_a and ok_b):
                bad.append((doc, a, b))
    assert bad == []


@needs_data
def test_load_resolves_texts(pool: dict) -> None:
    arts = real.load("dev", DATA)
    assert len(arts) == len(RealCorpus(REAL).ids("dev"))
    for art in arts:
        assert art["split"] == "dev" and text_sha256(art["text"]) == art["sha256"]
        for s in art["sentences"]:
            assert s["text"] == art["text"][s["start"]:s["end"]]
            for c in s["cues"]:
                assert c["text"] == art["text"][c["start"]:c["end"]]
        for st in art["studies"]:
            assert st["text"] == art["text"][st["start"]:st["end"]]
    assert {a["split"] for a in real.load(pool=pool)} == set(SPLITS)
    assert len(real.load("test", layer="B", pool=pool)) <= len(RealCorpus(REAL).ids("test"))


@needs_data
def test_changed_text_is_refused(pool: dict) -> None:
    doc = RealCorpus(REAL).ids("train")[0]
    changed = {**pool, doc: {**pool[doc], "text": pool[doc]["text"].replace(" ", "  ", 1)}}
    with pytest.raises(RealCorpusError, match=f"{doc}.*differs"):
        real.load("train", pool=changed)


@needs_data
def test_missing_text_gives_a_clear_error(pool: dict) -> None:
    doc = RealCorpus(REAL).ids("dev")[0]
    missing = {k: v for k, v in pool.items() if k != doc}
    with pytest.raises(RealCorpusError) as err:
        real.load("dev", pool=missing)
    msg = str(err.value)
    assert doc in msg and "--data-dir" in msg and DATA_ENV in msg
    assert "../shared/data/real_news" in msg


def test_missing_data_folder_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RealCorpusError) as err:
        real.load("dev", tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg and "--data-dir" in msg and DATA_ENV in msg


@needs_data
def test_environment_variable_points_at_the_data(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the defaults (./corpora, ../shared/...) do not exist here
    monkeypatch.setenv(DATA_ENV, str(DATA.resolve()))
    monkeypatch.setenv("KRATOM_NLP_CORPORA", str(REAL.parent.resolve()))
    assert len(real.load("test")) == len(RealCorpus(REAL).ids("test"))


@needs_data
def test_corpora_load_exposes_both_corpora() -> None:
    import inspect

    from kratom_nlp import corpora

    assert inspect.signature(corpora.load).parameters["corpus"].default == "written"
    arts = corpora.load(corpus="real", split="test", data_dir=DATA)
    assert len(arts) == len(RealCorpus(REAL).ids("test"))
    with pytest.raises(ValueError):
        corpora.load(corpus="invented")


# --------------------------------------------------------------------------- commands


def test_agreement_command_on_a_vs_b(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kratom_nlp.cli import app
    from kratom_nlp.cli import corpus as _corpus  # noqa: F401  (registers the commands)

    out = tmp_path / "report.json"
    res = CliRunner().invoke(app, ["agreement", str(LAYERS["A"]), str(LAYERS["B"]),
                                   "--format", "json", "--output", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["articles"]["both"] == len(list(LAYERS["B"].glob("*.json")))
    assert rep["articles"]["a_restricted_to_b"] and not rep["articles"]["only_b"]
    for field in ("claim", "claim_type", "evidence", "strength", "advice", "overclaim"):
        assert rep["fields"][field]["kappa"] is not None, field
    assert rep["fields"]["strength"]["weighted_kappa"] is not None
    assert rep["fields"]["evidence"]["alpha_nominal"] is not None
    assert 0 < rep["real"]["studies"]["f1"] <= 1
    assert rep["real"]["links"]["linked_by_both"] > 0
    assert all("text" not in d for d in rep["disagreements"])
    # the committed report is what the command gives today
    committed = json.loads((REAL / "agreement" / "report.json").read_text(encoding="utf-8"))
    assert committed["fields"] == rep["fields"] and committed["real"] == rep["real"]
    assert "Generated by `kratom-nlp agreement" in \
        (REAL / "agreement" / "report.md").read_text(encoding="utf-8")


def test_compare_real_matches_by_span_overlap(records: dict) -> None:
    doc = next(iter(records["B"]))
    b = {doc: records["B"][doc]}
    rep = compare_real(b, b)
    assert rep["real"]["studies"]["f1"] in (None, 1.0)
    assert rep["disagreements"] == []


def test_stats_real_counts(records: dict, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kratom_nlp.cli import app
    from kratom_nlp.cli import corpus as _corpus  # noqa: F401

    out = tmp_path / "stats.json"
    res = CliRunner().invoke(app, ["corpus", "stats", "--real", "--format", "json",
                                   "--output", str(out)])
    assert res.exit_code == 0, res.output
    stats = json.loads(out.read_text(encoding="utf-8"))
    assert sum(stats[s]["articles"] for s in SPLITS) == len(records["gold"])
    sentences = sum(len(r["sentences"]) for r in records["gold"].values())
    assert sum(stats[s]["sentences"] for s in SPLITS) == sentences >= 3000
    for s in SPLITS:
        assert sum(stats[s]["evidence"].values()) == stats[s]["claims"]
        assert sum(stats[s]["strength"].values()) == stats[s]["claims"]
        assert stats[s]["overclaims"] <= stats[s]["claims"]
