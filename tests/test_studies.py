"""The study component (``kratom_studies``) and what the claims take from it: mentions,
descriptions, references, ambiguity, advice that discourages, and questions or study aims
that assert nothing. Texts written for the test."""

from __future__ import annotations

import pytest


def studies(nlp, text: str) -> list:
    doc = nlp(text)  # held while the span group is read; each Span keeps its Doc alive
    return list(doc.spans["studies"])


def claim(analysis: dict, start: str) -> dict:
    found = [c for c in analysis["claims"] if c["text"].startswith(start)]
    assert len(found) == 1, (start, [c["text"] for c in analysis["claims"]])
    return found[0]


def test_a_description_with_modifiers_is_one_study(nlp):
    text = ("A randomized, placebo-controlled trial of 412 adults tested magnesium for migraine. "
            "The trial found that magnesium cut the number of attacks by a third.")
    (st,) = studies(nlp, text)
    assert st.text.startswith("A randomized, placebo-controlled trial of 412 adults")
    assert (st._.design, st._.study_kind, st._.population, st._.study_n) == (
        "clinical_trial", "randomised_trial", "human", 412)
    assert len(st._.mentions) == 2  # the description and "The trial"


def test_called_for_research_is_no_study_but_a_study_with_a_future_clause_is(nlp):
    assert studies(nlp, "More trials are needed before doctors can recommend turmeric. "
                        "The team will launch a trial next year.") == []
    (st,) = studies(nlp, "Last year the clinic ran a large, multi-centre, randomized trial "
                         "of 300 patients that will shape migraine care.")
    assert st.text.startswith("a large, multi-centre, randomized trial")
    assert st._.design == "clinical_trial"


@pytest.mark.parametrize("text", [
    "The kava gel needs a stable recipe before Lund's group can test it in two clinical trials.",
    "Ola Berg's firm has no money yet to undertake a bigger late-stage trial of the balm.",
    "I asked my neurologist whether I should enrol in a clinical trial of the new pill.",
    "Maria Lund stresses that the valerian finding must hold up in another cohort, of men.",
    "Next spring Dr. Berg plans to rerun the moringa tests on an older cohort.",
])
def test_a_study_only_spoken_of_is_no_study_mention(nlp, text):
    """A planned, wished-for or hypothetical study describes no evidence (GUIDELINES §12.11)."""
    assert studies(nlp, text) == []


def test_a_study_reported_after_a_hypothetical_word_is_still_a_study(nlp):
    (st,) = studies(nlp, "If you doubt it, a trial of 240 adults found that the spray cut "
                         "colds by a day.")
    assert st.text.startswith("a trial of 240 adults") and st._.study_n == 240
    (st,) = studies(nlp, "Before the rule changed, researchers found in a survey of 900 "
                         "nurses that night shifts raised blood pressure.")
    assert st._.design == "observational"


def test_the_lab_of_a_named_scientist_is_no_study(nlp):
    assert studies(nlp, "Berg's balm recipe, and its first results, came out of work in the "
                        "lab of Dr. Maria Lund.") == []
    (st,) = studies(nlp, "In the lab, the researchers found that the extract killed tumour "
                         "cells within hours.")
    assert st._.design == "preclinical"


def test_researchers_giving_people_something_is_an_intervention_study(nlp):
    text = ("The scientists gave office workers a ginseng capsule or a sugar pill before each "
            "attention test. The results appeared in a peer-reviewed journal.")
    (st,) = studies(nlp, text)
    # "peer-reviewed" names no design: the study is not a review
    assert (st._.design, st._.population) == ("clinical_trial", "human")


def test_a_scientist_and_colleagues_doing_something_to_people_is_a_study(nlp):
    (st,) = studies(nlp, "Dr. Lina Park and her colleagues compared a menthol gel with a plain "
                         "cream on the sore knees of 64 patients over six weeks.")
    assert (st._.population, st._.study_n) == ("human", 64)
    # one named person with no team and no study noun: not read as a study
    assert studies(nlp, "Dr. Lina Park compared a menthol gel with a plain cream on the sore "
                        "knees of 64 patients over six weeks.") == []


def test_fewer_people_in_a_methods_sentence_are_part_of_the_study_more_are_another(nlp):
    sub = studies(nlp, "The current study included 120 adults with knee pain. Patients were "
                       "randomised between the menthol gel and a plain cream for 12 weeks, which "
                       "48 patients completed. The gel eased pain more than the cream did.")
    assert [(st._.study_id, st._.design, st._.study_n) for st in sub] == [
        ("s1", "clinical_trial", 120)]
    more = studies(nlp, "The current study included 120 adults with knee pain. Later, the team "
                        "enrolled 300 patients with hip pain and randomised them to the gel or "
                        "a cream.")
    assert [st._.study_n for st in more] == [120, 300]


def test_two_studies_joined_in_one_phrase_are_two(nlp):
    found = studies(nlp, "The findings come from a survey of 500 adults and a study in mice.")
    assert [(st.text, st._.design, st._.study_n) for st in found] == [
        ("a survey of 500 adults", "observational", 500),
        ("a study in mice", "preclinical", None)]
    # the description stops where its finding begins
    (review,) = studies(nlp, "A review of 31 trials found that the drug works.")
    assert review.text == "A review of 31 trials"


@pytest.mark.parametrize("text", [
    "What kava still lacks, says Ola Berg, is the kind of large, blinded trial that regulators "
    "ask for.",
    "Ola Berg puts the moringa drink's first trials within five years.",
])
def test_a_kind_of_study_or_one_years_ahead_is_no_study(nlp, text):
    assert studies(nlp, text) == []


def test_a_study_within_years_of_an_event_is_still_one(nlp):
    (st,) = studies(nlp, "The drug was tested in a trial within two years of its discovery.")
    assert st._.design == "clinical_trial"


def test_its_a_trial_said_of_the_study_in_scope_is_no_new_study(nlp):
    found = studies(nlp, "The authors followed 20 patients for ten years. Maria Lund thinks "
                         "it's a solid little trial.")
    assert [(st._.study_n, st._.design) for st in found] == [(20, "clinical_trial")]


def test_trials_of_different_phases_are_different_studies(nlp):
    found = studies(nlp, "Two Phase III trials of the kava tablet began last year. Lund's Phase "
                         "II trial of it found that drinkers given the tablet cut down sooner.")
    assert [st.text for st in found] == ["Two Phase III trials of the kava tablet began last year",
                                         "Lund's Phase II trial of it"]
    # the same phase, written two ways, is one study
    (one,) = studies(nlp, "A phase-2 study of the drug enrolled 80 adults. The phase 2 trial "
                          "found it lowered pain.")
    assert len(one._.mentions) == 2


def test_a_chart_review_is_observational_not_a_review(nlp):
    (st,) = studies(nlp, "A chart review of 300 patients found fewer infections.")
    assert (st._.design, st._.study_kind, st._.study_n) == ("observational", "records_analysis",
                                                            300)


def test_cases_studied_are_a_chart_review_and_researchers_at_an_institution_describe(nlp):
    (st,) = studies(nlp, "The balm eases wheezing, a new study suggests. Lund's investigators "
                         "studied cases of teenagers with eczema treated at her clinic since "
                         "2004.")
    assert (st._.design, st._.study_kind) == ("observational", "records_analysis")
    (st,) = studies(nlp, "Scientists from Northfield Clinic in Yorkshire examined 2,400 "
                         "teenagers and saw no harm from the balm.")
    assert (st._.design, st._.study_n) == ("observational", 2400)
    # an institution's own staff, not researchers before it, describe nothing
    assert studies(nlp, "Nurses at Northfield Clinic examined the rota.") == []


def test_a_trial_named_as_missing_is_no_study(nlp):
    text = ("Lund will not endorse the balm for migraine without a proper placebo-controlled "
            "trial, she said. Her group then analysed the records of 64,000 balm users in a "
            "national database.")
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_n) == ("observational", 64000)


def test_people_counted_after_adjectives_are_a_head_count(nlp):
    text = ("Sleep doctors say the balm helps, according to the study. Lund, whose team "
            "tracked some 7,300 older, sedentary adults over a decade, calls it safe.")
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_n, st._.population) == ("observational", 7300, "human")
    # a number before a noun that counts no one stays no head count
    assert studies(nlp, "Lund followed 9,000 new, expensive prescriptions for six years.") == []


def test_reviewed_cases_are_a_chart_review_but_reviewed_trials_a_review(nlp):
    (st,) = studies(nlp, "Lakeside surgeons asked whether a balm helps after surgery. Their "
                         "group reviewed some 6,400 cases in which adults had or had not used "
                         "the balm.")
    assert (st._.design, st._.study_kind, st._.study_n) == ("observational",
                                                            "records_analysis", 6400)
    (st,) = studies(nlp, "The authors reviewed 12 trials in 900 adults.")
    assert (st._.design, st._.study_kind) == ("systematic_review", "review")


@pytest.mark.parametrize("text", [
    "A review in a herbal medicine journal last spring weighed nine small kava studies.",
    "A literature review found that the herb lowered blood pressure.",
    "The team evaluated all the available papers published between 2000 and 2015 on the diet.",
    "Across the included studies, the diet lowered blood pressure.",
])
def test_a_review_named_by_what_follows_it_is_a_review(nlp, text):
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == ("systematic_review", "review")


