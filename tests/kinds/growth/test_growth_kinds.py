"""Each growth kind through a full scenario run, checked against hand-computed levels."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs

BASE, END = 2023, 2030
YEARS = list(range(BASE, END + 1))
T = len(YEARS)


def scenario(clusters: dict[str, Any] | None = None, **region: Any) -> cs.Scenario:
    """A validated scenario 2023-2030 with GDP 1000 growing 5% plus the given parts."""
    reg: dict[str, Any] = {"gdp": {"base": 1000.0, "growth": 0.05}, **region}
    d: dict[str, Any] = {
        "id": "kinds",
        "name": "growth kinds",
        "base_year": BASE,
        "end_year": END,
        "region": reg,
        "clusters": clusters or {},
    }
    return cs.Scenario.model_validate(d)


def one_cluster(output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"a": {"name": "A", "output": output, **extra}}


def run_series(sc: cs.Scenario, name: str) -> np.ndarray:
    """The plain-run trajectory of a series: (T,) for region, (C, T) for cluster series."""
    res = cs.run(sc, required=False)
    arr = res.series[name]
    assert arr.shape[0] == 1
    return np.asarray(arr[0])


def levels_from_rates(x0: float, rate_by_year: dict[int, float]) -> list[float]:
    """Plain loop: x[y] = x[y-1] * (1 + rate[y]) for the years after the base year."""
    out = [x0]
    for y in YEARS[1:]:
        out.append(out[-1] * (1.0 + rate_by_year[y]))
    return out


def test_constant_growth_is_power_law() -> None:
    """kind: constant gives base * (1 + g) ** t."""
    sc = scenario(one_cluster({"base": 500.0, "growth": {"kind": "constant", "rate": 0.07}}))
    assert_allclose(run_series(sc, "output")[0], [500.0 * 1.07**t for t in range(T)], rtol=1e-12)


@pytest.mark.parametrize("growth", [0.05, "5%", " 5 %", {"rate": 0.05}, {"rate": "5%"}])
def test_growth_shorthands_mean_constant(growth: Any) -> None:
    """`growth: 0.05`, `"5%"` and `{rate: ...}` all mean a constant 5% a year."""
    sc = scenario(one_cluster({"base": 80.0, "growth": growth}))
    assert_allclose(run_series(sc, "output")[0], [80.0 * 1.05**t for t in range(T)], rtol=1e-12)


def test_yaml_percent_shorthand(tmp_path: Path) -> None:
    """In a YAML file, unquoted `growth: 5%` and `growth: 0.05` give the same 5% a year."""
    text = """
id: yaml_pct
name: yaml
base_year: 2023
end_year: 2030
region:
  gdp: {base: 1000, growth: 5%}
clusters:
  a:
    name: A
    output: {base: 80, growth: 0.05}
