"""Caveats (``kratom_caveats``): where an article states the limits of its evidence, the
summary's count and credit, the contract and the renderers. Texts written for the test."""

from __future__ import annotations

import json

import pytest

from kratom_nlp.grading import summarize
from kratom_nlp.outputs import caveat_groups, render
from kratom_nlp.outputs.contract import SCHEMA_VERSION, validate_analysis
from kratom_nlp.resources import CaveatCues, load_caveat_cues, load_overclaim_rules

TEXT = ("A randomised trial of 120 gardeners found that kava balm eased eczema. "
        "The trial was small, and more research is needed before doctors suggest the balm, "
        "Lund said. Its results should be interpreted with caution. A survey cannot prove "
        "cause and effect, she added.\n")


def test_the_caveats_of_an_article_and_their_kinds(nlp):
    doc = nlp(TEXT)
    got = [(s.text, s.label_) for s in doc.spans["caveats"]]
    assert got == [("was small", "preliminary"), ("more research", "more_research"),
                   ("interpreted with caution", "limitation"), ("cannot prove", "causation"),
                   ("cause and effect", "causation")]


def test_an_article_that_states_no_limits_has_no_caveats(nlp):
    doc = nlp("Kava balm eases eczema. Gardeners love it and use it every day.\n")
    assert list(doc.spans["caveats"]) == []
    # a caution about using something is advice, not a caveat on the evidence; a symptom
    # or a disease's stage is none either
    doc = nlp("Use the balm with caution, Lund cautioned, and never on broken skin. "
              "Early-stage eczema and muscle weakness respond to it.\n")
    assert list(doc.spans["caveats"]) == []


def test_the_longest_phrase_is_one_caveat(nlp):
    doc = nlp("The result needs to be confirmed in larger trials.\n")
    assert [(s.text, s.label_) for s in doc.spans["caveats"]] == [
        ("needs to be confirmed", "more_research"), ("larger trials", "more_research")]


def test_caveats_survive_a_docbin_round_trip(nlp):
    from spacy.tokens import DocBin

    doc = nlp(TEXT)
    back = list(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab))[0]
    assert [(s.start_char, s.label_) for s in back.spans["caveats"]] == \
        [(s.start_char, s.label_) for s in doc.spans["caveats"]]


def test_the_analysis_lists_the_caveats_and_the_summary_credits_them(analyze_text):
    analysis = analyze_text(TEXT)
    validate_analysis(analysis)
    assert analysis["schema_version"] == SCHEMA_VERSION == "1.4.0"
    caveats = analysis["caveats"]
    assert [c["kind"] for c in caveats] == ["preliminary", "more_research", "limitation",
                                            "causation", "causation"]
    for c in caveats:
        assert TEXT[c["start"]:c["end"]] == c["text"]
    assert analysis["summary"]["caveats"] == 5
    from kratom_nlp.batch.tables import document_row

    assert document_row({**analysis, "id": "d1"})["caveats"] == 5  # the researchers' table
    without = summarize(analysis["claims"], rules=load_overclaim_rules())
    rules = load_overclaim_rules()
    credit = rules.caveat_credit * min(5, rules.caveat_cap)
    assert credit > 0
    assert analysis["summary"]["support_score"] == pytest.approx(
        min(1.0, without["support_score"] + credit), abs=1e-3)


@pytest.mark.parametrize("caveats, expected", [(0, 0.36), (1, 0.41), (4, 0.56), (9, 0.56)])
def test_the_credit_per_caveat_stops_at_the_cap(caveats, expected):
    claims = [{"evidence": {"level": "observational"}, "strength": "correlational",
               "overclaim": {"flag": False}, "advice": False},
              {"evidence": {"level": "expert_opinion"}, "strength": "conditional_causal",
               "overclaim": {"flag": True}, "advice": False}]
    # mean weight (0.55 + 0.25) / 2 = 0.4, times 1 - 0.5, plus 0.05 per caveat up to 4
    got = summarize(claims, caveats=caveats)
    assert got["caveats"] == caveats
    assert got["support_score"] == pytest.approx(expected - 0.16, abs=1e-4)


def test_no_claims_score_nothing_whatever_the_caveats():
    got = summarize([], caveats=3)
    assert got["support_score"] == 0.0 and got["verdict"] == "no health claims found"


def test_the_score_is_at_most_one():
    claims = [{"evidence": {"level": "systematic_review"}, "strength": "direct_causal",
               "overclaim": {"flag": False}, "advice": False}]
    assert summarize(claims, caveats=4)["support_score"] == 1.0


def test_a_long_article_cut_in_pieces_keeps_each_caveats_offsets(nlp, monkeypatch):
    import kratom_nlp.api as api

    monkeypatch.setattr(api, "MAX_PIECE_CHARS", 2_000)
    para = ("A survey of 300 gardeners linked kava balm with less eczema. The survey was "
            "small, and more research is needed.\n\n")
    text = para * 60  # three pieces or more
    analysis = api.analyze(text, nlp=nlp)
    assert any("pieces" in w for w in analysis["warnings"])
    assert len(analysis["caveats"]) == analysis["summary"]["caveats"] == 120
    for c in analysis["caveats"]:
        assert text[c["start"]:c["end"]] == c["text"]


def test_the_renderers_show_the_caveats_once_each_by_kind(analyze_text):
    analysis = analyze_text(TEXT)
    assert caveat_groups(analysis) == [
        ("limitations", ["interpreted with caution"]), ("small or early study", ["was small"]),
        ("more research needed", ["more research"]),
        ("no cause and effect", ["cannot prove", "cause and effect"])]
    text = render(analysis, "text")
    assert "Caveats the article states" in text and "\u201cwas small\u201d" in text
    page = render(analysis, "html")
    assert 'id="caveats-h"' in page and "<strong>more research needed</strong>" in page
    assert "Caveats the article states" not in render(
        {**analysis, "caveats": []}, "html")


def test_a_review_keeps_the_caveat_credit(analyze_text):
    from kratom_nlp.serve.review import reviewed_analysis
    from kratom_nlp.serve.store import Review

    analysis = analyze_text(TEXT)
    claim = analysis["claims"][0]
    review = Review(article_id="a1", claim_id=claim["id"], claim_start=claim["start"],
                    claim_end=claim["end"], status="accepted", reviewer="ana")
    out = reviewed_analysis(analysis, {claim["id"]: review})
    assert out["summary"]["caveats"] == analysis["summary"]["caveats"]
    assert out["summary"]["support_score"] == pytest.approx(
        analysis["summary"]["support_score"], abs=1e-4)


def test_the_caveat_cues_are_data():
    cues = load_caveat_cues()
    assert set(cues.kinds) == {"limitation", "preliminary", "more_research", "causation"}
    again = CaveatCues.from_dict(json.loads(json.dumps(cues.to_dict())))
    assert again == cues
    rules = load_overclaim_rules()
    assert type(rules).from_dict(rules.to_dict()) == rules