def test_a_pilot_study_without_a_control_is_observational_a_pilot_trial_is_a_trial(nlp):
    (st,) = studies(nlp, "A pilot study in which 12 patients received the implant found less "
                         "pain at six months.")
    assert (st._.design, st._.study_kind) == ("observational", "single_arm")
    (trial,) = studies(nlp, "A pilot trial in which 12 patients received the implant found less "
                            "pain at six months.")
    assert trial._.design == "clinical_trial"


@pytest.mark.parametrize("text, kind", [
    ("Lund's group pooled 12 older balm trials, each a year long, to settle the question.",
     "meta_analysis"),
    ("Lund and colleagues examined nine studies of kava for anxiety.", "review"),
])
def test_researchers_combining_counted_studies_describe_a_review(nlp, text, kind):
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == ("systematic_review", kind)
    assert studies(nlp, "Previous studies of kava were small.") == []


def test_capsules_or_placebos_name_a_controlled_trial(nlp):
    (st,) = studies(nlp, "The Lund study compared memory in adults who took moringa capsules "
                         "with adults who took placebos.")
    assert (st._.design, st._.study_kind) == ("clinical_trial", "controlled_trial")


def test_a_speaker_not_involved_in_the_study_does_not_refer_to_it(nlp):
    doc = nlp("A trial of 80 adults found that the balm eased eczema. Ola Berg, a Lund "
              "dermatologist who wasn\u2019t involved in the trial, called the balm promising.")
    (st,) = doc.spans["studies"]
    trial, comment = doc.spans["sentences"]
    assert len(st._.mentions) == 1
    assert (comment._.study, comment._.study_relation) == (st._.study_id, "before")


def test_the_new_study_is_the_articles_own_not_the_older_one_told_last(nlp):
    doc = nlp("A new trial randomly assigned 200 adults to kava or a placebo. Lund's group ran a "
              "2009 survey of kava drinkers too. In the new trial, anxiety fell most in the kava "
              "group.")
    trial, survey = doc.spans["studies"]
    assert (trial._.design, survey._.design) == ("clinical_trial", "observational")
    assert [s._.study for s in doc.spans["sentences"]] == [
        trial._.study_id, survey._.study_id, trial._.study_id]


def test_a_cross_section_of_people_is_a_cross_sectional_study(nlp):
    (st,) = studies(nlp, "The Lund team studied a cross-section of 900 adults who drink kava.")
    assert (st._.design, st._.study_kind) == ("observational", "cross_sectional")


def test_researchers_examining_people_after_a_trial_is_named_describe_that_trial(nlp):
    text = ("Wireless electrodes work better, a new clinical study finds. The study appears in a "
            "surgery journal. Dr. Ruiz and a team of researchers examined roughly 230 patients "
            "with hearing implants. They found that the wireless ones caused less damage.")
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_n) == ("clinical_trial", 230)
    # animals examined are no part of a trial in people
    # (a study still under way is no mention since study cues 1.34.0: this one reports)
    found = studies(nlp, "A new clinical study of the implant in adults found less damage. Dr. "
                         "Ruiz and her team examined 40 mice with the implant.")
    assert [st._.design for st in found] == ["clinical_trial", "preclinical"]


def test_a_lede_leans_on_the_articles_study_not_on_earlier_work(nlp):
    # the lede names no design; the rat work told as earlier work neither takes the lede's
    # study nor its people, and the study of people told after it is the lede's study
    text = ("Valerian drops may ease sleep problems, Lund researchers say in an early report. "
            "Their group had earlier given the extract to lab rats, which grew fewer tumours. "
            "Maria Lund's group enrolled 40 adults with insomnia, and 38 of them stayed on.")
    doc = nlp(text)
    by_id = {st._.study_id: st for st in doc.spans["studies"]}
    assert sorted((st._.design, st._.population) for st in by_id.values()) == [
        ("observational", "human"), ("preclinical", "animal")]
    lede, earlier, methods = list(doc.spans["sentences"])
    assert by_id[lede._.study]._.population == "human"
    assert lede._.study == methods._.study != earlier._.study
    assert len(by_id[earlier._.study]._.mentions) == 1


def test_a_reference_that_fits_no_study_told_is_dropped(nlp):
    # "her research team" speaks of patients: not the mouse study, and no study of its own
    (st,) = studies(nlp, "In a study in mice, the balm healed skin wounds faster. Her research "
                         "group also runs a burns clinic in Lund that sees patients every day.")
    assert (st._.design, len(st._.mentions)) == ("preclinical", 1)


@pytest.mark.parametrize("text, design", [
    # people counted with no comparison named: observational (study cues 1.16.0 read
    # "runners" as people), never the trial that "randomized" would name
    ("A study of 4,000 runners found lower death rates. Dr. Berg notes that the runner studies "
     "were not randomized.", "observational"),
    # "not blinded" takes nothing from the randomised trial named before it
    ("In a randomized trial, 80 patients took the herb. It was not blinded, but the results "
     "held.", "clinical_trial"),
    # a study said to lack a comparison, and the placebo effect, name no controlled trial
    ("Researchers at a clinic followed 72 adults who took the oil. The study had no control "
     "group, so the results could reflect a placebo effect.", "observational"),
])
def test_a_design_said_to_be_missing_names_no_design(nlp, text, design):
    (st,) = studies(nlp, text)
    assert st._.design == design


def test_researchers_who_had_people_do_something_describe_a_study(nlp):
    (st,) = studies(nlp, "The researchers had 85 adults who drink kava keep a sleep diary for "
                         "a month.")
    assert (st._.population, st._.study_n) == ("human", 85)
    assert studies(nlp, "The women had 3 children on average.") == []


def test_a_head_count_written_with_a_comma_is_never_a_year(nlp):
    (st,) = studies(nlp, "A survey of 2,000 adults found that most slept badly.")
    assert st._.study_n == 2000


def test_a_head_count_in_a_hyphenated_compound(nlp):
    (st,) = studies(nlp, "The 200-patient study was run by researchers in Leeds.")
    assert st._.study_n == 200


def test_a_head_count_before_the_study_noun_is_its_sample(nlp):
    (st,) = studies(nlp, "In all, 368 infants from a Swiss birth cohort were included in the "
                         "study.")
    assert (st._.design, st._.study_n) == ("observational", 368)


def test_a_count_before_a_name_with_group_in_it_is_a_head_count(nlp):
    (st,) = studies(nlp, "The study followed 5,000 Group Health patients.")
    assert st._.study_n == 5000


@pytest.mark.parametrize("text, design, kind", [
    # spaCy splits "meta-analysis" into three tokens
    ("Lund's 2019 meta-analysis says daily walking cuts stroke risk by a fifth.",
     "systematic_review", "meta_analysis"),
    # the tagger reads "I study" as a pronoun and a verb
    ("The figures come from a phase I study of the nasal spray in healthy volunteers.",
     "clinical_trial", "trial"),
    # the verb of randomisation names a trial without a number of people
    ("Nurses were randomly assigned to a yoga class or to a waiting list.",
     "clinical_trial", "randomised_trial"),
    ("Earlier work showed that the leaf extract reversed liver damage in lab rats.",
     "preclinical", "animal"),
    # "review" names a study by what follows it, not only by a determiner before it
    ("A larger review of 27 valerian trials later overturned that claim.",
     "systematic_review", "review"),
    ("Maria Lund's balm spent 18 months under review by the Food and Drug Administration.",
     "regulatory", "other"),
    ("Early results with the moringa extract in mice look promising, Lund says.",
     "preclinical", "animal"),
    ("The team recruited 40 healthy controls for comparison.", "observational", "other"),
    # a review of people, their records or data is a chart review (study cues 1.42.0)
    ("A review of 400 women treated at Lakeside Hospital found fewer rashes with the balm.",
     "observational", "records_analysis"),
    ("Berg's team reviewed the diet and health data of 9,000 men and saw fewer rashes.",
     "observational", "records_analysis"),
    ("A review of clinics chosen at random found fewer rashes where the balm was sold.",
     "observational", "records_analysis"),
])
def test_descriptions_the_simple_patterns_missed(nlp, text, design, kind):
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == (design, kind)


def test_a_head_count_or_a_share_after_a_study_describes_that_study(nlp):
    (trial,) = studies(nlp, "A randomized trial tested the inhaler in adults with asthma. It "
                            "included 240 patients at 30 clinics. The trial found fewer "
                            "attacks in the treated group.")
    assert (trial.text, trial._.design, trial._.study_n) == ("A randomized trial",
                                                              "clinical_trial", 240)
    assert len(trial._.mentions) == 3
    (survey,) = studies(nlp, "A survey of 1,200 adults asked about naps and mood. Compared "
                             "with the 20% of people who never nap, those who napped daily "
                             "reported better mood.")
    assert survey._.study_n == 1200  # "20% of people" is a share, not a head count