"""
    path = tmp_path / "pct.yaml"
    path.write_text(text, encoding="utf-8")
    res = cs.run(cs.load_scenario(path), required=False)
    t = np.arange(T)
    assert_allclose(res.series["gdp"][0], 1000.0 * 1.05**t, rtol=1e-12)
    assert_allclose(res.series["output"][0, 0], 80.0 * 1.05**t, rtol=1e-12)


def test_missing_growth_means_flat() -> None:
    """A series without a growth block stays at its base value."""
    sc = scenario(one_cluster({"base": 42.0}))
    assert_allclose(run_series(sc, "output")[0], [42.0] * T, rtol=0)


def test_path_step_holds_each_rate_until_next_knot() -> None:
    """kind: path, step: 10% in 2024-25, 2% in 2026-28, -3% in 2029-30."""
    rates = {2024: 0.10, 2025: 0.10, 2026: 0.02, 2027: 0.02, 2028: 0.02, 2029: -0.03, 2030: -0.03}
    sc = scenario(
        one_cluster(
            {
                "base": 200.0,
                "growth": {"kind": "path", "rates": {2024: 0.10, 2026: 0.02, 2029: "-3%"}},
            }
        )
    )
    assert_allclose(run_series(sc, "output")[0], levels_from_rates(200.0, rates), rtol=1e-12)


def test_path_linear_interpolates_between_knots() -> None:
    """kind: path, linear: -1% (2024) -> 4% (2026) -> 5% (2030), interpolated by hand."""
    rates = {
        2024: -0.01,
        2025: 0.015,
        2026: 0.04,
        2027: 0.0425,
        2028: 0.045,
        2029: 0.0475,
        2030: 0.05,
    }
    sc = scenario(
        industrial_output={
            "base": 9800.0,
            "growth": {
                "kind": "path",
                "interpolation": "linear",
                "rates": {2024: -0.01, 2026: 0.04, 2030: 0.05},
            },
        }
    )
    assert_allclose(
        run_series(sc, "industrial_output"), levels_from_rates(9800.0, rates), rtol=1e-12
    )


def test_path_holds_first_knot_before_and_last_after() -> None:
    """Before the first knot the first rate holds, after the last knot the last rate holds."""
    rates = {2024: 0.0, 2025: 0.0, 2026: 0.0, 2027: 0.05, 2028: 0.10, 2029: 0.10, 2030: 0.10}
    sc = scenario(
        industrial_output={
            "base": 10.0,
            "growth": {"kind": "path", "interpolation": "linear", "rates": {2026: 0.0, 2028: 0.10}},
        }
    )
    assert_allclose(run_series(sc, "industrial_output"), levels_from_rates(10.0, rates), rtol=1e-12)


def test_linear_rate_moves_from_start_to_end_over_the_projection() -> None:
    """kind: linear, default years: the rate goes 1% (2024) to -1% (2030) in equal steps."""
    rates = {y: 0.01 - 0.02 * (y - 2024) / 6.0 for y in YEARS[1:]}
    sc = scenario(
        energy_rest={"base": 1200.0, "growth": {"kind": "linear", "start": 0.01, "end": -0.01}}
    )
    assert_allclose(run_series(sc, "energy_rest"), levels_from_rates(1200.0, rates), rtol=1e-12)


def test_linear_with_explicit_years_holds_outside_window() -> None:
    """kind: linear from 2025 (2%) to 2027 (8%): 2% before, 5% in 2026, 8% after."""
    rates = {2024: 0.02, 2025: 0.02, 2026: 0.05, 2027: 0.08, 2028: 0.08, 2029: 0.08, 2030: 0.08}
    growth = {"kind": "linear", "start": 0.02, "end": 0.08, "from_year": 2025, "to_year": 2027}
    sc = scenario(one_cluster({"base": 300.0, "growth": growth}))
    assert_allclose(run_series(sc, "output")[0], levels_from_rates(300.0, rates), rtol=1e-12)


@pytest.mark.parametrize("to_year", [2025, 2027])
def test_linear_rejects_reversed_years(to_year: int) -> None:
    """to_year before from_year, or equal to it (a window of no years), is a scenario error
    naming the growth path and both years."""
    growth = {"kind": "linear", "start": 0.02, "end": 0.08, "from_year": 2027, "to_year": to_year}
    sc = scenario(one_cluster({"base": 300.0, "growth": growth}))
    msg = rf"clusters\.a\.output\.growth: to_year \({to_year}\) must be after from_year \(2027\)"
    with pytest.raises(cs.ScenarioError, match=msg):
        cs.run(sc, required=False)


def test_to_target_reaches_value_exactly_in_its_year_and_keeps_rate() -> None:
    """kind: to_target 1500 -> 2000 in 2026; then the implied CAGR continues."""
    sc = scenario(
        one_cluster({"base": 1500.0, "growth": {"kind": "to_target", "value": 2000, "year": 2026}})
    )
    out = run_series(sc, "output")[0]
    assert_allclose(out[2026 - BASE], 2000.0, rtol=1e-12)
    cagr = (2000.0 / 1500.0) ** (1.0 / 3.0) - 1.0
    assert_allclose(out, [1500.0 * (1.0 + cagr) ** t for t in range(T)], rtol=1e-12)


def test_to_target_from_partial_year_base_uses_annualised_base() -> None:
    """to_target from a Jan-Jul base (700 for 7 months = 1200/yr) reaches the value on time."""
    base = {"value": 700.0, "months": 7}
    sc = scenario(
        one_cluster({"base": base, "growth": {"kind": "to_target", "value": 1500, "year": 2028}})
    )
    out = run_series(sc, "output")[0]
    assert_allclose(out[0], 1200.0, rtol=1e-15)
    assert_allclose(out[2028 - BASE], 1500.0, rtol=1e-12)


def test_logistic_output_follows_closed_form() -> None:
    """kind: logistic on output gives K / (1 + (K/x0 - 1) e^{-rt})."""
    sc = scenario(
        one_cluster({"base": 600.0, "growth": {"kind": "logistic", "capacity": 2500, "rate": 0.2}})
    )
    want = [2500.0 / (1.0 + (2500.0 / 600.0 - 1.0) * math.exp(-0.2 * t)) for t in range(T)]
    assert_allclose(run_series(sc, "output")[0], want, rtol=1e-12)


def test_logistic_firms_follow_closed_form() -> None:
    """Firms with a logistic growth (no entries, no exits) follow the S-curve to capacity."""
    firms = {"base": 260.0, "growth": {"kind": "logistic", "capacity": 450, "rate": 0.25}}
    sc = scenario(one_cluster({"base": 100.0}, firms=firms))
    want = [450.0 / (1.0 + (450.0 / 260.0 - 1.0) * math.exp(-0.25 * t)) for t in range(T)]
    assert_allclose(run_series(sc, "firms")[0], want, rtol=1e-12)


def test_cluster_elasticity_rd_growth_is_e_times_output_growth() -> None:
    """rd with elasticity 1.3 to output: rd growth = 1.3 * output growth in every year."""
    out_growth = {"kind": "path", "rates": {2024: 0.08, 2026: 0.03, 2028: -0.02}}
    rd = {"base": 20.0, "growth": {"kind": "elasticity", "to": "output", "elasticity": 1.3}}
    sc = scenario(one_cluster({"base": 700.0, "growth": out_growth}, rd=rd))
    rd_levels = run_series(sc, "rd")[0]
    rates = {y: (0.08 if y < 2026 else 0.03 if y < 2028 else -0.02) for y in YEARS[1:]}
    assert_allclose(
        rd_levels, levels_from_rates(20.0, {y: 1.3 * r for y, r in rates.items()}), rtol=1e-12
    )


def test_region_elasticity_to_gdp() -> None:
    """rd_rest with elasticity 1.2 to GDP growing 5%: rd_rest grows 6% a year."""
    sc = scenario(
        rd_rest={"base": 40.0, "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1.2}}
    )
    assert_allclose(run_series(sc, "rd_rest"), [40.0 * 1.06**t for t in range(T)], rtol=1e-12)


def test_cluster_series_elastic_to_region_series() -> None:
    """A cluster's output elastic (0.5) to a region series follows half its growth."""
    growth = {"kind": "elasticity", "to": "industrial_output", "elasticity": 0.5}
    sc = scenario(
        one_cluster({"base": 10.0, "growth": growth}),
        industrial_output={"base": 50.0, "growth": 0.08},
    )
    assert_allclose(run_series(sc, "output")[0], [10.0 * 1.04**t for t in range(T)], rtol=1e-12)


