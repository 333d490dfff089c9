"""Numeric paths issue 22 found run by no test, or only by tests that do not look at the
number: each is run here and its value checked against a hand computation.

(Others named there are held elsewhere: the blocked engine's firm stock with its own
growth in tests/engines/test_reference.py; required growth on some clusters of a series
with an elasticity in tests/property/test_required_growth.py; the left branch of the
truncated triangular CDF in tests/property/test_distributions.py.)
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core import expr as ex
from clustersim.core.targets import Bound, Frame, HistoryMissing, Outcome, lowered
from clustersim.engine import required_growth, run_targets
from clustersim.kinds.targets import TARGET_KINDS

BASE: dict[str, Any] = {
    "id": "paths",
    "name": "paths",
    "base_year": 2023,
    "end_year": 2026,
    "region": {
        "gdp": {"base": 100.0, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
        "energy_rest": {"base": 30.0, "growth": -0.02},
        "history": {"gdp": {2020: 80.0}, "energy_total": {2020: 40.0}},
    },
    "clusters": {
        "a": {"name": "A", "output": {"base": 10.0, "growth": 0.1}},
        "b": {
            "name": "B",
            "output": {"base": 20.0, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}},
        },
    },
    "metrics": {
        "gpo": "gdp / output",  # a region series over a cluster series, per cluster
        "opg": "output / gdp",
        "ei": "energy_total / gdp",  # a derived metric with no history of its own
    },
}


def scenario(targets: dict[str, Any], **over: Any) -> cs.Scenario:
    d = copy.deepcopy(BASE)
    d.update(over)
    d["targets"] = {tid: {"label": tid, **t} for tid, t in targets.items()}
    return cs.Scenario.model_validate(d)


def test_derived_metric_mixing_cluster_and_region_series_with_samples() -> None:
    """``gdp / output`` and ``output / gdp`` per cluster, in every one of 5 samples: the region
    series is broadcast over clusters on either side of the operator."""
    res = cs.run(scenario({}), samples=5, seed=2, required=False)
    gdp, out = res.series["gdp"], res.series["output"]
    assert gdp.shape == (5, 4) and out.shape == (5, 2, 4)
    assert np.ptp(gdp[:, -1]) > 0 and np.ptp(out[:, 1, -1]) > 0  # the samples differ
    for s in range(5):
        for c in range(2):
            for t in range(4):
                assert_allclose(res.series["gpo"][s, c, t], gdp[s, t] / out[s, c, t], rtol=1e-15)
                assert_allclose(res.series["opg"][s, c, t], out[s, c, t] / gdp[s, t], rtol=1e-15)


def test_derived_metric_read_in_a_history_year() -> None:
    """``ei = energy_total / gdp`` has no history of its own: in 2020 it is 40 / 80 = 0.5;
    in 2025 (central GDP 100 * 1.05^2, energy 30 * 0.98^2, no clusters' energy) the change
    is 30 * 0.98^2 / (100 * 1.05^2) / 0.5 - 1."""
    sc = scenario(
        {
            "ei": {
                "kind": "change_vs",
                "metric": "ei",
                "relative_to": 2020,
                "year": 2025,
                "at_most": -0.3,
            }
        }
    )
    tr = cs.run(sc).target("ei")
    want = 30 * 0.98**2 / (100 * 1.05**2) / 0.5 - 1
    assert_allclose(tr.value, [want], rtol=1e-13)
    assert_allclose(tr.margin, [-0.3 - want], rtol=1e-12)


def test_the_derived_metric_cache_keeps_every_year() -> None:
    """A Frame remembers a derived metric's trajectory: reading 2024 then 2026 (and 2020 from
    history) through the same frame gives each year's own value."""
    years = np.arange(2023, 2027)
    gdp = np.array([[100.0, 110.0, 121.0, 133.1]])
    energy = np.array([[50.0, 49.0, 48.0, 47.0]])
    f = Frame(
        {"gdp": gdp, "energy_total": energy},
        years,
        [],
        {},
        {"gdp": {2020: np.array([80.0])}, "energy_total": {2020: np.array([40.0])}},
        {"ei": ex.parse("energy_total / gdp"), "ei2": ex.parse("ei * 2")},
    )
    ei = ex.parse("ei")
    assert_allclose(f.at(ei, 2024), [49.0 / 110.0], rtol=1e-15)
    assert_allclose(f.at(ei, 2026), [47.0 / 133.1], rtol=1e-15)
    assert_allclose(f.at(ei, 2023), [50.0 / 100.0], rtol=1e-15)
    assert_allclose(f.at(ei, 2020), [0.5], rtol=1e-15)
    assert_allclose(f.at(ex.parse("ei2"), 2025), [2 * 48.0 / 121.0], rtol=1e-15)
    assert_allclose(f.rows_window(ei, 2024, 2026)[:, 0], [49 / 110, 48 / 121, 47 / 133.1])
    with pytest.raises(ex.ExprError, match="after the end year"):
        f.at(ei, 2027)
    with pytest.raises(HistoryMissing, match="no history for 'energy_total' in 2019"):
        f.at(ei, 2019)


