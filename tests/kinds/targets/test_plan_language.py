"""Plan language v2 on the hand-made scenario: strict and inclusive bounds, about bands,
cumulative / change_since / reached_by / pp_change, joint goals, strength and required
growth from a chosen year for each lever. Every expected number is computed by hand from
the closed-form trajectories of conftest.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.errors import ScenarioError

from .conftest import GDP, LOANS, OUT, SME, base_dict, check, outcome


def _gdp(year: int, **goal: Any) -> dict[str, Any]:
    return {"kind": "level", "metric": "gdp", "year": year, **goal}


# -- 1. strict and inclusive bounds ------------------------------------------------------------
def test_a_strict_bound_excludes_the_number_and_an_inclusive_one_includes_it() -> None:
    # gdp in 2026 is 1000 * 1.05**3 = 1157.625 (the float product differs from it by rounding)
    v = 1000.0 * 1.05**3
    check(outcome(_gdp(2026, at_least=1157.625)), v, v - 1157.625, True)
    check(outcome(_gdp(2026, at_most=1157.625)), v, 1157.625 - v, True)
    check(outcome(_gdp(2026, more_than=1157.625)), v, v - 1157.625, False)
    check(outcome(_gdp(2026, less_than=1157.625)), v, 1157.625 - v, False)
    check(outcome(_gdp(2026, more_than=1157.0)), v, v - 1157.0, True)
    check(outcome(_gdp(2026, less_than=1158.0)), v, 1158.0 - v, True)
    # a margin of 1e-9 of the goal is rounding: it does not make a strict goal met
    goal = v * (1 - 5e-10)
    check(outcome(_gdp(2026, more_than=goal)), v, v - goal, False)
    check(outcome(_gdp(2026, at_least=v * (1 + 5e-10))), v, v - v * (1 + 5e-10), True)


def test_strict_goal_text_and_op() -> None:
    tr = outcome(_gdp(2026, more_than=1000.0))
    assert tr.op == ">" and tr.to_dict()["op"] == ">"
    assert outcome(_gdp(2026, less_than=2000.0)).op == "<"


def test_about_is_an_inclusive_band() -> None:
    v = GDP[2026]
    check(outcome(_gdp(2026, about={"value": 1160.0, "tolerance": 5.0})), v, v - 1155.0, True)
    check(outcome(_gdp(2026, about={"value": 1170.0, "tolerance": 5.0})), v, v - 1165.0, False)


def test_a_target_takes_exactly_one_goal() -> None:
    with pytest.raises(ValueError, match="exactly one of at_least, at_most, more_than"):
        outcome(_gdp(2026, at_least=1.0, more_than=1.0))


def test_a_strict_count_is_one_more() -> None:
    # 2026 outputs: a 798.6, b 463.05, c 300, d 195.3125: two clusters reach 400
    base = {"kind": "count_over", "year": 2026, "threshold": 400.0}
    check(outcome({**base, "at_least": 2}), 2.0, 0.0, True)
    check(outcome({**base, "more_than": 2}), 2.0, 0.0, False)
    check(outcome({**base, "more_than": 1}), 2.0, 1.0, True)


# -- 3. cumulative, change_since, pp_change -------------------------------------------------
def test_cumulative_sums_the_flow_over_both_ends() -> None:
    total = LOANS[2024] + LOANS[2025] + LOANS[2026]  # 18 * (1.06 + 1.06^2 + 1.06^3)
    assert total == pytest.approx(60.743088)
    t = {"kind": "cumulative", "metric": "loans", "from_year": 2024, "year": 2026}
    check(outcome({**t, "at_least": 60.0}), total, total - 60.0, True)
    check(outcome({**t, "at_least": 61.0}), total, total - 61.0, False)


def test_change_since_counts_a_stock_from_the_plan_year() -> None:
    new = SME[2026] - SME[2023]
    t = {"kind": "change_since", "metric": "sme", "from_year": 2023, "year": 2026}
    check(outcome({**t, "at_least": 100.0}), new, new - 100.0, True)


def test_pp_change_is_the_total_change_of_a_share() -> None:
    s23 = (OUT["a"][2023] + OUT["b"][2023]) / GDP[2023]
    s26 = (OUT["a"][2026] + OUT["b"][2026]) / GDP[2026]
    t = {"kind": "pp_change", "metric": "ab_share", "from_year": 2023, "year": 2026}
    check(outcome({**t, "at_least": 0.05}), s26 - s23, s26 - s23 - 0.05, True)
    # from a history year: ab_share was 0.95 in 2022
    t2 = {**t, "from_year": 2022}
    check(outcome({**t2, "at_least": 0.2}), s26 - 0.95, s26 - 0.95 - 0.2, False)


def test_cagr_reads_growth_from_the_year_before_the_window() -> None:
    """年均增长 over 2024-2026 is the CAGR from the 2023 level to the 2026 level."""
    r = (OUT["a"][2026] / OUT["a"][2023]) ** (1 / 3) - 1  # 10% a year
    t = {"kind": "cagr", "metric": "output[a]", "from_year": 2023, "year": 2026}
    check(outcome({**t, "at_least": 0.1}), r, r - 0.1, True)


# -- 4. reached_by ------------------------------------------------------------------------------
def test_reached_by_is_met_once_in_the_window() -> None:
    t = {"kind": "reached_by", "metric": "gdp", "from_year": 2024, "year": 2027}
    # at most 1100: met in 2024 (1050), the best year; every year would fail in 2026
    check(outcome({**t, "at_most": 1100.0}), GDP[2024], 1100.0 - GDP[2024], True)
    # at least 1200: never reached by 2026, first in 2027 (1215.50625)
    check(outcome({**t, "at_least": 1200.0}), GDP[2027], GDP[2027] - 1200.0, True)
    short = {**t, "year": 2026, "at_least": 1200.0}
    check(outcome(short), GDP[2026], GDP[2026] - 1200.0, False)


# -- 5. joint goals and strength ------------------------------------------------------------
def _mc(targets: dict[str, Any], samples: int = 400) -> cs.Result:
    d = base_dict()
    d["region"]["gdp"] = {
        "base": 1000.0,
        "growth": {"dist": "uniform", "low": 0.0, "high": 0.10},
    }
    d["targets"] = targets
    return cs.run(cs.Scenario.model_validate(d), samples=samples, seed=5, required=False)


def test_joint_probability_is_all_met_in_the_same_sample() -> None:
    res = _mc(
        {
            "lo": {"label": "lo", **_gdp(2026, at_least=1100.0), "joint": "s1"},
            "hi": {"label": "hi", **_gdp(2026, at_most=1250.0), "joint": "s1"},
            "alone": {"label": "alone", **_gdp(2026, at_least=1.0)},
        }
    )
    g = res.series["gdp"][:, 2026 - 2023]  # second method: the band on the series itself
    expect = float(np.mean((g >= 1100.0) & (g <= 1250.0)))
    joint = res.joint()
    assert joint == {"s1": {"targets": ["lo", "hi"], "probability": expect}}
    assert 0.2 < expect < res.target("lo").probability  # both matter
    assert res.to_dict()["joint"]["s1"]["probability"] == expect


def test_no_joint_key_without_joint_goals() -> None:
    assert "joint" not in _mc({"a": {"label": "a", **_gdp(2026, at_least=1.0)}}, 8).to_dict()


def test_strength_is_reported_and_counted_apart() -> None:
    d = base_dict()
    d["targets"] = {
        "b1": {"label": "b1", **_gdp(2026, at_least=1.0), "strength": "binding"},
        "b2": {"label": "b2", **_gdp(2026, at_least=1e9), "strength": "binding"},
        "a1": {"label": "a1", **_gdp(2026, at_least=1.0), "strength": "aspirational"},
    }
    res = cs.run(cs.Scenario.model_validate(d), required=False)
    assert res.strength_counts() == {
        "binding": {"met": 1, "targets": 2},
        "aspirational": {"met": 1, "targets": 1},
    }
    assert res.target("a1").to_dict()["strength"] == "aspirational"


# -- 6. required growth from a chosen year, for each lever ---------------------------------
def _required(target: dict[str, Any]) -> cs.TargetResult:
    d = base_dict()
    d["targets"] = {"t": {"label": "t", **target}}
    return cs.run(cs.Scenario.model_validate(d)).target("t")


def test_required_growth_from_a_later_year_closed_form() -> None:
    tr = _required({**_gdp(2028, at_least=1400.0), "required_from": 2025})
    rg = tr.required_growth
    assert rg is not None and rg["method"] == "closed_form" and rg["from_year"] == 2025
    assert rg["rate"] == pytest.approx((1400.0 / GDP[2025]) ** (1 / 3) - 1, rel=1e-12)


def test_required_growth_for_each_lever_from_a_later_year() -> None:
    target = {
        "kind": "level",
        "metric": "sum(output, group=ab)",
        "year": 2026,
        "at_least": 1400.0,
        "lever": ["output[a]", "output[b]"],
        "required_from": 2024,
    }
    tr = _required(target)
    ra = math.sqrt((1400.0 - OUT["b"][2026]) / OUT["a"][2024]) - 1  # b on its own path
    rb = math.sqrt((1400.0 - OUT["a"][2026]) / OUT["b"][2024]) - 1
    rates = [r["rate"] for r in tr.required_levers]
    assert_allclose(rates, [ra, rb], rtol=1e-8)
    assert [r["series"] for r in tr.required_levers] == ["output[a]", "output[b]"]
    assert tr.required_growth == tr.required_levers[0]
    # from the base year the same lever needs less a year (three years of growth, not two)
    base = _required({**target, "required_from": None})
    ra3 = ((1400.0 - OUT["b"][2026]) / OUT["a"][2023]) ** (1 / 3) - 1
    assert base.required_levers[0]["rate"] == pytest.approx(ra3, rel=1e-8)


def test_an_unknown_lever_in_a_list_is_named() -> None:
    target = {**_gdp(2026, at_least=1.0), "lever": ["gdp", "nope"]}
    with pytest.raises(ScenarioError, match=r"targets\.t\.lever\.1: unknown series 'nope'"):
        _required(target)


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba not installed"
)
def test_the_numba_engine_agrees_on_the_new_kinds() -> None:
    from clustersim.engine import run_targets

    d = base_dict()
    d["region"]["gdp"] = {"base": 1000.0, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}}
    win = {"from_year": 2024, "year": 2027}
    d["targets"] = {
        "cum": {"label": "c", "kind": "cumulative", "metric": "gdp", **win, "more_than": 4500.0},
        "since": {"label": "s", "kind": "change_since", "metric": "gdp", **win, "at_least": 150.0},
        "reach": {"label": "r", "kind": "reached_by", "metric": "gdp", **win, "at_least": 1200.0},
        "pp": {"label": "p", "kind": "pp_change", "metric": "ab_share", **win, "less_than": 0.0},
        "strict": {"label": "x", **_gdp(2026, less_than=1150.0)},
    }
    sc = cs.Scenario.model_validate(d)
    a = run_targets(sc, samples=256, seed=9, engine="numpy")
    b = run_targets(sc, samples=256, seed=9, engine="numba")
    for tid, o in a.items():
        assert_allclose(b[tid].value, o.value, rtol=1e-12)
        np.testing.assert_array_equal(b[tid].met, o.met)
        assert 0 < o.met.mean() < 1, tid  # each goal splits the samples