def test_elasticity_to_unknown_series_is_an_error() -> None:
    """An elasticity naming no series is a scenario error naming the series."""
    sc = scenario(
        rd_rest={"base": 40.0, "growth": {"kind": "elasticity", "to": "gpd", "elasticity": 1.2}}
    )
    with pytest.raises(cs.ScenarioError, match="gpd"):
        cs.run(sc, required=False)


def test_derived_cluster_series_follow_their_definitions() -> None:
    """value_added = output*va_ratio, energy = value_added*energy_per_va, rd = output*share."""
    cl = one_cluster(
        {"base": 1500.0, "growth": 0.04},
        va_ratio={"base": 0.24, "growth": -0.005},
        energy_per_va={"base": 0.35, "growth": -0.04},
        rd={"share_of_output": {"base": 0.025, "growth": 0.03}},
    )
    res = cs.run(scenario(cl), required=False)
    t = np.arange(T)
    output = 1500.0 * 1.04**t
    va = output * 0.24 * 0.995**t
    assert_allclose(res.series["value_added"][0, 0], va, rtol=1e-12)
    assert_allclose(res.series["energy"][0, 0], va * 0.35 * 0.96**t, rtol=1e-12)
    assert_allclose(res.series["rd"][0, 0], output * 0.025 * 1.03**t, rtol=1e-12)
    # region totals and ratios: no rest series, so totals are the cluster's own
    assert_allclose(
        res.series["rd_intensity"][0], output * 0.025 * 1.03**t / (1000.0 * 1.05**t), rtol=1e-12
    )
    assert_allclose(
        res.series["energy_intensity"][0], va * 0.35 * 0.96**t / (1000.0 * 1.05**t), rtol=1e-12
    )


