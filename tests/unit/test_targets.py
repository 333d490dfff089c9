"""Every target kind on hand-made scenarios whose values and margins are computed by hand."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.engine import run_compiled

BASE = 2023

# Hand-computed trajectories (t = year - 2023) used throughout.
GDP = {2021: 880.0, 2022: 940.0, **{BASE + t: 1000.0 * 1.05**t for t in range(6)}}
IND = {BASE + t: 2000.0 * 1.02**t for t in range(6)}
OUT = {
    "a": {BASE + t: 600.0 * 1.10**t for t in range(6)},
    "b": {BASE + t: 400.0 * 1.05**t for t in range(6)},
    "c": {BASE + t: 300.0 for t in range(6)},
    "d": {BASE + t: 100.0 * 1.25**t for t in range(6)},
}
ENERGY_REST = {BASE + t: 200.0 * 0.98**t for t in range(6)}
LOANS = {BASE + t: 18.0 * 1.06**t for t in range(6)}


def sme_stock() -> dict[int, float]:
    """Stock loop: s[t] = s[t-1] * 0.98 + 45 * 1.02**t from 380."""
    s = {BASE: 380.0}
    for t in range(1, 6):
        s[BASE + t] = s[BASE + t - 1] * 0.98 + 45.0 * 1.02**t
    return s


SME = sme_stock()


def base_dict() -> dict[str, Any]:
    """The hand-made scenario, 2023-2028, without targets."""
    return {
        "id": "targets",
        "name": "targets",
        "base_year": BASE,
        "end_year": 2028,
        "region": {
            "gdp": {"base": 1000.0, "growth": 0.05},
            "industrial_output": {"base": 2000.0, "growth": 0.02},
            "energy_rest": {"base": 200.0, "growth": -0.02},
            "history": {
                "gdp": {2021: 880.0, 2022: 940.0},
                "energy_intensity": {2020: 0.25},
                "ab_share": {2022: 0.95},
            },
        },
        "clusters": {
            "a": {"name": "A", "output": {"base": 600.0, "growth": 0.10}},
            "b": {"name": "B", "output": {"base": 400.0, "growth": 0.05}},
            "c": {"name": "C", "output": {"base": 300.0}},
            "d": {"name": "D", "output": {"base": 100.0, "growth": 0.25}},
        },
        "groups": {
            "ab": {"name": "AB", "clusters": ["a", "b"]},
            "cd": {"name": "CD", "clusters": ["c", "d"]},
        },
        "indicators": {
            "loans": {"kind": "level", "name": "loans", "base": 18.0, "growth": 0.06},
            "sme": {
                "kind": "stock",
                "name": "SMEs",
                "base": 380,
                "flow": {"base": 45, "growth": 0.02},
                "exit_rate": 0.02,
            },
        },
        "metrics": {"ab_share": "sum(output, group=ab) / gdp"},
    }


def outcome(target: dict[str, Any], **extra: Any) -> cs.TargetResult:
    """Run the base scenario with one target ``t`` and return its result."""
    d = base_dict()
    d.update(extra)
    d["targets"] = {"t": {"label": "t", **target}}
    res = cs.run(cs.Scenario.model_validate(d), required=False)
    return res.target("t")


def check(tr: cs.TargetResult, value: float, margin: float, met: bool, rtol: float = 1e-12) -> None:
    """One-sample value and margin equal the hand numbers; met is as expected."""
    assert_allclose(tr.value, [value], rtol=rtol)
    assert_allclose(tr.margin, [margin], rtol=rtol, atol=1e-13)
    assert_array_equal(tr.met, [met])
    assert tr.status == ("met" if met else "missed")


# --- level, share, group_sum, stock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("goal", "margin", "met"),
    [
        ({"at_least": 1150}, GDP[2026] - 1150.0, True),
        ({"at_least": 1160}, GDP[2026] - 1160.0, False),
        ({"at_most": 1150}, 1150.0 - GDP[2026], False),
        ({"at_most": 1160}, 1160.0 - GDP[2026], True),
        ({"between": [1100, 1200]}, 1200.0 - GDP[2026], True),
        ({"between": [1140, 1300]}, GDP[2026] - 1140.0, True),
        ({"between": [1160, 1200]}, GDP[2026] - 1160.0, False),
        ({"between": [1000, 1150]}, 1150.0 - GDP[2026], False),
    ],
)
def test_level_goals(goal: dict[str, Any], margin: float, met: bool) -> None:
    """Level of GDP in 2026 (1000 * 1.05^3 = 1157.625) against >=, <= and ranges."""
    tr = outcome({"kind": "level", "metric": "gdp", "year": 2026, **goal})
    check(tr, GDP[2026], margin, met)


def test_level_exactly_on_the_goal_is_met() -> None:
    """A value equal to the goal up to rounding counts as met (margin ~ 0)."""
    tr = outcome({"kind": "level", "metric": "gdp", "year": 2026, "at_least": 1157.625})
    assert abs(tr.margin[0]) < 1e-9 and bool(tr.met[0])


def test_level_of_a_picked_cluster_and_percent_goal() -> None:
    """output[d] in 2027 = 100 * 1.25^4; a "%" goal is a fraction (share of GDP)."""
    tr = outcome({"kind": "level", "metric": "output[d]", "year": 2027, "at_least": 250})
    check(tr, OUT["d"][2027], OUT["d"][2027] - 250.0, False)
    share = OUT["d"][2027] / GDP[2027]
    tr = outcome({"kind": "level", "metric": "output[d] / gdp", "year": 2027, "at_least": "20%"})
    check(tr, share, share - 0.20, True)


def test_share() -> None:
    """Share of group ab in industrial output, 2026."""
    value = (OUT["a"][2026] + OUT["b"][2026]) / IND[2026]
    tr = outcome(
        {
            "kind": "share",
            "numerator": "sum(output, group=ab)",
            "denominator": "industrial_output",
            "year": 2026,
            "at_least": 0.5,
        }
    )
    check(tr, value, value - 0.5, True)
    tr = outcome(
        {
            "kind": "share",
            "numerator": "sum(output, group=ab)",
            "denominator": "industrial_output",
            "year": 2026,
            "at_least": 0.6,
        }
    )
    check(tr, value, value - 0.6, False)


def test_group_sum() -> None:
    """Output summed over group cd in 2027: 300 + 100 * 1.25^4."""
    value = OUT["c"][2027] + OUT["d"][2027]
    tr = outcome({"kind": "group_sum", "group": "cd", "year": 2027, "at_least": 600})
    check(tr, value, value - 600.0, False)
    tr = outcome({"kind": "group_sum", "group": "cd", "year": 2027, "at_most": 600})
    check(tr, value, 600.0 - value, True)


def test_stock() -> None:
    """Stock indicator in 2026 against the year-by-year loop."""
    tr = outcome({"kind": "stock", "metric": "sme", "year": 2026, "at_least": 500})
    check(tr, SME[2026], SME[2026] - 500.0, SME[2026] >= 500.0)
    tr = outcome({"kind": "stock", "metric": "sme", "year": 2028, "at_least": 500})
    check(tr, SME[2028], SME[2028] - 500.0, SME[2028] >= 500.0)
    assert SME[2026] < 500.0 < SME[2028]  # the two cases straddle the goal


# --- growth kinds of targets ----------------------------------------------------------------------


def test_cagr_inside_projection() -> None:
    """GDP CAGR 2024-2027 is exactly 5%: margin ~ 0 and met."""
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2024, "year": 2027, "at_least": 0.05}
    )
    assert_allclose(tr.value, [0.05], rtol=1e-12)
    assert abs(tr.margin[0]) < 1e-12 and bool(tr.met[0])


def test_cagr_window_starting_in_history() -> None:
    """GDP CAGR 2021 (history 880) to 2026: (1157.625 / 880) ** (1/5) - 1."""
    value = (GDP[2026] / 880.0) ** 0.2 - 1.0
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2021, "year": 2026, "at_least": 0.06}
    )
    check(tr, value, value - 0.06, value >= 0.06)
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2021, "year": 2026, "at_least": 0.05}
    )
    check(tr, value, value - 0.05, True)


def test_cagr_of_cluster_total() -> None:
    """CAGR of the sum of all cluster outputs, 2023-2028."""
    total = {y: sum(OUT[c][y] for c in OUT) for y in (2023, 2028)}
    value = (total[2028] / total[2023]) ** 0.2 - 1.0
    tr = outcome(
        {
            "kind": "cagr",
            "metric": "cluster_output",
            "from_year": 2023,
            "year": 2028,
            "at_least": 0.07,
        }
    )
    check(tr, value, value - 0.07, value >= 0.07)


def test_growth_every_year_takes_the_weakest_year() -> None:
    """Cluster output total, 2023-2028: the minimum of the yearly growth rates."""
    tot = [sum(OUT[c][y] for c in OUT) for y in range(2023, 2029)]
    rates = [tot[i] / tot[i - 1] - 1.0 for i in range(1, 6)]
    value = min(rates)
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "cluster_output",
            "from_year": 2023,
            "year": 2028,
            "at_least": 0.07,
        }
    )
    check(tr, value, value - 0.07, value >= 0.07)


def test_growth_every_year_with_history_years() -> None:
    """GDP growth 2021-2025: 940/880-1, 1000/940-1, then 5%: the minimum is 5%."""
    rates = [940.0 / 880.0 - 1.0, 1000.0 / 940.0 - 1.0, 0.05, 0.05]
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "gdp",
            "from_year": 2021,
            "year": 2025,
            "at_least": 0.055,
        }
    )
    check(tr, min(rates), min(rates) - 0.055, False)
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "gdp",
            "from_year": 2021,
            "year": 2023,
            "at_least": 0.06,
        }
    )
    check(tr, min(rates[:2]), min(rates[:2]) - 0.06, True)


def test_change_vs_history() -> None:
    """Energy intensity in 2025 against 2020 history (0.25), base year 2023."""
    ei = ENERGY_REST[2025] / GDP[2025]
    value = ei / 0.25 - 1.0
    tr = outcome(
        {
            "kind": "change_vs",
            "metric": "energy_intensity",
            "relative_to": 2020,
            "year": 2025,
            "at_most": -0.14,
        }
    )
    check(tr, value, -0.14 - value, True)
    tr = outcome(
        {
            "kind": "change_vs",
            "metric": "energy_intensity",
            "relative_to": 2020,
            "year": 2025,
            "at_most": -0.31,
        }
    )
    check(tr, value, -0.31 - value, False)
    assert -0.31 < value < -0.30  # 0.174222 / 0.25 - 1 = -0.3031


def test_change_vs_inside_projection() -> None:
    """GDP 2027 vs 2024: 1.05^3 - 1."""
    tr = outcome(
        {"kind": "change_vs", "metric": "gdp", "relative_to": 2024, "year": 2027, "at_least": 0.15}
    )
    check(tr, 1.05**3 - 1.0, 1.05**3 - 1.15, True)


def test_pp_change_per_year() -> None:
    """Share of ab in GDP, 2023-2026: the smallest year-on-year difference."""
    share = [(OUT["a"][y] + OUT["b"][y]) / GDP[y] for y in range(2023, 2027)]
    value = min(share[i] - share[i - 1] for i in range(1, 4))
    tr = outcome(
        {
            "kind": "pp_change_per_year",
            "metric": "ab_share",
            "from_year": 2023,
            "year": 2026,
            "at_least": 0.01,
        }
    )
    check(tr, value, value - 0.01, value >= 0.01)


def test_pp_change_per_year_from_history() -> None:
    """ab_share history 0.95 in 2022 then 1.0 in 2023: the 2022->2023 step is +5 pp."""
    share = [0.95] + [(OUT["a"][y] + OUT["b"][y]) / GDP[y] for y in range(2023, 2026)]
    steps = [share[i] - share[i - 1] for i in range(1, 4)]
    assert_allclose(steps[0], 0.05, rtol=1e-12)
    tr = outcome(
        {
            "kind": "pp_change_per_year",
            "metric": "ab_share",
            "from_year": 2022,
            "year": 2025,
            "at_least": 0.005,
        }
    )
    check(tr, min(steps), min(steps) - 0.005, min(steps) >= 0.005)


def test_flow_every_year() -> None:
    """Loans 18 growing 6%: the minimum over 2024-2026 is 2024's 19.08."""
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2024,
            "year": 2026,
            "at_least": 20,
        }
    )
    check(tr, 19.08, 19.08 - 20.0, False)
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2024,
            "year": 2026,
            "at_least": 19,
        }
    )
    check(tr, 19.08, 19.08 - 19.0, True)


