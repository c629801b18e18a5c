"""Tests for the gold corpus (corpora/), its loaders and the agreement command."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from kratom_nlp.corpora.agreement import (
    AnnotationError,
    compare,
    load_annotations,
    register_loader,
    render_agreement,
)
from kratom_nlp.corpora.authoring import compile_file
from kratom_nlp.corpora.gold import SPLITS, iter_articles
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, GENRES, STRENGTHS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora"
ARTICLES = sorted((CORPUS / "articles").glob("*.json"))
GOLD = CORPUS / "gold"
FIX = ROOT / "tests" / "fixtures" / "agreement"
SHARED = ROOT.parent / "shared"


# --------------------------------------------------------------------------- the corpus


@pytest.fixture(scope="module")
def gold_articles() -> dict[str, list[dict]]:
    return {s: list(iter_articles(GOLD / f"{s}.jsonl")) for s in SPLITS}


@pytest.mark.parametrize("path", ARTICLES, ids=[p.stem for p in ARTICLES])
def test_every_article_compiles(path: Path) -> None:
    rec = compile_file(path)
    assert rec["id"] == path.stem
    for s in rec["sentences"]:
        assert rec["text"][s["start"]:s["end"]] == s["text"]
        # the guidelines: the advice flag belongs to claims, and an advice claim has type advice
        if s["advice"]:
            assert s["claim"] and s["claim_type"] == "advice", s["text"]
        if not s["claim"]:
            assert s["evidence"] == "none" and s["strength"] == "no_relationship", s["text"]


def test_gold_files_match_the_articles(gold_articles: dict[str, list[dict]]) -> None:
    """corpora/gold is rebuilt from corpora/articles (`kratom-nlp corpus build`)."""
    built = {a["id"]: a for recs in gold_articles.values() for a in recs}
    assert set(built) == {p.stem for p in ARTICLES}
    for path in ARTICLES:
        rec = compile_file(path)
        got = dict(built[rec["id"]])
        got.pop("split")
        assert got == rec, f"{path.name} changed since the last build"


def test_corpus_meets_the_minimums(gold_articles: dict[str, list[dict]]) -> None:
    from kratom_nlp.corpora import counts

    stats = counts()
    arts = [a for recs in gold_articles.values() for a in recs]
    sents = [s for a in arts for s in a["sentences"]]
    assert sum(stats[s]["articles"] for s in SPLITS) == len(arts) >= 60
    assert sum(stats[s]["sentences"] for s in SPLITS) == len(sents) >= 2000
    assert len({a["substance"] for a in arts}) >= 12
    assert {a["genre"] for a in arts} == set(GENRES) and len(GENRES) >= 7
    per_level = Counter(s["evidence"] for s in sents)
    for level in EVIDENCE_LEVELS:
        assert per_level[level] >= 60, (level, per_level[level])
    ids = {s: {a["id"] for a in gold_articles[s]} for s in SPLITS}
    assert not ids["train"] & ids["dev"]
    assert not ids["train"] & ids["test"]
    assert not ids["dev"] & ids["test"]
    assert all(ids[s] for s in SPLITS)


@pytest.mark.slow
def test_load_returns_a_datasetdict() -> None:
    import datasets

    from kratom_nlp.corpora import load

    dd = load()
    assert isinstance(dd, datasets.DatasetDict)
    assert set(dd) == {"train", "dev", "test"}
    feats = dd["train"].features
    assert feats["evidence"].names == list(EVIDENCE_LEVELS)
    assert feats["strength"].names == list(STRENGTHS)
    assert feats["claim_type"].names == ["none", *CLAIM_TYPES]
    first = dd["dev"][0]
    art = next(iter_articles(GOLD / "dev.jsonl"))
    assert first["article_id"] == art["id"]
    assert first["text"] == art["sentences"][0]["text"]
    assert feats["evidence"].int2str(first["evidence"]) == art["sentences"][0]["evidence"]


@pytest.mark.slow
def test_to_docbin_round_trip_keeps_claims_and_extensions() -> None:
    import spacy

    from kratom_nlp.corpora import to_docbin

    db = to_docbin(GOLD / "dev.jsonl")
    docs = list(db.get_docs(spacy.blank("en").vocab))
    arts = list(iter_articles(GOLD / "dev.jsonl"))
    assert len(docs) == len(arts)
    n_claims = 0
    for doc, art in zip(docs, arts, strict=True):
        assert doc.text == art["text"]
        gold = {s["start"]: s for s in art["sentences"] if s["claim"]}
        spans = list(doc.spans["claims"])
        assert len(spans) == len(gold)
        for span in spans:
            s = gold[span.start_char]
            assert span.label_ == s["claim_type"] == span._.claim_type
            assert span._.evidence_level == s["evidence"]
            assert span._.strength == s["strength"]
            assert span._.advice is s["advice"]
            assert span._.overclaim is s["overclaim"]
            assert span._.overclaim_reason == s["overclaim_reason"]
            assert list(span._.evidence_cues) == s["cues"]  # msgpack gives a tuple
        n_claims += len(spans)
    assert n_claims > 100


def test_corpus_build_into_a_copy(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    shutil.copytree(CORPUS / "articles", tmp_path / "articles")
    shutil.copy(CORPUS / "splits.json", tmp_path / "splits.json")
    res = CliRunner().invoke(app, ["corpus", "build", "--corpus", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for s in SPLITS:
        assert (tmp_path / "gold" / f"{s}.jsonl").read_text(encoding="utf-8") == (
            GOLD / f"{s}.jsonl").read_text(encoding="utf-8")
    res = CliRunner().invoke(app, ["corpus", "stats", "--gold", str(tmp_path / "gold")])
    assert res.exit_code == 0, res.output
    assert "Evidence level" in res.output and "systematic_review" in res.output


# --------------------------------------------------------------------------- agreement


@pytest.fixture()
def pair() -> tuple[dict, dict]:
    return load_annotations(FIX / "a"), load_annotations(FIX / "b")


def test_perfect_agreement_is_one(pair: tuple[dict, dict]) -> None:
    a, _ = pair
    rep = compare(a, a)
    assert rep["sentences"]["compared"] == 10 and rep["sentences"]["headings_skipped"] == 1
    for name, f in rep["fields"].items():
        assert f["agreement"] == 1.0, name
        assert f["kappa"] == pytest.approx(1.0), name
    assert rep["fields"]["strength"]["weighted_kappa"] == pytest.approx(1.0)
    assert rep["fields"]["evidence"]["alpha_nominal"] == pytest.approx(1.0)
    assert rep["fields"]["evidence"]["alpha_ordinal"] == pytest.approx(1.0)
    assert rep["disagreements"] == []


def test_known_disagreements(pair: tuple[dict, dict]) -> None:
    from sklearn.metrics import cohen_kappa_score

    a, b = pair
    rep = compare(a, b)
    f = rep["fields"]
    # claim: A says 8 of 10 are claims, B 7; they differ on one sentence.
    # po = 0.9, pe = (8*7 + 2*3) / 100 = 0.62, kappa = 0.28 / 0.38
    assert f["claim"]["n"] == 10 and f["claim"]["agreement"] == pytest.approx(0.9)
    assert f["claim"]["kappa"] == pytest.approx(0.28 / 0.38)
    assert f["claim"]["confusion"] == [[2, 0], [1, 7]]
    # overclaim: A 2, B 1; po = 0.9, pe = (2*1 + 8*9) / 100 = 0.74
    assert f["overclaim"]["kappa"] == pytest.approx(0.16 / 0.26)
    assert f["advice"]["kappa"] == pytest.approx(1.0)
    # claim_type only on the 7 sentences both call claims, all agreed
    assert f["claim_type"]["n"] == 7 and f["claim_type"]["kappa"] == pytest.approx(1.0)
    # evidence: two disagreements (observational/anecdotal, regulatory/none)
    # po = 0.8, pe = (1*1 + 6*7 + 1*1) / 100 = 0.44
    assert f["evidence"]["kappa"] == pytest.approx(0.36 / 0.56)
    # nominal alpha by hand: Do = 4/20, De = (400 - 180) / (20 * 19)
    assert f["evidence"]["alpha_nominal"] == pytest.approx(1 - (4 / 20) / (220 / 380))
    assert f["evidence"]["n_ordinal"] == 9  # the regulatory item is left out of the ladder
    assert 0.9 < f["evidence"]["alpha_ordinal"] < 1.0  # a near miss on the ladder
    # independent check of every kappa with sklearn on the aligned label columns
    keys = sorted(k for k in a if a[k]["kind"] != "heading")
    for field in ("claim", "advice", "overclaim", "evidence", "strength"):
        xa = [a[k][field] for k in keys]
        xb = [b[k][field] for k in keys]
        assert f[field]["kappa"] == pytest.approx(cohen_kappa_score(xa, xb)), field
    sa = [STRENGTHS.index(a[k]["strength"]) for k in keys]
    sb = [STRENGTHS.index(b[k]["strength"]) for k in keys]
    assert f["strength"]["weighted_kappa"] == pytest.approx(
        cohen_kappa_score(sa, sb, weights="quadratic", labels=[0, 1, 2, 3]))
    assert len(rep["disagreements"]) == 5


def test_alignment_reports_one_sided_items(pair: tuple[dict, dict]) -> None:
    a, b = pair
    b = dict(b)
    dropped = [k for k in sorted(b) if b[k]["kind"] != "heading"][3]
    del b[dropped]
    b[("fx-99-other", 0, 10)] = dict(b[sorted(b)[0]])
    rep = compare(a, b)
    assert rep["articles"]["only_b"] == ["fx-99-other"]
    assert [(s["article_id"], s["start"], s["end"]) for s in rep["sentences"]["only_a"]] == [
        dropped]
    assert rep["sentences"]["compared"] == 9
    common = compare(a, b, common_only=True)
    assert common["articles"]["only_b"] == ["fx-99-other"] and common["articles"]["common_only"]


def test_loader_reads_gold_jsonl_and_rejects_bad_input(tmp_path: Path) -> None:
    from kratom_nlp.corpora.authoring import compile_article

    src = FIX / "a" / "fx-01-zinc-news.json"
    rec = compile_article(json.loads(src.read_text(encoding="utf-8")))
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    assert load_annotations(jsonl) == load_annotations(src)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(AnnotationError, match="not valid JSON"):
        load_annotations(bad)
    with pytest.raises(AnnotationError, match="annotated twice"):
        load_annotations([src, jsonl])
    with pytest.raises(AnnotationError, match="no such file"):
        load_annotations(tmp_path / "missing.json")


def test_register_loader_extends_the_formats(tmp_path: Path) -> None:
    from kratom_nlp.corpora import agreement as ag

    def load_tsv(path: Path):
        for line in path.read_text(encoding="utf-8").splitlines():
            aid, start, end, claim = line.split("\t")
            yield (aid, int(start), int(end)), {"claim": claim == "1", "evidence": "none",
                                                 "strength": "no_relationship",
                                                 "advice": False, "overclaim": False,
                                                 "claim_type": None}

    before = list(ag._LOADERS)
    try:
        register_loader("toy-tsv", lambda p: p.suffix == ".tsv", load_tsv)
        f = tmp_path / "x.tsv"
        f.write_text("art\t0\t5\t1\nart\t6\t9\t0\n", encoding="utf-8")
        got = load_annotations(tmp_path)
        assert got[("art", 0, 5)]["claim"] is True and len(got) == 2
    finally:
        ag._LOADERS[:] = before


def test_agreement_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    out = tmp_path / "rep.json"
    res = CliRunner().invoke(app, ["agreement", str(FIX / "a"), str(FIX / "b"),
                                   "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["fields"]["claim"]["kappa"] == pytest.approx(0.28 / 0.38)
    md = render_agreement(compare(*(load_annotations(FIX / s) for s in "ab")), "markdown")
    assert "| claim | all sentences | 10 | 0.900 | 0.737 |" in md
    text = CliRunner().invoke(app, ["agreement", str(FIX / "a"), str(FIX / "b")])
    assert text.exit_code == 0 and "Agreement per field" in text.output
    missing = CliRunner().invoke(app, ["agreement", str(tmp_path / "nope"), str(FIX / "b")])
    assert missing.exit_code == 50  # CorpusError (kratom_nlp.errors)
    assert "no such file" in missing.output and len(missing.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- provenance

# Ten-word windows: the real press releases and stories in ../shared share the genre's stock
# phrases (a line naming the funding agency, a quote from an outside expert who had no part in
# the work) with any text written in that genre; a copied sentence still matches whole runs.
W = 10
# Official names that any text about regulators uses verbatim; each counts as one word, so that a
# shared agency name alone does not look like copied prose.
NAMES = ("U.S. Food and Drug Administration", "Food and Drug Administration",
         "Centers for Disease Control and Prevention", "European Medicines Agency",
         "Medicines and Healthcare products Regulatory Agency",
         "Therapeutic Goods Administration", "World Health Organization",
         "National Institute for Health and Care Excellence")
_NAME_RE = re.compile("|".join(re.escape(n) for n in NAMES), re.IGNORECASE)


def _shingles(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", _NAME_RE.sub(" agencyname ", text).lower())
    return {" ".join(words[i:i + W]) for i in range(len(words) - W + 1)}


def _strings(obj: object):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_nothing_copied_from_shared() -> None:
    data = SHARED / "data"
    if not data.exists():
        pytest.skip("../shared is not present")
    shared: set[str] = set()
    for seed in (SHARED / "seed").glob("*.txt"):
        shared |= _shingles(seed.read_text(encoding="utf-8"))
    for f in data.rglob("*.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for s in _strings(json.loads(line)):
                    shared |= _shingles(s)
    assert len(shared) > 10_000
    hits = []
    for f in sorted(CORPUS.rglob("*")):
        if f.suffix in (".md", ".txt", ".html"):
            texts = [f.read_text(encoding="utf-8")]
        elif f.suffix == ".json":
            texts = list(_strings(json.loads(f.read_text(encoding="utf-8"))))
        elif f.suffix == ".jsonl":
            texts = [s for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
                     for s in _strings(json.loads(line))]
        else:
            continue
        hits += [(f.relative_to(ROOT).as_posix(), w) for t in texts for w in _shingles(t)
                 if w in shared]
    assert hits == []
