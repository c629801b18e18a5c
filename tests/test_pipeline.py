"""The analyzer's behaviour on the seed article (when present) and on fixtures we wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED


def _claims(analysis: dict, needle: str) -> list[dict]:
    return [c for c in analysis["claims"] if needle.lower() in c["text"].lower()]


def _one(analysis: dict, needle: str) -> dict:
    found = _claims(analysis, needle)
    assert found, f"no claim containing {needle!r}"
    return found[0]


@pytest.fixture(scope="module")
def levels(analyze_text):
    return analyze_text((FIXTURES / "articles" / "evidence_levels.txt").read_text("utf-8"))


def test_pipeline_components_and_config(nlp):
    assert nlp.pipe_names[0] == "kratom_segmenter"
    for name in ("abbreviation_detector", "kratom_lexicon", "kratom_claims", "kratom_evidence",
                 "kratom_strength", "kratom_overclaim"):
        assert name in nlp.pipe_names
    assert "parser" not in nlp.pipe_names  # our components need tags and lemmas only
    cfg = nlp.config["components"]["kratom_claims"]
    assert cfg["backend"]["@kratom_backends"] == "kratom.default.v1"
    assert cfg["backend"]["task"] == "claim" and 0.0 < cfg["threshold"] < 1.0


def test_the_tok2vec_vectors_are_dropped_once_the_tagger_has_read_them(nlp):
    """``kratom_drop_tensor`` runs after the tagger (the vectors' only reader): the tags are
    there, the Doc carries no vectors, and it still survives a bytes round trip."""
    from spacy.tokens import Doc

    names = nlp.pipe_names
    assert names.index("tagger") < names.index("kratom_drop_tensor") < names.index("kratom_lexicon")
    doc = nlp("Kava eased mild anxiety in a trial of 40 adults.")
    assert doc.tensor.size == 0 and all(t.tag_ for t in doc)
    assert not doc.has_vector  # spaCy's own readers of the tensor still work
    again = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert again.tensor.size == 0 and [t.tag_ for t in again] == [t.tag_ for t in doc]


def test_each_evidence_level_on_fixture(levels):
    assert _one(levels, "study of rats")["evidence"]["level"] == "preclinical"
    carried = _one(levels, "These findings suggest")
    assert carried["evidence"]["level"] == "preclinical"
    assert carried["evidence"]["from_context"] is True
    assert carried["strength"] == "conditional_causal"
    assert _one(levels, "Anecdotal evidence")["evidence"]["level"] == "anecdotal"
    trial = _one(levels, "placebo-controlled")
    assert trial["evidence"]["level"] == "clinical_trial"
    assert trial["overclaim"]["flag"] is False
    fda = _one(levels, "FDA has issued warnings")
    assert fda["evidence"]["level"] == "regulatory" and fda["claim_type"] == "risk"
    assert fda["overclaim"]["flag"] is False


def test_cue_spans_index_the_text(levels):
    text = levels["text"]
    for claim in levels["claims"]:
        assert text[claim["start"]:claim["end"]] == claim["text"]
        for cue in claim["evidence"]["cues"]:
            assert text[cue["start"]:cue["end"]] == cue["text"]


def test_generic_caution_and_heading_are_not_claims(levels):
    assert not _claims(levels, "consult a healthcare professional")
    assert not _claims(levels, "Moonleaf Tea and Anxiety")


def test_promotional_advice_is_overclaim(levels):
    advice = _one(levels, "encouraged to explore")
    assert advice["advice"] is True
    assert advice["overclaim"]["flag"] is True
    assert advice["overclaim"]["rule"] == "advice_without_trials"
    assert "trial" in advice["overclaim"]["reason"]


def test_a_dosing_instruction_is_advice_but_no_overclaim(nlp):
    """GUIDELINES §8: advice not about treatment (dosing guidance, usage instructions) is no
    overclaim; the same advice for a condition or a benefit is (overclaim rules 1.3.0)."""
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()
    advice = ClaimFacts("advice", "no_relationship", "none", advice=True,
                        advice_kind="promotional", substances=["moringa"])
    assert engine.decide(advice).rule == "advice_without_trials"
    instruction = ClaimFacts("advice", "no_relationship", "none", advice=True,
                             advice_kind="promotional", substances=["moringa"], instruction=True)
    assert not engine.decide(instruction).flag

    doc = nlp("Moringa is a tree grown in India. Beginners should start low, with 2 to 3 "
              "grams of moringa powder, and wait an hour before taking more. For severe pain, "
              "take 5 grams of moringa three times a day.")
    dosing, treatment = doc.spans["claims"]
    assert dosing._.advice and not dosing._.overclaim
    assert treatment._.advice and treatment._.overclaim_rule == "advice_without_trials"

    # an amount in micrograms, units (IU) or tablets is a dose too (claim cues 1.11.0)
    doc = nlp("Moringa is a tree grown in India. Adults should take 250 micrograms of "
              "moringa extract with breakfast.")
    (dosing,) = doc.spans["claims"]
    assert dosing._.advice and not dosing._.overclaim


def test_an_animal_result_told_as_found_is_no_human_outcome(nlp):
    """GUIDELINES §9.8: a result of a study in mice told in the past tense reports the animal
    result; rule 3 needs a human outcome, as when "so" carries it over (claim cues 1.7.0)."""
    doc = nlp("Researchers at a Danish university gave a new antibody to 40 mice fed a "
              "high-fat diet. The researchers found that the antibody reduced body fat by a "
              "third.")
    (found,) = doc.spans["claims"]
    assert found._.evidence_level == "preclinical" and found._.strength == "direct_causal"
    assert not found._.overclaim
    outcomes = nlp.get_pipe("kratom_overclaim").outcomes
    assert outcomes.human_outcome(found, found._.evidence_cues) is True  # level not given
    carried = nlp("The antibody reduced body fat by a third, so it will melt your belly fat.")
    told = nlp("The antibody reduced body fat by a third.")
    assert outcomes.human_outcome(carried[:], (), "preclinical") is True
    assert outcomes.human_outcome(told[:], (), "preclinical") is False
    assert outcomes.human_outcome(told[:], (), "observational") is True


def test_lab_words_in_a_claim_resting_on_a_study_of_people_name_a_human_outcome(nlp):
    """Claim cues 1.22.0: "cells" or "lab" in a claim whose evidence is a study of people
    (observational, trial, review) describe what was measured in them, not a laboratory
    result; with no such study, or with real animals named, the outcome stays non-human."""
    outcomes = nlp.get_pipe("kratom_overclaim").outcomes
    cells = nlp("The balm restored healthy skin cells within a month.")[:]
    lab = nlp("The patch, a tiny lab worn on the skin, caught the infection early.")[:]
    mice = nlp("The balm restored healthy skin in most of the mice.")[:]
    for level in ("observational", "clinical_trial", "systematic_review"):
        assert outcomes.human_outcome(cells, (), level) is True
        assert outcomes.human_outcome(lab, (), level) is True
        assert outcomes.human_outcome(mice, (), level) is False
    for level in ("expert_opinion", "preclinical", "none"):
        assert outcomes.human_outcome(cells, (), level) is False
        assert outcomes.human_outcome(lab, (), level) is False


def test_advice_that_opens_with_a_caution_is_cautionary(nlp):
    """Advice that opens with a cautionary phrase protects the reader ("Seek urgent medical
    help if …", "Tell your doctor …"): cautionary, never rule 2's promotion, even when the
    rules see no advice in it; a phrase that urges use ("we recommend") keeps it promotional."""
    texts = ["Tell your doctor you are taking ashwagandha before any thyroid blood test.",
             "Seek urgent medical help if you feel faint after taking CBD gummies.",
             "Ask your doctor about kratom, or use one of the online shops we recommend below."]
    docs = list(nlp.pipe(texts))
    tell, seek, promote = (doc.spans["claims"][0] for doc in docs)
    for claim in (tell, seek):
        assert claim._.advice and claim._.advice_kind == "cautionary"
        assert not claim._.overclaim
    assert promote._.advice_kind == "promotional"
    assert promote._.overclaim_rule == "advice_without_trials"
    # a promotional opener that looks like a caution (claim cues 1.8.0)
    for text in ("Stop suffering and try kratom capsules today.",
                 "Don't wait until you're sick to start taking moringa."):
        doc = nlp(text)
        (claim,) = doc.spans["claims"]
        assert claim._.advice_kind == "promotional", text
        assert claim._.overclaim_rule == "advice_without_trials", text
    doc = nlp("Do not take kava if you have liver disease.")
    (caution,) = doc.spans["claims"]
    assert caution._.advice_kind == "cautionary" and not caution._.overclaim


@pytest.mark.parametrize("text", [
    "Dr. Lund adds that people with nut allergies should use the balm with caution.",
    "You should take kava only under medical supervision.",
    "If the balm stings, the maker recommends using less of it.",
    "Dr. Lund warned against starting kava for every bout of nerves.",  # claim cues 1.15.0
    # a caution just before the promotional words (claim cues 1.17.0)
    "But Dr. Lund doesn't think everyone with nerves should begin on kava before more trials.",
    "She cautioned that using the balm as a cure for eczema is a long way off.",
    # a negated belief reaches to the end of its clause (claim cues 1.20.0), and a curly
    # apostrophe reads as a straight one
    "\u201cI don't think there is enough proof yet to say gardeners with eczema should go out "
    "and buy the balm,\u201d Dr. Berg said.",
    "But Dr. Lund doesn\u2019t think everyone with nerves should begin on kava before more "
    "trials.",
])
def test_use_tempered_by_a_caution_is_cautionary_advice(nlp, text):
    """A word that urges use with a cautionary phrase beside it in its clause ("should use it
    with caution", "recommends using less", "doesn't think everyone with nerves should begin on it")
    says how to use it safely, or not yet: cautionary advice, never rule 2's promotion
    (``SentenceView.promotional``, claim cues 1.14.0 and 1.17.0)."""
    doc = nlp(text)
    for claim in doc.spans["claims"]:
        assert claim._.advice_kind in (None, "cautionary"), text
        assert claim._.overclaim_rule != "advice_without_trials", text
    # a caution in another clause does not temper it
    doc = nlp("Readers should try kava tea for anxiety; tell your doctor first.")
    assert [c._.advice_kind for c in doc.spans["claims"]][:1] == ["promotional"]
    # a negated hesitation urges the use (claim cues 1.18.0)
    for urging in ("Patients shouldn't delay starting the balm for months, Dr. Lund "
                   "said.", "People with dry skin need not fear using the balm."):
        doc = nlp(urging)
        assert [c._.advice_kind for c in doc.spans["claims"]] == ["promotional"], urging


@pytest.mark.parametrize("text, cue", [
    ("Men over 50 should take in 400 mg of magnesium daily, say the latest nutrition "
     "guidelines.", "nutrition guidelines"),
    ("The drug carries a federally mandated warning about liver damage.", "federally mandated"),
    ("The Dietary Guidelines for Americans say that eating more fish lowers the risk of heart "
     "disease.", "Dietary Guidelines for Americans"),
    # evidence cues 1.2.0: the task force's findings are a public health body's
    ("The task force found that yearly skin checks lower the risk of dying from melanoma.",
     "The task force"),
    # evidence cues 1.3.0: a regulator's panel named again
    ("Yearly skin checks cut deaths from melanoma by a tenth, the panel concluded.",
     "the panel concluded"),
])
def test_government_guidelines_and_mandated_warnings_are_regulatory(nlp, text, cue):
    """Evidence cues 1.1.0: a public health agency's guidelines or a warning the law requires
    are a regulator's statement (labelling rules: regulatory)."""
    doc = nlp(text)
    (claim,) = doc.spans["claims"]
    assert claim._.evidence_level == "regulatory"
    assert [c["text"] for c in claim._.evidence_cues] == [cue]


def test_a_benefit_held_as_a_belief_is_hedged(nlp):
    """Claim cues 1.9.0: "believes" hedges as "is believed to" does (labelling rules), so a
    belief in a benefit is conditional and no overclaim; the bare assertion is one."""
    believed, stated = nlp.pipe(["Dr. Lee believes ashwagandha is much safer than sleeping "
                                 "pills.", "Ashwagandha is much safer than sleeping pills."])
    (belief,) = believed.spans["claims"]
    (fact,) = stated.spans["claims"]
    assert belief._.strength == "conditional_causal" and not belief._.overclaim
    assert fact._.strength == "direct_causal" and fact._.overclaim


def test_a_benefit_read_as_fact_by_a_narrow_margin_is_not_flagged():
    """Overclaim rules 1.4.0: rules 1 and 3 need the strength model to give direct_causal at
    least 0.5 (``min_fact_probability``); a backend without probabilities gives 1.0."""
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()

    def facts(p: float) -> ClaimFacts:
        return ClaimFacts("efficacy", "direct_causal", "anecdotal", substances=["kava"],
                          fact_probability=p)

    assert engine.decide(facts(0.62)).rule == "benefit_as_fact"
    assert not engine.decide(facts(0.41)).flag
    assert engine.decide(ClaimFacts("efficacy", "direct_causal", "none")).flag  # rules: 1.0


def test_overclaiming_article(analyze_text):
    a = analyze_text((FIXTURES / "articles" / "overclaiming.txt").read_text("utf-8"))
    cure = _one(a, "cures depression")
    assert cure["strength"] == "direct_causal" and cure["overclaim"]["flag"]
    assert _one(a, "completely safe")["overclaim"]["flag"]
    assert _one(a, "Try kratom capsules")["overclaim"]["flag"]
    assert a["summary"]["overclaim_rate"] >= 0.5
    assert a["summary"]["verdict"] in ("unsupported", "weakly supported")


def test_sound_article_scores_higher_than_overclaiming(analyze_text):
    sound = analyze_text((FIXTURES / "articles" / "mostly_sound.txt").read_text("utf-8"))
    bad = analyze_text((FIXTURES / "articles" / "overclaiming.txt").read_text("utf-8"))
    assert sound["summary"]["overclaims"] == 0
    assert _one(sound, "meta-analysis")["evidence"]["level"] == "systematic_review"
    assert _one(sound, "cohort study")["strength"] == "correlational"
    assert _one(sound, "interact with blood thinners")["claim_type"] == "risk"
    assert sound["summary"]["support_score"] > bad["summary"]["support_score"]


def test_segmenter_web_prose():
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    text = ("Kratom Guide\nThe U.S. FDA warned in 2019, e.g. about salmonella. Dr. Lee agreed.\n"
            "- a bullet without a stop\nA paragraph after it.")
    got = [text[s:e] for s, e in sentence_spans(text, frozenset(DEFAULT_ABBREVIATIONS))]
    assert got == ["Kratom Guide", "The U.S. FDA warned in 2019, e.g. about salmonella.",
                   "Dr. Lee agreed.", "a bullet without a stop", "A paragraph after it."]


def test_a_numbered_list_gives_one_unit_per_item_and_none_per_number(nlp):
    """"1. Relieves chronic pain": the item is a sentence of the Doc, its number is not."""
    doc = nlp("Top benefits of the oil\n1. Relieves chronic pain\n2) Calms anxiety\n"
              "3. It eased pain in 2 of 3 users.")
    units = [s._.text for s in doc.spans["sentences"]]
    assert units == ["Top benefits of the oil", "Relieves chronic pain", "Calms anxiety",
                     "It eased pain in 2 of 3 users."]


def test_a_numbered_markdown_heading_is_one_unit():
    """A listicle's "## 2. It Reduces Redness": the list number after the heading's marks
    ends no sentence (before, "It Reduces Redness" was a unit of its own, bare of its marks,
    which the models read as a claim); a sentence after it on the line still ends there."""
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    text = ("# Three benefits\n## 2. It Reduces Redness\n### 3) Sleep. It helps.\n"
            "###\nAbout us.")
    got = [text[s:e] for s, e in sentence_spans(text, frozenset(DEFAULT_ABBREVIATIONS))]
    assert got == ["# Three benefits", "## 2. It Reduces Redness", "### 3) Sleep.",
                   "It helps.", "###", "About us."]


def test_segmenter_sentence_final_abbreviations():
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    text = ("Records came from across the U.S. In this cohort, doses ended at 8 p.m. "
            "The U.S. Food and Drug Administration agreed, e.g. Dr. Ames did.")
    got = [text[s:e] for s, e in sentence_spans(text, frozenset(DEFAULT_ABBREVIATIONS))]
    assert got == ["Records came from across the U.S.", "In this cohort, doses ended at 8 p.m.",
                   "The U.S. Food and Drug Administration agreed, e.g. Dr. Ames did."]


def test_segmenter_matches_gold_boundaries():
    from kratom_nlp.corpora.gold import DEFAULT_CORPUS, iter_articles
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    same = total = 0
    for split in ("train", "dev", "test"):
        for art in iter_articles(DEFAULT_CORPUS / "gold" / f"{split}.jsonl"):
            gold = [(s["start"], s["end"]) for s in art["sentences"]]
            pred = sentence_spans(art["text"], frozenset(DEFAULT_ABBREVIATIONS))
            same += len(set(gold) & set(pred))
            total += len(gold)
    assert same / total > 0.97


def test_abbreviations_detected(nlp):
    doc = nlp("Opioid use disorder (OUD) is treated with buprenorphine. OUD is common.")
    found = {(a["short_text"], a["long_text"]) for a in doc._.abbreviations}
    assert ("OUD", "Opioid use disorder") in found  # serializable form: plain dicts


def test_docbin_round_trip_keeps_claims(nlp):
    from spacy.tokens import DocBin

    text = (FIXTURES / "articles" / "overclaiming.txt").read_text("utf-8")
    doc = nlp(text)
    db = DocBin(store_user_data=True)
    db.add(doc)
    restored = next(DocBin().from_bytes(db.to_bytes()).get_docs(nlp.vocab))
    before = [(c.text, c._.evidence_level, c._.overclaim, c._.overclaim_reason)
              for c in doc.spans["claims"]]
    after = [(c.text, c._.evidence_level, c._.overclaim, c._.overclaim_reason)
             for c in restored.spans["claims"]]
    assert before == after and before
    assert restored._.summary == doc._.summary
    for group in ("substances", "subjects"):
        assert [(s.start, s.label_) for s in restored.spans[group]] == \
            [(s.start, s.label_) for s in doc.spans[group]]
    assert list(restored._.topic_subjects) == doc._.topic_subjects and doc._.topic_subjects


def test_span_values_read_and_write_what_span_underscore_does():
    """``SpanValues`` (the hot loops' accessor) and ``span._`` are two views of one store,
    for every declared span extension: a change in spaCy's key would fail here."""
    import spacy

    from kratom_nlp.pipeline.extensions import SPAN_EXTENSIONS, SpanValues

    doc = spacy.blank("en")("Kratom eased pain in the survey. It was small.")
    span, other = doc[0:6], doc[7:10]
    for k, name in enumerate(SPAN_EXTENSIONS):
        v = SpanValues(span)
        assert v.get(name) == SPAN_EXTENSIONS[name]  # the declared default when unset
        v.set(name, ("written", k))
        assert getattr(span._, name) == ("written", k)
        setattr(span._, name, ("back", k))
        assert SpanValues(span).get(name) == ("back", k)
        assert getattr(other._, name) == SPAN_EXTENSIONS[name]  # other spans untouched
    unread = doc[1:3]
    default = SpanValues(unread).get("substances")
    default.append("kratom")  # an unset mutable value is a fresh copy, never the default
    assert SPAN_EXTENSIONS["substances"] == [] and unread._.substances == []
    with pytest.raises(AttributeError):
        SpanValues(span).set("no_such_extension", 1)
    with pytest.raises(AttributeError):
        SpanValues(span).get("no_such_extension")


@pytest.mark.slow
def test_multiprocessing_keeps_extensions(nlp):
    texts = [(FIXTURES / "articles" / n).read_text("utf-8")
             for n in ("overclaiming.txt", "mostly_sound.txt")] * 2
    single = [[(c.text, c._.overclaim) for c in d.spans["claims"]] for d in nlp.pipe(texts)]
    multi = [[(c.text, c._.overclaim) for c in d.spans["claims"]]
             for d in nlp.pipe(texts, n_process=2, batch_size=1)]
    assert single == multi


def test_config_override_changes_behaviour():
    from kratom_nlp.pipeline import build_pipeline

    strict = build_pipeline(overrides={"components.kratom_claims.threshold": 1.01,
                                       "components.kratom_claims.keep_promotional_advice":
                                           False,
                                       "components.kratom_claims.keep_health_verdicts": False})
    doc = strict((FIXTURES / "articles" / "overclaiming.txt").read_text("utf-8"))
    assert len(doc.spans["claims"]) == 0


def test_the_advice_threshold_decides_from_the_advice_score(nlp):
    from kratom_nlp.pipeline.components import StrengthGrader

    grader = nlp.get_pipe("kratom_strength")
    assert grader.advice_threshold == nlp.config["components"]["kratom_strength"][
        "advice_threshold"] == 0.5
    assert grader.advice_from_type  # the default: the flag follows the claim type (below)
    text = (FIXTURES / "articles" / "overclaiming.txt").read_text("utf-8")
    default, lowered = nlp(text), nlp(text)
    StrengthGrader(grader.backend, advice_from_type=False).process([default])
    StrengthGrader(grader.backend, advice_threshold=0.05, advice_from_type=False).process(
        [lowered])
    changed = 0
    for a, b in zip(default.spans["claims"], lowered.spans["claims"], strict=True):
        p = b._.strength_scores["advice"]  # the learned advice model's probability
        assert a._.advice == (p >= 0.5) and b._.advice == (p >= 0.05)
        # a flag the threshold adds gets a kind; one it removes loses it
        assert (b._.advice_kind is not None) == b._.advice
        changed += a._.advice != b._.advice
    assert changed >= 1
    with pytest.raises(ValueError, match="advice_threshold"):
        StrengthGrader(grader.backend, advice_threshold=0.0)


def test_the_advice_flag_follows_the_claim_type(nlp):
    """A claim is advice exactly when the claim detector types it advice (GUIDELINES step 4),
    whatever the advice model says; a flag the type adds gets a kind, one it removes loses
    it. Off, the advice model decides."""
    from kratom_nlp.pipeline.components import StrengthGrader

    text = ("Kratom eased pain in a small survey of users. For severe pain, take 5 grams of "
            "kratom three times a day. Do not take kratom with alcohol. Tell your doctor if "
            "you use kratom so they can check your liver. Many users say it lifts their mood.")
    doc = nlp(text)
    assert doc.spans["claims"]
    for claim in doc.spans["claims"]:
        u = claim._
        assert u.advice == (u.claim_type == "advice"), claim.text
        assert (u.advice_kind is not None) == u.advice
    grader = nlp.get_pipe("kratom_strength")
    model = nlp(text)
    StrengthGrader(grader.backend, advice_from_type=False).process([model])
    for claim in model.spans["claims"]:
        assert claim._.advice == (claim._.strength_scores["advice"] >= 0.5)
    # the dosing advice the advice model scores low ("For severe pain, take 5 grams ...")
    assert any(a._.advice and not b._.advice for a, b in
               zip(doc.spans["claims"], model.spans["claims"], strict=True))


def test_analysis_validates_against_schema(levels):
    from kratom_nlp.outputs.contract import validate_analysis

    validate_analysis(levels)
    json.dumps(levels)  # plain values only


@pytest.mark.skipif(not SEED.exists(), reason="the seed article is not present")
def test_seed_article_must_show(analyze_text):
    a = analyze_text(SEED.read_text("utf-8"))
    pre = _one(a, "Preclinical studies have indicated")
    assert pre["evidence"]["level"] == "preclinical"
    assert pre["overclaim"]["flag"] is False
    assert _one(a, "This mechanism suggests")["evidence"] == {
        **_one(a, "This mechanism suggests")["evidence"], "level": "preclinical",
        "from_context": True}
    assert _one(a, "anecdotal evidence")["evidence"]["level"] == "anecdotal"
    clinical = _one(a, "Clinical studies indicate")
    assert clinical["evidence"]["level"] == "clinical_trial"
    fda = _one(a, "has issued warnings")
    assert fda["evidence"]["level"] == "regulatory" and fda["claim_type"] == "risk"
    conclusion = _one(a, "encouraged to explore")
    assert conclusion["advice"] is True and conclusion["overclaim"]["flag"] is True
    assert not _claims(a, "This article dissects")  # a sentence about the article itself


def test_degenerate_and_random_inputs_never_crash(nlp):
    import random

    from kratom_nlp.outputs.contract import doc_to_analysis, validate_analysis

    rng = random.Random(7)
    pool = list("kratom CBD may cure pain. FDA warned!?\n-•*()\"'“”;:,0123456789\t\u200b") + [
        " studies show ", " in mice ", " users say ", " Try it ", "\n- ", "e.g. ", "U.S. "]
    texts = ["-\n*\n- \n\n", ".", "!!!", "\u200b kratom", "kratom " * 3000, "\t-\t•\n1)\n",
             "Kratom?\nWhy kratom?"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 80))) for _ in range(150)]
    for text, doc in zip(texts, nlp.pipe(texts), strict=True):
        analysis = doc_to_analysis(doc)
        validate_analysis(analysis)
        for claim in analysis["claims"]:
            assert text[claim["start"]:claim["end"]] == claim["text"]


