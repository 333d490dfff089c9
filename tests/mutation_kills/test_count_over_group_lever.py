"""A count over a group moves only the group's clusters when required growth is sought."""

from __future__ import annotations

import math

import pytest

import clustersim as cs


def test_count_over_a_group_levers_the_group_only() -> None:
    """Group g = a (100) and b (80) of three clusters; c (300) is outside it. At least 2
    clusters of g at 121 or more in 2025 needs b at 80 (1 + r)^2 = 121: r = sqrt(121/80) - 1
    on output[g] (a and b), not on every cluster's output."""
    doc = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}},
            "b": {"name": "B", "output": {"base": 80}},
            "c": {"name": "C", "output": {"base": 300}},
        },
        "groups": {"g": {"name": "G", "clusters": ["a", "b"]}},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "year": 2025,
                "threshold": 121,
                "at_least": 2,
                "group": "g",
            }
        },
    }
    rg = cs.run(cs.Scenario.model_validate(doc)).target("t").required_growth
    assert rg is not None
    assert rg["series"] == "output[g]" and rg["clusters"] == ["a", "b"]
    assert rg["rate"] == pytest.approx(math.sqrt(121 / 80) - 1, abs=1e-9)