def test_flow_every_year_falling_flow_binds_at_the_end() -> None:
    """A falling flow (-10%/yr) is smallest in the last year of the window."""
    d = base_dict()
    ind = copy.deepcopy(d["indicators"])
    ind["loans"]["growth"] = -0.1
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2023,
            "year": 2027,
            "at_least": 12,
        },
        indicators=ind,
    )
    check(tr, 18.0 * 0.9**4, 18.0 * 0.9**4 - 12.0, False)


# --- count_over -----------------------------------------------------------------------------------

# 2026: a 798.6, b 463.05, c 300, d 195.3125; 2028: a 966.306, b 510.51, c 300, d 305.18


def test_count_over_with_range() -> None:
    """Clusters with output >= 250: 4 in 2028 (in [4, 5]), 3 in 2026 (one short)."""
    tgt = {"kind": "count_over", "variable": "output", "threshold": 250, "between": [4, 5]}
    check(outcome({**tgt, "year": 2028}), 4.0, 0.0, True)
    check(outcome({**tgt, "year": 2026}), 3.0, -1.0, False)
    # too many: at most 2 clusters over 250 in 2028
    check(outcome({**tgt, "year": 2028, "between": [1, 2]}), 4.0, -2.0, False)


def test_count_over_threshold_is_inclusive_and_group_limited() -> None:
    """c sits exactly at 300 and counts; within group cd only c and d are looked at."""
    tgt = {
        "kind": "count_over",
        "variable": "output",
        "threshold": 300,
        "year": 2026,
        "at_least": 3,
    }
    check(outcome(tgt), 3.0, 0.0, True)  # a, b, c
    check(outcome({**tgt, "group": "cd", "at_least": 2}), 1.0, -1.0, False)  # c only (d = 195)


