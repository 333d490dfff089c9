"""What every target kind shares: probability over samples, and the errors of a target."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.engine import run_compiled

from .conftest import GDP, base_dict


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