def test_firms_with_entries_and_exits_equal_loop() -> None:
    """Firm stock n[t] = n[t-1] * (1 - 4%) + entries[t], entries growing 3% from 30."""
    firms = {"base": 420.0, "exit_rate": 0.04, "entries": {"base": 30.0, "growth": 0.03}}
    sc = scenario(one_cluster({"base": 100.0}, firms=firms))
    want = [420.0]
    for t in range(1, T):
        want.append(want[-1] * 0.96 + 30.0 * 1.03**t)
    assert_allclose(run_series(sc, "firms")[0], want, rtol=1e-12)


def test_stock_indicator_equals_loop() -> None:
    """A stock indicator s[t] = s[t-1] * (1 - 2%) + flow[t], flow 45 growing 2%."""
    d = scenario().model_dump(mode="json", exclude_none=True)
    d["indicators"] = {
        "sme": {
            "kind": "stock",
            "name": "SMEs",
            "base": 380,
            "flow": {"base": 45, "growth": 0.02},
            "exit_rate": 0.02,
        }
    }
    sc = cs.Scenario.model_validate(d)
    res = cs.run(sc, required=False)
    want = [380.0]
    for t in range(1, T):
        want.append(want[-1] * 0.98 + 45.0 * 1.02**t)
    assert_allclose(res.series["sme"][0], want, rtol=1e-12)
    assert_allclose(res.series["sme_flow"][0], [45.0 * 1.02**t for t in range(T)], rtol=1e-12)


# --- growth at or below -100% ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("growth", "path"),
    [
        (-1.0, r"clusters\.a\.output\.growth\.rate"),
        ("-100%", r"clusters\.a\.output\.growth\.rate"),
        (-1.5, r"clusters\.a\.output\.growth\.rate"),
        (
            {"kind": "path", "rates": {2024: 0.1, 2026: -1.2}},
            r"clusters\.a\.output\.growth\.rates\.2026",
        ),
        ({"kind": "linear", "start": 0.0, "end": "-120%"}, r"clusters\.a\.output\.growth\.end"),
        ({"kind": "to_target", "value": 0, "year": 2026}, r"clusters\.a\.output\.growth"),
    ],
)
def test_growth_at_or_below_minus_100_percent_is_rejected(growth: Any, path: str) -> None:
    """A rate <= -100% is a ScenarioError naming the growth's path."""
    sc = scenario(one_cluster({"base": 100.0, "growth": growth}))
    with pytest.raises(cs.ScenarioError, match=path):
        cs.run(sc, required=False)


def test_sampled_growth_below_minus_100_percent_is_rejected() -> None:
    """A distribution drawing only rates below -100% is rejected in Monte Carlo, naming the path."""
    sc = scenario(
        industrial_output={"base": 10.0, "growth": {"dist": "uniform", "low": -3.0, "high": -2.0}}
    )
    with pytest.raises(cs.ScenarioError, match=r"region\.industrial_output\.growth"):
        cs.run(sc, samples=8, seed=1, required=False)


def test_nan_or_inf_growth_is_rejected() -> None:
    """NaN and inf are not numbers a scenario accepts."""
    for bad in (float("nan"), float("inf"), "1e400"):
        with pytest.raises((cs.ScenarioError, ValueError)):
            cs.run(scenario(one_cluster({"base": 100.0, "growth": bad})), required=False)


def test_elasticity_driven_growth_below_minus_100_percent_is_an_error() -> None:
    """rd_rest elastic (3x) to GDP falling 40%/yr would grow -120%: an error, not negative R&D."""
    sc = scenario(
        gdp={"base": 1000.0, "growth": -0.4},
        rd_rest={"base": 10.0, "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 3}},
    )
    with pytest.raises(cs.ClusterSimError, match="rd_rest"):
        cs.run(sc, required=False)


@pytest.mark.parametrize(
    ("growth", "message"),
    [
        ({"kind": "logistic", "capacity": 0, "rate": 0.3}, r"output\.growth\.capacity: the capacity must be > 0"),
        (
            {"kind": "to_target", "value": 200, "year": BASE},
            r"output\.growth\.year: .* must be after",
        ),
        ({"kind": "elasticity", "to": "gdp growth", "elasticity": 1}, "'to' must name a series"),
    ],
)
def test_growth_kind_parameters_are_checked(growth: dict[str, Any], message: str) -> None:
    """A logistic needs a positive capacity, to_target a year after the base, elasticity a
    series name: each refused with the field's path."""
    with pytest.raises((cs.ScenarioError, ValueError), match=message):
        cs.run(scenario(one_cluster({"base": 100.0, "growth": growth})), required=False)