def test_count_over_tiers_bands() -> None:
    """Bands: 1 over 900 (a); in [300, 900): b, c, d = 3; asking 4 there misses by 1."""
    tiers = [{"threshold": 900, "at_least": 1}, {"threshold": 300, "at_least": 4}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers})
    check(tr, 3.0, -1.0, False)
    assert_allclose(tr.detail[">=900"], [1.0])
    assert_allclose(tr.detail[">=300"], [3.0])


def test_count_over_tiers_bands_edge_belongs_to_higher_tier() -> None:
    """c sits exactly at 300 in 2026: with bands it counts in the >=300 tier only, not below."""
    tiers = [{"threshold": 300, "at_least": 3}, {"threshold": 150, "at_least": 1}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2026, "tiers": tiers})
    assert_allclose(tr.detail[">=300"], [3.0])  # a, b, c
    assert_allclose(tr.detail[">=150"], [1.0])  # d = 195.3 only
    assert_allclose(tr.margin, [0.0])
    assert bool(tr.met[0])


def test_count_over_tiers_cumulative() -> None:
    """bands: false counts every cluster over each threshold: 1 over 900, 4 over 300: met."""
    tiers = [{"threshold": 300, "at_least": 4}, {"threshold": 900, "at_least": 1}]
    tr = outcome(
        {"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers, "bands": False}
    )
    assert_allclose(tr.detail[">=900"], [1.0])
    assert_allclose(tr.detail[">=300"], [4.0])
    assert_allclose(tr.margin, [0.0])
    assert bool(tr.met[0])


def test_count_over_tiers_binding_tier_is_reported() -> None:
    """The value is the count of the tier with the smallest margin (here over 900: 1 of 2)."""
    tiers = [{"threshold": 900, "at_least": 2}, {"threshold": 300, "at_least": 2}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers})
    check(tr, 1.0, -1.0, False)