def test_a_custom_cue_file_in_the_config_changes_a_decision(tmp_path):
    """`paths.claim_cues` in config.cfg reaches the decisions, not only the matches: without
    "may" among the hedges, a sentence hedged only by "may" is no longer conditional."""
    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.resources import RESOURCE_DIR

    cues = json.loads((RESOURCE_DIR / "claim_cues.json").read_text("utf-8"))
    cues["hedges"] = [h for h in cues["hedges"] if h != "may"]
    custom = tmp_path / "claim_cues.json"
    custom.write_text(json.dumps(cues), encoding="utf-8")
    rules = {f"components.{c}.backend": {"@kratom_backends": "kratom.rules.v1", "task": t}
             for c, t in (("kratom_claims", "claim"), ("kratom_evidence", "evidence"),
                          ("kratom_strength", "strength"))}
    text = "Kratom may relieve chronic back pain in adults."
    packaged = build_pipeline(overrides=rules)(text)
    mine = build_pipeline(overrides={**rules, "paths.claim_cues": str(custom)})(text)
    assert [c._.strength for c in packaged.spans["claims"]] == ["conditional_causal"]
    assert [c._.strength for c in mine.spans["claims"]] == ["direct_causal"]
    assert [s.text for s in mine.spans["hedge"]] == []  # the matcher read the same file


