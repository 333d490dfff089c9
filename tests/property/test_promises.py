"""What the model promises, on generated scenarios: totals are the sums of their clusters,
a CAGR target equals its closed form, and P(met) never falls when a lever that only
raises the metric grows faster.

The right-hand sides are computed here from the projected series with plain NumPy sums
and formulas (docs/scenario-format.md §7, §11, §13), not by the production target code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from tests.engines.test_reference import scenarios

import clustersim as cs
from clustersim.scenario.models import Scenario

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sum_defined(x: np.ndarray) -> np.ndarray:
    """Sum over clusters (axis 1) of the clusters that define the series (§7: a cluster
    without the block contributes nothing)."""
    return np.nansum(x, axis=1)


@SETTINGS
@given(scenarios(), st.integers(0, 2**16))
def test_region_totals_are_sums_over_clusters(d: dict[str, Any], seed: int) -> None:
    """``cluster_output = Σ output``, ``rd_total = rd_rest + Σ rd``, ``energy_total =
    energy_rest + Σ energy``, ``rd_intensity = rd_total / gdp``, and a ``group_sum`` target
    is the sum over its group's clusters, in every sample and year."""
    res = cs.run(Scenario.model_validate(d), samples=3, seed=seed, required=False)
    s = res.series
    assert_allclose(s["cluster_output"], _sum_defined(s["output"]), rtol=1e-12)
    assert_allclose(s["rd_total"], s["rd_rest"] + _sum_defined(s["rd"]), rtol=1e-12)
    assert_allclose(s["energy_total"], s["energy_rest"] + _sum_defined(s["energy"]), rtol=1e-12)
    assert_allclose(s["rd_intensity"], s["rd_total"] / s["gdp"], rtol=1e-12)
    assert_allclose(s["energy_intensity"], s["energy_total"] / s["gdp"], rtol=1e-12)
    assert_allclose(s["value_added"], s["output"] * s["va_ratio"], rtol=1e-12)
    t = d["targets"]["gsum"]
    members = [res.clusters.index(c) for c in d["groups"]["g"]["clusters"]]
    var = s["output"] / s["gdp"][:, None, :] * 100 if t["variable"] == "cl" else s[t["variable"]]
    want = var[:, members, t["year"] - d["base_year"]].sum(axis=1)
    assert_allclose(res.target("gsum").value, want, rtol=1e-12)


@SETTINGS
@given(scenarios(), st.integers(0, 2**16))
def test_cagr_target_equals_its_closed_form(d: dict[str, Any], seed: int) -> None:
    """``(x[year] / x[from_year])^(1 / (year - from_year)) - 1`` with x[from_year] from
    history before the base year (§13), per sample; the margin is the distance to the goal."""
    res = cs.run(Scenario.model_validate(d), samples=3, seed=seed, required=False)
    t = d["targets"]["cagr"]
    gdp = res.series["gdp"]
    y0, y1, base = t["from_year"], t["year"], d["base_year"]
    start = gdp[:, y0 - base] if y0 >= base else d["region"]["history"]["gdp"][y0]
    want = (gdp[:, y1 - base] / start) ** (1.0 / (y1 - y0)) - 1.0
    got = res.target("cagr")
    assert_allclose(got.value, want, rtol=1e-12, atol=1e-15)
    lo, hi = _bounds(t)
    margins = [want - lo] if lo is not None else []
    margins += [hi - want] if hi is not None else []
    assert_allclose(got.margin, np.minimum.reduce(margins), rtol=1e-9, atol=1e-14)


def _bounds(t: dict[str, Any]) -> tuple[float | None, float | None]:
    if "between" in t:
        return float(t["between"][0]), float(t["between"][1])
    return t.get("at_least"), t.get("at_most")


# --- P(met) is monotone in a lever that only raises the metric ---------------------------------


def _mc(rate_a: float) -> dict[str, Any]:
    """Two clusters with uncertain growth, GDP uncertain; targets that only rise with the
    constant growth ``rate_a`` of cluster a's output."""
    return {
        "id": "mono",
        "name": "mono",
        "base_year": 2023,
        "end_year": 2028,
        "region": {
            "gdp": {"base": 1000.0, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
            "industrial_output": {"base": 800.0, "growth": 0.03},
            "history": {"gdp": {2021: 900.0}},
        },
        "clusters": {
            "a": {
                "name": "A",
                "output": {"base": 100.0, "growth": rate_a},
                "va_ratio": {"base": {"dist": "uniform", "low": 0.2, "high": 0.4}},
                "rd": {"share_of_output": {"base": 0.03}},
            },
            "b": {
                "name": "B",
                "output": {
                    "base": 150.0,
                    "growth": {"dist": "triangular", "low": -0.02, "mode": 0.04, "high": 0.1},
                },
                "rd": {
                    "base": 2.0,
                    "growth": {"kind": "elasticity", "to": "output", "elasticity": 1.2},
                },
            },
        },
        "groups": {"ab": {"name": "AB", "clusters": ["a", "b"]}},
        "targets": {
            "share": {
                "kind": "share",
                "label": "s",
                "numerator": "sum(output, group=ab)",
                "denominator": "industrial_output",
                "year": 2027,
                "at_least": 0.35,
            },
            "va": {
                "kind": "level",
                "label": "v",
                "metric": "value_added[a]",
                "year": 2028,
                "at_least": 40,
            },
            "count": {
                "kind": "count_over",
                "label": "c",
                "threshold": 170,
                "year": 2028,
                "at_least": 2,
            },
            "cagr": {
                "kind": "cagr",
                "label": "g",
                "metric": "cluster_output",
                "from_year": 2023,
                "year": 2028,
                "at_least": 0.06,
            },
        },
    }


@settings(max_examples=15, deadline=None)
@given(rates=st.tuples(st.floats(-0.2, 0.4), st.floats(-0.2, 0.4)), seed=st.integers(0, 2**16))
def test_probability_met_is_monotone_in_a_raising_lever(
    rates: tuple[float, float], seed: int
) -> None:
    """Raising cluster a's growth raises its output and what is built on it and leaves every
    other draw alone (draws are keyed by path), so sample by sample nothing met becomes
    missed, and P(met) does not fall."""
    lo, hi = sorted(rates)
    a = cs.run(Scenario.model_validate(_mc(lo)), samples=300, seed=seed, required=False)
    b = cs.run(Scenario.model_validate(_mc(hi)), samples=300, seed=seed, required=False)
    for tid in ("share", "va", "count", "cagr"):
        ta, tb = a.target(tid), b.target(tid)
        assert np.all(tb.value >= ta.value - 1e-12 * np.maximum(1.0, np.abs(ta.value))), tid
        assert not np.any(ta.met & ~tb.met), f"{tid}: met at {lo} but missed at {hi}"
        assert tb.probability >= ta.probability, tid


def test_probability_met_rises_across_the_goal() -> None:
    """The monotone test can fail: from -20% to +40% for cluster a, the share target goes
    from (almost) never to always met, so P(met) is not a constant."""
    p = [
        cs.run(Scenario.model_validate(_mc(r)), samples=200, seed=1, required=False)
        .target("share")
        .probability
        for r in (-0.2, 0.1, 0.4)
    ]
    assert p[0] < 0.05 and p[2] > 0.95 and p[0] <= p[1] <= p[2]