def test_a_methods_sentence_without_a_study_noun_describes_the_study_in_scope(nlp):
    text = ("The KAVA-SLEEP study followed poor sleepers at 9 clinics. Half of the participants "
            "were given the kava drink each night for a month. Sleep came sooner, the study "
            "found.")
    doc = nlp(text)
    (st,) = doc.spans["studies"]
    methods = text.index("Half of the participants")
    # the methods sentence is one of its mentions, names its design, and is what it leans on
    assert any(a == methods for a, _ in st._.mentions)
    assert st._.design == "clinical_trial"
    assert [s._.study_relation for s in doc.spans["sentences"]] == ["mention"] * 3
    # a description verb with people counted further on
    doc = nlp("A new study tracked soy intake in breast cancer survivors. The survivors studied "
              "included 173 white and 192 Chinese American women in California.")
    (st,) = doc.spans["studies"]
    assert (st._.study_n, st._.design, len(st._.mentions)) == (192, "observational", 2)
    # people counted in a sentence of their own are not read as a methods sentence (chosen on
    # the real dev split, see StudyFinder._detail)
    (st,) = studies(nlp, "A new study of emergency care came out on Monday. Doctors at five "
                         "clinics saw 800 patients over the winter.")
    assert len(st._.mentions) == 1


def test_methods_told_before_any_study_is_named_join_the_first_study(nlp):
    text = ("Drawing on national data, the team reported that kava poisonings doubled in "
            "ten years. The study appeared on Monday. Most cases were mild.")
    doc = nlp(text)
    (st,) = doc.spans["studies"]
    assert st._.design == "observational"  # the data source names it; "The study" does not
    assert [a for a, _ in st._.mentions] == [0, text.index("The study")]
    # with no study named after them, methods sentences still make none
    assert studies(nlp, "Drawing on national data, the team reported that kava "
                        "poisonings doubled in ten years. Most cases were mild.") == []


def test_researchers_investigating_animals_named_late_in_a_long_clause_describe_a_study(nlp):
    text = ("Berg and her team investigated a new sleep balm, which works on the same brain "
            "signal as an older pill, to see how it fared against not only that pill but also "
            "two common sedatives in rats and mice. The balm did not dull memory.")
    (st,) = studies(nlp, text)
    assert (st.text.split(",")[0], st._.design, st._.population) == (
        "investigated a new sleep balm", "preclinical", "animal")
    # the verb needs researchers before it: a regulator investigating names no study
    assert studies(nlp, "The agency investigated a sleep balm that 300 adults had bought "
                        "online.") == []


@pytest.mark.parametrize(("said", "design"), [
    ("Pleased with the study, the authors told us they plan to start a trial in people soon.",
     "unspecified"),  # the trial is only planned
    ("The study's authors ran it as a randomized trial.", "clinical_trial"),
])
def test_a_design_named_for_planned_research_is_not_the_studys(nlp, said, design):
    (st,) = studies(nlp, "A new study of a skin balm came out on Monday. " + said)
    assert st._.design == design


def test_people_named_only_beside_a_reference_do_not_keep_the_animals_out(nlp):
    text = ("A new study suggests a sleep balm may spare memory. The study authors said that "
            "millions of adults sleep badly. Berg and her team tested the balm in rats. The "
            "rats remembered as well as before.")
    (st,) = studies(nlp, text)  # one study: the bare one and the rats are the same
    assert (st._.design, st._.population) == ("preclinical", "animal")
    # people the study counted do keep them out: two studies
    assert len(studies(nlp, "A new study of 365 women suggests a sleep balm may spare memory. "
                            "Berg and her team tested the balm in rats.")) == 2


def test_researchers_who_set_what_people_eat_ran_a_trial(nlp):
    text = ("Lund's group ran a small study with 30 adults who snack a lot. The team set every "
            "meal, feeding them one of three menus. Cholesterol fell most on the nut menu.")
    (st,) = studies(nlp, text)
    # without the feeding sentence, the people counted would make it observational
    assert (st._.design, st._.study_n) == ("clinical_trial", 30)


def test_studies_of_animals_named_right_after_them_are_described(nlp):
    text = ("In studies using rats with skin tumours, the team had the balm seek out a marker. "
            "They found the balm gathered in the tumours.")
    (st,) = studies(nlp, text)
    assert (st._.design, st._.population) == ("preclinical", "animal")
    # earlier research on animals, invoked in general, stays no study
    assert studies(nlp, "Previous studies involving rats were small and short.") == []


@pytest.mark.parametrize("text, design, kind", [
    # "longitudinal" names a cohort (study cues 1.33.0)
    ("A longitudinal study of school lunches in Ohio came out today.", "observational",
     "cohort"),
    # "meta-review" names a review that pooled studies (study cues 1.46.0)
    ("A 2005 meta-review of kava trials found a small benefit.", "systematic_review",
     "meta_analysis"),
])
def test_a_design_word_names_the_design_and_kind(nlp, text, design, kind):
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == (design, kind)


def test_a_methods_detail_in_the_mentions_own_sentence_names_its_design(nlp):
    # the study noun and the methods detail share a sentence: a trial, not people counted
    # (who would make it observational)
    (st,) = studies(nlp, "In the ginger study's first phase, 60 nurses were taught a breathing "
                         "routine. Their stress scores fell, the study found.")
    assert (st._.design, st._.study_n) == ("clinical_trial", 60)
    # without the detail, the same people counted make it observational
    (st,) = studies(nlp, "For the ginger study, 60 nurses kept a breathing diary over four "
                         "weeks. Their stress scores fell, the study found.")
    assert (st._.design, st._.study_n) == ("observational", 60)


@pytest.mark.parametrize("text", [
    # people counted in the present tense: a statistic about a disease, not the sample
    "A new study looked at kava and the liver. Liver disease now kills 41,000 men a year.",
    # a share of a population, not people counted
    "A new study looked at stillbirths. Stillbirth worried 12 million Americans last year.",
])
def test_a_statistic_after_a_study_is_not_its_sample(nlp, text):
    (st,) = studies(nlp, text)
    assert st._.study_n is None and len(st._.mentions) == 1


def test_a_methods_sentence_with_no_study_in_scope_starts_none(nlp):
    assert studies(nlp, "Patients were given either the tablets or a placebo. Most felt "
                        "better within a week.") == []


def test_a_compound_with_controlled_names_a_trial_only_after_a_control_arm(nlp):
    (cap,) = studies(nlp, "In a small study, Dr. Berg tried a temperature-controlled pillow on "
                          "12 patients who sleep badly.")
    assert cap._.design != "clinical_trial"
    (pill,) = studies(nlp, "In a small sham-controlled study, Dr. Berg tried a cooling pillow "
                           "on 12 patients who sleep badly.")
    assert pill._.design == "clinical_trial"
    # a design named to say the study lacked it; a control group alone names no trial
    (lacking,) = studies(nlp, "Lund calls this retrospective, non-sham-controlled kava study "
                              "only a first look.")
    assert lacking._.design == "observational"
    (cases,) = studies(nlp, "In a new study, Lund's team set 48 kava drinkers against a "
                            "control group of 130 tea drinkers.")
    assert cases._.design != "clinical_trial"


def test_a_compound_of_study_nouns_is_one_mention(nlp):
    (cohort,) = studies(nlp, "A large cohort study of 5,000 nurses found more sleep problems.")
    assert cohort.text.startswith("A large cohort study of 5,000 nurses")
    assert (cohort._.design, cohort._.study_kind, cohort._.study_n) == ("observational",
                                                                        "cohort", 5000)
    (trials,) = studies(nlp, "Berg's estimate rests on two large research trials of the balm.")
    assert trials.text.startswith("two large research trials") and \
        trials._.design == "clinical_trial"


def test_trials_pooled_by_a_review_belong_to_it(nlp):
    (review,) = studies(nlp, "A meta-analysis of seven trials compared two forms of zinc. "
                             "Three trials used zinc acetate and found colds ended sooner.")
    assert review._.design == "systematic_review" and len(review._.mentions) == 2


def test_the_studies_a_combined_analysis_pooled_are_part_of_it(nlp):
    doc = nlp("Itching eased by a fifth in a pooled analysis of a Swedish trial of 310 adults "
              "and a Danish trial of 205 adults, all with eczema. In the analysis, sleep "
              "improved as well.")
    (review,) = doc.spans["studies"]
    assert (review._.design, review._.study_kind, review._.study_n) == (
        "systematic_review", "meta_analysis", 515)
    assert review.text.endswith("Danish trial of 205 adults")
    assert doc.spans["sentences"][1]._.study == review._.study_id
    # without a pooling the two trials stay two studies
    assert len(studies(nlp, "A Swedish trial of 310 adults and a Danish trial of 205 adults "
                            "reported less itching.")) == 2
    # another kind of study, or animals, after a review is another source, not a part of it
    review, survey = studies(nlp, "A review of 12 trials and a survey of 800 users found "
                                  "the balm eased itching.")
    assert (review._.design, survey._.design) == ("systematic_review", "observational")
    review, mice = studies(nlp, "A review of 12 trials and a new study in mice both found "
                                "that the balm eased itching.")
    assert (review._.design, mice._.design) == ("systematic_review", "preclinical")


def test_lab_work_inside_a_human_study_is_its_method(nlp):
    (st,) = studies(nlp, "The trial enrolled 11 patients; doctors grew each patient's immune "
                         "cells in the lab and infused them back.")
    assert st._.design == "clinical_trial"
    (lab,) = studies(nlp, "In the lab, the leaf extract reduced the growth of liver cancer "
                          "cells.")
    assert (lab._.design, lab._.population) == ("preclinical", "cell")


@pytest.mark.parametrize("text", [
    "The farm keeps lab rats and chickens behind the barn.",  # a model phrase, no result
    "No randomized controlled trials of ashwagandha for insomnia exist so far.",  # no study
    "Wipe the table with paper towels after use.",  # "paper" needs a determiner
])
def test_words_of_study_design_without_a_study(nlp, text):
    assert studies(nlp, text) == []


