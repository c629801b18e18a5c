"""The annotators' loop: export to Label Studio / Prodigy, import back (and from doccano),
hand edits, malformed files, backups, active learning, the merge hook and model comparison."""

from __future__ import annotations

import copy
import json
import xml.dom.minidom
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

MINI = FIXTURES / "annotate" / "mini_gold"
ARTICLES = FIXTURES / "annotate" / "articles"
GOLD_TEST = ROOT / "corpora" / "gold" / "test.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def mini_file(tmp_path_factory) -> Path:
    """All fixture gold articles in one JSONL."""
    path = tmp_path_factory.mktemp("mini") / "mini.jsonl"
    path.write_text("".join((MINI / f"{s}.jsonl").read_text("utf-8")
                            for s in ("train", "dev", "test")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runner():
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    return lambda *a: CliRunner().invoke(app, list(a), catch_exceptions=False)


def export(nlp, src: Path, fmt: str, docs_of=None) -> list[dict]:
    """Tasks for ``src``; with ``docs_of`` (the session's Doc cache), Docs analysed once."""
    from kratom_nlp.annotate.exporting import build_tasks
    from kratom_nlp.annotate.sources import collect_sources

    sources = collect_sources(src)
    docs = docs_of([s.text for s in sources]) if docs_of else None
    return build_tasks(sources, nlp, fmt, docs=docs)


def write_tasks(tasks: list[dict], path: Path, fmt: str = "labelstudio") -> Path:
    from kratom_nlp.annotate.exporting import render

    path.write_text(render(tasks, fmt), encoding="utf-8")
    return path


def import_records(path: Path, **kw) -> list[dict]:
    from kratom_nlp.annotate.importing import import_file

    res = import_file(path, **kw)
    assert list(res.records) == [""]
    return res.records[""]


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def ann_result(task: dict) -> list[dict]:
    return task["annotations"][0]["result"]


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("fmt,suffix", [("labelstudio", "json"), ("prodigy", "jsonl")])
def test_round_trip_fixture(nlp, mini_file, tmp_path, fmt, suffix):
    gold = read_jsonl(mini_file)
    tasks = export(nlp, mini_file, fmt)
    assert len(tasks) == len(gold)
    back = import_records(write_tasks(tasks, tmp_path / f"t.{suffix}", fmt))
    assert back == gold  # every label, offset, kind, cue order and meta field


@pytest.mark.slow
@pytest.mark.parametrize("fmt,suffix", [("labelstudio", "json"), ("prodigy", "jsonl")])
def test_round_trip_real_test_split(nlp, docs_of, tmp_path, fmt, suffix):
    gold = read_jsonl(GOLD_TEST)
    back = import_records(write_tasks(export(nlp, GOLD_TEST, fmt, docs_of), tmp_path /
                                      f"t.{suffix}", fmt))
    assert back == gold


def test_export_content_labelstudio(nlp, mini_file):
    from kratom_nlp import __version__
    from kratom_nlp.annotate.exporting import validate_labelstudio

    gold = by_id(read_jsonl(mini_file))
    tasks = export(nlp, mini_file, "labelstudio")
    validate_labelstudio(tasks)
    for task in tasks:
        rec = gold[task["data"]["article_id"]]
        assert task["data"]["text"] == rec["text"]
        pred = task["predictions"][0]
        backends = {nlp.get_pipe(c).backend.name
                    for c in ("kratom_claims", "kratom_evidence", "kratom_strength")}
        assert pred["model_version"].startswith(f"kratom_nlp-{__version__}-")
        assert all(b in pred["model_version"] for b in backends)
        assert 0.0 <= pred["score"] <= 1.0
        claims = [r for r in ann_result(task) if r.get("from_name") == "claim"]
        assert len(claims) == sum(s["claim"] or s["evidence"] != "none" or s["advice"]
                                  for s in rec["sentences"])
        for r in claims:
            v = r["value"]
            assert v["text"] == rec["text"][v["start"]:v["end"]]
    # the per-region choices share their region's id; relations join sentences to cues
    res = ann_result(tasks[0])
    region_ids = {r["id"] for r in res if r["type"] == "labels"}
    assert all(r["id"] in region_ids for r in res
               if r["type"] == "choices" and r["from_name"] not in ("genre", "stance"))
    rels = [r for r in res if r["type"] == "relation"]
    assert rels and all(r["from_id"].startswith("s") and r["to_id"].startswith("q")
                        for r in rels)


def test_export_raw_articles_are_predictions_only(nlp, tmp_path):
    tasks = export(nlp, ARTICLES, "labelstudio")
    assert {t["data"]["article_id"] for t in tasks} == {"chamomile-forum", "ginseng-blog",
                                                        "valerian-news"}
    for t in tasks:
        assert "annotations" not in t and t["predictions"][0]["result"]
    from kratom_nlp.annotate.errors import NothingToImportError
    from kratom_nlp.annotate.importing import import_file

    with pytest.raises(NothingToImportError, match="no annotation"):
        import_file(write_tasks(tasks, tmp_path / "raw.json"))
    # Prodigy pre-annotations carry no answer: they cannot be imported unreviewed
    ptasks = export(nlp, ARTICLES, "prodigy")
    assert all("answer" not in t and t["spans"] and t["tokens"] for t in ptasks)
    for t in ptasks:
        for sp in t["spans"]:
            assert sp["text"] == t["text"][sp["start"]:sp["end"]]


def test_cli_export_import_and_config(runner, mini_file, tmp_path):
    out = tmp_path / "tasks.json"
    res = runner("annotate", "export", str(mini_file), "-o", str(out))
    assert res.exit_code == 0, res.output
    cfg = tmp_path / "tasks.labelconfig.xml"
    dom = xml.dom.minidom.parseString(cfg.read_text("utf-8"))
    controls = {e.getAttribute("name"): e for tag in ("Labels", "Choices", "TextArea")
                for e in dom.getElementsByTagName(tag)}
    from kratom_nlp.annotate.labels import REGION_CHOICES

    assert controls["claim"].getAttribute("toName") == "text"
    for name in REGION_CHOICES:
        assert controls[name].getAttribute("perRegion") == "true"
    assert controls["overclaim_reason"].tagName == "TextArea"
    back = tmp_path / "back.jsonl"
    res = runner("annotate", "import", str(out), "-o", str(back))
    assert res.exit_code == 0, res.output
    assert read_jsonl(back) == read_jsonl(mini_file)


# --------------------------------------------------------------------------- hand edits

def test_hand_edited_labelstudio_export(nlp, mini_file, tmp_path):
    gold = by_id(read_jsonl(mini_file))
    tasks = {t["data"]["article_id"]: t for t in export(nlp, mini_file, "labelstudio")}
    # 1. change one label: the strength of fx-01 sentence 5
    res1 = ann_result(tasks["fx-01-ginseng-news"])
    (item,) = [r for r in res1 if r.get("id") == "s5" and r.get("from_name") == "strength"]
    assert item["value"]["choices"] == ["correlational"]
    item["value"]["choices"] = ["direct_causal"]
    # 2. move one span: the cue "online survey" of fx-03 becomes "an online survey"
    res3 = ann_result(tasks["fx-03-chamomile-forum"])
    (cue,) = [r for r in res3 if r.get("from_name") == "cue"
              and r["value"]["text"] == "online survey"]
    cue["value"]["start"] -= 3
    cue["value"]["text"] = "an online survey"
    # 3. delete one region: the advice claim of fx-01 (sentence 8) with its choices
    tasks["fx-01-ginseng-news"]["annotations"][0]["result"] = [
        r for r in res1 if r.get("id") != "s8"]
    back = by_id(import_records(write_tasks(list(tasks.values()), tmp_path / "edited.json")))

    expected = copy.deepcopy(gold)
    s5 = expected["fx-01-ginseng-news"]["sentences"][4]
    s5["strength"] = "direct_causal"
    s8 = expected["fx-01-ginseng-news"]["sentences"][7]
    s8.update(claim=False, claim_type=None, strength="no_relationship", advice=False)
    survey = [s for s in expected["fx-03-chamomile-forum"]["sentences"]
              if s["cues"] and s["cues"][0]["text"] == "online survey"][0]
    survey["cues"][0]["start"] -= 3
    survey["cues"][0]["text"] = "an online survey"
    assert back == expected
    changed = [(a, i) for a in gold for i, (x, y) in
               enumerate(zip(gold[a]["sentences"], back[a]["sentences"], strict=True)) if x != y]
    assert changed == [("fx-01-ginseng-news", 4), ("fx-01-ginseng-news", 7),
                       ("fx-03-chamomile-forum", 3)]


def test_hand_edited_prodigy_export(nlp, mini_file, tmp_path):
    gold = by_id(read_jsonl(mini_file))
    tasks = export(nlp, mini_file, "prodigy")
    task = next(t for t in tasks if t["meta"]["article_id"] == "fx-02-valerian-seo_copy")
    # the Non-claim sentence "A review ..." loses its cue span; its evidence goes to none
    review = next(sp for sp in task["spans"] if sp["label"] == "SYSTEMATIC_REVIEW")
    task["spans"].remove(review)
    (nc,) = [sp for sp in task["spans"] if sp["label"] == "NON_CLAIM"
             and sp["text"].startswith("A review")]
    nc["evidence"] = "none"
    back = by_id(import_records(write_tasks(tasks, tmp_path / "p.jsonl", "prodigy")))
    expected = copy.deepcopy(gold)
    s = expected["fx-02-valerian-seo_copy"]["sentences"][2]
    assert s["text"].startswith("A review")
    s.update(evidence="none", cues=[])
    assert back == expected


def test_doccano_import(tmp_path):
    rec = read_jsonl(MINI / "test.jsonl")[0]  # fx-04: one mechanism claim, cue "In vitro"
    claim = next(s for s in rec["sentences"] if s["claim"])
    cue = claim["cues"][0]
    line = {"id": 7, "text": rec["text"], "article_id": rec["id"],
            "meta": {k: rec[k] for k in ("title", "genre", "substance", "stance", "version",
                                          "annotator")},
            "label": [[claim["start"], claim["end"], "Claim"],
                      [claim["start"], claim["end"], "mechanism"],
                      [claim["start"], claim["end"], "direct_causal"],
                      [claim["start"], claim["end"], "preclinical"],
                      [cue["start"], cue["end"], "preclinical"]]}
    path = tmp_path / "doccano.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (back,) = import_records(path)
    assert back == {k: v for k, v in rec.items() if k != "split"}
    # the "entities" export, with a relation joining the claim to its cue
    ents = {"id": 7, "text": rec["text"], "article_id": rec["id"], "meta": line["meta"],
            "entities": [{"id": i, "start_offset": s, "end_offset": e, "label": lab}
                         for i, (s, e, lab) in enumerate(line["label"], 1)],
            "relations": [{"id": 1, "from_id": 1, "to_id": 5, "type": "cites"}]}
    path.write_text(json.dumps(ents) + "\n", encoding="utf-8")
    (back,) = import_records(path)
    assert back == {k: v for k, v in rec.items() if k != "split"}
    line["label"].append([0, 5, "Gizmo"])
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    from kratom_nlp.annotate.errors import ImportFailed, UnknownLabelError

    with pytest.raises(ImportFailed) as exc:
        import_records(path)
    assert isinstance(exc.value.problems[0], UnknownLabelError)
    assert "'gizmo'" in str(exc.value.problems[0]) and "fx-04" in str(exc.value.problems[0])


# --------------------------------------------------------------------------- malformed input

@pytest.fixture(scope="module")
def ls_tasks(nlp, mini_file) -> list[dict]:
    return export(nlp, mini_file, "labelstudio")


def problems_of(path: Path, **kw) -> list:
    from kratom_nlp.annotate.errors import ImportFailed
    from kratom_nlp.annotate.importing import import_file

    with pytest.raises(ImportFailed) as exc:
        import_file(path, **kw)
    return exc.value.problems


def test_truncated_json_names_the_position(ls_tasks, tmp_path, runner):
    from kratom_nlp.annotate.errors import JSONSyntaxError
    from kratom_nlp.annotate.exporting import render
    from kratom_nlp.annotate.importing import import_file

    text = render(ls_tasks, "labelstudio")
    cut = text.index('"id": 2') + 300
    path = tmp_path / "cut.json"
    path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(JSONSyntaxError) as exc:
        import_file(path)
    msg = str(exc.value)
    line = text[:cut].count("\n") + 1
    assert "truncated JSON" in msg and "task #2" in msg and f"line {line}" in msg
    res = runner("annotate", "import", str(path), "-o", str(tmp_path / "x.jsonl"))
    assert res.exit_code == 32 and "truncated JSON" in res.output
    assert not (tmp_path / "x.jsonl").exists()


def test_wrong_offsets_are_reported_per_task(ls_tasks, tmp_path, runner):
    tasks = copy.deepcopy(ls_tasks)
    for t in tasks[:2]:
        region = next(r for r in ann_result(t) if r.get("from_name") == "claim")
        region["value"]["start"] += 2  # the text no longer matches
    path = write_tasks(tasks, tmp_path / "off.json")
    probs = problems_of(path)
    from kratom_nlp.annotate.errors import OffsetError

    offs = [p for p in probs if isinstance(p, OffsetError)]
    assert [p.task for p in offs] == ["1", "2"]
    assert "differs from the task text" in str(offs[0]) and "task 1" in str(offs[0])
    res = runner("annotate", "import", str(path), "-o", str(tmp_path / "x.jsonl"))
    assert res.exit_code == 33 and "task 1" in res.output and "task 2" in res.output


def test_unknown_label_and_choice_name_the_task(ls_tasks, tmp_path, runner):
    from kratom_nlp.annotate.errors import UnknownLabelError

    tasks = copy.deepcopy(ls_tasks)
    res2 = ann_result(tasks[1])
    next(r for r in res2 if r.get("from_name") == "claim")["value"]["labels"] = ["Claimz"]
    next(r for r in res2 if r.get("from_name") == "advice")["value"]["choices"] = ["maybe"]
    path = write_tasks(tasks, tmp_path / "unknown.json")
    probs = problems_of(path)
    assert all(isinstance(p, UnknownLabelError) and p.task == "2" for p in probs)
    text = " | ".join(map(str, probs))
    assert "'Claimz'" in text and "'maybe'" in text
    res = runner("annotate", "import", str(path), "-o", str(tmp_path / "x.jsonl"))
    assert res.exit_code == 34


def test_lossy_files_are_refused(ls_tasks, tmp_path):
    from kratom_nlp.annotate.errors import LossyImportError

    tasks = copy.deepcopy(ls_tasks)
    res1 = ann_result(tasks[0])
    cue = next(r for r in res1 if r.get("from_name") == "cue")
    cue["value"]["labels"] = ["clinical_trial", "observational"]  # one cue, two levels
    probs = problems_of(write_tasks(tasks, tmp_path / "two.json"))
    assert len(probs) == 1 and isinstance(probs[0], LossyImportError)
    assert "2 labels" in str(probs[0])
    # a Non-claim sentence cannot hold a claim type
    tasks = copy.deepcopy(ls_tasks)
    fx02 = next(t for t in tasks if t["data"]["article_id"] == "fx-02-valerian-seo_copy")
    res = ann_result(fx02)
    nc = next(r for r in res if r.get("from_name") == "claim"
              and r["value"]["labels"] == ["Non-claim"])
    res.append({"id": nc["id"], "from_name": "claim_type", "to_name": "text",
                "type": "choices", "value": {"start": nc["value"]["start"],
                                             "end": nc["value"]["end"],
                                             "choices": ["efficacy"]}})
    probs = problems_of(write_tasks(tasks, tmp_path / "nc.json"))
    assert [type(p) for p in probs] == [LossyImportError]
    assert "claim_type" in str(probs[0])
    # --skip-invalid writes the other tasks and lists the refused one
    from kratom_nlp.annotate.importing import import_file

    result = import_file(tmp_path / "nc.json", skip_invalid=True)
    assert result.count == len(tasks) - 1 and len(result.skipped) == 1


def test_several_annotations_need_a_choice(ls_tasks, tmp_path):
    from kratom_nlp.annotate.errors import LossyImportError
    from kratom_nlp.annotate.importing import import_file

    tasks = copy.deepcopy(ls_tasks[:1])
    first = tasks[0]["annotations"][0]
    first.update(completed_by={"email": "a@example.org"}, created_at="2025-01-01T10:00:00Z")
    second = copy.deepcopy(first)
    second.update(completed_by={"email": "b@example.org"}, created_at="2025-01-02T10:00:00Z")
    next(r for r in second["result"] if r.get("from_name") == "strength")["value"][
        "choices"] = ["no_relationship"]
    tasks[0]["annotations"].append(second)
    path = write_tasks(tasks, tmp_path / "two.json")
    probs = problems_of(path)
    assert isinstance(probs[0], LossyImportError) and "2 annotations" in str(probs[0])
    latest = import_file(path, multi="latest")
    assert latest.records[""][0]["annotator"] == "b@example.org"
    per = import_file(path, multi="per-annotator")
    assert sorted(per.records) == ["a@example.org", "b@example.org"]
    from kratom_nlp.annotate.importing import output_paths

    assert output_paths(tmp_path / "out.jsonl", sorted(per.records))["a@example.org"].name == \
        "out.a-example.org.jsonl"


def test_json_min_export(ls_tasks, tmp_path):
    """Label Studio's JSON_MIN: regions without ids; bare per-region choices are accepted only
    when a task has one sentence region."""
    from kratom_nlp.annotate.errors import LossyImportError

    task = next(t for t in ls_tasks if t["data"]["article_id"] == "fx-04-elderberry-abstract")
    res = ann_result(task)
    rec = {"text": task["data"]["text"], "article_id": task["data"]["article_id"],
           "meta": task["data"]["meta"], "id": 4, "annotator": 3, "annotation_id": 9}
    for control in ("claim", "cue"):
        rec[control] = [dict(r["value"]) for r in res if r.get("from_name") == control]
    for r in res:
        if r["type"] == "choices":
            rec[r["from_name"]] = r["value"]["choices"][0]
    assert len(rec["claim"]) == 1
    path = tmp_path / "min.json"
    path.write_text(json.dumps([rec]), encoding="utf-8")
    (back,) = import_records(path)
    gold = read_jsonl(MINI / "test.jsonl")[0]
    assert back["sentences"] == gold["sentences"] and back["annotator"] == "ls-user-3"
    two = copy.deepcopy(rec)
    two["claim"].append({"start": 0, "end": 34, "text": two["text"][:34],
                         "labels": ["Non-claim"]})
    path.write_text(json.dumps([two]), encoding="utf-8")
    probs = problems_of(path)
    assert isinstance(probs[0], LossyImportError) and "JSON_MIN" in str(probs[0])


def test_backup_before_overwrite(runner, mini_file, tmp_path):
    out = tmp_path / "corpus.jsonl"
    out.write_text("old content\n", encoding="utf-8")
    tasks = tmp_path / "tasks.json"
    assert runner("annotate", "export", str(mini_file), "-o", str(tasks)).exit_code == 0
    res = runner("annotate", "import", str(tasks), "-o", str(out))
    assert res.exit_code == 0
    backups = list(tmp_path.glob("corpus.jsonl.bak-*"))
    assert len(backups) == 1 and backups[0].read_text("utf-8") == "old content\n"
    assert read_jsonl(out) == read_jsonl(mini_file)
    # export backs up the task file and its config too
    assert runner("annotate", "export", str(mini_file), "-o", str(tasks)).exit_code == 0
    assert len(list(tmp_path.glob("tasks.json.bak-*"))) == 1
    assert len(list(tmp_path.glob("tasks.labelconfig.xml.bak-*"))) == 1


# --------------------------------------------------------------------------- schema

def test_labelstudio_schema_matches_the_label_set(ls_tasks):
    import jsonschema

    from kratom_nlp.annotate.exporting import validate_labelstudio
    from kratom_nlp.annotate.labels import CUE_LEVELS, REGION_CHOICES, ROLES
    from kratom_nlp.resources import RESOURCE_DIR

    validate_labelstudio(ls_tasks)
    schema = json.loads((RESOURCE_DIR / "labelstudio_task.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    region = schema["$defs"]["labels_region"]["allOf"]
    enums = [r["then"]["properties"]["value"]["properties"]["labels"]["items"]["enum"]
             for r in region]
    assert enums == [list(ROLES), list(CUE_LEVELS)]
    choice_enums = {r["if"]["properties"]["from_name"]["const"]:
                    r["then"]["properties"]["value"]["properties"]["choices"]["items"]["enum"]
                    for r in schema["$defs"]["choices"]["allOf"]
                    if "const" in r["if"]["properties"]["from_name"]}
    assert {k: choice_enums[k] for k in REGION_CHOICES} == {k: list(v) for k, v in
                                                            REGION_CHOICES.items()}
    bad = copy.deepcopy(ls_tasks)
    ann_result(bad[0])[0]["value"]["labels"] = ["Claimz"]
    with pytest.raises(jsonschema.ValidationError):
        validate_labelstudio(bad)
    bad = copy.deepcopy(ls_tasks)
    del bad[0]["data"]["text"]
    with pytest.raises(jsonschema.ValidationError):
        validate_labelstudio(bad)


# --------------------------------------------------------------------------- active learning

def test_next_ranks_distinct_items_by_score(nlp):
    from kratom_nlp.annotate.active import rank
    from kratom_nlp.annotate.sources import collect_sources

    sources = collect_sources(ARTICLES)
    chosen = rank(sources, nlp, 6)
    assert len(chosen) == 6
    assert len({it.id for it in chosen}) == 6 and len({it.text for it in chosen}) == 6
    scores = [it.score for it in chosen]
    assert scores == sorted(scores, reverse=True)
    assert [it.rank for it in chosen] == [1, 2, 3, 4, 5, 6]
    assert all(0.0 <= it.uncertainty <= 1.0 for it in chosen)
    pool = rank(sources, nlp, 500, strategy="entropy")
    assert len(pool) == len({it.id for it in pool}) < 500  # the whole pool, once each
    arts = rank(sources, nlp, 5, unit="article")
    assert [a.article_id for a in arts] and len(arts) == 3
    assert [a.score for a in arts] == sorted((a.score for a in arts), reverse=True)


def test_mmr_prefers_diversity():
    from kratom_nlp.annotate.active import Item, mmr_select

    def item(i: str, text: str, u: float) -> Item:
        return Item(i, "a", 0, 1, text, "sentence", 0.5, u, 0.0, 0.0, u)

    items = [item("1", "ginseng cures fatigue fast", 0.9),
             item("2", "ginseng cures fatigue fast today", 0.89),
             item("3", "valerian helps sleep in trials", 0.7)]
    assert [it.id for it in mmr_select(items, 2, lam=0.5)] == ["1", "3"]
    assert [it.id for it in mmr_select(items, 2, lam=1.0)] == ["1", "2"]


def test_cli_next_writes_tasks(runner, tmp_path):
    from kratom_nlp.annotate.exporting import validate_labelstudio

    out = tmp_path / "next.json"
    res = runner("annotate", "next", str(ARTICLES), "--n", "4", "-o", str(out), "--json")
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [x["rank"] for x in lines] == [1, 2, 3, 4]
    tasks = json.loads(out.read_text("utf-8"))
    validate_labelstudio(tasks)
    assert len(tasks) == 4
    for t, x in zip(tasks, lines, strict=True):
        meta = t["data"]["meta"]
        s, e = meta["focus"]
        assert t["data"]["text"][s:e] == x["text"]  # the excerpt holds the chosen sentence


def test_format_detection(nlp, mini_file, tmp_path):
    from kratom_nlp.annotate.errors import FormatError
    from kratom_nlp.annotate.importing import detect_format

    ls = write_tasks(export(nlp, ARTICLES, "labelstudio")[:1], tmp_path / "a.json")
    assert detect_format(ls.read_text("utf-8"), ls) == "labelstudio"
    pr = write_tasks(export(nlp, ARTICLES, "prodigy")[:1], tmp_path / "a.txt", "prodigy")
    assert detect_format(pr.read_text("utf-8"), pr) == "prodigy"
    dc = tmp_path / "d.jsonl"
    dc.write_text('{"text": "x", "label": []}\n', encoding="utf-8")
    assert detect_format(dc.read_text("utf-8"), dc) == "doccano"
    with pytest.raises(FormatError, match="already a corpus file"):
        detect_format(mini_file.read_text("utf-8"), mini_file)


# --------------------------------------------------------------------------- retrain hook

def test_merge_imported(tmp_path):
    from kratom_nlp.annotate.merge import corpus_version, merge_imported
    from kratom_nlp.corpora.gold import counts
    from kratom_nlp.errors import OutputError

    edited = copy.deepcopy(read_jsonl(MINI / "dev.jsonl")[0])
    edited["sentences"][1]["advice"] = True
    new = copy.deepcopy(read_jsonl(MINI / "test.jsonl")[0])
    new["id"] = "fx-99-new"
    new.pop("split")
    imported = tmp_path / "imported.jsonl"
    imported.write_text("".join(json.dumps(r) + "\n" for r in (edited, new)), encoding="utf-8")
    out = tmp_path / "merged"
    info = merge_imported(MINI, [imported], out)
    assert info["replaced"] == [edited["id"]] and info["added"] == ["fx-99-new"]
    dev = read_jsonl(out / "dev.jsonl")
    assert dev[0]["sentences"][1]["advice"] is True and dev[0]["split"] == "dev"
    train = read_jsonl(out / "train.jsonl")
    assert train[-1]["id"] == "fx-99-new" and train[-1]["split"] == "train"
    assert read_jsonl(out / "test.jsonl") == read_jsonl(MINI / "test.jsonl")
    version = json.loads((out / "VERSION.json").read_text("utf-8"))
    texts = {s: (out / f"{s}.jsonl").read_text("utf-8") for s in ("train", "dev", "test")}
    assert version["corpus_version"] == corpus_version(texts) == info["corpus_version"]
    assert counts(out)["train"]["articles"] == 3
    again = merge_imported(MINI, [imported], tmp_path / "merged2")
    assert again["corpus_version"] == info["corpus_version"]  # content hash only
    assert merge_imported(MINI, [], tmp_path / "plain")["corpus_version"] != \
        info["corpus_version"]
    with pytest.raises(OutputError):
        merge_imported(MINI, [imported], MINI)


def test_compare_models_with_rules_model_dirs(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_models",
                                                  ROOT / "eval" / "compare_models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text('{"backend": "rules"}', encoding="utf-8")
    out = tmp_path / "cmp.json"
    assert mod.main([str(tmp_path / "old"), str(tmp_path / "new"), "--corpus", str(MINI),
                     "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "claim.f1" in printed and "improved: no" in printed
    result = json.loads(out.read_text("utf-8"))
    assert result["improved"] is False
    assert all(r["diff"] == 0 and r["verdict"] == "same" for r in result["rows"])
    assert result["old"]["n"]["sentences"] == 4  # the fixture's test split
    rows = mod.compare({"claim": {"f1": 0.5}}, {"claim": {"f1": 0.75}})
    assert rows == [{"metric": "claim.f1", "old": 0.5, "new": 0.75, "diff": 0.25,
                     "verdict": "better"}]


# --------------------------------------------------------------------------- agreement

def test_agreement_reads_imported_files(nlp, mini_file, tmp_path):
    agreement = pytest.importorskip("kratom_nlp.corpora.agreement")
    from kratom_nlp.annotate.agreement_loader import register

    tasks = export(nlp, mini_file, "labelstudio")
    ls = write_tasks(tasks, tmp_path / "tasks.json")
    imported = tmp_path / "imported.jsonl"
    imported.write_text("".join(json.dumps(r) + "\n" for r in import_records(ls)),
                        encoding="utf-8")
    gold = agreement.load_annotations(mini_file)
    assert agreement.load_annotations(imported) == gold  # import writes gold JSONL
    assert register()
    assert agreement.load_annotations(ls) == gold  # and the raw export is read directly
    # one changed label shows up as exactly one disagreement
    res = ann_result(tasks[0])
    strength = next(r for r in res if r.get("from_name") == "strength")
    strength["value"]["choices"] = ["no_relationship" if strength["value"]["choices"] !=
                                    ["no_relationship"] else "direct_causal"]
    edited = write_tasks(tasks, tmp_path / "edited.json")
    b = agreement.load_annotations(edited)
    diff = [k for k in gold if gold[k] != b[k]]
    assert len(diff) == 1 and diff[0][0] == tasks[0]["data"]["article_id"]