def test_a_target_reading_a_constant_metric_is_refused() -> None:
    """A metric that reads no series (``2 * 3``) used to reach required growth as "a target
    with no lever"; it has no samples or years, so it is now refused where it is declared
    (the lever search never sees it)."""
    sc = scenario(
        {"t": {"kind": "level", "metric": "k + gdp * 0", "year": 2025, "at_least": 6}},
        metrics={**BASE["metrics"], "k": "2 * 3"},
    )
    with pytest.raises(cs.ScenarioError, match=r"metrics\.k: .*reads no series"):
        cs.run(sc)


def test_required_growth_when_the_metric_cannot_be_evaluated() -> None:
    """CAGR of output[a] from 2021 without a 2021 output: the run refuses it, and asked
    directly, required growth says no rate is in range instead of raising."""
    sc = scenario(
        {
            "t": {
                "kind": "cagr",
                "metric": "output[a]",
                "from_year": 2021,
                "year": 2025,
                "at_least": 0.1,
            }
        }
    )
    with pytest.raises(cs.ScenarioError, match="no history for 'output' in 2021"):
        cs.run(sc)
    comp = compile_scenario(sc, samples=1)
    rg = required_growth(comp, comp.targets["t"])
    assert rg is not None
    assert (rg["rate"], rg["method"], rg["variable"], rg["clusters"]) == (
        None,
        "none_in_range",
        "output",
        ["a"],
    )


def test_required_growth_is_none_for_monte_carlo_compilations_and_base_year_targets() -> None:
    sc = scenario({"t": {"kind": "level", "metric": "gdp", "year": 2025, "at_least": 120}})
    mc = compile_scenario(sc, samples=4, seed=1)
    assert required_growth(mc, mc.targets["t"]) is None  # computed on the central scenario only
    one = compile_scenario(sc, samples=1)
    rg = required_growth(one, one.targets["t"])
    assert rg is not None and rg["rate"] == pytest.approx(1.2**0.5 - 1, rel=1e-12)


def test_level_goal_at_or_below_zero_has_no_closed_form() -> None:
    """``(goal / x0)^(1/n) - 1`` needs a positive goal: at_most 0 on GDP is searched for, and
    no rate in range reaches it (GDP stays positive)."""
    level = TARGET_KINDS["level"]
    spec = level.spec("t", ex.parse("gdp"), 2025, Bound(hi=0.0))
    assert level.closed_form(spec, 100.0, 0.0, 2023, lambda y: math.nan) is None
    assert level.closed_form(spec, 100.0, 121.0, 2023, lambda y: math.nan) == pytest.approx(0.1)
    # a goal below 1 is still a goal: (0.5 / 100)^(1/2) - 1
    assert level.closed_form(spec, 100.0, 0.5, 2023, lambda y: math.nan) == pytest.approx(
        0.005**0.5 - 1, rel=1e-14
    )
    sc = scenario({"t": {"kind": "level", "metric": "gdp", "year": 2025, "at_most": 0}})
    rg = cs.run(sc).target("t").required_growth
    assert rg is not None and (rg["rate"], rg["method"]) == (None, "none_in_range")