# --- probability over samples ---------------------------------------------------------------------


def _mc_scenario() -> cs.Scenario:
    d = base_dict()
    d["region"]["gdp"]["growth"] = {"dist": "uniform", "low": 0.0, "high": 0.1}
    d["targets"] = {
        "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2026, "at_least": GDP[2026]}
    }
    return cs.Scenario.model_validate(d)


def test_probability_over_chosen_quantiles() -> None:
    """Quantiles give rates 1%, 3%, 5.5%, 7%, 9.5%; GDP >= 1000*1.05^3 in the last 3: p = 0.6."""
    u = np.array([0.1, 0.3, 0.55, 0.7, 0.95])
    comp = cs.compile_scenario(_mc_scenario(), samples=5, uniforms={"region.gdp.growth.rate": u})
    tr = run_compiled(comp, required=False).target("t")
    rates = 0.1 * u
    assert_allclose(tr.value, 1000.0 * (1.0 + rates) ** 3, rtol=1e-12)
    assert_allclose(tr.margin, 1000.0 * (1.0 + rates) ** 3 - GDP[2026], rtol=1e-12)
    assert_array_equal(tr.met, [False, False, True, True, True])
    assert tr.probability == pytest.approx(0.6, abs=0)


def test_probability_matches_drawn_rates() -> None:
    """With random draws, the samples that pass are exactly those whose drawn rate is >= 5%."""
    res = cs.run(_mc_scenario(), samples=400, seed=11, required=False)
    assert res.compiled is not None
    rates = np.asarray(res.compiled.model.op("gdp").rates)[:, 0]  # type: ignore[union-attr]
    assert rates.shape == (400,)
    tr = res.target("t")
    assert_allclose(tr.value, 1000.0 * (1.0 + rates) ** 3, rtol=1e-12)
    assert_array_equal(tr.met, rates >= 0.05 - 1e-12)
    assert tr.probability == pytest.approx(float(np.mean(rates >= 0.05)), abs=0)
    assert 0.35 < tr.probability < 0.65  # uniform(0, 10%) passes about half the time