def test_studies_and_their_links_survive_a_docbin_round_trip(nlp):
    from spacy.tokens import DocBin

    text = ("Kratom eased neck pain, a new trial shows. Researchers randomly assigned 220 adults "
            "to kratom or a placebo. After eight weeks, pain fell by a third in the kratom "
            "group, the study found.")
    doc = nlp(text)
    db = DocBin(store_user_data=True)
    db.add(doc)
    back = next(DocBin().from_bytes(db.to_bytes()).get_docs(nlp.vocab))
    before = [(s.text, s._.design, s._.study_n) for s in doc.spans["studies"]]
    assert before and before == [(s.text, s._.design, s._.study_n)
                                 for s in back.spans["studies"]]
    assert before[0][1] == "clinical_trial" and before[0][2] == 220
    assert [s._.study for s in back.spans["sentences"]] == \
        [s._.study for s in doc.spans["sentences"]]


def test_the_example_analysis_matches_the_stored_one(nlp):
    """The example article's analysis is what it was when the models were last chosen
    (`python eval/store_example_analysis.py` rewrites the stored copy after a deliberate
    change); only float noise is allowed: 1e-3 in float32, 0.03 where the transformer models
    run in bfloat16 (``KRATOM_NLP_PRECISION``, models/README.md), decisions equal in both."""
    from kratom_nlp.api import analyze
    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.minilm import resolve_precision

    tol = 1e-3 if resolve_precision(store.inference_precision()) == "fp32" else 0.03

    stored = json.loads((FIXTURES / "example_analysis.json").read_text("utf-8"))
    path = Path(__file__).resolve().parents[1] / "corpora" / "examples" / "kratom_mood_guide.txt"
    got = analyze(path=path, nlp=nlp)

    def same(a, b, where="$"):
        if isinstance(a, float) or isinstance(b, float):
            assert abs(float(a) - float(b)) < tol, where
        elif isinstance(a, dict):
            assert set(a) == set(b), where
            for k in a:
                same(a[k], b[k], f"{where}.{k}")
        elif isinstance(a, list):
            assert len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                same(x, y, f"{where}[{i}]")
        else:
            assert a == b, where

    stored.pop("source", None)
    got.pop("source", None)
    same(got, stored)


