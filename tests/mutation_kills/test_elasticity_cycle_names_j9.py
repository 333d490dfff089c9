"""An elasticity cycle is named by its members and located at the first member's growth,
for a series elastic to itself (a cycle of one) and for a cluster series one of whose
clusters follows a series outside the cycle.

Kills, in compile.py:_Builder.ordered:
- 7a3522147d (``self.paths.get(cyc[0], cyc[0])`` -> ``get(cyc[0], cyc[1])``): the default
  is evaluated before the lookup, so a cycle of one member raises IndexError instead of
  the message;
- 4847b012b9 (``isinstance(op, Compound) and any(...)`` -> ``or``): ops that only wait on
  the cycle (cluster_output, a total; value_added, a product) would be named as members,
  and the error located at cluster_output, which has no scenario path;
- a88ec92c13 (``any(d in pending ...)`` -> ``all(...)``): output waits on va_ratio (in
  the cycle) and on gdp (already placed: cluster a follows it), so with ``all`` output
  would drop out of the cycle it is in.
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def _elastic(to: str) -> dict[str, Any]:
    return {"kind": "elasticity", "to": to, "elasticity": 0.5}


def _error(region: dict[str, Any], clusters: dict[str, Any]) -> str:
    doc = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": region,
        "clusters": clusters,
    }
    with pytest.raises(cs.ScenarioError) as e:
        cs.run(cs.Scenario.model_validate(doc), required=False)
    return str(e.value)


def test_a_series_elastic_to_itself_is_a_cycle_of_one() -> None:
    region = {"gdp": {"base": 100, "growth": _elastic("gdp")}}
    clusters = {"a": {"name": "A", "output": {"base": 100}}}
    assert _error(region, clusters) == "region.gdp.growth: elasticity cycle among: gdp"


def test_a_cycle_of_cluster_series_names_its_two_members_only() -> None:
    """Cluster a's output follows gdp; b's output follows b's va_ratio, which follows
    output: the cycle is output <-> va_ratio. The output op's path is its first cluster's
    growth (a's)."""
    region = {"gdp": {"base": 100, "growth": 0.05}}
    clusters = {
        "a": {"name": "A", "output": {"base": 100, "growth": _elastic("gdp")}},
        "b": {
            "name": "B",
            "output": {"base": 100, "growth": _elastic("va_ratio")},
            "va_ratio": {"base": 0.3, "growth": _elastic("output")},
        },
    }
    assert _error(region, clusters) == (
        "clusters.a.output.growth: elasticity cycle among: output, va_ratio"
    )