# --- errors ---------------------------------------------------------------------------------------


def test_missing_history_names_target_year_and_series() -> None:
    """A window starting in a year without history is a ScenarioError naming what is missing."""
    d = base_dict()
    d["targets"] = {
        "t": {
            "label": "t",
            "kind": "cagr",
            "metric": "gdp",
            "from_year": 2019,
            "year": 2026,
            "at_least": 0.05,
        }
    }
    with pytest.raises(cs.ScenarioError, match=r"targets\.t: no history for 'gdp' in 2019"):
        cs.run(cs.Scenario.model_validate(d), required=False)


def test_target_year_outside_projection() -> None:
    """A target year after the end year is refused at compile time."""
    d = base_dict()
    d["targets"] = {
        "t": {"label": "t", "kind": "level", "metric": "gdp", "year": 2031, "at_least": 1}
    }
    with pytest.raises(
        cs.ScenarioError, match=r"targets\.t\.year: 2031 is outside the projection 2023-2028"
    ):
        cs.compile_scenario(cs.Scenario.model_validate(d))


@pytest.mark.parametrize(
    ("target", "region"),
    [
        (
            {
                "kind": "share",
                "numerator": "sum(output)",
                "denominator": "industrial_output",
                "year": 2026,
                "at_least": 0.5,
            },
            {"industrial_output": {"base": 0.0}},
        ),
        (
            {"kind": "level", "metric": "per_head", "year": 2026, "at_least": 1},
            {"population": {"base": 0.0}},
        ),
        (
            {"kind": "level", "metric": "gdp / (output[c] - 300)", "year": 2025, "at_least": 1},
            {},
        ),
        (
            {"kind": "cagr", "metric": "pop", "from_year": 2024, "year": 2026, "at_least": 0.01},
            {"population": {"base": 0.0}},
        ),
    ],
)
def test_metric_dividing_by_zero_raises_naming_target(
    target: dict[str, Any], region: dict[str, Any]
) -> None:
    """inf or NaN in a target's value is a ModelError (or ScenarioError) naming the target."""
    d = base_dict()
    d["region"]["population"] = {"base": 5.0}
    d["region"].update(region)
    d["metrics"]["per_head"] = "gdp / population"
    d["metrics"]["pop"] = "population * 1"
    d["targets"] = {"bad_div": {"label": "t", **target}}
    with pytest.raises((cs.ModelError, cs.ScenarioError), match=r"targets\.bad_div"):
        cs.run(cs.Scenario.model_validate(d), required=False)