@pytest.mark.parametrize("last, verdict, claim_type", [
    ("It's safe.", "safety", "safety"),
    ("It is very healthy.", "efficacy", "efficacy"),
    ("It isn't safe for children.", "risk", None),  # the learned type may say safety
    ("The gardener was healthy.", None, None),  # not about the substance
    ("That is good news for farmers.", None, None),
    # a verdict naming a remedy (claim cues 1.4.0)
    ("Moringa is a natural antidepressant.", "efficacy", "efficacy"),
    ("It is a natural sleep aid.", "efficacy", "efficacy"),
    ("Moringa is not a cure.", None, None),
    ("It is a first aid kit.", None, None),
])
def test_a_short_health_verdict_stays_a_claim(nlp, last, verdict, claim_type):
    doc = nlp(f"Moringa is a tree grown in India. {last}")
    sent = doc.spans["sentences"][-1]
    assert sent._.rules["verdict"] == verdict
    if verdict is not None:
        assert sent._.is_claim
        if claim_type is not None:
            assert sent._.claim_type == claim_type


@pytest.mark.parametrize("last, advice", [
    ("Adding moringa to your diet today is a smart move for your health.", True),
    ("Make moringa part of your daily routine.", True),
    ("Moringa is a great addition to curries.", False),  # cooking, no health advice
])
def test_advice_said_as_a_judgement_of_the_choice_is_promotional(nlp, last, advice):
    doc = nlp(f"Moringa is a tree grown in India. {last}")
    sent = doc.spans["sentences"][-1]
    assert (sent._.rules["advice_kind"] == "promotional") == advice
    claims = [c for c in doc.spans["claims"] if c.start_char == sent.start_char]
    assert bool(claims and claims[0]._.advice) == advice


