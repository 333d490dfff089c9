"""What the compiler does with values a caller supplies (a design's quantiles, numbers a
sweep drew): quantiles for a number that is not a distribution are refused, quantiles of
a normal give its quantile function (100 + 2 x 1.959963984540054 at 0.975), a number
missing where one is required is named, and a copula group swept in part is refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import _Context, compile_scenario

P = "clusters.{}.output.growth.rate"


def _gdp(base: Any) -> cs.Scenario:
    d = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": base}},
    }
    return cs.Scenario.model_validate(d)


def test_design_quantiles_of_a_plain_number_are_refused() -> None:
    u = {"region.gdp.base": np.array([0.5, 0.5])}
    with pytest.raises(cs.ScenarioError) as e:
        compile_scenario(_gdp(100), samples=2, seed=1, uniforms=u)
    assert str(e.value) == (
        "region.gdp.base: a design gives quantiles for it, but it is not a distribution"
    )


def test_design_quantiles_of_a_normal_are_its_quantile_function() -> None:
    u = {"region.gdp.base": np.array([0.5, 0.975])}
    comp = compile_scenario(
        _gdp({"dist": "normal", "mean": 100, "sd": 2}), samples=2, seed=1, uniforms=u
    )
    x0: Any = comp.model.op("gdp")
    assert_allclose(np.ravel(x0.x0), [100.0, 100.0 + 2 * 1.959963984540054], rtol=1e-15)


def test_a_missing_number_is_named() -> None:
    ctx = _Context(np.array([2023, 2024], dtype=np.int64), 1, 1, (), None, True)
    with pytest.raises(cs.ScenarioError) as e:
        ctx.value(None, "region.gdp.base")
    assert str(e.value) == "region.gdp.base: a number is required"


def test_a_copula_group_swept_in_part_is_refused() -> None:
    rate = {"dist": "normal", "mean": 0.05, "sd": 0.01}
    sc = cs.Scenario.model_validate(
        {
            "id": "c",
            "name": "c",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100}},
            "clusters": {
                c: {"name": c, "output": {"base": 10.0, "growth": {"rate": rate}}} for c in "ab"
            },
            "shocks": {"correlations": [{"between": [P.format("a"), P.format("b")], "rho": 0.5}]},
        }
    )
    with pytest.raises(cs.ScenarioError) as e:
        compile_scenario(sc, samples=2, seed=1, drawn={P.format("a"): np.array([0.05, 0.06])})
    assert str(e.value) == (
        "shocks.correlations: clusters.a.output.growth.rate are swept and "
        "clusters.b.output.growth.rate are not: a copula correlates numbers drawn together "
        "(sweep all of them or none)"
    )
