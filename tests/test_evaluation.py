"""The end-to-end evaluation script's scoring and its article-level bootstrap
(``eval/evaluate_pipeline.py``), on gold articles and analyses written for the test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("evaluate_pipeline",
                                                  ROOT / "eval" / "evaluate_pipeline.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def article(i: int, claims: list[bool]) -> dict:
    """An article of one 20-character sentence per entry; True marks a gold claim."""
    sents = []
    for k, is_claim in enumerate(claims):
        sents.append({"start": 20 * k, "end": 20 * k + 19, "text": f"sentence {k}",
                      "claim": is_claim, "advice": False, "overclaim": False,
                      "evidence": "clinical_trial" if is_claim else "none",
                      "strength": "direct_causal" if is_claim else "no_relationship"})
    return {"id": f"a{i}", "text": "x" * (20 * len(claims)), "sentences": sents}


def analysis(found: list[bool], level: str = "clinical_trial") -> dict:
    return {"claims": [{"start": 20 * k, "end": 20 * k + 19, "advice": False,
                        "overclaim": {"flag": False}, "evidence": {"level": level},
                        "strength": "direct_causal"}
                       for k, hit in enumerate(found) if hit]}


def test_score_counts_claims_and_fields_per_sentence(ev):
    arts = [article(0, [True, False, True, True])]
    metrics, rows = ev.score(arts, [analysis([True, True, False, True])])
    assert len(rows) == 4 and metrics["gold_claims"] == 3
    assert metrics["claim"]["precision"] == pytest.approx(2 / 3)
    assert metrics["claim"]["recall"] == pytest.approx(2 / 3)
    assert metrics["evidence"] == {"accuracy": 1.0, "macro_f1": 1.0, "n": 2}


def test_bootstrap_resamples_articles_and_brackets_the_figure(ev):
    arts = [article(i, [True, True, False, False]) for i in range(8)]
    # half the articles analysed perfectly, half with every claim missed
    ans = [analysis([True, True, False, False]) if i % 2 else analysis([False] * 4)
           for i in range(8)]
    point, _ = ev.score(arts, ans)
    out = ev.bootstrap(arts, ans, n=30, seed=1)
    assert out["unit"] == "article" and out["resamples"] == 30
    lo, hi = out["ci95"]["claim F1"]
    assert lo < point["claim"]["f1"] < hi  # 0.667: an interval around it, not a point
    assert out["ci95"]["evidence accuracy"] == [1.0, 1.0]  # right wherever a claim is found
    assert "studies recall" not in out["ci95"]  # no study labels in these articles
    assert ev.bootstrap(arts, ans, n=30, seed=1) == out  # seeded: the same intervals
    # a resample of articles where no claim was found has no evidence figure: left out
    none_found, _ = ev.score(arts[:1], [analysis([False] * 4)])
    assert none_found["evidence"]["n"] == 0 and none_found["claim"]["f1"] == 0.0
    assert not ev._defined(none_found, "evidence", "accuracy")


def test_table_shows_the_intervals_beside_the_figures(ev):
    arts = [article(i, [True, False]) for i in range(4)]
    ans = [analysis([True, False]) for _ in range(4)]
    metrics, _ = ev.score(arts, ans)
    metrics["bootstrap"] = ev.bootstrap(arts, ans, n=10)
    assert "| claim F1 | 1.000 (1.00–1.00) |" in ev.table({"real": metrics})


def test_auc_intervals_bracket_the_auc_and_skip_one_class_resamples(ev):
    y = [1, 0, 1, 0, 0, 1, 0, 0]
    support = [0.9, 0.2, 0.4, 0.5, 0.1, 0.8, 0.6, 0.3]
    out = ev.auc_intervals(y, support, [-s for s in support], n=200, seed=2)
    lo, hi = out["ci95"]["auc_support_score"]
    assert out["unit"] == "release" and 0.0 <= lo < 0.867 < hi <= 1.0  # AUC 13/15
    assert 170 < out["kept"] < 200  # a few resamples drew one class only
    # the negated score ranks every resample the other way: AUC 1 - AUC, the interval mirrored
    neg_lo, neg_hi = out["ci95"]["auc_overclaim_rate"]
    assert neg_lo == pytest.approx(1 - hi, abs=0.0015) and neg_hi == pytest.approx(1 - lo,
                                                                                 abs=0.0015)


def test_c3_figures_also_score_the_releases_no_model_was_fitted_on(ev):
    ids = ["r1", "r2", "r3", "r4", "r5", "r6"]
    y = [1, 0, 1, 0, 1, 0]
    support = [0.9, 0.1, 0.2, 0.8, 0.7, 0.3]  # r3 and r4, both fitted, are ranked wrongly
    rate = [0.0, 0.5, 0.4, 0.1, 0.1, 0.6]
    out = ev.c3_figures(ids, y, support, rate, fitted={"r3", "r4", "elsewhere"})
    assert out["articles"] == 6 and out["satisfactory"] == 3
    assert out["auc_support_score"] == pytest.approx(6 / 9)  # 3 + 1 + 2 of the 9 pairs
    un = out["unfitted"]  # r1, r2, r5, r6: every satisfactory release above every other
    assert (un["articles"], un["satisfactory"]) == (4, 2)
    assert un["auc_support_score"] == 1.0 and un["auc_overclaim_rate"] == 1.0
    # nothing fitted among the releases (a dev or test pool): no second figure
    assert "unfitted" not in ev.c3_figures(ids, y, support, rate, fitted={"elsewhere"})
    # one class left once the fitted ones are dropped: counted, no AUC
    one = ev.c3_figures(ids, y, support, rate, fitted={"r2", "r4", "r6"})["unfitted"]
    assert one["satisfactory"] == 3 and one["auc_support_score"] is None


def test_c3_gold_scores_the_gold_labels_beside_the_pipeline(ev):
    # four releases with a verdict: gold evidence is a trial in the satisfactory ones and
    # none in the others; the pipeline reads a trial everywhere except in release 2
    arts = []
    for i, ok in enumerate([True, False, True, False]):
        a = article(i, [True, True, False])
        for s in a["sentences"][:2]:
            s["evidence"] = "clinical_trial" if ok else "none"
        a["criteria"] = {"C3": "Satisfactory" if ok else "Not Satisfactory"}
        arts.append(a)
    arts.append(article(9, [True, False]))  # no verdict: not counted
    support = [0.9, 0.9, 0.0, 0.9, 0.5]
    ans = [{"summary": {"support_score": s, "overclaim_rate": 0.0}} for s in support]
    out = ev.c3_gold(arts, ans, resamples=50)
    assert (out["articles"], out["satisfactory"]) == (4, 2)
    sup = out["auc_support_score"]
    assert sup["gold"] == 1.0  # gold support 0.9 vs 0: every pair ranked right
    assert sup["pipeline"] == pytest.approx(0.25)  # release 0 ties twice, 2 loses twice
    lo, hi = sup["pipeline_minus_gold_ci95"]
    assert -1 <= lo <= hi <= -0.5  # behind on every resample with both classes
    # no overclaim anywhere: both rates tie, an AUC of one half
    assert out["auc_overclaim_rate"]["gold"] == out["auc_overclaim_rate"]["pipeline"] == 0.5
    # one class only: no figure
    assert ev.c3_gold(arts[::2], ans[::2]) is None


def test_c3_paired_says_whether_one_release_restores_a_fall(ev):
    ids = ["r1", "r2", "r3", "r4", "r5", "r6"]
    y = [1, 0, 1, 0, 1, 0]
    base = ([0.9, 0.1, 0.8, 0.2, 0.7, 0.3], [0.0] * 6)  # every pair ordered right
    # one release (r1) falls below two unsatisfactory ones: a fall one release restores
    one = ([0.15, 0.1, 0.8, 0.2, 0.7, 0.3], [0.0] * 6)
    out = ev.c3_paired(ids, y, base, one, fitted={"r5", "r6"}, resamples=20)
    sup = out["pools"]["auc_support_score"]
    assert (sup["base"], sup["other"]) == (1.0, pytest.approx(0.778, abs=1e-3))  # 7 of 9
    assert sup["one_release"] == 1.0 and sup["within_one_release"]
    assert sup["ci95"][1] <= 0  # never ahead on a resample
    assert out["unfitted"]["releases"] == 4  # r1-r4
    # two releases fall: giving one back is not enough
    two = ([0.15, 0.1, 0.25, 0.2, 0.7, 0.3], [0.0] * 6)
    sup = ev.c3_paired(ids, y, base, two, fitted=set())["pools"]["auc_support_score"]
    assert sup["one_release"] < 1.0 and not sup["within_one_release"]
    # ties everywhere in the rates: no fall
    assert ev.c3_paired(ids, y, base, two, fitted=set())["pools"]["auc_overclaim_rate"][
        "within_one_release"]


def test_paired_bootstrap_compares_two_analyses_on_the_same_resamples(ev):
    arts = [article(i, [True, True, False, False]) for i in range(10)]
    base = [analysis([True, False, False, False]) for _ in range(10)]  # half the claims
    better = [analysis([True, True, False, False]) for _ in range(10)]  # all of them
    out = ev.paired_bootstrap(arts, base, better, n=20)
    claim = out["figures"]["claim F1"]
    assert (claim["base"], claim["other"]) == (pytest.approx(0.667, abs=1e-3), 1.0)
    assert claim["ci95"][0] > 0 and claim["p_ahead"] == 1.0  # ahead on every resample
    same = ev.paired_bootstrap(arts, base, base, n=10)["figures"]["claim F1"]
    assert same["diff"] == 0 and same["ci95"] == [0.0, 0.0] and same["p_ahead"] == 0.0


def test_shared_claims_counts_the_items_behind_a_figure_over_matched_claims(ev):
    """A second pipeline that finds one more gold claim, with the wrong level, and one more
    non-claim: evidence accuracy over matched claims falls (1.0 -> 0.75) while no claim both
    find changed; a third that breaks a shared claim's strength shows it as broken."""
    arts = [article(0, [True, True, True, True, False])]
    base = [analysis([True, True, True, False, False])]
    other = analysis([True, True, True, True, True])
    other["claims"][3]["evidence"]["level"] = "observational"
    m_base, _ = ev.score(arts, base)
    m_other, _ = ev.score(arts, [other])
    assert (m_base["evidence"]["accuracy"], m_other["evidence"]["accuracy"]) == (1.0, 0.75)
    out = ev.shared_claims(arts, base, [other])
    assert out["gold_claims_found"] == {"gained": 1, "lost": 0}
    assert out["non_claims_found"] == {"gained": 1, "lost": 0}
    assert out["shared_claims"] == 3
    assert out["evidence"] == {"n": 3, "base": 3, "other": 3, "fixed": 0, "broken": 0}
    worse = analysis([True, True, True, False, False])
    worse["claims"][1]["strength"] = "correlational"
    out = ev.shared_claims(arts, base, [worse])
    assert out["strength"] == {"n": 3, "base": 3, "other": 2, "fixed": 0, "broken": 1}
    assert out["gold_claims_found"] == {"gained": 0, "lost": 0}
    assert out["resolution"]["n"] == 0  # no gold claim rests on a study here


