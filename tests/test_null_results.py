"""Null results stated plainly are no_relationship (GUIDELINES §9.10), with the words."""

from __future__ import annotations

import json

import pytest

from kratom_nlp import resources
from kratom_nlp.outputs.contract import SCHEMA_VERSION, validate_analysis
from kratom_nlp.pipeline.null_results import NullResultFinder


@pytest.fixture(scope="module")
def finder() -> NullResultFinder:
    return NullResultFinder(resources.load_claim_cues().null_results)


@pytest.mark.parametrize(("text", "words"), [
    ("In the trial, chamomile tea did not improve sleep quality.", "did not improve"),
    ("Taking the capsules daily produced no improvement in joint pain.", "no improvement"),
    ("Ginkgo doesn’t significantly reduce memory loss in older adults.",
     "doesn’t significantly reduce"),
    ("There was no statistically significant difference between the groups.",
     "no statistically significant difference"),
    ("When the nerve was stimulated there was not an effect on tremor.",
     "there was not an effect"),
    ("Of the supplements tested, none have been shown to restore cartilage.",
     "none have been shown"),
    ("The patch was no better than placebo for cravings.", "no better than"),
    ("Past trials found the valerian drops ineffective against insomnia.", "ineffective"),
    ("A third cup of the tea a day is no better.", "no better"),
    ("The spray does nothing to shorten a cold, the review concluded.", "does nothing to"),
    ("Dr. Ola Berg is skeptical that the kava drops calm nerves.", "skeptical that"),
    # a contrast with the sentence before, not inside the claim (claim cues 1.12.0)
    ("But a fourth cup of the tea is no better.", "no better"),
    ("The authors added, however, that the balm did not ease joint pain.", "did not ease"),
    # a stated absence of an effect on a measure (claim cues 1.13.0)
    ("Resting heart rates were unaffected by the ginseng capsules.", "unaffected by"),
    # an effect said to be unproven (claim cues 1.14.0)
    ("Its benefit for teenagers with eczema is not proven.", "not proven"),
    ("The kava drops have not been shown to calm nerves.", "not been shown"),
    ("For daily use of the balm, the evidence is lacking.", "evidence is lacking"),
    # a judged absence of a real difference (claim cues 1.16.0)
    ("Dr. Lund sees no major advantage of the new balm over the old one.", "no major advantage"),
    ("Against plain moisturiser the balm is not better or worse.", "not better or worse"),
    # negated "will" and "be", more effect stems, "nothing ... worked" (claim cues 1.19.0)
    ("Doubling the dose of the balm won't help, Lund said.", "won't help"),
    ("Half of the gardeners aren't helped by any cream at all.", "aren't helped"),
    ("The Lakeside screening programme does not save lives.", "does not save"),
    ("Nothing had worked on her rash before the balm.", "Nothing had worked"),
    # no proof of an effect; a negated "going to" (claim cues 1.21.0)
    ("So far, Lund finds no proof that kava balm heals eczema faster.", "no proof that"),
    ("The balm is not going to cure eczema, Lund said.", "is not going to cure"),
])
def test_plain_null_results_are_found(finder, text, words):
    hit = finder.find(text)
    assert hit is not None and hit.text == words
    assert text[hit.start:hit.end] == words


@pytest.mark.parametrize("text", [
    "Chamomile tea improves sleep quality.",  # an effect, not its absence
    "The drug did not work for everyone, but it eased nausea in most patients.",  # contrast
    "Ginkgo may not improve memory.",  # hedged: conditional
    "People whose weight had not changed lived longer.",  # a description of people
    "Kava can be taken with food.",
    "Kratom does not cause addiction.",  # denies a harm: a safety claim (direct)
    "Though it did not cure the pain, the balm helped sleep.",  # a contrast inside the claim
    "While the test changed decisions, it did not increase costs.",
    "The balm eased pain, though it did not improve sleep.",  # "though" joins two halves
])
def test_contrasts_hedges_and_descriptions_are_not_null_results(finder, text):
    assert finder.find(text) is None


def test_the_pipeline_sets_no_relationship_and_says_why(nlp, analyze_text):
    text = ("In a randomised trial of 120 adults, valerian did not improve sleep quality. "
            "Valerian eases anxiety, the researchers said.\n")
    analysis = analyze_text(text)
    validate_analysis(analysis)
    assert analysis["schema_version"] == SCHEMA_VERSION == "1.4.0"
    first, second = analysis["claims"][:2]
    assert first["strength"] == "no_relationship"
    cue = first["strength_cue"]
    assert cue["rule"] == "null_result" and text[cue["start"]:cue["end"]] == "did not improve"
    assert second["strength_cue"] is None and second["strength"] != "no_relationship"
    assert not first["overclaim"]["flag"]
    # switched off (config: components.kratom_strength.null_results = false), the backend's
    # strength stands and no cue is given
    pipe = nlp.get_pipe("kratom_strength")
    saved, pipe.null_results = pipe.null_results, None
    try:
        off = analyze_text(text)
    finally:
        pipe.null_results = saved
    assert off["claims"][0]["strength_cue"] is None


def test_a_claim_cue_file_without_null_results_takes_the_bundled_ones():
    claim = json.loads((resources.RESOURCE_DIR / "claim_cues.json").read_text("utf-8"))
    bundled = resources.ClaimCues.from_dict(claim).null_results
    assert bundled.effect_stems and bundled.blockers
    del claim["null_results"]
    assert resources.ClaimCues.from_dict(claim).null_results == bundled


def test_every_pattern_holds_a_trigger():
    """The finder passes over a claim without a trigger after one search, so a cue list whose
    pattern lacks one is refused; without triggers every claim is searched in full."""
    from dataclasses import replace

    cues = resources.load_claim_cues().null_results
    with pytest.raises(ValueError, match="holds none of the triggers"):
        NullResultFinder(replace(cues, phrases=(*cues.phrases, "was similar to placebo")))
    untriggered = NullResultFinder(replace(cues, triggers=()))
    assert untriggered.find("Zinc did not shorten colds.").text == "did not shorten"


def test_the_trigger_search_hides_no_null_result(finder):
    """The one search for a trigger word that lets most claims pass after it finds the same
    null results as the patterns alone, either apostrophe, whole words only."""
    texts = ["The drops didn't shorten colds.", "The drops didn’t shorten colds.",
             "Knowledge of the economic cost grew.", "Nothing in the data showed a benefit.",
             "The spray failed to shorten colds in the trial.",
             "There was little difference between the two groups."]
    bare = NullResultFinder(resources.load_claim_cues().null_results)
    bare._any = None
    for text in texts:
        assert finder.find(text) == bare.find(text), text
    assert finder.find("The drops didn’t shorten colds.") is not None