def test_cagr_closed_form_needs_a_positive_known_start() -> None:
    """From a history year the formula needs x[from_year] > 0: unknown (NaN) or <= 0 gives
    None; known, ``((1 + g)^(year - s) x[s] / x0)^(1 / n) - 1``."""
    cagr = TARGET_KINDS["cagr"]
    spec = cagr.spec("t", ex.parse("gdp"), 2025, Bound(lo=0.05), start=2020)
    for bad in (math.nan, 0.0, -5.0):
        assert cagr.closed_form(spec, 100.0, 0.05, 2023, lambda y, v=bad: v) is None
    got = cagr.closed_form(spec, 100.0, 0.05, 2023, lambda y: 80.0)
    assert got == pytest.approx((1.05**5 * 80.0 / 100.0) ** 0.5 - 1, rel=1e-14)
    assert (
        cagr.closed_form(
            cagr.spec("t", ex.parse("gdp"), 2025, Bound(lo=0.05), start=2023),
            100.0,
            0.05,
            2023,
            lambda y: math.nan,
        )
        == 0.05
    )


@pytest.mark.parametrize(
    "kind", ["cagr", "change_vs", "growth_every_year", "pp_change_per_year", "flow_every_year"]
)
def test_kinds_with_a_start_year_refuse_a_spec_without_one(kind: str) -> None:
    cls = TARGET_KINDS[kind]
    spec = cls.spec("t", ex.parse("gdp"), 2025, Bound(lo=0.0))  # start=None
    f = Frame({"gdp": np.ones((1, 3))}, np.arange(2023, 2026), [], {}, {})
    with pytest.raises(ValueError, match=r"start year|reference year"):
        cls.evaluate(spec, f)


def test_stock_closed_form_when_the_stock_is_the_lever() -> None:
    """Firms of cluster a with their own growth (a compound series, not a stock-flow): the
    stock target on firms[a] has the level formula, (60 / 40)^(1/3) - 1."""
    d = copy.deepcopy(BASE)
    d["clusters"]["a"]["firms"] = {"base": 40, "growth": 0.02}
    sc = scenario(
        {"t": {"kind": "stock", "metric": "firms[a]", "year": 2026, "at_least": 60}},
        clusters=d["clusters"],
    )
    rg = cs.run(sc).target("t").required_growth
    assert rg is not None and rg["method"] == "closed_form" and rg["variable"] == "firms"
    assert rg["rate"] == pytest.approx(1.5 ** (1 / 3) - 1, rel=1e-12)
    assert 40 * (1 + rg["rate"]) ** 3 >= 60


def test_stock_lever_is_the_firms_own_rate_from_a_start_year() -> None:
    """sum(firms) where both clusters' firms have their own growth (no entries): the lever
    is the firms' own rate. From 2023: (10 + 5)(1 + r)^3 = 20; from 2024 (on the
    scenario's path 11 + 5 = 16 in 2024): 16 (1 + r)^2 = 20."""
    d = copy.deepcopy(BASE)
    d["clusters"]["a"]["firms"] = {"base": 10, "growth": 0.1}
    d["clusters"]["b"]["firms"] = {"base": 5, "growth": 0.0}
    t = {"kind": "stock", "metric": "sum(firms)", "year": 2026, "at_least": 20}
    rg = cs.run(scenario({"t": t}, clusters=d["clusters"])).target("t").required_growth
    assert rg is not None and rg["series"] == "firms" and rg["method"] == "root_finding"
    assert rg["rate"] == pytest.approx((4 / 3) ** (1 / 3) - 1, abs=1e-12)
    assert 15 * (1 + rg["rate"]) ** 3 >= 20
    late = cs.run(scenario({"t": {**t, "required_from": 2024}}, clusters=d["clusters"]))
    rg2 = late.target("t").required_growth
    assert rg2 is not None and rg2["from_year"] == 2024
    assert rg2["rate"] == pytest.approx(1.25**0.5 - 1, abs=1e-12)