def test_shared_claims_counts_a_study_link_lost_on_a_shared_claim(ev):
    art = article(0, [True, True])
    art["studies"] = [{"id": "s1", "start": 0, "end": 19, "sentence": 0,
                       "design": "clinical_trial"}]
    art["sentences"][1]["study"] = "s1"
    base = analysis([True, True])
    base["studies"] = [{"id": "p1", "start": 0, "end": 19, "design": "clinical_trial"}]
    base["claims"][1]["evidence"]["study"] = "p1"
    other = analysis([True, True])
    other["studies"] = base["studies"]
    out = ev.shared_claims([art], [base], [other])  # the other keeps the study, not the link
    assert out["resolution"] == {"n": 1, "base": 1, "other": 0, "fixed": 0, "broken": 1}


def test_model_selection_keeps_the_written_split_within_its_allowance():
    """``select_models.choose_winner``: the best real dev row among those whose written dev
    figure is within 0.03 of the grid's best; ties go to the simpler data mix."""
    spec = importlib.util.spec_from_file_location("select_models",
                                                  ROOT / "eval" / "select_models.py")
    sm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sm)

    def row(data: str, real: float, written: float) -> dict:
        return {"data": data, "params": {},
                "scores": {"real": {"accuracy": real}, "written": {"accuracy": written}}}

    grid = [row("real", 0.719, 0.604), row("real+gold", 0.718, 0.849),
            row("real+gold:0.3", 0.709, 0.858)]
    assert sm.choose_winner("evidence", grid)["data"] == "real+gold"
    # within the allowance the real dev figure decides, then the shorter data mix
    tied = [row("real+gold:0.3", 0.7201, 0.84), row("real", 0.7199, 0.83)]
    assert sm.choose_winner("evidence", tied)["data"] == "real"
    # certainty has no written split: the val score alone decides
    cert = [{"data": "certainty", "params": {"alpha": a},
             "scores": {"certainty_val": {"pearson_r": r}}} for a, r in ((1.0, 0.5), (3.0, 0.6))]
    assert sm.choose_winner("certainty", cert)["params"] == {"alpha": 3.0}