@pytest.mark.parametrize("text, start, kind", [
    ("Kratom cures depression", 0, "sentence"),  # the whole text: no title over nothing
    ("  Kratom cures depression\n", 2, "sentence"),
    ("Kratom cures depression\nIt is sold online.", 0, "heading"),
    ("# Kratom guide", 0, "heading"),
    ("Intro.\n- eases pain\nMore.", 9, "bullet"),
])
def test_line_kinds(text, start, kind):
    from kratom_nlp.text.geometry import line_kind

    end = text.index("\n", start) if "\n" in text[start:] else len(text.rstrip())
    assert line_kind(text, start, end) == kind


def test_a_title_is_never_a_claim_even_when_it_reads_like_one(nlp):
    headline = ("Daily moringa pills did not prevent heart attacks in older adults, large "
                "trial finds")
    doc = nlp(f"{headline}\n\nTaking moringa every day lowered blood pressure in a trial of "
              "2,000 adults.")
    title, body = doc.spans["sentences"]
    assert title.label_ == "heading" and not title._.is_claim
    assert [c.text for c in doc.spans["claims"]] == [body.text]
    alone = nlp(headline)  # one line alone is what the user asks about, not a title
    assert alone.spans["sentences"][0].label_ == "sentence" and alone.spans["claims"]
    from kratom_nlp.pipeline.components import ClaimDetector

    detector = nlp.get_pipe("kratom_claims")
    assert detector.drop_title
    ClaimDetector(detector.backend, detector.threshold, drop_title=False).process([doc])
    assert title._.is_claim  # the model's own reading of it


