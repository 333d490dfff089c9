"""Required growth: the constant rate that just meets a target, checked by feeding it back."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs

BASE, END = 2023, 2028


def base_dict() -> dict[str, Any]:
    """Region and three clusters, 2023-2028, no targets."""
    return {
        "id": "req",
        "name": "required growth",
        "base_year": BASE,
        "end_year": END,
        "region": {
            "gdp": {"base": 1000.0, "growth": 0.05},
            "industrial_output": {"base": 300.0, "growth": 0.04},
            "history": {"gdp": {2020: 800.0}},
        },
        "clusters": {
            "a": {"name": "A", "output": {"base": 60.0, "growth": 0.10}},
            "b": {"name": "B", "output": {"base": 40.0, "growth": 0.02}},
            "c": {
                "name": "C",
                "output": {"base": 90.0},
                "va_ratio": {"base": 0.2},
                "energy_per_va": {"base": 2.0, "growth": -0.01},
            },
        },
        "groups": {"ab": {"name": "AB", "clusters": ["a", "b"]}},
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
    }


def with_target(target: dict[str, Any], d: dict[str, Any] | None = None) -> cs.Scenario:
    d = copy.deepcopy(d or base_dict())
    d["targets"] = {"t": {"label": "t", **target}}
    return cs.Scenario.model_validate(d)


def required(target: dict[str, Any]) -> dict[str, Any]:
    """Run with one target; return its required-growth record."""
    rg = cs.run(with_target(target)).target("t").required_growth
    assert rg is not None
    return rg


def margin_with(
    target: dict[str, Any], set_growth: dict[tuple[str, ...], float]
) -> tuple[float, float]:
    """Margin and value of the target after setting constant growth rates at the given paths."""
    d = base_dict()
    for path, rate in set_growth.items():
        node = d
        for key in path:
            node = node[key]
        node["growth"] = rate
    tr = cs.run(with_target(target, d), required=False).target("t")
    return float(tr.margin[0]), float(tr.value[0])


def test_level_closed_form_on_region_series() -> None:
    """GDP >= 1500 in 2028: r = (1500/1000)^(1/5) - 1; fed back, the margin is ~ 0."""
    tgt = {"kind": "level", "metric": "gdp", "year": 2028, "at_least": 1500}
    rg = required(tgt)
    want = 1.5**0.2 - 1.0
    assert rg["method"] == "closed_form" and rg["variable"] == "gdp"
    assert_allclose(rg["rate"], want, rtol=1e-12)
    m, v = margin_with(tgt, {("region", "gdp"): rg["rate"]})
    assert 0.0 <= m <= 1e-9 * 1500 and abs(v / 1500 - 1.0) <= 1e-9  # met, only just


def test_level_closed_form_on_picked_cluster() -> None:
    """output[b] <= 30 in 2027 (falling from 40): r = (30/40)^(1/4) - 1, negative."""
    tgt = {"kind": "level", "metric": "output[b]", "year": 2027, "at_most": 30}
    rg = required(tgt)
    assert rg["method"] == "closed_form"
    assert rg["variable"] == "output" and rg["clusters"] == ["b"]
    assert_allclose(rg["rate"], 0.75**0.25 - 1.0, rtol=1e-12)
    m, _ = margin_with(tgt, {("clusters", "b", "output"): rg["rate"]})
    assert 0.0 <= m <= 1e-9 * 30  # on the meeting side, only just


def test_cagr_closed_form_inside_projection_is_the_goal() -> None:
    """A CAGR goal of 7% from 2024 needs 7% a year, moved a few ulps up so that the CAGR
    of the projected path clears the goal (at exactly 7% it is 7% +- a rounding)."""
    tgt = {"kind": "cagr", "metric": "gdp", "from_year": 2024, "year": 2028, "at_least": 0.07}
    rg = required(tgt)
    assert rg["method"] == "closed_form"
    assert 0.07 <= rg["rate"] <= 0.07 + 1e-13
    m, v = margin_with(tgt, {("region", "gdp"): rg["rate"]})
    assert m >= 0 and v >= 0.07


def test_cagr_closed_form_from_history() -> None:
    """CAGR 6% from 2020 (history 800) to 2026: r solves 1000(1+r)^3 = 800 * 1.06^6."""
    tgt = {"kind": "cagr", "metric": "gdp", "from_year": 2020, "year": 2026, "at_least": 0.06}
    rg = required(tgt)
    want = (800.0 * 1.06**6 / 1000.0) ** (1.0 / 3.0) - 1.0
    assert rg["method"] == "closed_form"
    assert_allclose(rg["rate"], want, rtol=1e-12)
    m, v = margin_with(tgt, {("region", "gdp"): rg["rate"]})
    assert_allclose(v, 0.06, rtol=1e-12)
    assert 0.0 <= m < 1e-12


def test_share_root_finding_matches_closed_form_and_feeds_back() -> None:
    """Share of ab in industrial output >= 40% in 2027.

    The lever moves a and b together, so their sum is 100 (1+r)^4 and the exact answer is
    r = (0.4 * 300 * 1.04^4 / 100)^(1/4) - 1; fed back, the margin is ~ 0.
    """
    tgt = {
        "kind": "share",
        "numerator": "sum(output, group=ab)",
        "denominator": "industrial_output",
        "year": 2027,
        "at_least": 0.4,
    }
    rg = required(tgt)
    want = (0.4 * 300.0 * 1.04**4 / 100.0) ** 0.25 - 1.0
    assert rg["method"] == "root_finding"
    assert rg["variable"] == "output" and rg["clusters"] == ["a", "b"]
    assert_allclose(rg["rate"], want, rtol=1e-10)
    r = rg["rate"]
    m, _ = margin_with(tgt, {("clusters", "a", "output"): r, ("clusters", "b", "output"): r})
    assert 0.0 <= m <= 1e-9


def test_level_at_most_with_explicit_lever_root_finding() -> None:
    """energy[c] <= 30 in 2028 with lever energy_per_va[c]: 90 * 0.2 * 2 (1+r)^5 = 30."""
    tgt = {
        "kind": "level",
        "metric": "energy[c]",
        "year": 2028,
        "at_most": 30,
        "lever": "energy_per_va[c]",
    }
    rg = required(tgt)
    want = (30.0 / 36.0) ** 0.2 - 1.0
    assert rg["variable"] == "energy_per_va" and rg["clusters"] == ["c"]
    assert_allclose(rg["rate"], want, rtol=1e-10)
    m, _ = margin_with(tgt, {("clusters", "c", "energy_per_va"): rg["rate"]})
    assert 0.0 <= m <= 1e-9 * 30  # on the meeting side, only just


def test_stock_target_moves_the_flow() -> None:
    """Stock >= 600 in 2028 moves the flow's growth; fed back, the margin is ~ 0."""
    tgt = {"kind": "stock", "metric": "sme", "year": 2028, "at_least": 600}
    rg = required(tgt)
    assert rg["variable"] == "sme_flow" and rg["method"] == "root_finding"
    r = rg["rate"]
    # independent check with a loop over years
    s = 380.0
    for t in range(1, 6):
        s = s * 0.98 + 45.0 * (1.0 + r) ** t
    assert_allclose(s, 600.0, rtol=1e-9)
    m, _ = margin_with(tgt, {("indicators", "sme", "flow"): r})
    assert 0.0 <= m <= 1e-9 * 600