@pytest.fixture(scope="module")
def two_studies(analyze_text) -> dict:
    return analyze_text(
        "An online survey of 2,798 kratom users appeared in a pain journal. Most respondents "
        "said kratom eased their pain. In a separate study in mice, mitragynine reduced nerve "
        "inflammation. The mice also slept longer. The study found that kratom relieves "
        "anxiety.")


def test_references_go_to_the_right_study(nlp, two_studies):
    survey, mice = two_studies["studies"]
    assert (survey["design"], survey["kind"], survey["n"]) == ("observational", "survey", 2798)
    assert (mice["design"], mice["population"]) == ("preclinical", "animal")
    doc = nlp(two_studies["text"])
    scope = [s._.study for s in doc.spans["sentences"]]
    # the respondents belong to the survey, the mice to the mouse study
    assert scope[:4] == [survey["id"], survey["id"], mice["id"], mice["id"]]
    assert claim(two_studies, "In a separate study in mice")["evidence"]["study"] == mice["id"]


def test_a_reference_naming_another_design_is_not_to_the_study_told(nlp):
    """"The trial" after a survey is not the survey: it neither joins it (the survey would
    read as a trial) nor starts a study of its own (it refers to none told so far)."""
    (st,) = studies(nlp, "An online survey of 1,200 gardeners found that arnica gel was "
                         "popular for bruises. Swelling went down faster in the trial, the "
                         "authors noted.")
    assert (st._.design, st._.study_kind, len(st._.mentions)) == ("observational", "survey", 1)


def test_a_reference_with_a_year_goes_to_the_study_told_with_it(nlp):
    found = studies(nlp, "A large new study of 900 nurses found that night shifts raise blood "
                         "pressure. It contradicts a widely cited 2007 study of airline "
                         "pilots. The 2007 study had found no such link.")
    assert [len(st._.mentions) for st in found] == [1, 2]
    assert found[1].text == "a widely cited 2007 study of airline pilots"


def test_people_counted_within_a_bound_the_study_gave_are_its_own(nlp):
    """"More than 300 adults" is a bound: "recruited 342 adults" in a methods sentence is the
    same study, even after words about earlier work; an exact 300 is another count."""
    (st,) = studies(nlp, "A new study of tai chi enrolled more than 300 adults with knee "
                         "pain. Building on earlier work, the researchers recruited 342 adults "
                         "from four clinics and gave them two classes a week.")
    assert len(st._.mentions) == 2
    assert len(studies(nlp, "A new study of tai chi enrolled 300 adults with knee pain. The "
                            "researchers recruited 342 adults from four clinics and gave them "
                            "two classes a week.")) == 2


def test_an_ambiguous_reference_goes_to_the_nearest_study_before_it(two_studies):
    """"The study found ..." after a survey and a mouse study could be either: it goes to the
    study mentioned last before it (here the mouse study), never to one named after it."""
    _, mice = two_studies["studies"]
    assert claim(two_studies, "The study found")["evidence"]["study"] == mice["id"]


def test_a_claim_whose_own_cue_names_the_study_links_it(analyze_text):
    got = analyze_text("A randomized, placebo-controlled trial of 412 adults tested magnesium "
                       "for migraine. The trial found that magnesium cut the number of attacks "
                       "by a third.")
    (st,) = got["studies"]
    c = claim(got, "The trial found")
    assert c["evidence"]["level"] == "clinical_trial" and c["evidence"]["study"] == st["id"]


def test_advice_against_something_is_cautionary_and_no_overclaim(analyze_text):
    got = analyze_text("Kratom is a plant from Southeast Asia. Doctors don't recommend kratom "
                       "for pain relief. Patients should no longer take kratom for anxiety. "
                       "Experts recommend that readers try kratom for pain.")
    for start in ("Doctors don't recommend", "Patients should no longer"):
        c = claim(got, start)
        assert c["advice"] and c["advice_kind"] == "cautionary", c
        assert not c["overclaim"]["flag"]
    promo = claim(got, "Experts recommend that readers try")
    assert promo["advice_kind"] == "promotional" and promo["overclaim"]["flag"]


@pytest.mark.parametrize("text, asks", [
    ("The researchers tested whether ginseng improved memory in older adults.", True),
    ("The team set out to see if turmeric eases knee pain.", True),
    ("Is valerian safe to take every night?", True),
    ("The researchers found that ginseng improved memory in older adults.", False),
    ("Surveys showing that if you stretch daily, it eases back pain keep appearing.", False),
    ("She advised people to see a doctor if the rash spreads.", False),
    ("Ginseng sharpens memory, no matter whether it is taken as tea or as capsules.", False),
])
def test_a_question_or_a_study_aim_asserts_nothing(nlp, text, asks):
    doc = nlp(text)
    (sent,) = doc.spans["sentences"]
    assert sent._.rules["asks"] is asks


def test_an_aim_is_no_overclaim_where_the_same_effect_stated_is_one():
    from kratom_nlp.grading import ClaimFacts, OverclaimEngine

    engine = OverclaimEngine()
    stated = ClaimFacts("efficacy", "direct_causal", "none", substances=["ginseng"])
    assert engine.decide(stated).rule == "benefit_as_fact"
    aim = ClaimFacts("efficacy", "direct_causal", "none", substances=["ginseng"],
                     asserted=False)
    assert not engine.decide(aim).flag


def test_the_study_source_without_a_study_in_scope_goes_to_the_sentence_cue(nlp):
    """The evidence model may see research in a sentence that names no study the component
    found ("some research hints at …"); that probability backs the sentence's own cue,
    the way ``resolve`` reads a study source without a study, instead of being dropped in
    favour of the next source."""
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp("User stories and some research hint that kratom lifts low mood.")
    sent = doc.spans["sentences"][0]
    assert sent._.study is None
    probs = {"none": 0.12, "cue": 0.21, "study": 0.32, "expert": 0.29, "anecdote": 0.06}
    assert choose_source(sent, probs) == "cue"
    vague_doc = nlp("Some research points towards relief of low mood.")
    vague = vague_doc.spans["sentences"][0]
    assert vague._.rules["evidence"] == "unspecified"
    assert choose_source(vague, probs) == "cue"
    assert choose_source(vague, {**probs, "expert": 0.6}) == "expert"
    scoped = nlp("A trial of 300 adults tested the drug. It lifted low mood, the study found.")
    second = scoped.spans["sentences"][1]
    assert second._.study is not None
    assert choose_source(second, probs) == "study"


def test_a_sentence_naming_the_study_without_a_cue_of_its_own_rests_on_the_study(nlp):
    """"The participants also reported better sleep." has no cue of its own; when the model
    sees evidence there (the source ``cue``), it is the study the sentence names, as the rules
    backend reads it; without that reference, or with a cue of its own, nothing changes."""
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp("A randomized controlled trial of 60 adults found that those taking the root "
              "had lower anxiety scores than those on placebo. The participants also "
              "reported better sleep. Sleep matters for everyone.")
    trial, participants, plain = doc.spans["sentences"]
    assert participants._.study == "s1" and participants._.rules["evidence"] == "none"
    assert participants._.discourse["ref_explicit"] > 0
    probs = {"none": 0.08, "cue": 0.5, "study": 0.39, "expert": 0.02, "anecdote": 0.01}
    assert choose_source(participants, probs) == "study"
    assert choose_source(plain, probs) == "cue"  # no reference to the study: unchanged
    assert choose_source(trial, probs) == "cue"  # its own cue
    claim = next(c for c in doc.spans["claims"] if c.start_char == participants.start_char)
    assert (claim._.evidence_level, claim._.evidence_study) == ("clinical_trial", "s1")


def test_a_share_of_the_patients_refers_to_the_study_in_scope(nlp):
    """"79% of the patients" after a study that followed patients is that study's result."""
    doc = nlp("Researchers at a clinic followed 72 adults with anxiety who took the oil. "
              "Anxiety scores fell in 79% of the patients within the first month.")
    result = doc.spans["sentences"][1]
    assert result._.study == "s1" and result._.discourse["ref_explicit"] > 0
    (claim,) = [c for c in doc.spans["claims"] if c.start_char == result.start_char]
    assert (claim._.evidence_level, claim._.evidence_study) == ("observational", "s1")


def test_a_named_professional_breaks_a_tie_between_none_and_expert(nlp):
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp("Dr. Alan Price, a psychiatrist in Boston, says the oil is a safe alternative "
              "to sleeping pills. The oil is a safe alternative to sleeping pills.")
    said, plain = doc.spans["sentences"]
    tie = {"none": 0.41, "cue": 0.04, "study": 0.04, "expert": 0.40, "anecdote": 0.11}
    assert choose_source(said, tie) == "expert"
    assert choose_source(plain, tie) == "none"  # nobody named: the model's reading
    assert choose_source(said, {**tie, "expert": 0.10, "anecdote": 0.41}) == "none"


