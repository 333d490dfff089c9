"""What compile tells the kinds about clusters, and which clusters a lever names."""

from __future__ import annotations

import math

import numpy as np
import pytest

import clustersim as cs
from clustersim.kinds.targets._base import ClusterScope


def test_ancestors_are_the_parent_chain_only() -> None:
    """c's parent is b, b's is a, a is at the top: c -> [b, a], b -> [a], a -> [] (no None
    for the top)."""
    scope = ClusterScope(
        ("a", "b", "c"), {"all": np.array([0, 1, 2])}, {"a": None, "b": "a", "c": "b"}
    )
    assert scope.ancestors("c") == ["b", "a"]
    assert scope.ancestors("b") == ["a"]
    assert scope.ancestors("a") == []


def test_a_lever_on_every_cluster_names_no_clusters() -> None:
    """sum(output) of a (100) and b (50), both defining output: the lever is output on every
    cluster, reported with clusters None (not a list of all of them). 150 (1 + r)^2 = 180."""
    doc = {
        "id": "l",
        "name": "l",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "sum(output)",
                "year": 2025,
                "at_least": 180,
            }
        },
    }
    rg = cs.run(cs.Scenario.model_validate(doc)).target("t").required_growth
    assert rg is not None and rg["series"] == "output" and rg["clusters"] is None
    assert rg["rate"] == pytest.approx(math.sqrt(180 / 150) - 1, abs=1e-9)
