"""The fact-checkers' desk (``kratom-nlp serve``): every route through FastAPI's test client,
bad input and the size cap, the review round trip into ``kratom-nlp annotate import``, the
database migrations, bounded concurrency on a live server, and the CLI command."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kratom_nlp.serve.app import CSP, ServeSettings, create_app  # noqa: E402
from kratom_nlp.serve.store import (  # noqa: E402
    Migration,
    Store,
    StoreError,
    load_migrations,
)

EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
EXAMPLE_HTML = ROOT / "corpora" / "examples" / "kratom_mood_guide.html"
BASE = "http://127.0.0.1"
HOSTILE = ("Kratom cures depression <script>alert('x')</script> in days. "
           "Users say <img src=x onerror=\"alert(1)\"> it melts away pain.\n")


@pytest.fixture()
def make_app(tmp_path, nlp):
    def build(**options: Any):
        settings = ServeSettings(db=options.pop("db", tmp_path / "desk.sqlite3"),
                                 reviewer=options.pop("reviewer", "ana"), **options)
        return create_app(settings, nlp=nlp)

    return build


@pytest.fixture()
def client(make_app):
    with TestClient(make_app(), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def analyse(client: TestClient, text: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/analyses", json={"text": text, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def cli(args: list[str], cwd: Path, monkeypatch) -> Any:
    from kratom_nlp.cli import _register, app

    _register()
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, args, catch_exceptions=False)


# --------------------------------------------------------------------------- analyses

def test_analysis_is_the_cli_contract_and_is_stored(client, nlp, example_text):
    from kratom_nlp.api import analyze_document
    from kratom_nlp.ingest import read_path
    from kratom_nlp.outputs.contract import validate_analysis

    body = analyse(client, example_text, source="https://example.org/kratom")
    expected = analyze_document(read_path(EXAMPLE), nlp)
    expected["source"] = "https://example.org/kratom"
    assert body["analysis"] == expected
    assert list(body["analysis"]) == list(expected)  # same key order as `analyze -f json`
    validate_analysis(body["analysis"])
    info = body["article"]
    assert body["created"] is True
    assert info["claims"] == expected["summary"]["claims"] == len(expected["claims"]) > 5
    assert info["title"] == example_text.splitlines()[0]
    assert info["model_version"].startswith("kratom_nlp-")
    assert info["url"] == f"/articles/{info['id']}"

    stored = client.get(f"/api/articles/{info['id']}", params={"view": "model"}).json()
    assert stored["analysis"] == expected and stored["reviews"] == []
    again = analyse(client, example_text, source="https://example.org/kratom")
    assert again["created"] is False and again["article"]["id"] == info["id"]
    other = analyse(client, example_text, source="another.txt")
    assert other["created"] is True and other["article"]["id"] != info["id"]


@pytest.mark.parametrize("name", ["kratom_mood_guide.txt", "kratom_mood_guide.html", "guide.md"])
def test_upload_reads_each_format_like_analyze(client, nlp, tmp_path, name):
    from kratom_nlp.api import analyze_document
    from kratom_nlp.ingest import read_path

    path = EXAMPLE_HTML if name.endswith(".html") else EXAMPLE
    if name.endswith(".md"):
        path = tmp_path / name
        path.write_text("# Kratom guide\n\n" + EXAMPLE.read_text("utf-8"), encoding="utf-8")
    response = client.post("/api/analyses/file",
                           files={"file": (name, path.read_bytes(), "application/octet-stream")})
    assert response.status_code == 201, response.text
    body = response.json()
    expected = analyze_document(read_path(path), nlp)
    expected["source"] = name
    assert body["analysis"] == expected
    assert body["article"]["source"] == name
    if name.endswith(".md"):
        assert body["article"]["title"] == "Kratom guide"


def test_pasted_html_is_recognised_and_format_can_be_forced(client):
    page = ("<!DOCTYPE html><html><body><main><p>Kratom cures depression in everyone who "
            "takes it.</p></main></body></html>")
    auto = analyse(client, page)["analysis"]
    assert "<p>" not in auto["text"] and "Kratom cures depression" in auto["text"]
    forced = analyse(client, page, format="text")["analysis"]
    assert forced["text"] == page


BAD_INPUTS = [
    # (file name, bytes, HTTP status, analyze exit code)
    ("empty.txt", b"", 422, 12),
    ("blank.txt", b"  \n\t \n", 422, 12),
    ("binary.txt", b"Kratom\x00\x01\x02\x00 cures", 415, 13),
    ("latin1.txt", "Kratom heilt Depressionen schnell \xe4\xf6\xfc.".encode("latin-1"), 422, 14),
    ("paper.pdf", b"%PDF-1.4 kratom", 415, 16),
    ("empty.html", b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>",
     422, 17),
    ("big.txt", b"Kratom cures pain. " * 100, 413, 15),
]


@pytest.mark.parametrize(("name", "data", "status", "code"), BAD_INPUTS,
                         ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_the_analyze_error_as_json(make_app, tmp_path, monkeypatch, name, data,
                                                   status, code):
    (tmp_path / name).write_bytes(data)
    result = cli(["analyze", name, "--max-bytes", "1000"], tmp_path, monkeypatch)
    assert result.exit_code == code
    cli_line = result.stderr.strip().removeprefix("error: ")
    with TestClient(make_app(max_bytes=1000), base_url=BASE) as client:
        response = client.post("/api/analyses/file", files={"file": (name, data, "text/plain")})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["exit_code"] == code and error["status"] == status
    message, _, hint = cli_line.partition(" (hint: ")
    assert error["message"] == message
    if code == 14:  # the hint names the form's encoding field, not the --encoding option
        assert "encoding field" in error["hint"] and "--encoding" not in error["hint"]
    elif hint:
        assert error["hint"] == hint.removesuffix(")")
    assert "Traceback" not in response.text


def test_encoding_can_be_given_for_an_upload(client):
    data = "Kratom heilt Depressionen schnell, sagen Nutzer \xe4\xf6\xfc.".encode("latin-1")
    response = client.post("/api/analyses/file", data={"encoding": "latin-1"},
                           files={"file": ("de.txt", data, "text/plain")})
    assert response.status_code == 201
    assert "\xe4\xf6\xfc" in response.json()["analysis"]["text"]


def test_pasted_text_errors(client):
    for text, code in (("", 12), ("   \n", 12), ("Kratom \x00\x01\x02\x03 cures", 13),
                       ("Kratom \ud800 cures pain", 14)):
        response = client.post("/api/analyses", content=json.dumps({"text": text}),
                               headers={"content-type": "application/json"})
        assert response.json()["error"]["exit_code"] == code, text
        assert 400 <= response.status_code < 500


def test_invalid_requests_are_json_422_without_echo(client):
    secret = "a very long article " * 50
    cases = [
        client.post("/api/analyses", json={"txt": secret}),
        client.post("/api/analyses", json={"text": secret, "format": "pdf"}),
        client.post("/api/analyses", content=b'{"text": "unterminated',
                    headers={"content-type": "application/json"}),
        client.post("/api/analyses", data={"text": "form-encoded is not JSON"}),
        client.post("/api/analyses/file", data={"encoding": "utf-8"}),
        client.get("/api/articles", params={"limit": 0}),
    ]
    for response in cases:
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["message"]
        assert "a very long article a very long" not in response.text


def test_size_cap(make_app):
    app = make_app(max_bytes=1000)
    with TestClient(app, base_url=BASE) as client:
        desk = app.state.desk
        ok = client.post("/api/analyses", json={"text": "Kratom cures pain. " * 50})
        assert ok.status_code == 201  # 950 bytes
        over = client.post("/api/analyses", json={"text": "Kratom cures pain. " * 53})
        assert over.status_code == 413 and over.json()["error"]["exit_code"] == 15
        done = desk.analyzer.completed
        # over the request cap: refused from Content-Length, before reading or analysing
        huge = client.post("/api/analyses/file",
                           files={"file": ("a.txt", b"x" * 200_000, "text/plain")})
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
        assert "1,000 bytes" in huge.json()["error"]["hint"]

        def chunks():  # no Content-Length: counted while it streams in
            for _ in range(100):
                yield b"y" * 10_000

        streamed = client.post("/api/analyses", content=chunks(),
                               headers={"content-type": "text/plain"})
        assert streamed.status_code == 413 and streamed.json()["error"]["exit_code"] == 15
        page = client.post("/analyse", files={"file": ("a.txt", b"z" * 200_000, "text/plain")})
        assert page.status_code == 413
        assert desk.analyzer.completed == done


def test_unknown_things_are_404_and_wrong_methods_405(client, example_text):
    article = analyse(client, example_text)["article"]["id"]
    for url in ("/api/articles/nope", "/api/articles/nope/analysis", "/api/articles/nope/reviews",
                "/api/articles/nope/claimreview", "/api/articles/nope/claims.csv",
                "/api/articles/nope/review-log", "/api/nothing"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.post(f"/api/articles/{article}/reviews",
                       json={"claim_id": "c999"}).status_code == 404
    assert client.delete(f"/api/articles/{article}/reviews/c1").status_code == 404
    page = client.get("/articles/nope")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no article" in page.text
    wrong = client.put("/api/analyses", json={"text": "x"})
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_an_unexpected_error_is_a_500_without_details(make_app, example_text):
    app = make_app()
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        article = analyse(client, example_text)["article"]["id"]

        def boom(_article_id):
            raise RuntimeError("secret internal detail")

        app.state.desk.store.get_article = boom
        for url in (f"/api/articles/{article}", f"/articles/{article}"):
            response = client.get(url)
            assert response.status_code == 500
            assert response.json() == {"error": {
                "status": 500, "code": "internal",
                "message": "internal error; the server log has the details"}}
            assert "secret" not in response.text and "Traceback" not in response.text
            assert response.headers["content-security-policy"] == CSP


# --------------------------------------------------------------------------- reviews

def test_review_round_trip_survives_a_restart_and_imports(make_app, tmp_path, monkeypatch,
                                                          example_text):
    from kratom_nlp.annotate.exporting import validate_labelstudio
    from kratom_nlp.serve.export import import_problems

    db = tmp_path / "reviews.sqlite3"
    with TestClient(make_app(db=db), base_url=BASE) as client:
        body = analyse(client, example_text)
        aid = body["article"]["id"]
        claims = {c["id"]: c for c in body["analysis"]["claims"]}
        mech = next(c for c in claims.values() if c["claim_type"] == "mechanism"
                    and c["evidence"]["level"] == "none")
        lab = next(c for c in claims.values() if c["evidence"]["level"] == "preclinical"
                   and not c["evidence"]["from_context"])
        anecdote = next(c for c in claims.values() if c["evidence"]["level"] == "anecdotal")
        flagged = next(c for c in claims.values() if c["overclaim"]["flag"]
                       and c["evidence"]["level"] != "none")
        url = f"/api/articles/{aid}/reviews"

        refused = client.post(url, json={"claim_id": mech["id"], "evidence": "preclinical"})
        assert refused.status_code == 422 and "needs its cue" in refused.json()["error"]["message"]
        cue = "mu-opioid receptors"
        assert cue in mech["text"]
        saved = client.post(url, json={"claim_id": mech["id"], "evidence": "preclinical",
                                       "cue": cue, "note": "receptor binding is lab work"})
        assert saved.status_code == 200, saved.text
        assert saved.json()["claim"]["evidence"]["cues"][0]["text"] == cue
        assert client.post(url, json={"claim_id": lab["id"],
                                      "evidence": "observational"}).status_code == 200
        assert client.post(url, json={"claim_id": anecdote["id"], "status": "rejected",
                                      "note": "a testimonial"}).status_code == 200
        over = client.post(url, json={"claim_id": flagged["id"], "overclaim": False,
                                      "strength": "correlational", "reviewer": "bo"})
        assert over.json()["claim"]["overclaim"] == {**flagged["overclaim"], "flag": False,
                                                     "reason": None, "rule": None}
        assert over.json()["progress"]["reviewed"] == 4
        before = client.get(url).json()
        assert client.get("/api/export").json() == []  # not every claim reviewed yet

    # restart: a new app (and a new pipeline wrapper) on the same database
    with TestClient(make_app(db=db), base_url=BASE) as client:
        assert client.get(url).json() == before
        reviewed = client.get(f"/api/articles/{aid}").json()
        by_id = {c["id"]: c for c in reviewed["analysis"]["claims"]}
        assert anecdote["id"] not in by_id  # rejected: left out of the reviewed analysis
        assert by_id[lab["id"]]["evidence"]["level"] == "observational"
        assert by_id[lab["id"]]["review"]["model"]["evidence"] == "preclinical"
        assert reviewed["analysis"]["summary"]["claims"] == len(claims) - 1
        assert reviewed["article"]["reviewed_claims"] == 4
        log = client.get(f"/api/articles/{aid}/review-log").json()
        assert [e["claim_id"] for e in log] == [mech["id"], lab["id"], anecdote["id"],
                                                flagged["id"]]
        rest = client.post(f"/api/articles/{aid}/reviews/accept-unreviewed").json()
        assert rest["progress"]["complete"] is True
        assert rest["progress"]["reviewers"] == ["ana", "bo"]
        listing = client.get("/api/articles", params={"reviewed": True}).json()
        assert listing["total"] == 1 and listing["articles"][0]["complete"] is True
        export = client.get("/api/export", params={"download": True})
        assert "attachment" in export.headers["content-disposition"]
        tasks = export.json()
    validate_labelstudio(tasks)
    assert len(tasks) == 1 and import_problems(tasks[0]) == []
    notes = tasks[0]["data"]["meta"]["review"]["claims"]
    assert notes[anecdote["id"]] == {"status": "rejected", "changed": [],
                                     "note": "a testimonial"}

    exported = tmp_path / "desk-export.json"
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    out = tmp_path / "imported.jsonl"
    result = cli(["annotate", "import", str(exported), "-o", str(out)], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert record["text"] == example_text and record["annotator"] == "ana+bo"
    assert record["id"] == f"desk-{aid}" and record["title"] == example_text.splitlines()[0]
    sentences = {(s["start"], s["end"]): s for s in record["sentences"]}

    def sentence(claim: dict[str, Any]) -> dict[str, Any]:
        return sentences[(claim["start"], claim["end"])]

    assert sentence(mech)["evidence"] == "preclinical"
    assert [q["text"] for q in sentence(mech)["cues"]] == [cue]
    assert sentence(lab)["evidence"] == "observational"
    assert sentence(anecdote)["claim"] is False and sentence(anecdote)["cues"] == []
    assert sentence(flagged)["overclaim"] is False
    assert sentence(flagged)["strength"] == "correlational"
    assert sum(s["claim"] for s in record["sentences"]) == len(claims) - 1


def test_export_of_accepted_claims_equals_annotate_export(client, nlp, tmp_path, example_text):
    """Accepting every claim unchanged exports exactly the labels `annotate export` predicts."""
    from kratom_nlp.annotate.exporting import build_tasks
    from kratom_nlp.annotate.importing import import_file
    from kratom_nlp.annotate.sources import Source

    aid = analyse(client, example_text)["article"]["id"]
    client.post(f"/api/articles/{aid}/reviews/accept-unreviewed")
    desk_file = tmp_path / "desk.json"
    desk_file.write_text(client.get("/api/export").text, encoding="utf-8")
    (task,) = build_tasks([Source("guide", example_text)], nlp, "labelstudio")
    task["annotations"] = [{"result": task["predictions"][0]["result"]}]
    tool_file = tmp_path / "tool.json"
    tool_file.write_text(json.dumps([task]), encoding="utf-8")
    (ours,) = import_file(desk_file).records[""]
    (theirs,) = import_file(tool_file).records[""]
    assert ours["sentences"] == theirs["sentences"]


def test_review_rules(client, example_text):
    body = analyse(client, example_text)
    aid = body["article"]["id"]
    url = f"/api/articles/{aid}/reviews"
    claims = body["analysis"]["claims"]
    cued = next(c for c in claims if c["evidence"]["cues"])
    context = next(c for c in claims if c["evidence"]["from_context"])

    def post(**review: Any):
        return client.post(url, json=review)

    assert post(claim_id=cued["id"], evidence="hearsay").status_code == 422
    assert post(claim_id=cued["id"], status="maybe").status_code == 422
    assert post(claim_id=cued["id"], note="x" * 4001).status_code == 422
    assert post(claim_id=cued["id"], unknown=True).status_code == 422
    missing = post(claim_id=cued["id"], cue="words that are nowhere")
    assert missing.status_code == 422 and "neither in the claim" in missing.json()["error"][
        "message"]
    assert post(claim_id=cued["id"], evidence="none", cue="kratom").status_code == 422
    # level none drops the cues; the same values as the pipeline's are stored as "unchanged"
    none = post(claim_id=cued["id"], evidence="none").json()
    assert none["claim"]["evidence"]["cues"] == [] and none["review"]["cues"] == []
    same = post(claim_id=cued["id"], evidence=cued["evidence"]["level"],
                strength=cued["strength"], overclaim=cued["overclaim"]["flag"]).json()
    assert same["review"]["evidence"] is None and same["review"]["strength"] is None
    assert same["review"]["overclaim"] is None and same["claim"]["review"]["changed"] == []
    # a cue in the sentence before the claim is evidence from context
    previous = claims[claims.index(context) - 1]
    words = previous["evidence"]["cues"][0]["text"] if previous["evidence"]["cues"] else None
    if words:
        ctx = post(claim_id=context["id"], evidence="observational", cue=words).json()
        assert ctx["claim"]["evidence"]["from_context"] is True
    flagged = post(claim_id=cued["id"], overclaim=not cued["overclaim"]["flag"],
                   note="says more than it shows").json()["claim"]["overclaim"]
    if flagged["flag"]:
        assert flagged["reason"] == "says more than it shows" and flagged["rule"] == "review"
    assert client.delete(f"{url}/{cued['id']}").status_code == 204
    assert client.delete(f"{url}/{cued['id']}").status_code == 404
    assert cued["id"] not in [r["claim_id"] for r in client.get(url).json()["reviews"]]


def test_a_level_without_a_cue_needs_a_review_before_export(make_app):
    """The pipeline can give a level without a cue; such a claim cannot be accepted as
    labelled (``annotate import`` would refuse it), so the desk asks for the cue."""
    sentences = ["Users say kava calms them.", "Kava cures anxiety.", "Kava is a root."]
    text = " ".join(sentences) + "\n"
    spans = [(text.index(x), text.index(x) + len(x)) for x in sentences]
    analysis = _analysis(text, [(*spans[0], "anecdotal", None), (*spans[1], "anecdotal", None),
                                (*spans[2], "none", None)])
    analysis["claims"][1]["evidence"]["cues"] = []  # level without cue
    app = make_app()
    article, _ = app.state.desk.store.add_analysis(analysis, media_type="text/plain", title=None,
                                                   model_version="kratom_nlp-t")
    url = f"/api/articles/{article.id}/reviews"
    with TestClient(app, base_url=BASE) as client:
        page = client.get(f"/articles/{article.id}").text
        assert "needs a cue" in page and "Accept the 2 unreviewed claims" in page
        done = client.post(f"{url}/accept-unreviewed").json()
        assert list(done["refused"]) == ["c2"] and "without a cue" in done["refused"]["c2"]
        assert done["progress"]["reviewed"] == 2 and client.get("/api/export").json() == []
        form = client.post(f"/articles/{article.id}/accept-unreviewed")
        assert form.status_code == 200 and "without a cue" in form.text  # the form, opened
        assert client.post(url, json={"claim_id": "c2"}).status_code == 422
        assert client.post(url, json={"claim_id": "c2", "cue": "cures"}).status_code == 200
        export = client.get("/api/export")
        assert "x-kratom-left-out" not in export.headers
        (task,) = export.json()
    from kratom_nlp.serve.export import import_problems

    assert import_problems(task) == []
    cues = [r["value"]["text"] for r in task["annotations"][0]["result"]
            if r.get("from_name") == "cue"]
    assert "cures" in cues


# --------------------------------------------------------------------------- downloads

def test_downloads(client, example_text):
    from kratom_nlp.outputs.contract import validate_analysis

    body = analyse(client, example_text, source="https://example.org/guide")
    aid = body["article"]["id"]
    claims = body["analysis"]["claims"]
    client.post(f"/api/articles/{aid}/reviews", json={"claim_id": claims[0]["id"],
                                                      "status": "rejected"})

    reviewed = client.get(f"/api/articles/{aid}/analysis", params={"download": True})
    assert reviewed.headers["content-disposition"] == \
        f'attachment; filename="kratom-{aid}-reviewed.json"'
    validate_analysis(reviewed.json())
    assert len(reviewed.json()["claims"]) == len(claims) - 1
    model = client.get(f"/api/articles/{aid}/analysis", params={"view": "model"}).json()
    assert model == body["analysis"]

    jsonld = client.get(f"/api/articles/{aid}/claimreview")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    reviews = jsonld.json()
    assert len(reviews) == len(claims) - 1
    assert {r["@type"] for r in reviews} == {"ClaimReview"}
    assert reviews[0]["itemReviewed"]["appearance"]["url"] == "https://example.org/guide"

    pasted = analyse(client, "Kratom cures depression. Users swear it melts away pain.")
    anonymous = client.get(f"/api/articles/{pasted['article']['id']}/claimreview").json()
    assert all("url" not in r["itemReviewed"]["appearance"] for r in anonymous)

    response = client.get(f"/api/articles/{aid}/claims.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == len(claims)
    assert rows[0]["review_status"] == "rejected" and rows[1]["review_status"] == "unreviewed"
    assert rows[1]["text"] == claims[1]["text"]


def test_csv_neutralises_formulas(make_app, tmp_path):
    from kratom_nlp.serve.export import neutralise

    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1dcmd"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("kratom = tea") == "kratom = tea"
    app = make_app()
    text = '=HYPERLINK("http://evil.example","x") cures pain.\n'
    analysis = _analysis(text, [(0, len(text) - 1, "anecdotal", "@cmd|' /C calc'!A0")])
    article, _ = app.state.desk.store.add_analysis(analysis, media_type="text/plain",
                                                   title="-2+3", model_version="kratom_nlp-t")
    with TestClient(app, base_url=BASE) as client:
        client.post(f"/api/articles/{article.id}/reviews",
                    json={"claim_id": "c1", "note": "=cmd|'/C calc'!A0"})
        body = client.get(f"/api/articles/{article.id}/claims.csv").text.lstrip("\ufeff")
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["text"].startswith("'=HYPERLINK(")
    assert row["review_note"] == "'=cmd|'/C calc'!A0"
    assert row["start"] == "0"  # numbers stay numbers


# --------------------------------------------------------------------------- pages

def test_pages_escape_article_text_and_send_a_csp(client):
    body = analyse(client, HOSTILE, source="<script>alert('src')</script>")
    aid = body["article"]["id"]
    client.post(f"/api/articles/{aid}/reviews",
                json={"claim_id": body["analysis"]["claims"][0]["id"],
                      "note": "<img src=x onerror=alert('note')>"})
    for url in (f"/articles/{aid}", "/articles", "/", "/articles?show=all"):
        page = client.get(url)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["x-content-type-options"] == "nosniff"
        html = page.text
        assert "<script>alert" not in html and "<img src=x" not in html
        tags = _tags(html)
        assert [a for t, a in tags if t == "script"] == [
            {"src": f"/static/app.js?v={_version()}", "defer": None}], url
        assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed")], url
        assert not [(t, k) for t, a in tags for k in a if k.startswith("on")], url
        assert not [a for t, a in tags if t in ("link", "script")
                    and re.match(r"(https?:)?//", a.get("href") or a.get("src") or "")], url
    article_page = client.get(f"/articles/{aid}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in article_page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in article_page
    assert "&lt;img src=x onerror=alert(&#39;note&#39;)&gt;" in article_page
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    for source in ("javascript:alert(1)", "http://a b/<x>", "data:text/html,<script>"):
        aid = analyse(client, "Kratom cures pain.", source=source)["article"]["id"]
        hrefs = [a.get("href") or "" for t, a in _tags(client.get(f"/articles/{aid}").text)
                 if t == "a"]
        assert not [h for h in hrefs if h.startswith(("javascript", "data", "http"))], source
    linked = analyse(client, "Kratom cures pain.", source="https://example.org/a?b=1&c=2")
    page = client.get(f"/articles/{linked['article']['id']}").text
    assert 'href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow"' in page


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of a page with its attributes, as a browser's parser sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Parser(convert_charrefs=True).feed(html)
    return found


def _version() -> str:
    from kratom_nlp import __version__

    return __version__


def test_article_page_shows_report_and_review_forms(client, example_text):
    body = analyse(client, example_text)
    aid = body["article"]["id"]
    claims = body["analysis"]["claims"]
    html = client.get(f"/articles/{aid}").text
    assert html.count('<mark id="m-') == len(claims)
    assert html.count('class="review-form"') == len(claims)
    assert 'class="cue cue-preclinical"' in html
    assert "weakly supported" in html or body["analysis"]["summary"]["verdict"] in html
    for link in ("/analysis?download=true", "/claimreview?download=true", "/claims.csv"):
        assert f"/api/articles/{aid}{link}" in html
    over = sum(c["overclaim"]["flag"] for c in claims)
    filtered = client.get(f"/articles/{aid}", params={"overclaim": "yes"}).text
    assert filtered.count('<tbody class="claim') == len(claims)
    assert len(re.findall(r'<tbody class="claim[^>]*\shidden>', filtered)) == len(claims) - over
    assert f"{over} of {len(claims)} claims shown" in filtered


def test_forms_review_save_and_redirect(client, example_text):
    body = analyse(client, example_text)
    aid = body["article"]["id"]
    claim = next(c for c in body["analysis"]["claims"] if c["evidence"]["cues"])
    form = {"status": "accepted", "evidence": "observational", "strength": claim["strength"],
            "overclaim": "no", "note": "checked the survey", "cue": ""}
    saved = client.post(f"/articles/{aid}/claims/{claim['id']}/review", data=form,
                        follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/articles/{aid}?saved={claim['id']}#claim-{claim['id']}"
    page = client.get(saved.headers["location"]).text
    form_html = _form_of(page, claim["id"])
    assert '<option value="observational" selected>' in form_html
    assert 'name="cue" id="cue-' in form_html and 'value=""' in form_html  # relabelled, not named
    words = claim["text"].split()[0]
    client.post(f"/articles/{aid}/claims/{claim['id']}/review", data={**form, "cue": words})
    named = _form_of(client.get(f"/articles/{aid}").text, claim["id"])
    assert f'value="{words}"' in named
    bad = client.post(f"/articles/{aid}/claims/{claim['id']}/review",
                      data={**form, "evidence": "clinical_trial", "cue": "not in there"})
    assert bad.status_code == 422 and "neither in the claim" in bad.text
    cleared = client.post(f"/articles/{aid}/claims/{claim['id']}/review/clear",
                          follow_redirects=False)
    assert cleared.status_code == 303
    assert client.get(f"/api/articles/{aid}/reviews").json()["reviews"] == []
    done = client.post(f"/articles/{aid}/accept-unreviewed", follow_redirects=False)
    assert done.status_code == 303
    assert "Review complete" in client.get(f"/articles/{aid}").text
    listing = client.get("/articles").text
    assert f"/articles/{aid}" in listing and "complete" in listing


def _form_of(page: str, claim_id: str) -> str:
    start = page.index(f'id="review-form-{claim_id}"')
    return page[start:page.index("</form>", start)]


def test_paste_and_upload_forms(client, example_text):
    done = client.post("/analyse", data={"text": example_text, "format": "auto"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/articles/")
    upload = client.post("/analyse", files={"file": ("guide.html", EXAMPLE_HTML.read_bytes(),
                                                     "text/html")}, follow_redirects=False)
    assert upload.status_code == 303
    empty = client.post("/analyse", data={"text": "   "})
    assert empty.status_code == 422 and "input is empty" in empty.text
    assert 'role="alert"' in empty.text
    both = client.post("/analyse", data={"text": "Kratom cures pain."},
                       files={"file": ("a.txt", b"Kratom cures pain.", "text/plain")})
    assert both.status_code == 422 and "not both" in both.text
    kept = client.post("/analyse", files={"file": ("a.pdf", b"%PDF", "application/pdf")},
                       data={"source": "<b>kept</b>"})
    assert kept.status_code == 415 and "unsupported file type" in kept.text
    assert 'value="&lt;b&gt;kept&lt;/b&gt;"' in kept.text


def test_forms_from_other_sites_and_other_hosts_are_refused(client, example_text):
    cross = client.post("/analyse", data={"text": example_text},
                        headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    fetch = client.post("/analyse", data={"text": example_text},
                        headers={"sec-fetch-site": "cross-site"})
    assert fetch.status_code == 403
    same = client.post("/analyse", data={"text": example_text}, follow_redirects=False,
                       headers={"origin": BASE, "sec-fetch-site": "same-origin"})
    assert same.status_code == 303
    api = client.post("/api/analyses", json={"text": example_text},
                      headers={"origin": "http://evil.example"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "cross_site"
    upload = client.post("/api/analyses/file", headers={"sec-fetch-site": "same-site"},
                         files={"file": ("a.txt", example_text.encode(), "text/plain")})
    assert upload.status_code == 403
    assert client.get("/", headers={"sec-fetch-site": "cross-site"}).status_code == 200
    scripted = client.post("/api/analyses", json={"text": example_text})  # curl, scripts
    assert scripted.status_code == 201
    rebound = client.get("/", headers={"host": "attacker.example"})
    assert rebound.status_code == 400


def test_studies_are_rendered_once_with_their_claims(make_app):
    sentences = ["A 2021 randomised trial of 120 adults found that kava eased anxiety.",
                 "Kava therefore treats anxiety.", "Kava also helps sleep."]
    text = " ".join(sentences) + "\n"
    trial = "A 2021 randomised trial of 120 adults"
    spans = [(text.index(s), text.index(s) + len(s)) for s in sentences]
    analysis = _analysis(text, [(*spans[0], "clinical_trial", None),
                                (*spans[1], "clinical_trial", None), (*spans[2], "none", None)])
    analysis["schema_version"] = "1.1.0"
    analysis["studies"] = [{"id": "s1", "start": 0, "end": len(trial), "text": trial,
                            "design": "randomised_trial", "population": "adults", "n": 120}]
    analysis["claims"][0]["evidence"]["study"] = "s1"
    analysis["claims"][1]["evidence"]["study"] = "s1"
    analysis["claims"][2]["evidence"]["study"] = None
    app = make_app()
    article, _ = app.state.desk.store.add_analysis(analysis, media_type="text/plain", title=None,
                                                   model_version="kratom_nlp-t")
    with TestClient(app, base_url=BASE) as client:
        html = client.get(f"/articles/{article.id}").text
        plain = analyse(client, "Kratom cures depression.")
        assert 'id="studies"' not in client.get(f"/articles/{plain['article']['id']}").text
        rows = client.get(f"/api/articles/{article.id}/claims.csv").text
    assert html.count('id="study-s1"') == 1
    section = html[html.index('id="studies"'):html.index('id="claims"')]
    assert "randomised trial" in section and "n = 120" in section
    assert section.count('href="#claim-c1"') == 1 and section.count('href="#claim-c2"') == 1
    assert 'href="#claim-c3"' not in section
    assert 'data-study="s1"' in html  # the mention is marked in the text
    assert ",s1," in rows


def _analysis(text: str, claims: list[tuple[int, int, str, str | None]]) -> dict[str, Any]:
    """A small hand-made analysis contract (for cases the pipeline does not produce)."""
    from kratom_nlp.grading import summarize

    out = []
    for i, (start, end, level, reason) in enumerate(claims, 1):
        cue = {"start": start, "end": min(end, start + 6), "text": text[start:min(end, start + 6)],
               "level": level}
        out.append({
            "id": f"c{i}", "start": start, "end": end, "text": text[start:end],
            "claim_type": "efficacy", "substances": ["kava"], "outcomes": [],
            "evidence": {"level": level, "cues": [] if level == "none" else [cue],
                         "from_context": False},
            "strength": "direct_causal", "certainty": 5.0, "advice": False, "advice_kind": None,
            "overclaim": {"flag": reason is not None, "reason": reason,
                          "rule": "benefit_as_fact" if reason else None,
                          "score": 0.9 if reason else 0.1}})
    return {"schema_version": "1.0.0", "source": "<test>", "text": text, "language": "en",
            "warnings": [], "claims": out, "summary": summarize(out, sentences=3)}


def test_api_description_and_static_assets(client):
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    for path, method in (("/api/analyses", "post"), ("/api/analyses/file", "post"),
                         ("/api/articles", "get"), ("/api/articles/{article_id}", "get"),
                         ("/api/articles/{article_id}/reviews", "post"),
                         ("/api/articles/{article_id}/reviews/{claim_id}", "delete"),
                         ("/api/export", "get"), ("/api/health", "get")):
        assert method in paths[path], path
    assert not any(p.startswith("/articles") or p == "/" for p in paths)
    docs = client.get("/api").text
    assert docs.count("<tr><td><code") == sum(len(m) for m in paths.values())
    assert client.get("/api/health").json()["status"] == "ok"
    for asset in ("/static/app.js", "/static/app.css", "/static/favicon.svg",
                  "/assets/levels.css"):
        response = client.get(asset)
        assert response.status_code == 200 and response.content, asset
        assert b"//cdn" not in response.content and b"https://" not in response.content
    assert "--bg:#d4e4ff" in client.get("/assets/levels.css").text
    assert client.get("/favicon.ico", follow_redirects=False).status_code == 308


# --------------------------------------------------------------------------- store

def test_migrations_create_upgrade_and_refuse_newer(tmp_path):
    db = tmp_path / "m.sqlite3"
    store = Store(db)
    assert store.applied == [1] and store.version == len(load_migrations()) == 1
    assert Store(db).applied == []  # nothing to do the second time
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version, name FROM schema_migrations").fetchall() == [
            (1, "initial")]

    analysis = _analysis("Kava cures anxiety.\n", [(0, 19, "none", None)])
    article, _ = store.add_analysis(analysis, media_type="text/plain", title=None,
                                    model_version="kratom_nlp-t")
    upgrade = [*load_migrations(), Migration(2, "add_priority",
                                             "ALTER TABLE articles ADD COLUMN priority "
                                             "INTEGER NOT NULL DEFAULT 0;\n"
                                             "CREATE INDEX articles_by_priority ON articles "
                                             "(priority);\n")]
    upgraded = Store(db, migrations=upgrade)
    assert upgraded.applied == [2] and upgraded.version == 2
    assert upgraded.get_article(article.id) is not None  # data kept
    with pytest.raises(StoreError, match="newer than this kratom_nlp knows"):
        Store(db)

    broken = [*upgrade, Migration(3, "broken", "CREATE TABLE half (x INTEGER);\n"
                                               "THIS IS NOT SQL;\n")]
    with pytest.raises(StoreError, match=r"migration 0003_broken failed .* left at version 2"):
        Store(db, migrations=broken)
    with sqlite3.connect(db) as conn:  # rolled back whole
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'"
                            ).fetchone()[0] == 0


def test_migration_files_are_checked(tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x);\n")
    (tmp_path / "0003_third.sql").write_text("CREATE TABLE c (x);\n")
    with pytest.raises(StoreError, match="out of sequence"):
        load_migrations(tmp_path)
    (tmp_path / "0003_third.sql").unlink()
    (tmp_path / "two.sql").write_text("CREATE TABLE b (x);\n")
    with pytest.raises(StoreError, match="NNNN_name.sql"):
        load_migrations(tmp_path)
    with pytest.raises(StoreError, match="cannot open"):
        bad = tmp_path / "not-a-db.sqlite3"
        bad.write_bytes(b"this is not a database file at all" * 100)
        Store(bad)


# --------------------------------------------------------------------------- concurrency

class _Gate:
    """The pipeline, held at a gate: lets a test keep analyses running."""

    def __init__(self, nlp) -> None:
        self.nlp = nlp
        self.open = threading.Event()
        self.entered = threading.Semaphore(0)
        self.pipe_names = nlp.pipe_names
        self.get_pipe = nlp.get_pipe

    def __call__(self, text: str):
        self.entered.release()
        assert self.open.wait(30)
        return self.nlp(text)


@pytest.mark.slow
def test_analyses_run_off_the_event_loop_with_bounded_concurrency(tmp_path, nlp):
    import httpx

    from kratom_nlp.serve.server import background_server

    gate = _Gate(nlp)
    app = create_app(ServeSettings(db=tmp_path / "c.sqlite3", workers=1, max_queue=1),
                     nlp=gate)  # type: ignore[arg-type]
    results: list[httpx.Response] = []

    with background_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        def post(text: str) -> None:
            results.append(http.post("/api/analyses", json={"text": text}))

        first = threading.Thread(target=post, args=("Kratom cures pain.",))
        first.start()
        assert gate.entered.acquire(timeout=30)  # the worker is busy
        second = threading.Thread(target=post, args=("Kava cures anxiety.",))
        second.start()
        deadline = time.monotonic() + 10
        while http.get("/api/health").json()["in_flight"] < 2:  # the loop still answers
            assert time.monotonic() < deadline
            time.sleep(0.02)
        refused = http.post("/api/analyses", json={"text": "Ginseng cures fatigue."})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "busy"
        assert http.get("/articles").status_code == 200  # pages too
        gate.open.set()
        first.join(30)
        second.join(30)
    assert sorted(r.status_code for r in results) == [201, 201]


@pytest.mark.slow
def test_concurrent_analyses_equal_serial_ones(tmp_path, nlp):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from kratom_nlp.api import analyze
    from kratom_nlp.serve.server import background_server

    texts = [json.loads(line)["text"] for line in
             (ROOT / "corpora" / "gold" / "test.jsonl").read_text("utf-8").splitlines()[:4]]
    expected = [analyze(t, nlp=nlp)["claims"] for t in texts]
    app = create_app(ServeSettings(db=tmp_path / "p.sqlite3", workers=3), nlp=nlp)
    with background_server(app) as base, httpx.Client(base_url=base, timeout=120) as http, \
            ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda t: http.post("/api/analyses", json={"text": t}),
                                  texts * 2))
    assert [r.status_code for r in responses] == [201] * len(texts) * 2
    assert [r.json()["analysis"]["claims"] for r in responses] == expected * 2


# --------------------------------------------------------------------------- the command

def test_serve_command(tmp_path, monkeypatch, nlp):
    import uvicorn

    import kratom_nlp.api
    from kratom_nlp.cli.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("[::1]") and not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10") and not is_loopback("example.org")

    seen: dict[str, Any] = {}

    def fake_run(self, sockets=None):
        seen.update(host=self.config.host, port=self.config.port, app=self.config.app)

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    monkeypatch.setattr(kratom_nlp.api, "load", lambda config=None: nlp)
    local = cli(["serve", "--db", str(tmp_path / "a.sqlite3"), "--port", "8123"], tmp_path,
                monkeypatch)
    assert local.exit_code == 0, local.stderr
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    assert "warning" not in local.stderr and "http://127.0.0.1:8123" in local.stderr
    assert seen["app"].state.desk.settings.allowed_hosts[0] == "127.0.0.1"
    exposed = cli(["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "b.sqlite3")],
                  tmp_path, monkeypatch)
    assert exposed.exit_code == 0
    assert "warning: binding 0.0.0.0" in exposed.stderr
    assert seen["app"].state.desk.settings.allowed_hosts is None
    (tmp_path / "bad.sqlite3").write_bytes(b"not a database " * 100)
    broken = cli(["serve", "--db", str(tmp_path / "bad.sqlite3")], tmp_path, monkeypatch)
    assert broken.exit_code == 22 and "cannot open the review database" in broken.stderr
    assert "serve" in cli(["--help"], tmp_path, monkeypatch).stdout


def test_packaging_ships_the_desk():
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "kratom_nlp.serve" in pyproject["tool"]["setuptools"]["packages"]
    data = pyproject["tool"]["setuptools"]["package-data"]["kratom_nlp"]
    for pattern in ("serve/migrations/*.sql", "serve/templates/*.html", "serve/static/*"):
        assert pattern in data
        assert list((ROOT / "kratom_nlp").glob(pattern)), pattern
    extras = pyproject["project"]["optional-dependencies"]
    for name in ("fastapi", "uvicorn", "python-multipart", "jinja2"):
        assert any(d.startswith(name) for d in extras["serve"]), name
        assert any(d.startswith(name) for d in extras["dev"]), name
    constraints = (ROOT / "constraints.txt").read_text("utf-8")
    for pin in ("fastapi==", "uvicorn==", "python-multipart==", "jinja2==", "selenium=="):
        assert pin in constraints


@pytest.mark.slow
def test_benchmark_script_runs(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "serve"
    result = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "benchmark_serve.py"), "--requests", "4",
         "--concurrency", "2", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"p50 latency: [\d.]+ ms", result.stdout)
    figures = json.loads(out.with_suffix(".json").read_text("utf-8"))
    assert figures["requests"] == 4 and figures["errors"] == 0
    assert figures["requests_per_s"] > 0 and figures["p95_ms"] >= figures["p50_ms"] > 0
    assert "| p95 latency |" in out.with_suffix(".md").read_text("utf-8")


def test_a_desk_that_owns_its_pipeline_forgets_the_words_of_each_busy_period():
    """``zones=True`` (``kratom-nlp serve``'s own pipeline): the words a busy period's articles
    brought are evicted once no analysis is in flight; the first period warms the tokenizer
    outside a zone. Analyses made in a zone are the same as outside one."""
    import asyncio

    import spacy

    from kratom_nlp.serve.runner import Analyzer

    blank = spacy.blank("en")
    analyzer = Analyzer(blank, workers=2, zones=True)

    def words(text: str) -> list[str]:
        return [t.text for t in blank(text)]

    async def period(*texts: str) -> list[list[str]]:
        return list(await asyncio.gather(*(analyzer.run(words, t) for t in texts)))

    try:
        asyncio.run(period("Warmfirst words."))
        assert "Warmfirst" in blank.vocab.strings
        got = asyncio.run(period("Zindlewort cures gout.", "Prexamine eases pain."))
        assert got == [["Zindlewort", "cures", "gout", "."], ["Prexamine", "eases", "pain", "."]]
        assert analyzer.in_flight == 0 and not blank.vocab.in_memory_zone
        assert "Zindlewort" not in blank.vocab.strings and "Prexamine" not in blank.vocab.strings
    finally:
        analyzer.close()
    kept = Analyzer(blank, workers=1)  # a pipeline passed in by the caller: no zones
    try:
        asyncio.run(kept.run(words, "Quillastic words."))
        assert "Quillastic" in blank.vocab.strings
    finally:
        kept.close()