class _ScoresByText:
    """A claim backend that gives each sentence a fixed score (0.1 for any other)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def predict_claims(self, sents):
        from kratom_nlp.backends.base import ClaimPrediction

        out = []
        for s in sents:
            p = next((v for k, v in self.scores.items() if s.text.startswith(k)), 0.1)
            out.append(ClaimPrediction(p >= 0.5, "efficacy", p, {"none": 1 - p, "efficacy": p}))
        return out


def test_a_unit_that_goes_on_from_a_claim_is_a_claim_at_the_context_threshold(nlp):
    """``context_threshold``: right after a claim kept on its own score, a unit scoring at
    least the lower threshold is a claim too, marked ``claim_by_context`` and never flagged;
    not after a non-claim, not a heading, and not in a chain (the unit after a context claim
    needs its own score)."""
    from kratom_nlp.outputs.contract import claim_to_dict
    from kratom_nlp.pipeline.components import ClaimDetector

    text = ("Moringa tea cured insomnia in every user.\n\nIt also ends anxiety for good.\n\n"
            "It ends migraines as well.\n\nThe shop opened in May.\n\n"
            "It ends back pain too.")
    backend = _ScoresByText({"Moringa": 0.9, "It also": 0.45, "It ends migraines": 0.45,
                             "It ends back": 0.45})
    doc = nlp(text)
    sents = list(doc.spans["sentences"])
    assert len(sents) == 5
    ClaimDetector(backend, 0.55, context_threshold=0.4).process([doc])
    nlp.get_pipe("kratom_evidence")(doc)
    nlp.get_pipe("kratom_strength")(doc)
    nlp.get_pipe("kratom_overclaim")(doc)
    claims = {c.text: c for c in doc.spans["claims"]}
    assert set(claims) == {sents[0].text, sents[1].text}  # no chain, nothing after the shop
    first, second = claims[sents[0].text], claims[sents[1].text]
    assert not first._.claim_by_context and first._.overclaim  # a cure on no evidence
    assert second._.claim_by_context and not second._.overclaim
    assert second._.overclaim_rule is None and second._.overclaim_reason is None
    assert claim_to_dict(second, 2)["by_context"] and not claim_to_dict(first, 1)["by_context"]
    ClaimDetector(backend, 0.55, context_threshold=None).process([doc])
    assert [c.text for c in doc.spans["claims"]] == [sents[0].text]  # off: the model alone
    assert not sents[1]._.claim_by_context  # rewritten on every unit, claim or not
    ClaimDetector(backend, 0.55, context_threshold=0.6).process([doc])  # above: adds nothing
    assert [c.text for c in doc.spans["claims"]] == [sents[0].text]
    with pytest.raises(ValueError, match="context_threshold"):
        ClaimDetector(backend, 0.55, context_threshold=1.5)


def test_the_default_config_adds_no_claims_by_context_and_would_not_flag_them(nlp):
    # off since the 77-article dev split (ClaimDetector); turned on, they stay unflagged
    assert nlp.get_pipe("kratom_claims").context_threshold is None
    assert not nlp.get_pipe("kratom_overclaim").flag_context_claims


def test_segmenter_sets_the_starts_of_lines_and_sentences_in_one_pass(nlp):
    """The segmenter writes every token's sentence start at once (``Doc.from_array``; the
    per-token setter rescans the Doc and made long documents quadratic): line starts, the
    starts of sentences inside a line, and nothing else."""
    text = ("Kratom guide\n\n- Eases pain. Lifts mood.\nDr. Smith said it works. It is sold "
            "in the U.S. and online.\n\n  Final line")
    doc = nlp.get_pipe("kratom_segmenter")(nlp.make_doc(text))
    starts = [t.text for t in doc if t.is_sent_start]
    # the bullet marker starts its line, the item's text its sentence
    assert starts == ["Kratom", "-", "Eases", "Lifts", "Dr.", "It", "Final"]
    assert all(t.is_sent_start is not None for t in doc)  # every token decided
    assert not any(t.is_sent_start for t in doc if t.is_space)


def test_tok2vec_in_bounded_calls_gives_the_vectors_of_one_call(nlp):
    """The tok2vec runs on groups of at most ``token_budget`` tokens, and a longer document in
    overlapping windows: the vectors are those of one call over everything."""
    import numpy as np
    from spacy.pipeline.tok2vec import Tok2Vec

    from kratom_nlp.pipeline.tok2vec import BoundedTok2Vec

    t2v = nlp.get_pipe("tok2vec")
    assert type(t2v) is BoundedTok2Vec
    texts = [p.read_text() for p in sorted((FIXTURES / "articles").glob("*.txt"))]
    texts += ["Kratom may ease pain.", "", "A trial of 40 adults found no effect."]
    docs = [nlp.make_doc(t) for t in texts]
    assert max(len(d) for d in docs) > 100 and min(len(d) for d in docs) == 0
    whole = Tok2Vec.predict(t2v, docs)
    t2v.token_budget = 48  # windows of 48 - 2 × 16 tokens, groups of short documents
    try:
        parts = t2v.predict(docs)
    finally:
        del t2v.token_budget
    assert [p.shape for p in parts] == [w.shape for w in whole]
    assert max(float(np.abs(p - w).max()) if w.size else 0.0
               for p, w in zip(parts, whole, strict=True)) < 1e-5


def _discovered(nlp, text: str, group: str = "substances") -> set[str]:
    from kratom_nlp.resources import load_cues

    known = {e.name for e in load_cues().lexicon.substances}
    with nlp.select_pipes(enable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer",
                                  "kratom_lexicon"]):
        doc = nlp(text)
    return {s.label_ for s in doc.spans[group]} - known


def test_substances_discovered_from_a_title_only(nlp):
    body = ("Moonleaf is brewed as a tea. Moonleaf drinkers report calm. Group sessions help "
            "too, and each group met weekly. Moonleaf was taken by every group.\n")
    # a short title: its rare noun recurs in the body and becomes a substance; its common
    # noun ("group") does not, but stays a subject the rules may read a claim about
    titled = "Moonleaf and Group Therapy for Anxiety\n" + body
    assert _discovered(nlp, titled) == {"moonleaf"}
    assert _discovered(nlp, titled, "subjects") == {"moonleaf", "group"}
    # an opening paragraph is not a title: none of its nouns is shown as a substance, and
    # the ones it repeats are the article's subjects
    opening = ("Moonleaf, a tea sold by a group of growers, has a potential role in anxiety "
               "care, and its potential is discussed by every group of experts.\n")
    text = opening + body + "Its potential remains unclear.\n"
    assert _discovered(nlp, text) == set()
    assert _discovered(nlp, text, "subjects") == {"moonleaf", "group", "potential"}


def test_a_cased_alias_matches_only_as_written(nlp):
    # "SAMe" is a supplement; "the same dose" names none
    with nlp.select_pipes(enable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer",
                                  "kratom_lexicon"]):
        doc = nlp("SAMe may ease low mood, and the same dose was well tolerated.")
    assert [(s.text, s.label_) for s in doc.spans["substances"]] == [("SAMe", "sam-e")]


def test_drop_release_boilerplate_drops_what_follows_the_end_marker(nlp, analyze_text,
                                                                   monkeypatch):
    from kratom_nlp.text.geometry import release_end

    text = (FIXTURES / "articles" / "press_release_end.txt").read_text("utf-8")
    end = release_end(text)
    assert end is not None and text[end - 4:end] == "\n###"
    # off by default (config.cfg): the "About ..." paragraph, which names an effect, is read
    # as a claim
    assert any(c["start"] >= end for c in analyze_text(text)["claims"])
    monkeypatch.setattr(nlp.get_pipe("kratom_claims"), "drop_release_boilerplate", True)
    got = analyze_text(text)
    assert _claims(got, "reduced knee pain") and _claims(got, "less stiffness")
    assert all(c["end"] <= end for c in got["claims"])
    # the same paragraphs without the marker are read as claims: the marker is what drops them
    unmarked = analyze_text(text.replace("\n###\n", "\n"))
    assert any(c["start"] >= end - 4 for c in unmarked["claims"])


@pytest.mark.parametrize("text, ends", [
    ("Results.\n###\nAbout us.", True), ("Results.\n# # #\nAbout us.", True),
    ("Results.\n-30-\nAbout us.", True), ("Results.\n- ENDS -\nAbout us.", True),
    ("### Results\nThe trial found it works.", False),  # a Markdown heading, not a marker
    ("Results.\n## \nAbout us.", False), ("The end of pain ###\nAbout us.", False),
])
def test_release_end_markers(text, ends):
    from kratom_nlp.text.geometry import release_end

    end = release_end(text)
    assert (end is not None) == ends
    if ends:
        assert text[end:].strip() == "About us."


def test_a_reference_list_holds_no_claim_and_names_no_study(nlp, analyze_text, monkeypatch):
    """GUIDELINES §12.8: a web page's sources are boilerplate. The entries' titles read like
    claims and name trials ("...: a double-blind randomized placebo-controlled trial"); the
    claims and the one study are the article's own."""
    text = (FIXTURES / "articles" / "web_page_sources.txt").read_text("utf-8")
    refs = text.index("\nReferences\n")
    got = analyze_text(text)
    assert got["claims"] and all(c["end"] <= refs for c in got["claims"])
    assert [(s["design"], s["start"] < refs) for s in got["studies"]] == [("clinical_trial", True)]
    assert _claims(got, "In one small trial")
    doc = nlp(text)
    flagged = [s.start_char for s in doc.spans["sentences"] if s._.rules["reference"]]
    assert len(flagged) >= 2 and min(flagged) > refs  # the two entries, nothing above them
    # the switch is what drops them: the learned models read an entry's title as a claim
    monkeypatch.setattr(nlp.get_pipe("kratom_claims"), "drop_references", False)
    assert any(c["start"] > refs for c in analyze_text(text)["claims"])


def test_an_faq_pages_questions_are_no_claims_and_its_answers_are(nlp, analyze_text,
                                                                   monkeypatch):
    """A question on a line of its own heads its answer and asserts nothing
    (``drop_question_lines``); a question that shares its line with other text is left to the
    models and rules as before."""
    text = (FIXTURES / "articles" / "faq_page.txt").read_text("utf-8")
    got = analyze_text(text)
    assert not [c["text"] for c in got["claims"] if c["text"].endswith("?")]
    for start in ("Kava balm is safe for children", "Kava balm calms eczema",
                  "Apply a thin layer"):
        assert _claims(got, start)
    # the switch is what drops them: the learned models read an FAQ's question as a claim
    monkeypatch.setattr(nlp.get_pipe("kratom_claims"), "drop_question_lines", False)
    assert [c for c in analyze_text(text)["claims"] if c["text"].endswith("?")]


@pytest.mark.parametrize(("text", "unit", "fills", "asks"), [
    ("FAQ\n\nIs it safe?\nYes.", "Is it safe?", True, True),
    ("FAQ\n\n- Is it safe?\n", "Is it safe?", True, True),  # a bullet's marker aside
    ("Is it safe? Ask first.", "Is it safe?", False, True),
    ("Intro.\n\n\"Will it help?\" she asked.\n", "\"Will it help?\"", False, True),
    ("Intro.\n\nIt helps (and is safe).\n", "It helps (and is safe).", True, False),
])
def test_fills_line_and_is_question(text, unit, fills, asks):
    from kratom_nlp.text.geometry import fills_line, is_question

    start = text.index(unit)
    assert fills_line(text, start, start + len(unit)) is fills
    assert is_question(unit) is asks


@pytest.mark.parametrize("text, found", [
    ("Body.\n\nReferences\n\n1. Lund M, Berg O. Kava and sleep. Sleep J. 2020;6(2):112-8.\n"
     "2. Berg O, et al. Kava balm eases itch. Skin. 2019.\n", ["1. Lund", "2. Berg"]),
    ("Body.\n\nSources\n\n- Spinach\n- Almonds\n- Dark chocolate\n", []),  # no entry
    ("Body.\n\n## Bibliography\n\nLund M (2021). Kava. Northfield Press.\n\nMore on sleep"
     "\n\nKava helps sleep.", ["Lund M (2021)"]),
    ("The balm eased itch.\nReference: Lund M. Kava balm. Skin J. 2019;3(2):10-15.\nMore.",
     ["Reference: Lund"]),
    ("Open sources of funding helped.\nSources of magnesium: nuts (2019).", []),
])
def test_reference_ranges(text, found):
    from kratom_nlp.resources import load_claim_cues
    from kratom_nlp.text.geometry import reference_ranges

    ranges = reference_ranges(text, load_claim_cues().rule_words.reference_headings)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    inside = [ln for ln in lines if any(x <= text.index(ln) < y for x, y in ranges)]
    assert [ln[:len(f)] for ln, f in zip(inside, found, strict=False)] == found
    assert len(inside) == len(found)


