"""Versioned JSON resources (lexicons, cue lists, overclaim rules) loaded into small dataclasses.

Each resource is plain data: edit the JSON, not the code. ``load_*`` functions take an optional
path so a user can point a pipeline (``config.cfg``) at their own copy.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field
from functools import lru_cache
from importlib import resources as _res
from pathlib import Path
from typing import Any, ClassVar

RESOURCE_DIR = Path(str(_res.files(__name__)))


def _read_json(path: str | Path | None, default_name: str) -> dict[str, Any]:
    p = Path(path) if path else RESOURCE_DIR / default_name
    with p.open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class LexiconEntry:
    name: str
    aliases: tuple[str, ...]
    kind: str = "condition"
    # matched exactly as written (since 1.1.0): an alias that is a common word in lower case
    # ("SAMe", not "same")
    aliases_cased: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LexiconEntry:
        return cls(name=d["name"], aliases=tuple(d.get("aliases", [d["name"]])),
                   kind=d.get("kind", "condition"),
                   aliases_cased=tuple(d.get("aliases_cased", ())))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind,
                               "aliases": list(self.aliases)}
        if self.aliases_cased:
            out["aliases_cased"] = list(self.aliases_cased)
        return out


@dataclass(frozen=True)
class Lexicon:
    version: str
    substances: tuple[LexiconEntry, ...]
    conditions: tuple[LexiconEntry, ...]
    anaphors: tuple[str, ...]
    generic_nouns: tuple[str, ...] = ()
    # 1.2.0: a discovered name ending in one of them names a condition ("sclerosis")
    condition_suffixes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lexicon:
        return cls(
            version=d["version"],
            substances=tuple(LexiconEntry.from_dict(e) for e in d["substances"]),
            conditions=tuple(LexiconEntry.from_dict(e) for e in d["conditions"]),
            anaphors=tuple(d.get("anaphors", [])),
            generic_nouns=tuple(d.get("generic_nouns", [])),
            condition_suffixes=tuple(d.get("condition_suffixes", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version,
                "substances": [e.to_dict() for e in self.substances],
                "conditions": [e.to_dict() for e in self.conditions],
                "anaphors": list(self.anaphors), "generic_nouns": list(self.generic_nouns),
                "condition_suffixes": list(self.condition_suffixes)}


@dataclass(frozen=True)
class CueSet:
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    phrases_cased: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CueSet:
        return cls(tuple(d.get("phrases", [])), tuple(d.get("patterns", [])),
                   tuple(d.get("phrases_cased", [])))

    def to_dict(self) -> dict[str, Any]:
        return {"phrases": list(self.phrases), "patterns": list(self.patterns),
                "phrases_cased": list(self.phrases_cased)}


@dataclass(frozen=True)
class EvidenceCues:
    version: str
    levels: dict[str, CueSet]
    negators_before: tuple[str, ...]
    negators_after: tuple[str, ...]
    negator_window: int
    context_openers: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvidenceCues:
        return cls(
            version=d["version"],
            levels={k: CueSet.from_dict(v) for k, v in d["levels"].items()},
            negators_before=tuple(d.get("negators_before", [])),
            negators_after=tuple(d.get("negators_after", [])),
            negator_window=int(d.get("negator_window", 4)),
            context_openers=tuple(d.get("context_openers", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["levels"] = {k: v.to_dict() for k, v in self.levels.items()}
        return out


CLAIM_CUE_GROUPS: dict[str, str] = {
    "meta": "meta_phrases", "research_need": "research_need_phrases",
    "generic_caution": "generic_caution_phrases", "hedge": "hedges",
    "association": "association_phrases", "no_relationship": "no_relationship_phrases",
    "presupposition": "presupposition_phrases", "promotional": "promotional_phrases",
    "cautionary": "cautionary_phrases", "advice_trigger": "advice_triggers",
    "mechanism": "mechanism_words", "risk": "risk_words", "safety": "safety_words",
    "usage": "usage_words", "effect_word": "effect_words", "usage_phrase": "usage_phrases",
}
"""The span groups the cue annotator writes, each from one list of ``claim_cues.json``."""


@dataclass(frozen=True)
class RuleWords:
    """Word lists the rules read directly (``claim_cues.json`` → ``rule_words``)."""

    benefit_lemmas: frozenset[str] = frozenset()
    benefit_words: frozenset[str] = frozenset()
    harm_conditions: frozenset[str] = frozenset()
    specific_risk_exclude: frozenset[str] = frozenset()
    interaction_lemmas: frozenset[str] = frozenset()
    interaction_forms: frozenset[str] = frozenset()
    interaction_body_targets: frozenset[str] = frozenset()
    interaction_partners: frozenset[str] = frozenset()
    harm_denial_lemmas: frozenset[str] = frozenset()
    cautionary_starts: tuple[str, ...] = ()
    promotional_first_words: frozenset[str] = frozenset()
    discouraging_advice_lemmas: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    avoidance_lemmas: frozenset[str] = frozenset()
    hesitation_lemmas: frozenset[str] = frozenset()  # since claim cues 1.18.0
    temper_breaks: frozenset[str] = frozenset()  # since claim cues 1.18.0
    scope_cautions: frozenset[str] = frozenset()  # since claim cues 1.20.0
    scope_breaks: frozenset[str] = frozenset()  # since claim cues 1.20.0
    aim_lemmas: frozenset[str] = frozenset()
    embedded_question_words: frozenset[str] = frozenset()
    verdict_subjects: frozenset[str] = frozenset()
    verdict_intensifiers: frozenset[str] = frozenset()
    verdict_benefit: frozenset[str] = frozenset()
    verdict_safety: frozenset[str] = frozenset()
    verdict_harm: frozenset[str] = frozenset()
    verdict_remedy_nouns: frozenset[str] = frozenset()  # since 1.4.0
    verdict_remedy_articles: frozenset[str] = frozenset()
    clause_openers: frozenset[str] = frozenset()
    dose_words: frozenset[str] = frozenset()
    specific_caution_substrings: tuple[str, ...] = ()
    caution_only_phrases: tuple[str, ...] = ()  # since claim cues 1.5.0
    question_heads: tuple[str, ...] = ()
    people_words: tuple[str, ...] = ()
    animal_patterns: tuple[str, ...] = ()
    lab_words: frozenset[str] = frozenset()  # since claim cues 1.22.0: of animal_patterns
    result_verbs: frozenset[str] = frozenset()
    carry_over_words: frozenset[str] = frozenset()  # since claim cues 1.7.0
    non_effect_tokens: frozenset[str] = frozenset()
    inflection_exclude: frozenset[str] = frozenset()
    # since claim cues 1.23.0: the headings of a reference list, whose lines are boilerplate
    reference_headings: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleWords:
        kw: dict[str, Any] = {}
        for name, f in cls.__dataclass_fields__.items():
            if name in d:
                kw[name] = (tuple(d[name]) if "tuple" in str(f.type) else frozenset(d[name]))
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else sorted(v))
                for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class NullResultCues:
    """How a null result is said (``claim_cues.json`` → ``null_results``, since 1.3.0): the
    strength component reads a claim that states one as no_relationship. An older file without
    the section takes it from the bundled file."""

    triggers: tuple[str, ...] = ()  # every pattern holds one: a fast first test
    negated_auxiliaries: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()
    filler_adverb_suffix: str = ""
    effect_stems: tuple[str, ...] = ()
    no_modifiers: tuple[str, ...] = ()
    no_nouns: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    none_words: tuple[str, ...] = ()
    none_shown_words: tuple[str, ...] = ()
    none_window: int = 8
    blockers: tuple[str, ...] = ()
    # blockers that do not cancel a null result they come before: sentence adverbs that
    # contrast with what was said earlier ("The authors added, however, that ...")
    adverb_blockers: tuple[str, ...] = ()
    # blockers that do not cancel a null result when they open the text: the contrast is with
    # the sentence before ("But a fourth cup is no better")
    opening_blockers: tuple[str, ...] = ()
    relative_words: tuple[str, ...] = ()
    relative_window: int = 8
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NullResultCues:
        kw: dict[str, Any] = {}
        for name, f in cls.__dataclass_fields__.items():
            if name in d:
                kw[name] = tuple(d[name]) if "tuple" in str(f.type) else d[name]
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}
        return {"description": out.pop("description"), **out}


@dataclass(frozen=True)
class ClaimCues:
    version: str
    effect_lemmas: frozenset[str]
    effect_words: frozenset[str]
    mechanism_words: tuple[str, ...]
    weak_mechanism_words: frozenset[str]
    risk_words: tuple[str, ...]
    safety_words: tuple[str, ...]
    usage_words: tuple[str, ...]
    meta_phrases: tuple[str, ...]
    research_need_phrases: tuple[str, ...]
    generic_caution_phrases: tuple[str, ...]
    hedges: tuple[str, ...]
    association_phrases: tuple[str, ...]
    no_relationship_phrases: tuple[str, ...]
    presupposition_phrases: tuple[str, ...]
    promotional_phrases: tuple[str, ...]
    cautionary_phrases: tuple[str, ...]
    advice_triggers: tuple[str, ...]
    imperative_starts: frozenset[str]
    usage_phrases: tuple[str, ...] = ()
    reporting_words: frozenset[str] = frozenset()
    first_person: frozenset[str] = frozenset()
    harm_lemmas: frozenset[str] = frozenset()
    popularity_words: frozenset[str] = frozenset()
    rule_words: RuleWords = field(default_factory=RuleWords)
    null_results: NullResultCues = field(default_factory=NullResultCues)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """The phrases of every cue group (:data:`CLAIM_CUE_GROUPS`)."""
        return {g: tuple(getattr(self, attr)) for g, attr in CLAIM_CUE_GROUPS.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClaimCues:
        adv = d["advice"]
        return cls(
            version=d["version"],
            effect_lemmas=frozenset(d["effect_lemmas"]),
            effect_words=frozenset(d["effect_words"]),
            mechanism_words=tuple(d["mechanism_words"]),
            weak_mechanism_words=frozenset(d.get("weak_mechanism_words", [])),
            risk_words=tuple(d["risk_words"]),
            safety_words=tuple(d["safety_words"]),
            usage_words=tuple(d["usage_words"]),
            meta_phrases=tuple(d["meta_phrases"]),
            research_need_phrases=tuple(d["research_need_phrases"]),
            generic_caution_phrases=tuple(d["generic_caution_phrases"]),
            hedges=tuple(d["hedges"]),
            association_phrases=tuple(d["association_phrases"]),
            no_relationship_phrases=tuple(d["no_relationship_phrases"]),
            presupposition_phrases=tuple(d["presupposition_phrases"]),
            promotional_phrases=tuple(adv["promotional_phrases"]),
            cautionary_phrases=tuple(adv["cautionary_phrases"]),
            advice_triggers=tuple(adv["advice_triggers"]),
            imperative_starts=frozenset(adv["imperative_starts"]),
            usage_phrases=tuple(d.get("usage_phrases", [])),
            reporting_words=frozenset(d.get("reporting_words", [])),
            first_person=frozenset(d.get("first_person", [])),
            harm_lemmas=frozenset(d.get("harm_lemmas", [])),
            popularity_words=frozenset(d.get("popularity_words", [])),
            rule_words=RuleWords.from_dict(d.get("rule_words", {})),
            null_results=NullResultCues.from_dict(
                d["null_results"] if "null_results" in d
                else _read_json(None, "claim_cues.json")["null_results"]),
        )

    def to_dict(self) -> dict[str, Any]:
        d = {k: sorted(v) if isinstance(v, frozenset) else list(v) if isinstance(v, tuple) else v
             for k, v in self.__dict__.items() if k not in ("rule_words", "null_results")}
        d["rule_words"] = self.rule_words.to_dict()
        d["null_results"] = self.null_results.to_dict()
        d["advice"] = {k: d.pop(k) for k in ("promotional_phrases", "cautionary_phrases",
                                              "advice_triggers", "imperative_starts")}
        return d


@dataclass(frozen=True)
class OverclaimRule:
    id: str
    label: str
    when: dict[str, Any]
    reason: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OverclaimRule:
        return cls(id=d["id"], label=d.get("label", d["id"]), when=dict(d["when"]),
                   reason=d["reason"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OverclaimRules:
    version: str
    rules: tuple[OverclaimRule, ...]
    licensing_levels: frozenset[str]
    level_text: dict[str, str]
    assertiveness: dict[str, float]
    evidence_weight: dict[str, float]
    verdicts: tuple[tuple[float, str], ...] = field(default=())
    # 1.5.0: the support score's credit per caveat the article states, up to caveat_cap
    caveat_credit: float = 0.0
    caveat_cap: int = 0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OverclaimRules:
        return cls(
            version=d["version"],
            rules=tuple(OverclaimRule.from_dict(r) for r in d["rules"]),
            licensing_levels=frozenset(d["licensing_levels"]),
            level_text=dict(d["level_text"]),
            assertiveness={k: float(v) for k, v in d["assertiveness"].items()},
            evidence_weight={k: float(v) for k, v in d["evidence_weight"].items()},
            verdicts=tuple((float(t), str(v)) for t, v in d.get("verdicts", [])),
            caveat_credit=float(d.get("caveat_credit", 0.0)),
            caveat_cap=int(d.get("caveat_cap", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "rules": [r.to_dict() for r in self.rules],
                "licensing_levels": sorted(self.licensing_levels),
                "level_text": dict(self.level_text), "assertiveness": dict(self.assertiveness),
                "evidence_weight": dict(self.evidence_weight),
                "verdicts": [list(v) for v in self.verdicts],
                "caveat_credit": self.caveat_credit, "caveat_cap": self.caveat_cap}


@lru_cache(maxsize=8)
def load_lexicon(path: str | None = None) -> Lexicon:
    return Lexicon.from_dict(_read_json(path, "lexicon.json"))


@lru_cache(maxsize=8)
def load_evidence_cues(path: str | None = None) -> EvidenceCues:
    return EvidenceCues.from_dict(_read_json(path, "evidence_cues.json"))


@lru_cache(maxsize=8)
def load_claim_cues(path: str | None = None) -> ClaimCues:
    return ClaimCues.from_dict(_read_json(path, "claim_cues.json"))


@lru_cache(maxsize=8)
def load_overclaim_rules(path: str | None = None) -> OverclaimRules:
    return OverclaimRules.from_dict(_read_json(path, "overclaim_rules.json"))


@dataclass(frozen=True)
class StudyCues:
    """What names a study and how its design, population, size and venue are said
    (``study_cues.json``), plus the reference and attribution words of later sentences."""

    version: str
    study_nouns: frozenset[str]
    description_verbs: tuple[str, ...]
    model_phrases: tuple[str, ...]
    not_a_mention_before: frozenset[str]
    future_words: frozenset[str]
    generic_plural: frozenset[str]
    design_cues: dict[str, tuple[str, ...]]
    design_priority: tuple[str, ...]
    kind_cues: dict[str, tuple[str, ...]]
    animal_words: frozenset[str]
    cell_words: frozenset[str]
    human_words: frozenset[str]
    count_nouns: frozenset[str]
    number_words: dict[str, int]
    venue_openers: tuple[str, ...]
    journals: tuple[str, ...]
    reference_phrases: tuple[str, ...]
    result_words: frozenset[str]
    attribution_words: frozenset[str]
    expert_words: frozenset[str]
    researcher_words: frozenset[str] = frozenset()  # "the scientists gave office workers ..."
    intervention_verbs: frozenset[str] = frozenset()  # ... an intervention they administer
    not_design_phrases: tuple[str, ...] = ()  # phrases whose design words name no design
    # 1.3.0: the words the mention finder used to hold in code. A file without them (an older
    # copy) takes them from the bundled file, so it keeps its behaviour.
    report_words: frozenset[str] = frozenset()  # "found" cancels a future word near a study
    determiner_nouns: frozenset[str] = frozenset()  # "research" names a study only after ...
    study_determiners: frozenset[str] = frozenset()  # ... "the", "new", "a recent" ...
    specific_plural_words: frozenset[str] = frozenset()  # "the trials", "two studies"
    reference_determiners: frozenset[str] = frozenset()  # "the study" refers back
    other_markers_ref: frozenset[str] = frozenset()  # "the earlier trial" is not the last one
    other_markers_new: frozenset[str] = frozenset()  # "a larger trial" is another one
    description_openers: frozenset[str] = frozenset()  # "a trial of / in / involving ..."
    phase_numerals: frozenset[str] = frozenset()  # "phase I study" (tagged pronoun + verb)
    speaker_pronouns: frozenset[str] = frozenset()  # "he said"
    person_words: frozenset[str] = frozenset()  # a patient or relative quoted
    # 1.4.0: how a methods sentence of a study in scope names its design without a study noun
    # ("patients were given either the drug or a placebo"), and the words after a number that
    # make it a population statistic rather than a sample ("12 million Americans")
    detail_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_a_sample_after: frozenset[str] = frozenset()
    control_arms: frozenset[str] = frozenset()  # "placebo-controlled", not "diet-controlled"
    # 1.5.0: a new study spoken of, not described ("before it can be tested in clinical trials")
    hypothetical_words: frozenset[str] = frozenset()
    # 1.6.0: the tokens before a number that make it an amount, not a sample ("$1,200 a year
    # for the kava tea")
    not_a_sample_before: frozenset[str] = frozenset()
    # 1.13.0: the word lists of the 1.7.0-1.12.0 rules, which the mention finder first held in
    # code: the singulars of a counted noun after a hyphen ("a 200-patient study"), the words
    # that make a "review of" a records review ("a chart review"), the description verbs read
    # only after researchers ("the researchers had 85 adults ..."), the design words a
    # negation cancels ("the runner studies were not randomized") and those negations, the nouns
    # of "the kind of ... study", and the words that join a second study to a description
    # ("a survey of 500 adults and a study in mice")
    hyphen_count_nouns: frozenset[str] = frozenset()
    records_words: frozenset[str] = frozenset()
    researchers_only_verbs: frozenset[str] = frozenset()
    negatable_design_words: frozenset[str] = frozenset()
    negation_words: frozenset[str] = frozenset()
    kind_nouns: frozenset[str] = frozenset()
    study_joiners: frozenset[str] = frozenset()
    # 1.17.0: an "experiment" in people is an intervention study (a trial, design not given)
    experiment_nouns: frozenset[str] = frozenset()
    # 1.18.0: the verbs of a judgement said in the first person ("I think", "I'd suggest")
    opinion_lemmas: frozenset[str] = frozenset()
    # 1.19.0: a speaker who speaks for a seller ("the company says", "a sales manager with
    # the maker said") offers no expert opinion (GUIDELINES §9.7)
    company_words: frozenset[str] = frozenset()
    # 1.20.0: the words that tell earlier work ("had earlier tried the balm on rats"): such a
    # study is not the one an article's lede summarises
    earlier_markers: frozenset[str] = frozenset()
    # 1.21.0: researchers who combine, pool or examine a counted set of studies describe a
    # review of them ("the team pooled 12 trials")
    pooling_lemmas: frozenset[str] = frozenset()
    # 1.22.0: "the new study" is the article's own study, not the older one told last
    current_markers: frozenset[str] = frozenset()
    # 1.23.0: the word lists of the 1.21.0 rules: the verbs of a pooled analysis, and the
    # words before a study that a speaker had no part in ("not involved in the trial")
    meta_analysis_lemmas: frozenset[str] = frozenset()
    part_phrases: frozenset[str] = frozenset()
    # 1.25.0: the words before a head count that make it a bound ("more than 200 people")
    approximate_words: frozenset[str] = frozenset()
    # 1.34.0: research going on, not told ("a kava trial is now underway"), and the nouns of
    # a named data source ("records from the Northfield Herbal Users Registry"), which
    # are the data of a study told, not a study of their own
    ongoing_words: frozenset[str] = frozenset()
    data_source_nouns: frozenset[str] = frozenset()
    quantifier_words: frozenset[str] = frozenset()  # "any study", "no trial": no study named
    # 1.35.0: what researchers reviewed when they reviewed cases, not studies ("reviewed
    # nearly 20,000 cases"): a chart review, observational
    case_review_nouns: frozenset[str] = frozenset()
    # 1.37.0: the verbs after which such nouns make a chart review ("studied cases of")
    case_review_verbs: frozenset[str] = frozenset()
    # the words that may stand between such a verb and its cases ("the records of 300")
    case_review_fillers: frozenset[str] = frozenset()
    # 1.37.0: researchers named before their institution ("Researchers at Lakeside Hospital
    # in Leeds looked at"): the preposition after "researchers", and the words besides
    # proper nouns that the institution's name may hold
    institution_prepositions: frozenset[str] = frozenset()
    institution_fillers: frozenset[str] = frozenset()
    # 1.38.0: an analysis of studies or trials ("an analysis of previous aspirin trials")
    # reviews them: the head nouns of such an analysis and the plurals of the studies pooled
    analysis_heads: frozenset[str] = frozenset()
    pooled_plurals: frozenset[str] = frozenset()
    # 1.39.0: the copulas before a negated design ("the study wasn't a clinical trial")
    copula_words: frozenset[str] = frozenset()
    # 1.41.0: what a study noun may modify without naming a study ("per study group")
    study_role_nouns: frozenset[str] = frozenset()
    # 1.42.0: what else a review of people reviews ("a review of 400 hospitals' data"): with
    # the people words and the cases, the objects of a chart review, observational
    review_object_words: frozenset[str] = frozenset()
    # what a review of studies reviews besides them ("a review of the evidence"): no chart review
    review_source_words: frozenset[str] = frozenset()
    # 1.43.0: nouns that name a study only when people counted follow ("a test of 38 women")
    counted_test_nouns: frozenset[str] = frozenset()
    # 1.45.0: the prepositions before people counted that make them a study's sample ("the
    # balm was tried in 40 adults"), for a study no mention gives a design
    sample_prepositions: frozenset[str] = frozenset()
    # 1.48.0: what researchers did when a sentence tells earlier work by its finding alone
    # ("in 2009, Lund and her team found ...")
    finding_verbs: frozenset[str] = frozenset()
    # 1.50.0: the section labels of a structured abstract by the part they open (background,
    # methods, results, conclusions, other), lower case, commas dropped, "&" read as "and"
    abstract_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # 1.51.0: an abstract with no section labels: the authors' first-person words that make
    # a study mention its methods sentence ("we", "our"), and the most words such a text has
    abstract_voice: frozenset[str] = frozenset()
    abstract_max_words: int = 0

    BUNDLED_SINCE_1_3: ClassVar[tuple[str, ...]] = (
        "report_words", "determiner_nouns", "study_determiners", "specific_plural_words",
        "reference_determiners", "other_markers_ref", "other_markers_new",
        "description_openers", "phase_numerals", "speaker_pronouns", "person_words",
        "detail_cues", "not_a_sample_after", "control_arms", "hypothetical_words",
        "not_a_sample_before", "hyphen_count_nouns", "records_words", "researchers_only_verbs",
        "negatable_design_words", "negation_words", "kind_nouns", "study_joiners",
        "experiment_nouns", "opinion_lemmas", "company_words", "earlier_markers",
        "pooling_lemmas", "current_markers", "meta_analysis_lemmas", "part_phrases",
        "approximate_words", "ongoing_words", "data_source_nouns", "quantifier_words",
        "case_review_nouns", "case_review_verbs", "case_review_fillers",
        "institution_prepositions", "institution_fillers", "analysis_heads", "pooled_plurals",
        "copula_words", "study_role_nouns", "review_object_words",
        "review_source_words", "counted_test_nouns", "sample_prepositions", "finding_verbs",
        "abstract_sections", "abstract_voice", "abstract_max_words")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudyCues:
        kw: dict[str, Any] = {"version": d["version"]}
        bundled: dict[str, Any] | None = None
        for name, f in cls.__dataclass_fields__.items():
            if name in cls.BUNDLED_SINCE_1_3 and name not in d:
                bundled = bundled or _read_json(None, "study_cues.json")
                d = {**d, name: bundled[name]}
            if name == "version" or (name not in d and f.default is not MISSING):
                continue
            value = d[name]
            if name in ("design_cues", "kind_cues", "detail_cues", "abstract_sections"):
                kw[name] = {k: tuple(v) for k, v in value.items()}
            elif name == "number_words":
                kw[name] = {k: int(v) for k, v in value.items()}
            elif f.type in (int, "int"):
                kw[name] = int(value)
            elif "frozenset" in str(f.type):
                kw[name] = frozenset(value)
            else:
                kw[name] = tuple(value)
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, frozenset):
                out[k] = sorted(v)
            elif isinstance(v, tuple):
                out[k] = list(v)
            elif isinstance(v, dict):
                out[k] = {kk: list(vv) if isinstance(vv, tuple) else vv for kk, vv in v.items()}
            else:
                out[k] = v
        return out


@lru_cache(maxsize=8)
def load_study_cues(path: str | None = None) -> StudyCues:
    return StudyCues.from_dict(_read_json(path, "study_cues.json"))


@dataclass(frozen=True)
class CueResources:
    """The lexicon and the cue lists, loaded once and shared by the cue annotator, the sentence
    analysis and every backend of a pipeline (``config.cfg``: ``@misc = "kratom.cues.v1"``)."""

    lexicon: Lexicon
    evidence_cues: EvidenceCues
    claim_cues: ClaimCues
    study_cues: StudyCues
    paths: tuple[str | None, ...] = (None, None, None, None)


@lru_cache(maxsize=8)
def load_cues(lexicon_path: str | None = None, evidence_cues_path: str | None = None,
              claim_cues_path: str | None = None,
              study_cues_path: str | None = None) -> CueResources:
    """The cue resources (the packaged JSON files unless paths are given), once per process."""
    return CueResources(load_lexicon(lexicon_path), load_evidence_cues(evidence_cues_path),
                        load_claim_cues(claim_cues_path), load_study_cues(study_cues_path),
                        (lexicon_path, evidence_cues_path, claim_cues_path, study_cues_path))


@dataclass(frozen=True)
class CaveatCues:
    """The phrases with which an article states the limits of its evidence, by kind
    (``caveat_cues.json``): limitation, preliminary, more_research, causation."""

    version: str
    kinds: dict[str, tuple[str, ...]]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaveatCues:
        return cls(version=d["version"],
                   kinds={k: tuple(v) for k, v in d["kinds"].items()})

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "kinds": {k: list(v) for k, v in self.kinds.items()}}


@lru_cache(maxsize=8)
def load_caveat_cues(path: str | None = None) -> CaveatCues:
    return CaveatCues.from_dict(_read_json(path, "caveat_cues.json"))


def schema_path() -> Path:
    """Path of the analysis contract's JSON Schema."""
    return RESOURCE_DIR / "analysis.schema.json"