def test_flow_every_year_needs_first_year_rate() -> None:
    """Loans >= 20 every year 2024-2026 from 18: the first year binds, r = 20/18 - 1."""
    tgt = {
        "kind": "flow_every_year",
        "metric": "loans",
        "from_year": 2024,
        "year": 2026,
        "at_least": 20,
    }
    rg = required(tgt)
    assert_allclose(rg["rate"], 20.0 / 18.0 - 1.0, rtol=1e-10)


def test_count_over_bisection_gives_smallest_meeting_rate() -> None:
    """Two clusters >= 100 in 2027 with one common rate: the 2nd largest (60) must reach 100.

    r* = (100/60)^(1/4) - 1; the bisection result meets the target and 1e-9 less does not.
    """
    tgt = {
        "kind": "count_over",
        "variable": "output",
        "threshold": 100,
        "year": 2027,
        "at_least": 2,
    }
    rg = required(tgt)
    want = (100.0 / 60.0) ** 0.25 - 1.0
    assert rg["method"] == "bisection"
    # counts reach a threshold within a relative 1e-9 (float rounding), so the edge moves by ~3e-10
    assert abs(rg["rate"] - want) < 1e-9
    rate = float(rg["rate"])
    paths: dict[tuple[str, ...], float] = {("clusters", c, "output"): rate for c in "abc"}
    assert margin_with(tgt, paths)[0] >= 0
    paths_less: dict[tuple[str, ...], float] = {p: rate - 1e-9 for p in paths}
    assert margin_with(tgt, paths_less)[0] < 0