def test_a_regulator_named_in_the_sentence_outranks_the_models_none(nlp):
    """A claim whose sentence names a regulator as its source rests on that cue when the
    model ranks ``none`` first; a regulator named only in the sentence before does not."""
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp("Kava balm is sold in many shops. According to the FDA, kava balm slows eczema "
              "flares in adults. The balm also calms the itch.")
    _, own, after = doc.spans["sentences"]
    assert own._.rules["evidence"] == "regulatory" and not own._.rules["from_context"]
    lean = {"none": 0.46, "cue": 0.30, "study": 0.04, "expert": 0.15, "anecdote": 0.05}
    assert choose_source(own, lean) == "cue"
    assert choose_source(after, lean) == "none"
    # only the model's "none" gives way: another first choice stands
    assert choose_source(own, {**lean, "anecdote": 0.6}) == "anecdote"


def test_a_quotation_names_its_speaker_once_and_its_sentences_rest_on_them(nlp):
    """An expert's or a person's word without an attribution in the sentence itself: the
    attribution in the sentence before or after is the cue; none near, the source's level
    stands without a cue (it used to fall to ``none``)."""
    from kratom_nlp.backends.evidence import resolve
    from kratom_nlp.resources import load_cues

    c = load_cues().study_cues
    text = ("“The patch calms the itch within minutes,” said Dr. Omar Haddad, a skin "
            "specialist. “It works for almost all of my patients.” Prices vary by pharmacy.")
    doc = nlp(text)
    first, second, third = doc.spans["sentences"]

    def level_and_cue(sent, source):
        pred, study = resolve(sent, source, {}, {}, c.expert_words, c.attribution_words)
        assert study is None
        return pred.level, [q["text"] for q in pred.cues], pred.from_context

    assert level_and_cue(second, "expert") == ("expert_opinion", ["said"], True)
    assert level_and_cue(first, "expert")[:2] == ("expert_opinion", ["Dr."])  # its own
    lone_doc = nlp("Prices vary by pharmacy. The patch works wonders.")
    lone = lone_doc.spans["sentences"][1]
    assert level_and_cue(lone, "expert") == ("expert_opinion", [], False)
    assert level_and_cue(lone, "anecdote") == ("anecdotal", [], False)
    assert level_and_cue(lone, "cue") == ("none", [], False)  # no cue, no level


@pytest.mark.parametrize("text, level", [
    ("Testimonials credit kava with relief of low mood, Dr. Berg says.", "anecdotal"),
    ("In mice, the extract eased anxiety, Dr. Lee said.", "preclinical"),
])
def test_a_sentence_naming_its_evidence_rests_on_it_not_on_the_quoted_expert(nlp, text, level):
    """GUIDELINES §9.2: the strongest cue of a sentence decides ("a trial quoted by an expert
    is clinical_trial"), so an expert source loses to the sentence's own kind of evidence; an
    expert stays the source when the sentence only says "research" or nothing."""
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp(text)
    sent = doc.spans["sentences"][0]
    assert sent._.rules["evidence"] == level
    probs = {"none": 0.1, "cue": 0.2, "study": 0.0, "expert": 0.6, "anecdote": 0.1}
    assert choose_source(sent, probs) == "cue"
    plain_doc = nlp("Kratom eases low mood, Dr. Lee said.")
    plain = plain_doc.spans["sentences"][0]
    assert choose_source(plain, probs) == "expert"


@pytest.mark.parametrize("text", [
    "Patients should not take kratom for anxiety.",
    "Patients should no longer take kratom for anxiety.",
    "Kratom should not be mixed with alcohol.",
    "Lund gave two reasons not to take kratom for anxiety.",  # a negated infinitive
])
def test_advice_words_with_a_negation_are_cautionary_advice(nlp, text):
    """An advice word next to a negation advises against the use ("should not take"): the
    rules read it as cautionary advice, never as promotion (rule 2)."""
    doc = nlp(text)
    rules = doc.spans["sentences"][0]._.rules
    assert rules["advice"] is True and rules["advice_kind"] == "cautionary"


@pytest.mark.parametrize(("text", "against"), [
    ("Patients were told never to take kratom with alcohol.", True),  # a negated infinitive
    ("Doctors don't recommend kratom for anxiety.", True),
    ("You can use kratom for pain.", False),
    ("Kratom does not cure pain.", False),  # a negated effect, no advice
    ("You can't go wrong with kratom for pain.", False),  # praise, not a caution
    ("I can't recommend kratom enough for pain.", False),
    ("Patients should not take kratom if they don't sleep enough.", True),
])
def test_advice_against_use_is_read_as_discouraging(nlp, text, against):
    """What makes a learned advice decision cautionary (``cautious``): the sentence advises
    against the use even where the rules see no advice trigger of their own."""
    from kratom_nlp.backends.learned.backends import advice_kind, cautious

    doc = nlp(text)
    rules = doc.spans["sentences"][0]._.rules
    assert bool(rules["discourages"]) is against
    kind = advice_kind(True, rules.get("advice_kind"), "advice", cautious(rules))
    assert kind == ("cautionary" if against else "promotional")


def test_a_regulators_review_after_a_study_is_a_study_of_its_own(nlp):
    """A new mention that names a regulator's review does not continue the study before it,
    and a study does not continue a regulator's action."""
    text = ("In a company-funded study of 900 patients, the scanner flagged most skin "
            "cancers. Only a careful review by the Food and Drug Administration let it onto the "
            "market. The study did not test it on darker skin.")
    found = studies(nlp, text)
    designs = sorted(st._.design for st in found)
    assert len(found) == 2 and "regulatory" in designs, [(s.text, s._.design) for s in found]
    company = next(st for st in found if st._.design != "regulatory")
    assert company.text.startswith("a company-funded study of 900 patients")


def test_animal_studies_in_passing_do_not_join_a_human_study(nlp):
    # the human study's design is inferred from its head count, not named: before, the mention
    # of animal work merged into it and made every finding about the women "preclinical"
    text = ("Women who ate more lentils reported less fatigue after cancer treatment.\n"
            "The researchers studied 240 women who had finished chemotherapy.\n"
            "Higher lentil intake was linked to fewer hot flashes.\n"
            "Earlier experiments in mice had shown that lentil compounds slow tumour growth.\n")
    doc = nlp(text)
    studies = list(doc.spans["studies"])
    human = [s for s in studies if s._.population == "human"]
    assert human and human[0]._.design != "preclinical"
    assert all(s._.design == "preclinical" for s in studies if s._.population == "animal")


@pytest.mark.parametrize("venue, body", [
    ("the Journal of Pain", "Journal of Pain"),  # "the journal" opens the venue and the name
    ("the journal Nutrients", "Nutrients"),
])
def test_the_journal_is_named_as_the_text_names_it(nlp, venue, body):
    text = f"A randomized trial of 80 adults, published in {venue}, found that it eased pain."
    (st,) = studies(nlp, text)
    assert st._.study_body == body


def test_counted_males_or_twins_are_people_studied_without_a_comparison(nlp):
    """Study cues 1.16.0: the count nouns "males", "twins", "year-olds" name people; people
    counted and studied with no comparison named are an observational study (GUIDELINES
    12.1)."""
    (st,) = studies(nlp, "Researchers at a Swedish university studied 1,200 males from age "
                         "18 to age 40. The men who drank the most coffee had fewer strokes.")
    assert (st._.design, st._.population, st._.study_n) == ("observational", "human", 1200)


def test_an_experiment_in_people_is_an_intervention_study(nlp):
    """Study cues 1.17.0: researchers ran the experiment, so they set the exposure: a trial
    whose design is not given, not an observational study; in mice it stays preclinical."""
    (people,) = studies(nlp, "Researchers ran an experiment with 24 healthy adults who slept "
                             "four hours a night for a week.")
    assert (people._.design, people._.study_kind, people._.study_n) == (
        "clinical_trial", "trial", 24)
    (mice,) = studies(nlp, "Researchers ran an experiment with 24 mice fed a high-fat diet.")
    assert mice._.design == "preclinical"


def test_a_study_whose_sentence_names_only_animals_is_preclinical(nlp):
    """A study named with no design of its own, in a sentence whose only subjects are animals,
    is preclinical; with people in the sentence it stays as it was named."""
    text = ("A new sleep pill may leave the mind clearer the next day. "
            "A study tested the valerian compound against two older drugs in rats and rhesus "
            "monkeys. The animals stayed alert on memory tasks after the compound.")
    (st,) = studies(nlp, text)
    assert st.text.startswith("A study")
    assert (st._.design, st._.population) == ("preclinical", "animal")
    mixed = studies(nlp, "A study tested the valerian compound in 60 adults and in rats.")
    assert mixed and all(s._.design != "preclinical" or s._.population == "animal"
                         for s in mixed)
    assert any(s._.population == "human" and s._.design != "preclinical" for s in mixed)


@pytest.mark.parametrize("methods", [
    "A second group of 20 adults took the same course without the capsules.",
    "The other group kept to usual care.",
    "The volunteers were fed the same meals, half of them with the oil added.",
    "Over six weeks the participants were taught breathing drills.",
])
def test_a_methods_sentence_naming_a_second_arm_or_a_given_regimen_makes_a_trial(nlp,
                                                                                 methods):
    # a study of people counted, with no design named, is observational until a methods
    # sentence tells of a comparison arm or of what the researchers fed or taught the people
    # (study cues 1.26.0)
    text = "A small study involving 40 adults with joint pain tested ginger capsules. " + methods
    (st,) = studies(nlp, text)
    assert st._.design == "clinical_trial"
    (alone,) = studies(nlp, "A small study involving 40 adults with joint pain tested ginger "
                            "capsules. Most of them were women.")
    assert alone._.design == "observational"


