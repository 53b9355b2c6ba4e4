"""Scoring frameworks: hand-worked examples (the arithmetic is written out next to each expected number), dependency
tracking, intervals, TIP-style tiers and GSI-style milestones, and framework validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipnet.assess import framework as fwmod
from tipnet.assess.framework import FrameworkError, load_file, parse
from tipnet.assess.scoring import AnswerError, score
from tipnet.assess.statistics import BASE, Figure

FIX = Path(__file__).parent / "fixtures" / "assess"


@pytest.fixture(scope="module")
def mini():
    return load_file(FIX / "mini.yaml")


def exact(v: float, source: str = "microdata") -> Figure:
    return Figure(v, v, source)


ANSWERS = {"a1": "yes", "a2": "l3", "b1": "yes", "b2": "partial", "b3": "no"}
FIGURES = {"victims": exact(30), "convicted": exact(3), "population": exact(1_000_000, "population")}


def test_hand_worked_example(mini):
    card = score(mini, ANSWERS, FIGURES)
    # a1 = yes -> 1; a2 = l3 -> 3 of 4 points -> 0.75
    assert card.indicators["a2"].score == (0.75, 0.75)
    # A1 = (1*1 + 0.75*3) / (1 + 3) = 3.25 / 4 = 0.8125
    assert card.milestones["A1"] == (0.8125, 0.8125)
    # a3: 30 victims / 1,000,000 people * 100,000 = 3.0 per 100k -> band >= 2 -> 1.0 = A2
    assert card.indicators["a3"].value == Figure(3.0, 3.0, "derived")
    assert card.milestones["A2"] == (1.0, 1.0)
    # A = (0.8125 + 1.0) / 2 = 0.90625 (a1 is yes: no cap)
    assert card.domains["A"] == (0.90625, 0.90625)
    # B1 (sum) = (1 + 0.5 + 0) / max 2 = 0.75
    assert card.milestones["B1"] == (0.75, 0.75)
    # b4: 3 convicted / 30 victims = 0.1 -> band >= 0.1 -> 0.5 = B2; B = (0.75 + 0.5) / 2 = 0.625
    assert card.milestones["B2"] == (0.5, 0.5)
    assert card.domains["B"] == (0.625, 0.625)
    # total = (2 * 0.90625 + 1 * 0.625) / 3 = 2.4375 / 3 = 0.8125 -> gold (>= 0.7 and a1 >= 1)
    assert card.total == pytest.approx((0.8125, 0.8125))
    assert card.rating == ("gold", "gold")
    assert card.caps_applied == {}


def test_cap_negative_points_and_a_requirement(mini):
    answers = {**ANSWERS, "a1": "partial", "b3": "yes"}
    card = score(mini, answers, FIGURES)
    # A1 = (0.5*1 + 0.75*3) / 4 = 2.75 / 4 = 0.6875; A = (0.6875 + 1) / 2 = 0.84375, capped at 0.4 (a1 < 1)
    assert card.domains_uncapped["A"] == (0.84375, 0.84375)
    assert card.domains["A"] == (0.4, 0.4)
    assert card.caps_applied == {"A": ["a1 missing"]}
    # B1 = (1 + 0.5 - 1) / 2 = 0.25; B = (0.25 + 0.5) / 2 = 0.375
    assert card.domains["B"] == (0.375, 0.375)
    # total = (2 * 0.4 + 0.375) / 3 = 1.175 / 3 = 0.391666... -> not gold (a1 < 1), under silver's 0.4 -> bronze
    assert card.total == pytest.approx((1.175 / 3, 1.175 / 3))
    assert card.rating == ("bronze", "bronze")


def test_a_censored_figure_gives_an_interval_of_scores(mini):
    figures = {**FIGURES, "convicted": Figure(1, 4, "glotip")}  # GLOTIP "<5"
    card = score(mini, ANSWERS, figures)
    # convictions per victim: [1/30, 4/30] = [0.0333, 0.1333] -> points [0 (below 0.1), 0.5 (>= 0.1)]
    assert card.indicators["b4"].points == (0.0, 0.5)
    # B = [(0.75 + 0) / 2, (0.75 + 0.5) / 2] = [0.375, 0.625]
    assert card.domains["B"] == (0.375, 0.625)
    # total = [(1.8125 + 0.375) / 3, (1.8125 + 0.625) / 3] = [0.7291666, 0.8125]
    assert card.total == pytest.approx((2.1875 / 3, 0.8125))


def test_unanswered_counts_as_zero_and_missing_figures_leave_computed_indicators_unanswered(mini):
    card = score(mini, {"a1": "yes"}, {})
    # A1 = (1 + 0*3) / 4 = 0.25; A2 = 0 (no figures); A = 0.125; B = 0; total = 2 * 0.125 / 3 = 0.083333
    assert card.domains["A"] == (0.125, 0.125)
    assert not card.indicators["a3"].answered
    assert card.total == pytest.approx((0.25 / 3, 0.25 / 3))


def test_a_change_in_one_datum_changes_exactly_its_dependent_indicators():
    fw = fwmod.get("oas-2009")
    answers = {q.id: "yes" if q.scale.kind == "choice" and "yes" in q.scale.codes else q.scale.codes[-1]
               for q in fw.questions()}
    base = {"victims": exact(200), "minors": exact(40), "prosecuted": exact(30), "convicted": exact(12),
            "assisted": exact(150), "repatriated": exact(9), "cross_border": exact(60),
            "population": exact(10_000_000, "population")}
    before = score(fw, answers, base)
    data = [f"figure:{name}" for name in BASE] + [f"answer:{q.id}" for q in fw.questions()]
    for datum in data:
        kind, name = datum.split(":")
        if kind == "figure":
            changed = score(fw, answers, {**base, name: exact(base[name].lo * 7 + 1000, base[name].source or "")})
        else:
            q = fw.indicator(name)
            other = next(c for c in q.scale.codes if c != answers[name])
            changed = score(fw, {**answers, name: other}, base)
        moved = {k for k, r in changed.indicators.items()
                 if r.to_dict()["value"] != before.indicators[k].to_dict()["value"]}
        assert moved == fw.dependents(datum), datum
        assert moved, f"{datum} changes nothing: the test would prove nothing"
    # a few dependencies written out by hand
    assert fw.dependents("figure:convicted") == {"prosecution.convictions"}
    assert fw.dependents("figure:population") == {"prosecution.identification_rate"}
    assert fw.dependents("figure:victims") == {
        "prosecution.identification_rate", "prosecution.prosecutions", "prosecution.convictions",
        "protection.assisted", "protection.children_reported", "cooperation.cross_border"}
    assert fw.dependents("answer:legal.residence") == {"legal.residence"}


def test_tip_style_tiers():
    fw = load_file(FIX / "tip_tiers.yaml")
    all_yes = {i.id: "yes" for i in fw.questions()}
    # 5 of 5 yes: milestones 1.0 and 1.0 -> total 1.0, the four minimum standards met -> tier 1
    assert score(fw, all_yes).rating == ("tier1", "tier1")
    # one minimum standard missing: minimum = 3/4 = 0.75, efforts = 1 -> total (0.75 + 1) / 2 = 0.875, but tier 1
    # requires every standard -> tier 2 (efforts increasing)
    one_short = {**all_yes, "ms.deterrent": "no"}
    card = score(fw, one_short)
    assert card.total == (0.875, 0.875) and card.rating == ("tier2", "tier2")
    # the same without evidence of increasing efforts: (0.75 + 0) / 2 = 0.375 -> under 0.5 -> tier 3
    assert score(fw, {**one_short, "efforts.increasing": "no"}).rating == ("tier3", "tier3")
    # all standards but no increasing efforts: (1 + 0) / 2 = 0.5 -> not tier 1 (0.5 < 0.75), not tier 2 -> watch list
    assert score(fw, {**all_yes, "efforts.increasing": "no"}).rating == ("tier2_watch", "tier2_watch")


def test_gsi_style_milestones_with_negative_points_and_a_prerequisite_cap():
    fw = load_file(FIX / "gsi_milestones.yaml")
    answers = {"s.hotline": "yes", "s.shelter": "yes", "s.referral": "no", "s.detained": "yes",
               "j.criminalised": "no", "j.unit": "yes"}
    card = score(fw, answers)
    # survivors: (1 + 1 + 0 - 1) / 3 = 0.3333
    assert card.domains["survivors"] == pytest.approx((1 / 3, 1 / 3))
    # justice: (0 + 1) / 2 = 0.5, capped at 0.2 (not criminalised)
    assert card.domains["justice"] == (0.2, 0.2)
    # total = (0.3333 + 0.2) / 2 = 0.26667 -> D (under C's 0.3)
    assert card.total == pytest.approx((0.8 / 3, 0.8 / 3))
    assert card.rating == ("D", "D")
    # all negative: the milestone never goes below 0
    assert score(fw, {"s.detained": "yes"}).domains["survivors"] == (0.0, 0.0)


def test_builtin_framework_cites_the_resolution_and_has_four_languages():
    fw = fwmod.get()
    assert [d.id for d in fw.domains] == ["legal", "prevention", "prosecution", "protection", "cooperation"]
    for ind in fw.indicators():
        assert ind.recommendations and all(1 <= r <= 51 for r in ind.recommendations)
        assert set(ind.labels) == {"en", "es", "fr", "pt"}
    cited = {r for i in fw.indicators() for r in i.recommendations}
    assert {19, 20, 21, 40, 43, 45, 48} <= cited  # residence, indicators, non-punishment, assistance, children...
    assert fw.indicator("legal.non_punishment").recommendations == (21,)
    assert fw.indicator("legal.residence").recommendations == (19,)
    assert {i.statistic for i in fw.computed()} >= {"victims_per_100k", "child_share", "prosecutions_per_victim",
                                                     "convictions_per_victim", "assisted_share", "repatriations",
                                                     "cross_border_share"}


def _broken(text: str, tmp_path: Path) -> str:
    p = tmp_path / "broken.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_file(p)
    return str(info.value)


def test_framework_errors_name_the_file_and_the_path(tmp_path):
    text = (FIX / "mini.yaml").read_text(encoding="utf-8")
    msg = _broken(text.replace("scale: level", "scale: levels"), tmp_path)
    assert "broken.yaml" in msg and "domains[0].milestones[0].indicators[1].scale" in msg and "levels" in msg
    msg = _broken(text.replace("statistic: victims_per_100k", "statistic: victims_per_mille"), tmp_path)
    assert "domains[0].milestones[1].indicators[0].statistic" in msg
    msg = _broken(text.replace("{en: A, es: A, fr: A, pt: A}", "{en: A, es: A, fr: A}", 1), tmp_path)
    assert "domains[0].labels" in msg and "pt" in msg
    msg = _broken(text.replace("when: {indicator: a1, below: 1}", "when: {indicator: a9, below: 1}"), tmp_path)
    assert "domains[0].caps[0].when" in msg and "a9" in msg
    msg = _broken(text.replace("recommendations: [2], labels: {en: b1", "recommendations: [], labels: {en: b1"),
                  tmp_path)
    assert "domains[1].milestones[0].indicators[0].recommendations" in msg
    msg = _broken(text.replace("{min: 1, points: 0.5}", "{min: 3, points: 0.5}"), tmp_path)
    assert "scales.rate.bands" in msg
    with pytest.raises(FrameworkError, match=r"x.yaml: \(top\): expected a mapping"):
        parse([1, 2], "x.yaml")


def test_answers_are_checked(mini):
    with pytest.raises(AnswerError, match="a1: 'maybe' is not an answer"):
        score(mini, {"a1": "maybe"})
    from tipnet.assess.scoring import check_answers

    with pytest.raises(AnswerError, match="a3: is computed"):
        check_answers(mini, {"a3": 2})
    with pytest.raises(AnswerError, match="zz: is not a question"):
        check_answers(mini, {"zz": "yes"})


def test_disclosure_control_of_published_figures():
    from tipnet.assess.service import controlled, threshold

    assert threshold() == 5  # the public release path's threshold (tipnet.disclosure.audit.Protection)
    got = controlled({"victims": exact(3), "minors": exact(0), "convicted": exact(7),
                      "prosecuted": Figure(1, 4, "glotip"), "repatriated": exact(12, "glotip"),
                      "assisted": exact(4), "cross_border": exact(5), "population": exact(3, "population")})
    assert (got["victims"].lo, got["victims"].hi) == (1, 4)  # 3 -> "<5"
    assert (got["assisted"].lo, got["assisted"].hi) == (1, 4)  # 4 -> "<5"
    assert got["minors"] == exact(0) and got["convicted"] == exact(7) and got["cross_border"] == exact(5)
    assert got["prosecuted"] == Figure(1, 4, "glotip")  # GLOTIP's "<5" stays the interval it is
    assert got["repatriated"] == exact(12, "glotip") and got["population"] == exact(3, "population")