def test_impossible_target_reports_none_in_range() -> None:
    """GDP growth >= 30% every year from 2020 cannot be met: history already fixes 2020-2023."""
    tgt = {
        "kind": "growth_every_year",
        "metric": "gdp",
        "from_year": 2020,
        "year": 2025,
        "at_least": 0.3,
    }
    d = base_dict()
    d["region"]["history"]["gdp"] = {2020: 800.0, 2021: 850.0, 2022: 930.0}
    rg = cs.run(with_target(tgt, d)).target("t").required_growth
    assert rg is not None
    assert rg["rate"] is None and rg["method"] == "none_in_range"


def test_required_growth_ignores_samples() -> None:
    """With Monte Carlo samples, required growth is computed on the central scenario."""
    d = base_dict()
    d["region"]["gdp"]["growth"] = {"dist": "normal", "mean": 0.05, "sd": 0.01}
    tgt = {"kind": "level", "metric": "gdp", "year": 2028, "at_least": 1500}
    rg = cs.run(with_target(tgt, d), samples=50, seed=1).target("t").required_growth
    assert rg is not None
    assert_allclose(rg["rate"], 1.5**0.2 - 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "target",
    [
        {"kind": "level", "metric": "gdp", "year": 2023, "at_least": 900},
        {"kind": "cagr", "metric": "gdp", "from_year": 2020, "year": 2023, "at_least": 0.05},
    ],
)
def test_target_in_base_year_runs(target: dict[str, Any]) -> None:
    """A target in the base year is valid; run() reports its value (required growth is moot)."""
    tr = cs.run(with_target(target)).target("t")
    want = 1000.0 if target["kind"] == "level" else (1000.0 / 800.0) ** (1.0 / 3.0) - 1.0
    assert_allclose(tr.value, [want], rtol=1e-12)
    assert np.all(tr.met)


def test_point_goal_keeps_its_closed_form() -> None:
    """``between: [0.07, 0.07]`` can only be met within the tolerance: the formula's rate is
    kept (no rate clears a margin above 0) and it is met."""
    tgt = {
        "kind": "cagr",
        "metric": "gdp",
        "from_year": 2024,
        "year": 2028,
        "between": [0.07, 0.07],
    }
    rg = required(tgt)
    assert rg["method"] == "closed_form" and rg["rate"] == 0.07
    d = base_dict()
    d["region"]["gdp"]["growth"] = rg["rate"]
    assert bool(cs.run(with_target(tgt, d), required=False).target("t").met[0])


# --- the levels a lever moves (issue 21, part 4: one pass instead of a closure per op) ----------


def _levels_by_closure(model, series):
    """The definition: every compound or stock-flow op whose closure holds ``series``."""
    from clustersim.core.model import Compound, StockFlow
    from clustersim.core.project import needed

    return {
        o.name
        for o in model.ops
        if isinstance(o, Compound | StockFlow) and series in needed(model, [o.name])
    }


def test_lever_levels_is_the_closure_definition_for_every_shipped_lever() -> None:
    from pathlib import Path

    from clustersim.compile import compile_scenario
    from clustersim.engine import lever_levels
    from clustersim.scenario.loader import load_scenario

    checked = 0
    for path in sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml")):
        comp = compile_scenario(load_scenario(path), samples=1)
        series = {
            lever.series
            for ct in comp.targets.values()
            for lever in (ct.levers or ((ct.lever,) if ct.lever is not None else ()))
        }
        # every op as a lever too: the definition must hold for any series
        series |= set(comp.model.names)
        for name in sorted(series):
            assert lever_levels(comp.model, name) == _levels_by_closure(comp.model, name), (
                path.name,
                name,
            )
            checked += 1
    assert checked > 100
