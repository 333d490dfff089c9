"""Scenario errors of the compiler no other test reaches, each with its path and exact
message: a region series elastic to a cluster series, an elasticity cycle, history of an
unknown series or in the base year, and a compiler run without a seed (it picks one and
records it, so the same draws come back from that seed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.compile import ScenarioCompiler, compile_scenario


def _doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
    }
    d.update(over)
    return d


def _error(d: dict[str, Any]) -> str:
    with pytest.raises(cs.ScenarioError) as e:
        cs.run(cs.Scenario.model_validate(d))
    return str(e.value)


def _elastic(to: str) -> dict[str, Any]:
    return {"kind": "elasticity", "to": to, "elasticity": 0.5}


def test_a_region_series_cannot_follow_a_cluster_series() -> None:
    d = _doc(region={"gdp": {"base": 100, "growth": _elastic("output")}})
    assert _error(d) == (
        "region.gdp.growth.to: region series 'gdp' cannot follow cluster series 'output'"
    )


def test_an_elasticity_cycle_is_named() -> None:
    region = {
        "gdp": {"base": 100, "growth": _elastic("population")},
        "population": {"base": 10, "growth": _elastic("gdp")},
    }
    assert _error(_doc(region=region)) == (
        "region.gdp.growth: elasticity cycle among: gdp, population"
    )


def test_region_history_of_an_unknown_series() -> None:
    d = _doc(region={"gdp": {"base": 100}, "history": {"gpd": {2020: 90}}})
    assert _error(d) == (
        "region.history.gpd: unknown region series or metric 'gpd'; did you mean 'gdp'? "
        "(known: cluster_output, gdp)"
    )


def test_cluster_history_unknown_or_in_the_base_year() -> None:
    a = {"name": "A", "output": {"base": 100}, "history": {"outptu": {2020: 90}}}
    assert _error(_doc(clusters={"a": a})) == (
        "clusters.a.history.outptu: unknown cluster series 'outptu'; did you mean 'output'? "
        "(known: output)"
    )
    a = {"name": "A", "output": {"base": 100}, "history": {"output": {2023: 90}}}
    assert _error(_doc(clusters={"a": a})) == (
        "clusters.a.history.output.2023: history must be before the base year 2023"
    )


def _x0(comp: Any) -> Any:
    return np.asarray(comp.model.op("gdp").x0)


def test_a_compiler_without_a_seed_picks_one_and_records_it() -> None:
    d = _doc(region={"gdp": {"base": {"dist": "normal", "mean": 100, "sd": 1}}})
    sc = cs.Scenario.model_validate(d)
    comp = ScenarioCompiler(sc).compile(samples=4)
    assert isinstance(comp.seed, int)
    assert 0 <= comp.seed < 2**63
    x0 = _x0(comp)
    again = compile_scenario(sc, samples=4, seed=comp.seed)
    assert_array_equal(x0, _x0(again))
    assert x0.shape[0] == 4
    assert len(set(x0.ravel().tolist())) == 4  # four draws, not one repeated
    with pytest.raises(cs.ScenarioError) as e:
        ScenarioCompiler(sc, seed=1).compile(samples=2, offset=-1)
    assert str(e.value) == "offset must be >= 0, got -1"