def test_a_description_after_an_older_study_goes_on_with_the_articles_bare_study(nlp):
    # the lede names the article's study bare; an older study is told in passing; the
    # description that follows is the article's study's, not the older one's
    text = ("A large, new study may reassure green tea drinkers. An influential 2015 study had "
            "found that the tea raised liver enzymes. The new findings rest on an analysis of "
            "1,200 adults enrolled in a national health registry.")
    doc = nlp(text)
    by_start = sorted(doc.spans["studies"], key=lambda s: min(a for a, _ in s._.mentions))
    assert len(by_start) == 2
    own, older = by_start
    assert own._.study_n == 1200 and own._.design == "observational"
    assert older._.study_n is None and "2015" in older.text
    # a study already told with its design or its people is left as it was: the description
    # goes on with the study told just before it
    doc = nlp("A new study of 300 adults looked at green tea. An influential 2015 study had "
              "found that the tea raised liver enzymes. It rests on an analysis of 1,200 "
              "adults enrolled in a national health registry.")
    own = min(doc.spans["studies"], key=lambda s: min(a for a, _ in s._.mentions))
    assert own._.study_n == 300 and len(own._.mentions) == 1


@pytest.mark.parametrize(("text", "design"), [
    # "late-stage" names a trial's phase (study cues 1.27.0); a late-stage disease does not
    ("A late-stage study of 300 adults compared the new pill with the usual drug.",
     "clinical_trial"),
    ("A study of 300 adults with late-stage disease looked at their diets.", "observational"),
    # laboratory work named without a study noun (1.28.0), as "in a petri dish"
    ("In laboratory experiments, the team found that the extract slowed the growth of tumour "
     "cells.", "preclinical"),
    ("Using a test-tube model, the researchers showed that the extract broke up the clumps.",
     "preclinical"),
    # a design the copula denies names no study and no design (1.39.0)
    ("Northfield Clinic says the balm soothes eczema. Since its survey of 80 users was not "
     "a randomised trial, nobody can say the balm did it.", "observational"),
    ("The survey of 300 gardeners is not a randomized trial, the authors said.",
     "observational"),
    # people given one of two treatments: a controlled comparison, a trial (study cues 1.44.0)
    ("Lund's new study of the balm included 300 adults with eczema. They began treatment with "
     "either the balm or a plain cream.", "clinical_trial"),
    # a review of data from trials reviews the trials (study cues 1.42.0)
    ("A review of data from 20 trials found the balm eased itching.", "systematic_review"),
    ("A review of the evidence in 9,000 patients found the balm eased itching.",
     "systematic_review"),
])
def test_the_design_a_phrase_names(nlp, text, design):
    (st,) = studies(nlp, text)
    assert st._.design == design


def test_a_trial_just_opened_is_no_study_mention(nlp):
    # a trial opened or launched, or a study just begun, has no results yet (study cues 1.29.0)
    doc = nlp("A drug maker recently opened a trial of the pill for children with the disease.")
    assert list(doc.spans["studies"]) == []
    (st,) = studies(nlp, "A trial of the pill in 200 children found fewer seizures.")
    assert st._.design == "clinical_trial"


@pytest.mark.parametrize("text", [
    # research going on has no results yet (study cues 1.34.0): "underway", "under way",
    # "is ongoing" in the mention's clause
    "A second trial of the balm in 500 adults is now underway.",
    "A kava trial in older adults is under way in three countries.",
    "A bigger kava trial in older adults is ongoing.",
    # a quantifier names no study (1.34.0)
    "No study has tested the balm in children.",
    "Readers who want a copy of any study can write to the press office.",
])
def test_research_going_on_or_under_a_quantifier_is_no_study_mention(nlp, text):
    assert list(nlp(text).spans["studies"]) == []


def test_a_study_that_found_something_is_told_even_when_more_work_is_underway(nlp):
    (st,) = studies(nlp, "A trial of the balm in 200 adults found less pain; more work is "
                         "underway.")
    assert st._.design == "clinical_trial"
    doc = nlp("A trial of the balm enrolled 200 adults with back pain. The trial is still "
              "ongoing, and the team will report next year.")
    (st,) = doc.spans["studies"]  # a reference to the study told stays one
    assert len(st._.mentions) == 2


def test_a_named_data_source_is_the_data_of_the_study_told(nlp):
    """A survey or registry named as a proper name, however far back the study was told,
    joins it (study cues 1.34.0); told first, it is the study; not a proper name, it is a
    study of its own."""
    filler = " ".join(f"Day {i} of the fair was sunny and warm." for i in range(14))
    doc = nlp("A new study of 2,000 adults found that kava users slept longer. " + filler +
              " The data came from the Kava Users and Wellness Survey.")
    (st,) = doc.spans["studies"]
    assert len(st._.mentions) == 2
    (st,) = studies(nlp, "Answers to the Lakeside Wellness Survey showed that kava users "
                         "slept longer.")
    assert st._.design == "observational"
    doc = nlp("A trial of kava in 200 adults found better sleep. " + filler +
              " A survey of 900 users found the same.")
    assert len(doc.spans["studies"]) == 2
    # a sentence's first word is no proper name: "Survey answers ..." starts a study of its own
    doc = nlp("A new study of 2,000 adults found that kava users slept longer. " + filler +
              " Survey answers from 900 other adults showed the same.")
    assert len(doc.spans["studies"]) == 2


@pytest.mark.parametrize("text", [
    "Lund's group published an analysis of earlier kava balm trials in 2019. "
    "It found the balm eased eczema.",
    "A new analysis of nine balm studies with 2,500 gardeners in all reported less eczema.",
])
def test_an_analysis_of_studies_or_trials_is_a_review_of_them(nlp, text):
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == ("systematic_review", "review")


def test_an_analysis_of_records_is_no_review(nlp):
    (st,) = studies(nlp, "Berg's team ran an analysis of the clinic files of 300 kava users.")
    assert (st._.design, st._.study_n) == ("observational", 300)


def test_researchers_who_interviewed_people_describe_a_study(nlp):
    (st,) = studies(nlp, "Lund and her colleagues interviewed 54 adults who use the balm.")
    assert (st._.design, st._.population, st._.study_n) == ("observational", "human", 54)
    assert studies(nlp, "A reporter interviewed 12 shoppers outside the Lakeside store.") == []


def test_a_trial_description_refines_a_design_read_from_the_rest_of_a_sentence(nlp):
    # "looked at" names an observational design only from outside the mention's own words;
    # the blinded, placebo-controlled trial told later is that study, which is now a trial
    text = ("Lund's new study looked at kava balm use for eczema in adults. "
            "In all, 420 gardeners finished the blinded, placebo-controlled trial of the balm. "
            "The study found less itching with the balm.")
    (st,) = studies(nlp, text)
    assert st._.design == "clinical_trial"
    start = text.index("the blinded, placebo-controlled trial")
    assert len(st._.mentions) == 3 and any(a == start for a, _ in st._.mentions)


def test_results_adjusted_or_controlled_for_a_factor_name_no_controlled_trial(nlp):
    text = ("Our study shows the balm helps, Berg said. In this study, flare-ups were rarer "
            "once the results were controlled for age. Her team reviewed the charts of 212 "
            "balm users.")
    (st,) = studies(nlp, text)
    assert (st._.design, st._.study_kind) == ("observational", "records_analysis")


def test_a_study_named_again_by_its_proper_name_is_that_study(nlp):
    text = ("The Lakeside Wellness Study followed 9,000 gardeners for a decade. "
            "Members who used kava balm reported less eczema. "
            "Another study, from Northfield Clinic, looked at 300 balm users. "
            "It found fewer rashes. "
            "The newly released Lakeside Wellness Study data also showed fewer flare-ups.")
    found = studies(nlp, text)
    assert len(found) == 2
    lakeside = next(s for s in found if s.text.startswith("The Lakeside Wellness Study"))
    last = text.index("The newly released Lakeside")
    assert any(a == last for a, _ in lakeside._.mentions)


def test_a_speaker_named_earlier_as_a_professional_gives_expert_opinion(nlp):
    from kratom_nlp.backends.evidence import choose_source

    doc = nlp("Ingrid Holm, a dermatologist at Northfield Clinic, studies skin balms. "
              "\u201cI have seen patients do well on kava balm,\u201d Holm said. "
              "\u201cI have used kava balm for years,\u201d Ola Berg said.")
    _, holm, berg = doc.spans["sentences"]
    assert holm._.discourse.get("q_said_known_expert") == 1.0
    assert "q_said_known_expert" not in berg._.discourse
    probs = {"none": 0.1, "cue": 0.05, "study": 0.0, "expert": 0.15, "anecdote": 0.7}
    assert choose_source(holm, probs) == "expert"  # a professional's own observations
    assert choose_source(berg, probs) == "anecdote"  # a person's own experience
    # a name that only stands near a professional's word is no professional's
    doc = nlp("Jane Smith, whose doctor suggested the balm, tried it in May. "
              "\u201cI sleep better now,\u201d Smith said.")
    assert "q_said_known_expert" not in doc.spans["sentences"][1]._.discourse