def test_topic_substances_are_those_the_first_line_names(nlp):
    with nlp.select_pipes(enable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer",
                                  "kratom_lexicon"]):
        named = nlp("Kratom for Low Mood\nIt lifts mood in days. Many mix kratom with coffee, "
                    "some drink coffee twice, and some drink coffee alone.\n")
        unnamed = nlp("Knee Replacements Are Rising\nThe new joints last for decades. Patients "
                      "keep walking, and walking daily helps them.\n")
    assert named._.topic_subjects[0] == "caffeine"  # coffee: mentioned more, but not first
    assert named._.topic_substances == ["kratom"]
    assert unnamed._.topic_substances == []  # "walking" (exercise) is no topic of the story
    assert "exercise" in unnamed._.topic_subjects  # the rules still read it as a subject


def test_lexicon_names_what_the_text_names(nlp):
    with nlp.select_pipes(enable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer",
                                  "kratom_lexicon"]):
        doc = nlp("A keto diet, a Mediterranean diet and naloxone after an opioid overdose.")
    assert [s.label_ for s in doc.spans["substances"]] == [
        "ketogenic diet", "mediterranean diet", "naloxone", "opioids"]


def test_kratom_strains_sold_by_name_are_kratom(nlp, analyze_text):
    # shop pages name the strain, not the leaf: "Maeng Da", "Red Bali", "Green Malay"
    with nlp.select_pipes(enable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer",
                                  "kratom_lexicon"]):
        doc = nlp("Our Maeng Da, Red Bali and Green Malay powders ship today. The red bus left.")
    assert [(s.text, s.label_) for s in doc.spans["substances"]] == [
        ("Maeng Da", "kratom"), ("Red Bali", "kratom"), ("Green Malay", "kratom")]
    got = analyze_text("Kratom for energy\nIf you want a cleaner source of energy, try our "
                       "premium Maeng Da powder today.\n")
    advice = _claims(got, "Maeng Da powder")
    assert advice and advice[0]["advice"] and advice[0]["overclaim"]["flag"]


def test_a_caution_that_only_says_be_careful_is_no_claim(analyze_text):
    # labelling rules: "approach it with caution" is a generic caution, not a claim; a caution
    # that names a reason, a group or a dose says more and stays one
    got = analyze_text(
        "Kratom and low mood\nMany readers ask us about kratom. Even so, readers should "
        "approach kratom with caution. Approach kratom dosage with caution, since "
        "high doses can cause liver injury. People who take sedatives should avoid kratom.\n")
    assert not _claims(got, "readers should approach kratom")
    assert _claims(got, "high doses can cause liver injury")
    assert _claims(got, "People who take sedatives")


# Whom a first-person sentence rests on. GUIDELINES §9.2: a professional's own clinical
# observations are expert opinion, not lay testimony; a lay speaker's own experience stays
# anecdotal. Study cues 1.18.0: a judgement ("I think", "I would not suggest") in a quotation
# whose speaker the sentence names is the speaker's opinion; "I" telling what happened to the
# speaker stays an anecdote.
FIRST_PERSON_CASES = [
    ("Magnesium and sleep\nMagnesium is a popular supplement. “I’ve had patients whose sleep "
     "improved within a week of taking magnesium,” said Dr. Ana Ruiz, a sleep physician at "
     "a city hospital. “My sleep improved within a week of taking magnesium,” said Tom "
     "Berg, 41, a teacher in Leeds.\n",
     {"I’ve had patients": "expert_opinion", "My sleep improved": "anecdotal"}),
    ("Valerian and sleep\nValerian root is sold as a sleep aid. “I would not suggest "
     "valerian root to anyone who already takes a sedative,” Lund says. “I think valerian "
     "root helps light sleepers fall asleep,” said Maria Lund. “I slept through the night "
     "after a week of valerian root,” said Ola Berg.\n",
     {"I would not suggest": "expert_opinion", "I think valerian": "expert_opinion",
      "I slept through": "anecdotal"}),
]
# Study cues 1.19.0: a seller's word is no expert's (GUIDELINES §9.7): the claim offers what the
# seller cites, here nothing; a professional's word stays expert opinion.
SELLER_CASES = [
    ("Kratom sellers\nKratom is sold online. The maker, an Ohio firm, says its kratom "
     "capsules ease joint pain. Kratom eases neck pain, said Dr. Maria Lund, a "
     "rheumatologist.\n",
     {"The maker, an Ohio firm": "none", "Kratom eases neck pain": "expert_opinion"}),
]


@pytest.mark.parametrize("text,levels", FIRST_PERSON_CASES + SELLER_CASES,
                         ids=["observations", "judgements", "company"])
def test_whom_a_first_person_claim_rests_on(analyze_text, text, levels):
    got = analyze_text(text)
    assert {start: _one(got, start)["evidence"]["level"] for start in levels} == levels


def test_a_sellers_word_is_no_expert_opinion(nlp):
    """A speaker named with a seller's word near the attribution verb ("a sales manager with
    the maker") is no expert, and a claim not told of the speaker's own experience is no
    anecdote: whatever the evidence model ranks, the claim offers no evidence; the same words
    from a professional rest on expert opinion (study cues 1.19.0)."""
    doc = nlp("Kratom sellers\nKratom is sold online. Kratom eases back pain, said Ola Berg, a "
              "sales manager with Berg Botanicals. Kratom eases neck pain, said Dr. Maria Lund, "
              "a rheumatologist.\n")
    seller, doctor = doc.spans["claims"]
    assert seller._.discourse["q_said_company"] == 1.0
    assert "q_said_company" not in doctor._.discourse
    # a seller's word inside a quotation is what the speaker talks about, not who speaks
    quoted = nlp('"Kratom companies will say anything to sell a capsule," Lund says.')
    assert "q_said_company" not in quoted.spans["sentences"][0]._.discourse
    assert seller._.evidence_level == "none"
    assert doctor._.evidence_level == "expert_opinion"


@pytest.mark.parametrize("text", [
    "The balm's website says it soothes eczema within days.",
    "Northfield Botanicals Inc. says the balm soothes eczema within days.",
])
def test_a_website_or_a_company_name_speaks_for_the_seller(nlp, text):
    doc = nlp(text)  # held while its span group is read
    (sent,) = doc.spans["sentences"]
    assert sent._.discourse.get("q_said_company") == 1.0


def test_a_claim_pasted_on_its_own_is_a_claim(analyze_text):
    # keep_pasted_claim: one line without a stop, no article around it
    got = analyze_text("Kratom cures depression")
    assert [c["text"] for c in got["claims"]] == ["Kratom cures depression"]
    assert got["claims"][0]["overclaim"]["flag"]
    # a line that asserts no health effect stays no claim
    assert analyze_text("Kratom is legal in most states")["claims"] == []