def test_study_errors_sort_the_studies_and_references_the_pipeline_gets_wrong():
    spec = importlib.util.spec_from_file_location("study_errors",
                                                  ROOT / "eval" / "study_errors.py")
    se = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(se)
    # four 20-character sentences; gold studies described in sentences 0, 2 and 3
    sents = [{"start": 20 * k, "end": 20 * k + 19, "claim": k > 0, "study": study}
             for k, study in enumerate([None, "s1", "s2", "s1"])]
    gold = {"id": "a", "text": "x" * 80, "sentences": sents,
            "studies": [{"id": "s1", "start": 0, "end": 10, "sentence": 0},
                        {"id": "s2", "start": 40, "end": 50, "sentence": 2},
                        {"id": "s3", "start": 60, "end": 65, "sentence": 3}]}
    pred = {"studies": [{"id": "p1", "start": 0, "end": 10, "mentions": [[0, 10], [41, 45]]},
                        {"id": "p2", "start": 21, "end": 25, "mentions": [[21, 25]]}],
            "claims": [{"start": 20, "end": 39, "evidence": {"level": "observational",
                                                             "study": "p1"}},
                       {"start": 40, "end": 59, "evidence": {"level": "observational",
                                                             "study": "p1"}},
                       {"start": 60, "end": 79, "evidence": {"level": "expert_opinion",
                                                             "study": None}}]}
    assert se.match_studies(gold, pred) == {"s1": "p1"}
    assert se.study_errors(gold, pred) == {
        "gold study merged": 1,  # s2: p1, matched to s1, has a mention in its description
        "gold study missed": 1,  # s3: no predicted mention in its sentence
        # p2 lies in a sentence that refers to s1, which p1 already matches
        "predicted: duplicate of a matched study": 1}
    assert se.resolution_errors(gold, pred) == {
        "resolved": 1,  # sentence 1 rests on p1, which is s1
        "gold study not found: rests on another study": 1,  # sentence 2: s2 merged into p1
        "rests on no study (own evidence expert_opinion)": 1}  # sentence 3: an expert