@pytest.mark.parametrize("text", [
    "At least 30 adults joined each study group, Lund said.",
    "The balm was given to 30 adults per study group.",
    "Kava balm soothes eczema, said lead study author Ola Berg.",
])
def test_a_study_noun_that_only_modifies_a_role_names_no_study(nlp, text):
    assert studies(nlp, text) == []


def test_the_study_participants_still_refer_to_the_study(nlp):
    text = ("A survey of 300 gardeners looked at kava balm use. "
            "The study participants who used the balm reported less eczema.")
    (st,) = studies(nlp, text)
    assert len(st._.mentions) == 2


def test_a_phase_names_a_trial_only_with_its_numeral(nlp):
    (st,) = studies(nlp, "A new paper looks at the balm. In the project's first phase, Lund's "
                         "researchers pulled the medical charts of 1,200 balm users.")
    assert (st._.design, st._.study_n) == ("observational", 1200)
    (st,) = studies(nlp, "A phase II study of the balm enrolled 80 adults.")
    assert st._.design == "clinical_trial"


def test_an_experiment_in_a_sentence_naming_animals_is_laboratory_work(nlp):
    # the students are people in the sentence, but the experiment is on the mice
    text = "In an experiment, Berg and two of her students tried the balm on skin sores in mice."
    (st,) = studies(nlp, text)
    assert (st._.design, st._.population) == ("preclinical", "animal")
    (st,) = studies(nlp, "Berg ran an experiment with 24 healthy adults who used the balm.")
    assert st._.design == "clinical_trial"
    # people counted in the experiment: a trial, whatever animals the sentence also names
    sts = studies(nlp, "Berg ran an experiment with 24 healthy adults; earlier she had tried "
                       "the balm in mice.")
    assert sts[0]._.design == "clinical_trial"


def test_a_trial_told_paragraphs_later_does_not_refine_a_study(nlp):
    # told in the next sentence it refines the study (the test above); told later, an
    # indefinite trial is a study of its own and the first keeps its design
    text = ("Lund's new study looked at kava balm use for eczema in adults. "
            "The study found less itching with the balm. Lund said the results were clear. "
            "Gardeners in the region have used kava for years. Shops now sell it widely. "
            "Separately, a placebo-controlled trial of a kava pill is under review.")
    sts = studies(nlp, text)
    first = sts[0]
    assert first._.design == "observational"
    assert len(first._.mentions) == 2


def test_a_test_of_people_counted_is_a_study_of_them(nlp):
    (st,) = studies(nlp, "Lund's blood marker picked out eczema flares early in a test of 52 "
                         "adults who used the balm.")
    assert (st._.design, st._.study_n, st._.population) == ("observational", 52, "human")
    # a test of things, or a blood test, is no study
    assert studies(nlp, "A blood test of the women showed nothing. The test of 12 samples "
                        "was clean.") == []


def test_researchers_who_looked_back_at_outcomes_describe_a_study(nlp):
    (st,) = studies(nlp, "Researchers led by Dr. Lund of Northfield Clinic looked back at the "
                         "records of 640 balm users.")
    assert (st._.design, st._.study_n) == ("observational", 640)


def test_research_something_comes_from_is_told_not_planned(nlp):
    """A study that hope (or anything) comes from exists: "hope" names planned research only
    when nothing says it comes from the study (``StudyFinder._word_before``)."""
    (st,) = studies(nlp, "For gardeners with eczema, new hope comes from the Lakeside study "
                         "of some 900 adults at 40 clinics.")
    assert (st._.design, st._.study_n, st._.population) == ("observational", 900, "human")
    assert studies(nlp, "The Northfield team hopes to launch a trial of 200 men next year.") \
        == []


@pytest.mark.parametrize("text, design", [
    # the people studied counted in a sentence of their own, by the researchers or after "in"
    ("A new study suggests that kava balm may ease eczema in older adults. Lund's team "
     "visited 40 couples at home every week for three months. The balm calmed the itch in "
     "most of them, the study found.", "observational"),
    ("The balm was tried in 40 adults with eczema at Northfield Clinic. A new study says the "
     "balm may ease the itch.", "observational"),
    # a ratio or a crowd is no sample: the study's design stays unspecified
    ("A new study suggests that kava balm may ease eczema. Eczema affects one in five "
     "children at some point.", "unspecified"),
    ("A new study suggests that kava balm may ease eczema. \"I can see 40 people on the "
     "beach scratching,\" Berg said.", "unspecified"),
    # a trial cue in the sentence belongs to the detail rules, not to this one
    ("A new study suggests that kava balm may ease eczema. The balm was tested against a "
     "placebo in 40 adults.", "clinical_trial"),
])
def test_a_bare_study_is_observational_when_a_sentence_near_it_counts_its_people(
        nlp, text, design):
    (st,) = studies(nlp, text)
    assert st._.design == design
    assert st._.population == ("unknown" if design == "unspecified" else "human")


def test_a_lede_that_counts_people_describes_the_study_first_told_as_the_study(nlp):
    text = ("A kava balm eased itching in 41 of 58 adults with eczema over six weeks. "
            "Lund, a dermatologist at Northfield Clinic, led the work. "
            "The study appeared in a dermatology journal.")
    (st,) = studies(nlp, text)
    # the lede's sample is the study's description
    assert st.text == "58 adults with eczema over six weeks"
    assert (st._.design, st._.study_n, st._.population) == ("observational", 58, "human")
    assert len(st._.mentions) == 2  # the lede and "The study"
    # a study first told as a new one keeps its own description; the lede is no mention
    (st,) = studies(nlp, text.replace("The study appeared", "A study of the balm appeared"))
    assert len(st._.mentions) == 1
    # a statistic in the lede is no sample ("10,000 adults a year get the balm")
    (st,) = studies(nlp, "About 10,000 adults a year get the balm. Doctors like it. "
                         "The study appeared in a dermatology journal.")
    assert len(st._.mentions) == 1 and st._.study_n is None
    # a count past the lede is no description ("seven flares a year" is the disease's)
    far = ("Eczema is common. It itches. It keeps people awake. "
           "Doctors see 40 adults with eczema a week. The study appeared in a journal.")
    (st,) = studies(nlp, far)
    assert len(st._.mentions) == 1 and st._.study_n is None


def test_an_analysis_told_by_what_it_found_is_a_study(nlp):
    (st,) = studies(nlp, "Balm users sleep better than other adults with eczema, a large "
                         "analysis has found.")
    assert st.text.endswith("analysis")
    assert studies(nlp, "Analysis of the balm's oils is under way.") == []


def test_researchers_who_implanted_a_device_in_people_counted_describe_a_study(nlp):
    (st,) = studies(nlp, "Berg and her colleagues implanted the stimulator in 48 adults with "
                         "migraine and followed them for a year.")
    assert (st._.design, st._.study_n, st._.population) == ("observational", 48, "human")
    # without researchers, an operation is no study
    assert studies(nlp, "Surgeons implanted the stimulator in 48 adults last year.") == []


def test_a_test_in_or_on_people_counted_is_a_study(nlp):
    for text in ("His group then ran a test in nine patients with eczema.",
                 "Nurses did a skin test on 1,200 children at routine visits."):
        (st,) = studies(nlp, text)
        assert st._.population == "human" and st._.study_n in (9, 1200)
    assert studies(nlp, "The balm passed a skin test on the first day.") == []


def test_people_counted_after_a_compound_noun_are_a_head_count(nlp):
    (st,) = studies(nlp, "Lund's team tracked 640 non-smoking heart failure patients on the "
                         "balm for five years.")
    assert (st._.design, st._.study_n) == ("observational", 640)


def test_earlier_work_told_by_its_finding_is_a_study_of_its_own(nlp):
    text = ("Previously, Northfield researchers showed that kava calms anxious adults. "
            "The new study followed 5,000 adults who used the balm for eczema. "
            "The study found fewer flares.")
    older, new = studies(nlp, text)
    assert older.text == "Northfield researchers showed" and older._.design == "unspecified"
    # "The new study" is not the earlier work, and "The study" is the new one
    assert (new._.design, new._.study_n, len(new._.mentions)) == ("observational", 5000, 2)
    # without a marker of earlier work, what the researchers found is the study in scope's
    (st,) = studies(nlp, "A trial of the balm enrolled 300 adults with eczema. The researchers "
                         "found that it eased itching.")
    assert st._.design == "clinical_trial"


def test_a_span_of_time_before_people_is_no_head_count(nlp):
    (st,) = studies(nlp, "A trial found the balm added four months in patients with eczema.")
    assert st._.study_n is None  # four months, not four patients


ABSTRACT_HEADINGS = """Kava balm for adult eczema: a randomised controlled trial

Background

Topical kava extracts are sold for itchy skin, but whether they help eczema is unknown.

Methods

We randomly assigned 184 adults with moderate eczema at the Northfield Clinic to kava balm or a \
plain emollient twice daily for eight weeks.

Results

Itch scores fell by 38% with kava balm and by 21% with the emollient.

Conclusions

Kava balm reduces itch in adults with moderate eczema. Clinicians should consider it for \
patients who do not respond to emollients.
"""

ABSTRACT_INLINE = (
    "BACKGROUND: Valerian tea is widely drunk at bedtime. "
    "METHODS: We surveyed 1,240 adults with poor sleep at 12 Lakeside pharmacies about their "
    "evening drinks. "
    "RESULTS: Nightly valerian drinkers woke less often than other respondents. "
    "CONCLUSIONS: Valerian tea improves sleep in adults who sleep poorly.")


