"""R&D and energy of clusters that define them differently: which clusters a combined series
is defined for, and which series and clusters its required growth moves."""

from __future__ import annotations

import math
from typing import Any

import pytest

import clustersim as cs

RD_CLUSTERS: dict[str, Any] = {
    "a": {"name": "A", "output": {"base": 100}, "rd": {"base": 10}},
    "b": {"name": "B", "output": {"base": 50}, "rd": {"share_of_output": {"base": 0.1}}},
}


def _scenario(
    metric: str, clusters: dict[str, Any], groups: dict[str, Any] | None = None
) -> cs.Scenario:
    d: dict[str, Any] = {
        "id": "l",
        "name": "l",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": clusters,
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": metric, "year": 2025, "at_least": 30}
        },
    }
    if groups is not None:
        d["groups"] = groups
    return cs.Scenario.model_validate(d)


def test_rd_of_one_own_and_one_share_cluster_moves_the_own_rd() -> None:
    """a's R&D is its own series (10), b's a share of its output (0.1 * 50 = 5), one cluster
    each: the lever is the own R&D of a. 10 (1 + r)^2 + 5 = 30 gives r = sqrt(2.5) - 1
    (moving b's share instead would give 10 + 5 (1 + r)^2 = 30, r = 1)."""
    rg = cs.run(_scenario("sum(rd)", RD_CLUSTERS)).target("t").required_growth
    assert rg is not None
    assert (rg["series"], rg["variable"], rg["clusters"]) == ("rd_own[a]", "rd_own", ["a"])
    assert rg["rate"] == pytest.approx(math.sqrt(2.5) - 1.0, abs=1e-9)


def test_a_group_lever_keeps_only_the_clusters_that_define_the_series() -> None:
    """sum(rd, group=g) with g = {a, b}: own R&D is defined for a only, so the lever is
    rd_own on a alone (b has no own R&D to grow); same r = sqrt(2.5) - 1."""
    groups = {"g": {"name": "g", "clusters": ["a", "b"]}}
    sc = _scenario("sum(rd, group=g)", RD_CLUSTERS, groups)
    rg = cs.run(sc).target("t").required_growth
    assert rg is not None
    assert (rg["series"], rg["clusters"]) == ("rd_own[a]", ["a"])
    assert rg["rate"] == pytest.approx(math.sqrt(2.5) - 1.0, abs=1e-9)


def test_energy_is_not_defined_for_a_cluster_without_energy_per_va() -> None:
    """a has va_ratio and energy_per_va, b only va_ratio: energy (energy_per_va times value
    added) exists for a only, and a metric reading b's is refused."""
    clusters = {
        "a": {
            "name": "A",
            "output": {"base": 100},
            "va_ratio": {"base": 0.5},
            "energy_per_va": {"base": 2},
        },
        "b": {"name": "B", "output": {"base": 50}, "va_ratio": {"base": 0.4}},
    }
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(_scenario("energy[b]", clusters))
    assert str(info.value) == "targets.t: 'energy' is not defined for cluster(s) b"