def test_stock_lever_follows_entries_where_a_cluster_has_them() -> None:
    """firms[a] grows on its own, firms[b] is fed by entries (1 in the base year): sum(firms)
    moves entries[b], so 10 * 1.1^3 + 5 + sum over k = 1..3 of (1 + r)^k = 25."""
    d = copy.deepcopy(BASE)
    d["clusters"]["a"]["firms"] = {"base": 10, "growth": 0.1}
    d["clusters"]["b"]["firms"] = {"base": 5, "entries": {"base": 1}}
    t = {"kind": "stock", "metric": "sum(firms)", "year": 2026, "at_least": 25}
    rg = cs.run(scenario({"t": t}, clusters=d["clusters"])).target("t").required_growth
    assert rg is not None and rg["variable"] == "entries"
    r = rg["rate"]
    total = 13.31 + 5 + sum((1 + r) ** k for k in (1, 2, 3))
    assert total == pytest.approx(25, abs=1e-9) and total >= 25 - 1e-9


def test_count_threshold_tolerance_counts_9999_999999999998_as_10000() -> None:
    """``lowered``: a threshold less 1e-9 of itself, so float rounding of a value that should
    be exactly 10,000 still counts; 1e-6 below does not."""
    assert lowered(10_000.0) == 10_000.0 - 1e-5
    assert lowered(0.5) == 0.5 - 1e-9  # below 1 the tolerance is absolute
    sc = scenario(
        {"t": {"kind": "count_over", "threshold": 10_000, "year": 2024, "at_least": 1}},
        clusters={
            "a": {"name": "A", "output": {"base": 9_999.999999999998}},
            "b": {"name": "B", "output": {"base": 9_999.99}},
        },
    )
    tr = cs.run(sc, required=False).target("t")
    assert tr.value[0] == 1.0 and bool(tr.met[0])  # a counts, b (1e-6 below) does not


def test_bound_margin_and_met_tolerance() -> None:
    """margin = min(value - lo, hi - value); met down to -1e-9 * max(1, |lo|, |hi|)."""
    b = Bound(10.0, 20.0)
    assert_allclose(b.margin(np.array([12.0, 25.0, 9.0])), [2.0, -5.0, -1.0])
    assert b.scale == 20.0 and Bound(hi=0.5).scale == 1.0
    edge = np.array([10.0 - 1.9e-8, 10.0 - 2.1e-8])
    assert list(b.reached(b.margin(edge))) == [True, False]


def test_outcome_probability_is_the_share_of_samples_met() -> None:
    """run_targets() returns Outcomes; their probability is the share of samples met."""
    o = Outcome(np.zeros(4), np.zeros(4), np.array([True, False, True, True]))
    assert o.probability == 0.75
    sc = scenario({"t": {"kind": "level", "metric": "gdp", "year": 2025, "at_least": 110}})
    out = run_targets(sc, samples=400, seed=5)["t"]
    # GDP 2025 = 100 (1 + g)^2 >= 110 iff g >= sqrt(1.1) - 1, g ~ N(0.05, 0.02)
    z = (0.05 - (math.sqrt(1.1) - 1)) / 0.02
    p = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert out.probability == float(np.mean(out.value >= 110 - 1e-7))
    assert abs(out.probability - p) < 4 * math.sqrt(p * (1 - p) / 400)


def test_a_lever_starting_at_zero_has_no_closed_form() -> None:
    """Output of a cluster at 0 in the base year stays 0 at any rate: no formula, and no
    rate in range reaches 5."""
    d = copy.deepcopy(BASE)
    d["clusters"]["a"]["output"] = {"base": 0.0, "growth": 0.1}
    sc = scenario(
        {"t": {"kind": "level", "metric": "output[a]", "year": 2025, "at_least": 5}},
        clusters=d["clusters"],
        metrics={},  # gdp / output would divide by zero
    )
    tr = cs.run(sc).target("t")
    assert tr.value[0] == 0.0
    rg = tr.required_growth
    assert rg is not None and (rg["rate"], rg["method"]) == (None, "none_in_range")