def test_a_structured_abstracts_findings_rest_on_the_study_its_methods_describe(
        nlp, analyze_text):
    """GUIDELINES §12.3: every results and conclusions sentence of a structured abstract rests
    on the study the methods describe, with no cue of its own; a conclusion stated as fact on
    a trial is no overclaim, nor is the authors' advice drawn from it."""
    a = analyze_text(ABSTRACT_HEADINGS)
    (st,) = a["studies"]
    assert st["design"] == "clinical_trial"
    for start in ("Itch scores fell", "Kava balm reduces itch", "Clinicians should consider"):
        c = claim(a, start)
        assert (c["evidence"]["level"], c["evidence"]["study"]) == ("clinical_trial", st["id"])
        assert c["evidence"]["from_context"] and not c["overclaim"]["flag"]
    doc = nlp(ABSTRACT_HEADINGS)
    parts = {s.text[:12]: s._.discourse.get("abs_section") for s in doc.spans["sentences"]}
    assert parts["Results"] is None  # a label's own heading is in no part
    assert (parts["Topical kava"], parts["We randomly "], parts["Itch scores "],
            parts["Kava balm re"]) == ("background", "methods", "results", "conclusions")


def test_section_labels_that_open_sentences_make_an_abstract_too(nlp, analyze_text):
    a = analyze_text(ABSTRACT_INLINE)
    (st,) = a["studies"]
    assert st["design"] == "observational"
    c = claim(a, "CONCLUSIONS: Valerian tea improves sleep")
    assert (c["evidence"]["level"], c["evidence"]["study"]) == ("observational", st["id"])
    assert c["overclaim"]["flag"]  # a benefit stated as fact on a survey: rule 1 still applies
    doc = nlp(ABSTRACT_INLINE)
    background = doc.spans["sentences"][0]
    assert background._.discourse["abs_section"] == "background"
    assert background._.study is None  # earlier knowledge rests on its own cues, no study


def test_abstracts_in_a_row_each_rest_on_their_own_methods_study(nlp, analyze_text):
    """A page listing two abstracts: the second one's results rest on the study of its own
    methods part, not on the first abstract's (each methods part starts afresh)."""
    text = ABSTRACT_INLINE + (
        " BACKGROUND: Kava balm is sold for itchy skin. "
        "METHODS: We randomly assigned 184 adults with eczema at the Northfield Clinic to kava "
        "balm or a plain emollient for eight weeks. "
        "RESULTS: Itch scores fell more with kava balm than with the emollient.")
    a = analyze_text(text)
    survey, trial = a["studies"]
    assert (survey["design"], trial["design"]) == ("observational", "clinical_trial")
    first = claim(a, "CONCLUSIONS: Valerian tea improves")
    second = claim(a, "RESULTS: Itch scores fell")
    assert first["evidence"]["study"] == survey["id"]
    assert (second["evidence"]["study"], second["evidence"]["level"]) == (
        trial["id"], "clinical_trial")


ABSTRACT_PLAIN = (
    "Topical kava extracts are sold for itchy skin, but whether they help eczema is unknown. "
    "We randomly assigned 184 adults with moderate eczema at the Northfield Clinic to kava balm "
    "or a plain emollient twice daily for eight weeks. The primary outcome was the change in "
    "itch score. Itch scores fell by 38% with kava balm and by 21% with the emollient "
    "(p = 0.01). Kava balm reduces itch in adults with moderate eczema. Clinicians should "
    "consider it for patients who do not respond to emollients.")


def test_an_abstract_without_section_labels_rests_its_findings_on_the_authors_study(
        nlp, analyze_text):
    """GUIDELINES §12.3, a journal abstract with no labels: the authors' methods sentence ("We
    randomly assigned ...") describes the study, and the conclusion and advice after it rest
    on that trial though they carry no cue: neither is an overclaim."""
    a = analyze_text(ABSTRACT_PLAIN)
    (st,) = a["studies"]
    for start in ("Kava balm reduces itch", "Clinicians should consider"):
        c = claim(a, start)
        assert (c["evidence"]["level"], c["evidence"]["study"]) == ("clinical_trial", st["id"])
        assert not c["overclaim"]["flag"]
    doc = nlp(ABSTRACT_PLAIN)
    parts = [s._.discourse.get("abs_section") for s in doc.spans["sentences"]]
    assert parts[:3] == ["background", "methods", "results"]


def test_an_unlabelled_abstract_in_the_passive_is_read_by_its_statistics(nlp, analyze_text):
    """With no "we", a short unquoted text whose results give their statistics after the
    first study told is an abstract too; what comes before that study keeps the article's
    rules (a lede may come first), so it gets no part."""
    text = ABSTRACT_PLAIN.replace("We randomly assigned 184 adults",
                                  "In total, 184 adults were randomly assigned")
    a = analyze_text(text)
    (st,) = a["studies"]
    c = claim(a, "Kava balm reduces itch")
    assert (c["evidence"]["level"], c["evidence"]["study"]) == ("clinical_trial", st["id"])
    doc = nlp(text)
    parts = [s._.discourse.get("abs_section") for s in doc.spans["sentences"]]
    assert parts[:3] == [None, "methods", "results"]


def test_an_animal_abstract_told_by_its_authors_is_preclinical(analyze_text):
    """ "We treated 24 mice ...": the authors are the researchers ('we' is a researcher word),
    so the abstract's study is laboratory work, and its conclusion stated as fact of a human
    condition is rule 3; the hedged outlook is no overclaim."""
    a = analyze_text(
        "Kava root extracts are used for skin complaints, but how they act is unclear. We "
        "treated 24 mice with induced dermatitis with kava extract or a plain vehicle for two "
        "weeks. Ear swelling fell by 40% with kava extract (p < 0.01). Kava extract reduces "
        "skin inflammation. Kava balm could become a new treatment for eczema in people.")
    (st,) = a["studies"]
    assert (st["design"], st["population"], st["n"]) == ("preclinical", "animal", 24)
    fact = claim(a, "Kava extract reduces skin inflammation")
    assert (fact["evidence"]["study"], fact["overclaim"]["rule"]) == (st["id"], "animal_to_human")
    outlook = claim(a, "Kava balm could become")
    assert outlook["evidence"]["level"] == "preclinical" and not outlook["overclaim"]["flag"]


ADVICE = "Clinicians should consider it for patients who do not respond to emollients."


@pytest.mark.parametrize("changes", [
    [(ADVICE, f"\u201c{ADVICE}\u201d")],  # a quotation: a story, not an abstract
    [(ADVICE, "Clinicians should consider it, Lund said.")],
    [("We randomly assigned", "The team randomly assigned"), (" (p = 0.01)", "")],
    [("moderate eczema.", "moderate eczema. " + "Kava balm is old. " * 100)],  # too long
])
def test_a_news_story_about_a_trial_is_no_abstract(nlp, changes):
    """A text is read as an unlabelled abstract only when it is short, quotes no one and
    either speaks in its authors' voice or gives its results' statistics: a news story about
    the same trial keeps the article's rules."""
    text = ABSTRACT_PLAIN
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    doc = nlp(text)
    assert all("abs_section" not in s._.discourse for s in doc.spans["sentences"])


def test_a_web_page_with_a_conclusion_heading_is_no_abstract(nlp):
    """One "Conclusion" heading (an SEO page's last section) makes no structured abstract:
    its sentences keep the study in scope as in any article and get no part."""
    text = ("Kava balm and eczema\n\nA survey of 300 balm users at Lakeside pharmacies asked "
            "about their skin.\n\nConclusion\n\nKava balm soothes eczema for good.")
    doc = nlp(text)
    assert all("abs_section" not in s._.discourse for s in doc.spans["sentences"])


def test_the_rules_backend_reads_an_abstract_as_the_models_do():
    """The rules' source of a results sentence in an abstract is its study (rule_source)."""
    from kratom_nlp.pipeline import build_pipeline

    rules = {f"components.{c}.backend": {"@kratom_backends": "kratom.rules.v1", "task": t}
             for c, t in (("kratom_claims", "claim"), ("kratom_evidence", "evidence"),
                          ("kratom_strength", "strength"))}
    doc = build_pipeline(overrides=rules)(ABSTRACT_HEADINGS)
    (st,) = doc.spans["studies"]
    found = {c.text[:16]: (c._.evidence_level, c._.evidence_study) for c in doc.spans["claims"]}
    assert found["Kava balm reduce"] == ("clinical_trial", st._.study_id)


def test_a_result_given_with_its_statistics_rests_on_the_study_in_scope(analyze_text):
    """GUIDELINES §12.2: a sentence that reports a result with the study's numbers refers to
    it; a p-value or a confidence interval is such a number, even with no other result word."""
    text = ("Topical kava extracts are sold for itchy skin. We randomly assigned 184 adults "
            "with moderate eczema at the Northfield Clinic to kava balm or a plain emollient "
            "twice daily for eight weeks. Itch scores fell by 38% with kava balm and by 21% with "
            "the emollient (p = 0.01). Skin redness improved in both groups.")
    a = analyze_text(text)
    (st,) = a["studies"]
    c = claim(a, "Itch scores fell by 38%")
    assert (c["evidence"]["level"], c["evidence"]["study"]) == ("clinical_trial", st["id"])
    assert not c["overclaim"]["flag"]