def test_markdown_emphasis_around_a_bullet_is_not_part_of_the_claim(analyze_text):
    got = analyze_text("# Ashwagandha\n\n- *Reduces anxiety*\n- **Improves sleep**\n")
    assert [c["text"] for c in got["claims"]] == ["Reduces anxiety", "Improves sleep"]


def test_advice_to_check_with_a_doctor_after_so_is_cautionary(analyze_text):
    # "…, so check with your doctor": cautionary advice (an imperative after "so"), never the
    # promotion of use that overclaim rule 2 flags
    got = analyze_text("Valerian and sleep\nValerian can add to the effect of sedatives, so check "
                       "with your doctor if you take any sleeping pills.\n")
    claim = _one(got, "so check with your doctor")
    assert claim["advice"] and claim["advice_kind"] == "cautionary"
    assert not claim["overclaim"]["flag"]


def test_bullets_under_a_benefits_heading_are_claims(analyze_text):
    # SEO pages bullet their benefits without naming the substance again
    text = ("# Valerian for sleep\n\nValerian root is sold as a sleep aid.\n\n## Top benefits\n\n"
            "- Fall asleep faster\n- Wake up refreshed, without grogginess\n\n## Where to buy\n\n"
            "- Health food shops\n")
    got = analyze_text(text)
    assert _claims(got, "Fall asleep faster") and _claims(got, "Wake up refreshed")
    assert not _claims(got, "Health food shops")  # not under a benefits heading


def test_check_mark_bullets_are_bullets(analyze_text):
    # web pages tick their benefits off ("✔ Better sleep", "✅", "►"): bullets, not headings,
    # so a benefits list is read whatever its marks, and the mark is no part of the claim
    from kratom_nlp.text.geometry import line_kind

    text = ("# Ashwagandha gummies\n\nAshwagandha is an herb used in Ayurveda.\n\n"
            "## Top benefits\n\n✔ Reduces stress and anxiety\n✔️ Improves deep sleep\n"
            "✅ Boosts energy naturally\n► Supports a healthy thyroid\n\nOrder today.\n")
    for mark in ("✔ ", "✔️ ", "✅ ", "► "):
        start = text.index(mark)
        assert line_kind(text, start + len(mark), text.index("\n", start)) == "bullet"
    got = analyze_text(text)
    for start in ("Reduces stress", "Improves deep sleep", "Boosts energy", "Supports a healthy"):
        (c,) = _claims(got, start)
        assert c["text"].startswith(start)  # the mark is not in the claim


def test_bullets_under_a_side_effects_heading_are_risk_claims(analyze_text, nlp, monkeypatch):
    # the heading supplies the substance the bullets leave out; a risk is never an overclaim
    text = ("# Kava root\n\nKava is a drink made from the root of a Pacific shrub.\n\n"
            "## Side effects of kava\n\n- Upset stomach\n- Liver damage with heavy use\n\n"
            "## Where to buy\n\n- Health food shops\n")
    got = analyze_text(text)
    for start in ("Upset stomach", "Liver damage"):
        (c,) = _claims(got, start)
        assert c["claim_type"] == "risk" and not c["overclaim"]["flag"]
    assert not _claims(got, "Health food shops")
    monkeypatch.setattr(nlp.get_pipe("kratom_claims"), "keep_harm_bullets", False)
    assert not _claims(analyze_text(text), "Upset stomach")  # the models alone miss it


def test_a_reason_names_the_substance_as_the_text_writes_it(analyze_text):
    got = analyze_text("CBD for sleep\nMany of us sleep badly. CBD cures insomnia in a week, and "
                       "our readers love CBD.\n")
    reason = _one(got, "cures insomnia")["overclaim"]["reason"]
    assert "of CBD" in reason and "cbd" not in reason


def test_table_attribute_ruler_sets_what_spacys_ruler_sets(nlp):
    # every token's part of speech, morphology, lemma, tag and label after the table ruler
    # equal spaCy's own ruler on the same tagged documents: the fixture articles and words
    # that hit the patterns of several tokens, a NOT_IN pattern (spaces) and REGEX ones
    from spacy.attrs import DEP, LEMMA, MORPH, POS, TAG
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc

    from kratom_nlp.pipeline.attributes import TableAttributeRuler

    ruler = nlp.get_pipe("attribute_ruler")
    assert type(ruler) is TableAttributeRuler and ruler._compiled() is not None
    texts = [p.read_text() for p in sorted((FIXTURES / "articles").glob("*.txt"))]
    texts += ["Y'all gon na try it, let 's see.  It ai n't bad; there were two. He gets it, "
              "she got it. C'm on!\n\n  \t", "", "his"]
    cols = [POS, MORPH, LEMMA, TAG, DEP]
    for text in texts:
        tagged = nlp.get_pipe("tagger")(nlp.get_pipe("tok2vec")(nlp.make_doc(text)))
        ours = Doc(nlp.vocab).from_bytes(tagged.to_bytes())
        theirs = Doc(nlp.vocab).from_bytes(tagged.to_bytes())
        ruler(ours)
        AttributeRuler.__call__(ruler, theirs)
        assert (ours.to_array(cols) == theirs.to_array(cols)).all(), text[:40]
    doc = ruler(Doc(nlp.vocab, words=["gon", "na", "let", "'s"],
                    tags=["VBG", "TO", "VB", "PRP"]))
    # the patterns of two tokens set the lemmas of their words; "let" is the lemmatizer's
    assert [t.lemma_ for t in doc] == ["go", "to", "", "us"]


def test_table_attribute_ruler_keeps_spacys_matcher_for_other_patterns():
    # a pattern with an operator is outside the table: the ruler then runs spaCy's matcher
    import spacy

    from kratom_nlp.pipeline.attributes import TableAttributeRuler, table_attribute_ruler

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "kratom"}]], {"POS": "NOUN"})
    table_attribute_ruler(nlp)
    assert type(ruler) is TableAttributeRuler
    assert ruler._compiled() is not None
    assert [t.pos_ for t in nlp("Kratom , kratom")] == ["NOUN", "", "NOUN"]
    ruler.add([[{"LOWER": "so", "OP": "+"}]], {"POS": "ADV"})
    assert ruler._compiled() is None  # compiled again after the change: not tableable
    assert [t.pos_ for t in nlp("kratom so so")] == ["NOUN", "ADV", "ADV"]


def test_table_attribute_ruler_on_several_threads_sets_what_one_thread_sets(nlp):
    # the desk analyses on several threads with one pipeline: a ruler whose memo starts empty,
    # fed from four threads at once, sets the values one thread sets
    from concurrent.futures import ThreadPoolExecutor

    from spacy.attrs import LEMMA, MORPH, POS, TAG
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc

    ruler = nlp.get_pipe("attribute_ruler")
    texts = [p.read_text() for p in sorted((FIXTURES / "articles").glob("*.txt"))]
    tagged = [nlp.get_pipe("tagger")(nlp.get_pipe("tok2vec")(nlp.make_doc(t))) for t in texts]
    cols = [POS, MORPH, LEMMA, TAG]
    expected = []
    for doc in tagged:
        copy = Doc(nlp.vocab).from_bytes(doc.to_bytes())
        AttributeRuler.__call__(ruler, copy)
        expected.append(copy.to_array(cols))
    ruler._table_size = -1  # compiled afresh: an empty memo

    def run(i: int):
        return ruler(Doc(nlp.vocab).from_bytes(tagged[i].to_bytes())).to_array(cols)

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(run, list(range(len(tagged))) * 3))
    assert len(got) == 3 * len(tagged)
    assert all((g == expected[i % len(tagged)]).all() for i, g in enumerate(got))
